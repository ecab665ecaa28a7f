"""Text tables in Bareos' console layout (``list``, ``sqlquery``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ...catalog.driver import is_decimal


def _cell(value: Any, numeric: bool, column: str) -> str:
    if value is None:  # Bareos reads PostgreSQL's NULL as an empty string
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if numeric and column != "jobid" and isinstance(value, int):
        return f"{value:,}"
    return str(value)


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """Horizontal table: dashes, header, dashes, rows, dashes; numbers right-aligned."""
    if not rows:
        return ["No results to list."]
    numeric = [
        all(isinstance(r[i], int) or is_decimal(r[i]) or r[i] is None for r in rows)
        and any(isinstance(r[i], int) or is_decimal(r[i]) for r in rows)
        for i in range(len(columns))
    ]
    cells = [[_cell(v, numeric[i], columns[i]) for i, v in enumerate(r)] for r in rows]
    widths = [
        min(100, max(4, len(c), *(len(row[i]) for row in cells))) for i, c in enumerate(columns)
    ]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [rule, "| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths)) + " |", rule]
    for row in cells:
        out.append(
            "| "
            + " | ".join(
                v.rjust(w) if numeric[i] else v.ljust(w)
                for i, (v, w) in enumerate(zip(row, widths))
            )
            + " |"
        )
    out.append(rule)
    return out


def format_vertical(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    if not rows:
        return ["No results to list."]
    width = max(len(c) for c in columns)
    out: list[str] = []
    for row in rows:
        for column, value in zip(columns, row):
            numeric = isinstance(value, int)
            out.append(f" {column:>{width}}: {_cell(value, numeric, column)}")
        out.append("")
    return out


def json_value(value: Any) -> str:
    """Bareos' JSON lists print every value as a string, NULL as ``""``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def json_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[dict[str, str]]:
    return [{c.lower(): json_value(v) for c, v in zip(columns, row)} for row in rows]
