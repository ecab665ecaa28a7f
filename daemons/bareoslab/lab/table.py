"""Aligned text tables for the lab's reports."""

from __future__ import annotations

from collections.abc import Collection, Sequence


def text_table(head: Sequence[str], body: Sequence[Sequence[str]], right: Collection[int] = ()) -> str:
    """Columns padded to their widest cell (``right``: right-aligned column indexes), a rule under the head."""
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    lines = []
    for row in [head, *body]:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  " + "  ".join(cells).rstrip())
    lines.insert(1, "  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines)
