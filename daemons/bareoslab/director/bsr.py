"""Bootstraps (BSR) built from the catalog for restores and copies."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ..catalog.api import JobMediaRow


def _ranges(indexes: list[int]) -> list[str]:
    out: list[str] = []
    start = prev = indexes[0]
    for i in indexes[1:]:
        if i == prev + 1:
            prev = i
            continue
        out.append(f"{start}-{prev}" if start != prev else str(start))
        start = prev = i
    out.append(f"{start}-{prev}" if start != prev else str(start))
    return out


def build_bootstrap(
    jobmedia: Iterable[JobMediaRow],
    wanted: dict[int, list[int]] | None = None,
    storage: str = "",
    device: str = "",
) -> str:
    """One entry per (volume, job session) in JobMedia order.

    ``wanted`` maps JobId -> the FileIndexes to restore; None selects every file.
    """
    lines: list[str] = []
    by_volume: dict[tuple[str, int], list[JobMediaRow]] = defaultdict(list)
    order: list[tuple[str, int]] = []
    for row in jobmedia:
        key = (row.volume_name, row.job_id)
        if key not in by_volume:
            order.append(key)
        by_volume[key].append(row)
    for key in order:
        rows = by_volume[key]
        first, job_id = rows[0], key[1]
        low, high = min(r.first_index for r in rows), max(r.last_index for r in rows)
        if wanted is not None:
            indexes = sorted(i for i in wanted.get(job_id, []) if low <= i <= high)
            if not indexes:
                continue
        else:
            indexes = list(range(low, high + 1))
        if storage:
            lines.append(f'Storage="{storage}"')
        lines.append(f'Volume="{first.volume_name}"')
        lines.append(f'MediaType="{first.media_type}"')
        if device:
            lines.append(f'Device="{device}"')
        lines.append(f"VolSessionId={first.vol_session_id}")
        lines.append(f"VolSessionTime={first.vol_session_time}")
        for r in rows:
            start = (r.start_file << 32) | r.start_block
            end = (r.end_file << 32) | r.end_block
            lines.append(f"VolAddr={start}-{end}")
        for part in _ranges(indexes):
            lines.append(f"FileIndex={part}")
        lines.append(f"Count={len(indexes)}")
    return "\n".join(lines) + ("\n" if lines else "")
