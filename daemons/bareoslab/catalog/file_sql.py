"""File rows: the batch insert of a job's attributes, and the files a restore selects."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from typing import Any

from ..codes import JobLevel, JobType
from .base import OK_STATUSES, SqlBase
from .batch import FILE_BATCH_ROWS, SqlFileBatch
from .driver import code, marks
from .records import Code, JobRow, RestoreFile, TimeLike
from .rows import JOB, to_int
from .times import db_time


class FileSql(SqlBase):
    """File rows and the restore selection."""

    def file_batch(self, job_id: int, *, flush_rows: int = FILE_BATCH_ROWS) -> SqlFileBatch:
        return SqlFileBatch(self, job_id, flush_rows)

    def count_files(self, job_id: int) -> int:
        return to_int(self._one("SELECT count(*) FROM File WHERE JobId = ?", (job_id,)))

    _BATCH_COLUMNS = (
        "FileIndex",
        "JobId",
        "Path",
        "Name",
        "LStat",
        "Md5",
        "DeltaSeq",
        "Fhinfo",
        "Fhnode",
    )

    def write_file_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        """Bareos' batch insert: a temporary ``batch`` table, missing Paths, then File."""
        with self._db.transaction():
            self._db.execute(
                "CREATE TEMPORARY TABLE batch (FileIndex integer, JobId integer, Path text, "
                "Name text, LStat text, Md5 text, DeltaSeq smallint, Fhinfo numeric(20), "
                "Fhnode numeric(20))"
            )
            self._db.bulk_load("batch", self._BATCH_COLUMNS, rows)
            self._db.execute(self._named("batch_fill_path"))
            self._db.execute(self._named("batch_fill_file"))
            self._db.execute("DROP TABLE batch")

    def set_file_digest(self, job_id: int, file_index: int, md5: str) -> None:
        self._db.execute(
            "UPDATE File SET Md5 = ? WHERE JobId = ? AND FileIndex = ?", (md5, job_id, file_index)
        )

    def select_restore_jobs(
        self,
        client_id: int,
        fileset_id: int,
        before: TimeLike | None = None,
        *,
        job_type: Code = JobType.BACKUP,
    ) -> list[JobRow]:
        """Newest successful Full with JobMedia on an enabled volume, the newest
        Differential after it, and every Incremental after that (oldest first)."""
        fileset = self._one("SELECT FileSet FROM FileSet WHERE FileSetId = ?", (fileset_id,))
        if fileset is None:
            return []
        base = self._named("restore_candidates", columns=JOB.with_prefix("j.").select)
        params: list[Any] = [client_id, code(job_type), fileset, *OK_STATUSES]
        if before is not None:
            base += " AND j.StartTime < ?"
            params.append(db_time(before))

        # "after" a job: a later JobTDate, or the same second and a higher JobId, so a
        # job that ends in the same second as the one before it is not lost
        later = "AND (j.JobTDate > ? OR (j.JobTDate = ? AND j.JobId > ?))"

        def newest(level: JobLevel, after: JobRow | None) -> JobRow | None:
            tdate, jobid = (after.job_tdate, after.job_id) if after else (-1, 0)
            row = self._db.execute(
                f"{base} AND j.Level = ? {later} ORDER BY j.JobTDate DESC, j.JobId DESC LIMIT 1",
                [*params, level.value, tdate, tdate, jobid],
            ).fetchone()
            return None if row is None else JOB.row(row)

        full = newest(JobLevel.FULL, None)
        if full is None:
            return []
        jobs = [full]
        diff = newest(JobLevel.DIFFERENTIAL, full)
        if diff is not None:
            jobs.append(diff)
        last = jobs[-1]
        incrementals = self._db.execute(
            f"{base} AND j.Level = ? {later} ORDER BY j.JobTDate, j.JobId",
            [*params, JobLevel.INCREMENTAL.value, last.job_tdate, last.job_tdate, last.job_id],
        ).fetchall()
        jobs += [JOB.row(r) for r in incrementals]
        return jobs

    def job_chain(self, job: JobRow, fileset_id: int | None = None) -> list[JobRow]:
        """The Full, Differential and Incrementals a restore of ``job``'s state needs, up to
        ``job`` itself (Bareos' ``AccurateGetJobids`` at its start time); of another FileSet
        of the same client when ``fileset_id`` is given."""
        if job.start_time is None:
            return []
        return self.select_restore_jobs(
            job.client_id,
            fileset_id or job.fileset_id,
            job.start_time + timedelta(seconds=1),
        )

    def restore_files(self, job_ids: Iterable[int], ordered: bool = True) -> Iterator[RestoreFile]:
        """Newest version of every path+name among the jobs (deleted markers drop
        the file), ordered by JobId and FileIndex unless ``ordered`` is false."""
        ids = [int(i) for i in job_ids]
        order = " ORDER BY JobId, FileIndex" if ordered else ""
        for job_id, file_index, path, name, lstat, md5 in self._db.stream(
                self._named("restore_files", job_ids=marks(len(ids)), order=order), ids):
            yield RestoreFile(int(job_id), int(file_index), path, name, lstat, md5)
