"""Bootstraps (BSR) built from the catalog: for restores and copies, and the one a Job's
``Write Bootstrap`` keeps up to date after each backup."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from ..catalog.api import JobMediaRow
from ..volume.bsr import BsrVolume, format_bsr


class FileSelection:
    """The FileIndexes to restore per JobId, kept as inclusive runs: its memory grows with the
    gaps between the files chosen, not with their number (a whole job is one run)."""

    def __init__(self) -> None:
        self._runs: dict[int, list[list[int]]] = {}
        self._ordered = True  # every job's runs sorted and apart

    @classmethod
    def of(cls, indexes: Mapping[int, Iterable[int]]) -> FileSelection:
        selection = cls()
        for job_id, chosen in indexes.items():
            selection.include_job(job_id)
            for file_index in chosen:
                selection.add(job_id, file_index)
        return selection

    def include_job(self, job_id: int) -> None:
        """A job of the restore, with no FileIndex yet."""
        self._runs.setdefault(job_id, [])

    def add(self, job_id: int, file_index: int) -> None:
        self.add_range(job_id, file_index, file_index)

    def add_range(self, job_id: int, first: int, last: int) -> None:
        runs = self._runs.setdefault(job_id, [])
        if runs:
            newest = runs[-1]
            if newest[0] <= first <= newest[1] + 1:  # continues (or overlaps) the newest run
                newest[1] = max(newest[1], last)
                return
            if first < newest[0]:
                self._ordered = False
        runs.append([first, last])

    def _sorted(self) -> dict[int, list[list[int]]]:
        if not self._ordered:
            for job_id, runs in self._runs.items():
                self._runs[job_id] = []
                for first, last in sorted(runs):  # in order, each run continues or follows the last
                    self.add_range(job_id, first, last)
            self._ordered = True
        return self._runs

    def jobs(self) -> list[int]:
        return list(self._runs)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._runs

    def __bool__(self) -> bool:
        return bool(self._runs)

    def has_files(self, job_id: int) -> bool:
        return bool(self._runs.get(job_id))

    def count(self) -> int:
        return sum(_files_in(runs) for runs in self._sorted().values())

    def ranges(self, job_id: int, low: int, high: int) -> list[tuple[int, int]]:
        """The job's runs cut to ``low..high`` (one JobMedia span)."""
        return [(max(first, low), min(last, high)) for first, last in self._sorted().get(job_id, [])
                if first <= high and last >= low]

    def indexes(self) -> dict[int, list[int]]:
        """Every FileIndex, job by job (for a few files: tests and messages)."""
        return {job_id: [i for first, last in runs for i in range(first, last + 1)]
                for job_id, runs in self._sorted().items() if runs}


def _files_in(runs: Iterable[Sequence[int]]) -> int:
    """The FileIndexes in inclusive (first, last) runs."""
    return sum(last - first + 1 for first, last in runs)


def build_bootstrap(
    jobmedia: Iterable[JobMediaRow],
    wanted: FileSelection | None = None,
    storage: str = "",
    device: str = "",
) -> str:
    """One entry per (volume, job session) in JobMedia order, written by the volume layer's
    bootstrap writer (the one :func:`~bareoslab.volume.bsr.parse_bsr` reads).

    ``wanted`` holds the FileIndexes to restore per JobId; None selects every file.
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
        ranges = wanted.ranges(job_id, low, high) if wanted is not None else [(low, high)]
        if not ranges:
            continue
        entries.append(BsrVolume(
            volume=first.volume_name, media_type=first.media_type, device=device or None,
            storage=storage or None, vol_session_id=first.vol_session_id,
            vol_session_time=first.vol_session_time,
            vol_addrs=[((r.start_file << 32) | r.start_block, (r.end_file << 32) | r.end_block) for r in rows],
            file_indexes=ranges, count=_files_in(ranges),
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
