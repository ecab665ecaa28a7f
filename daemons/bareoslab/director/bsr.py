"""Bootstraps (BSR) built from the catalog: for restores and copies, and the one a Job's
``Write Bootstrap`` keeps up to date after each backup."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable

from ..catalog.api import JobMediaRow
from ..volume.bsr import BsrVolume, format_bsr


def _ranges(indexes: list[int]) -> list[tuple[int, int]]:
    """Sorted FileIndexes as inclusive (first, last) runs."""
    out: list[tuple[int, int]] = []
    start = prev = indexes[0]
    for i in indexes[1:]:
        if i == prev + 1:
            prev = i
            continue
        out.append((start, prev))
        start = prev = i
    out.append((start, prev))
    return out


def build_bootstrap(
    jobmedia: Iterable[JobMediaRow],
    wanted: dict[int, list[int]] | None = None,
    storage: str = "",
    device: str = "",
) -> str:
    """One entry per (volume, job session) in JobMedia order, written by the volume layer's
    bootstrap writer (the one :func:`~bareoslab.volume.bsr.parse_bsr` reads).

    ``wanted`` maps JobId -> the FileIndexes to restore; None selects every file.
    """
    by_volume: dict[tuple[str, int], list[JobMediaRow]] = defaultdict(list)
    order: list[tuple[str, int]] = []
    for row in jobmedia:
        key = (row.volume_name, row.job_id)
        if key not in by_volume:
            order.append(key)
        by_volume[key].append(row)
    entries: list[BsrVolume] = []
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
        entries.append(BsrVolume(
            volume=first.volume_name, media_type=first.media_type, device=device or None,
            storage=storage or None, vol_session_id=first.vol_session_id,
            vol_session_time=first.vol_session_time,
            vol_addrs=[((r.start_file << 32) | r.start_block, (r.end_file << 32) | r.end_block) for r in rows],
            file_indexes=_ranges(indexes), count=len(indexes),
        ))
    return format_bsr(entries)


def job_bootstrap(jobmedia: Iterable[JobMediaRow], job: str, level: str, since: str, written: float) -> str:
    """What ``Write Bootstrap`` gets after a backup (Bareos' UpdateBootstrapFile): a comment
    saying when and which job, then one entry per JobMedia row of the job."""
    header = f"# {time.strftime('%d-%b-%Y %H:%M:%S', time.localtime(written))} - {job} - {level}" + (
        f", since={since}" if since else "")
    entries = [
        BsrVolume(volume=r.volume_name, media_type=r.media_type, vol_session_id=r.vol_session_id,
                  vol_session_time=r.vol_session_time, extra=[("Slot", str(r.slot))] if r.slot > 0 else [],
                  vol_addrs=[((r.start_file << 32) | r.start_block, (r.end_file << 32) | r.end_block)],
                  file_indexes=[(r.first_index, r.last_index)])
        for r in jobmedia
    ]
    return header + "\n" + format_bsr(entries, index_ranges=True)
