"""What an engine driver provides, and the small SQL helpers every statement uses.

Statements use ``?`` placeholders; the PostgreSQL driver rewrites them.  Named queries
live in ``queries/<name>.sql`` with an optional ``queries/<name>.<flavour>.sql`` override.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Protocol

from ..codes import JobLevel, JobStatus, JobType
from .errors import CatalogError
from .records import Code
from .times import DB_TIME_FORMAT

#: rows a streamed query holds at a time on PostgreSQL: ~0.4 MiB of a restore's File rows
#: (5,000 held 4.3 MiB of the Director's peak during a restore, 1,000 0.9; fewer cost no
#: measurable time)
STREAM_ROWS = 250


class Cursor(Protocol):
    """What the drivers' cursors offer (sqlite3 and psycopg cursors both do)."""

    @property
    def rowcount(self) -> int: ...

    @property
    def description(self) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int = ...) -> list[Any]: ...


class Driver(Protocol):
    """The engine-specific part: connect, execute, transactions, bulk load."""

    name: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        """Run one statement with ``?`` placeholders."""

    def stream(self, sql: str, params: Sequence[Any] = (), size: int = STREAM_ROWS) -> Iterator[Any]:
        """The rows of one query, fetched ``size`` at a time (SQLite: one by one), so that a
        large result is never held whole (on PostgreSQL a client cursor's would be). Nothing
        else may use the connection until the rows are read."""

    def transaction(self) -> AbstractContextManager[None]:
        """A (nestable) transaction: commit on success, roll back on error."""

    def bulk_load(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Append rows to a table as fast as the engine allows."""

    def run_script(self, script: str) -> None:
        """Run a multi-statement script atomically."""

    def raw_query(
        self, sql: str, params: Sequence[Any] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run user SQL (no placeholder rewriting without params)."""

    def table_names(self) -> set[str]:
        """Tables and views of the catalog schema, lower case."""

    def describe(self) -> str: ...

    def close(self) -> None: ...


def code(value: Code) -> str:
    """The stored letter of an enum member or letter."""
    if isinstance(value, JobType | JobLevel | JobStatus):
        return str(value.value)
    text = str(value)
    if len(text) != 1:
        raise CatalogError(f"invalid one-letter code {value!r}")
    return text


def codes(values: Code | Iterable[Code]) -> list[str]:
    if isinstance(values, str):
        return [code(values)]
    return [code(v) for v in values]


def marks(count: int) -> str:
    """``?, ?, ?`` for an IN list (never empty: ``NULL`` matches nothing)."""
    return ", ".join("?" * count) if count else "NULL"


@lru_cache(maxsize=512)
def split_placeholders(sql: str) -> tuple[str, ...]:
    """The text around each ``?`` placeholder outside string literals and quoted names."""
    pieces: list[str] = []
    start = 0
    quote = ""
    for at, char in enumerate(sql):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "?":
            pieces.append(sql[start:at])
            start = at + 1
    pieces.append(sql[start:])
    return tuple(pieces)


# the package's files, read from beside this module: importlib.resources would cost every daemon
# about 1 MiB of resident memory for modules it imports (shutil, tempfile, bz2, lzma, ...)
_HERE = Path(__file__).parent


def resource(name: str) -> str:
    return (_HERE / name).read_text(encoding="utf-8")


@cache
def named_query(name: str, flavour: str) -> str:
    """``queries/<name>.<flavour>.sql`` if present, else ``queries/<name>.sql``."""
    base = _HERE / "queries"
    special = base / f"{name}.{flavour}.sql"
    text = (special if special.is_file() else base / f"{name}.sql").read_text("utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return "\n".join(lines).strip().rstrip(";")


def query_text(name: str, flavour: str, **slots: str) -> str:
    """A named query with its ``{slot}`` markers filled (column lists, ``?`` lists)."""
    text = named_query(name, flavour)
    for key, value in slots.items():
        text = text.replace("{" + key + "}", value)
    return text


def is_decimal(value: Any) -> bool:
    """A ``decimal.Decimal`` (PostgreSQL's NUMERIC through psycopg): none exists before the
    module is imported, and a Director on SQLite need not import it."""
    decimal = sys.modules.get("decimal")
    return decimal is not None and isinstance(value, decimal.Decimal)


def plain_value(value: Any) -> Any:
    """Normalise a result value so both drivers print alike."""
    if isinstance(value, datetime):
        return value.strftime(DB_TIME_FORMAT)
    if is_decimal(value):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return value
