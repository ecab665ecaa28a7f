"""The File batch: a job's attribute records written in bulk."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .file_sql import FileSql

FILE_BATCH_ROWS = 100_000
"""Rows a FileBatch buffers before it writes them (Bareos flushes at 800,000)."""


class SqlFileBatch:
    """Buffers a job's File rows and writes them with the batch insert."""

    def __init__(self, catalog: FileSql, job_id: int, flush_rows: int = FILE_BATCH_ROWS) -> None:
        self.job_id = job_id
        self._catalog = catalog
        self._flush_rows = max(2, flush_rows)
        self._rows: list[list[Any]] = []
        self._by_index: dict[int, int] = {}
        self.written = 0

    def add(
        self, file_index: int, full_name: str, lstat: str, md5: str = "0", delta_seq: int = 0
    ) -> None:
        cut = full_name.rfind("/")
        if cut < 0:
            path, name = full_name, ""
        else:
            path, name = full_name[: cut + 1], full_name[cut + 1 :]
        if file_index > 0:
            self._by_index[file_index] = len(self._rows)
        self._rows.append([file_index, self.job_id, path, name, lstat, md5 or "0", delta_seq, 0, 0])
        if len(self._rows) >= self._flush_rows:
            self._write(keep_last=True)

    def set_digest(self, file_index: int, md5: str) -> None:
        pos = self._by_index.get(file_index)
        if pos is not None:
            self._rows[pos][5] = md5
        else:
            self._catalog.set_file_digest(self.job_id, file_index, md5)

    @property
    def pending(self) -> int:
        return len(self._rows)

    def flush(self) -> int:
        return self._write(keep_last=False)

    def flush_keep_last(self) -> int:
        """Write all but the newest row, whose digest record may still follow."""
        return self._write(keep_last=True)

    def _write(self, *, keep_last: bool) -> int:
        # the newest row stays buffered on automatic flushes: its digest may follow
        rows = self._rows[:-1] if keep_last else self._rows
        if not rows:
            return 0
        self._catalog.write_file_rows(rows)
        kept = self._rows[len(rows) :]
        self._rows = kept
        self._by_index = {r[0]: i for i, r in enumerate(kept) if r[0] > 0}
        self.written += len(rows)
        return len(rows)

    def __enter__(self) -> SqlFileBatch:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.flush()
