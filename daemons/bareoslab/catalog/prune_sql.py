"""Purging and pruning: removing jobs, files and volumes' jobs as retention allows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..codes import JobType
from .base import SqlBase
from .driver import marks
from .errors import NotFoundError
from .records import JobRow, TimeLike
from .rows import JOB, to_int
from .times import epoch
from .times import now as _now


class PruneSql(SqlBase):
    """Purge and prune."""

    def purge_files(self, job_id: int) -> int:
        """Delete the job's File rows and set PurgedFiles=1; return rows deleted."""
        with self._db.transaction():
            deleted = self._db.execute("DELETE FROM File WHERE JobId = ?", (job_id,)).rowcount
            self._db.execute("DELETE FROM BaseFiles WHERE JobId = ?", (job_id,))
            self._db.execute("UPDATE Job SET PurgedFiles = 1 WHERE JobId = ?", (job_id,))
        return deleted

    _PURGED_TABLES = (
        "File", "BaseFiles", "JobMedia", "Log", "RestoreObject", "PathVisibility",
        "NDMPJobEnvironment", "JobStats",
    )  # fmt: skip

    def purge_jobs(self, job_ids: Iterable[int]) -> None:
        """Delete the jobs and their File/JobMedia/Log/... rows, upgrading the oldest
        Copy of each purged backup to Backup first (Bareos ``PurgeJobs``)."""
        ids = sorted({int(i) for i in job_ids})
        if not ids:
            return
        inlist = marks(len(ids))
        with self._db.transaction():
            for table in self._PURGED_TABLES:
                self._db.execute(f"DELETE FROM {table} WHERE JobId IN ({inlist})", ids)
            # upgrade the oldest copy of each purged backup (Bareos UpgradeCopies)
            upgraded = [
                to_int(r[0])
                for r in self._db.execute(
                    "SELECT MIN(JobId) FROM Job WHERE Type = ? AND (PriorJobId IN "
                    f"({inlist}) OR PriorJobId IN (SELECT PriorJobId FROM Job "
                    f"WHERE JobId IN ({inlist}) AND Type = ?)) GROUP BY PriorJobId",
                    (JobType.JOB_COPY.value, *ids, *ids, JobType.BACKUP.value),
                ).fetchall()
            ]
            if upgraded:
                up = marks(len(upgraded))
                self._db.execute(
                    f"UPDATE Job SET Type = ? WHERE JobId IN ({up})",
                    (JobType.BACKUP.value, *upgraded),
                )
                self._db.execute(
                    f"DELETE FROM Job WHERE Type = ? AND PriorJobId IN ({up})",
                    (JobType.COPY.value, *upgraded),
                )
            self._db.execute(f"DELETE FROM Job WHERE JobId IN ({inlist})", ids)

    def prune_volume_candidates(self, media_id: int, now: TimeLike | None = None) -> list[int]:
        """JobIds on the volume whose JobTDate is older than its VolRetention, plus
        the copy/migrate control jobs pointing at them."""
        media = self.get_media(media_id)
        if media is None:
            raise NotFoundError(f"no Media record with MediaId {media_id}")
        limit = epoch(now if now is not None else _now()) - media.vol_retention
        jobs = [
            to_int(r[0])
            for r in self._db.execute(
                "SELECT DISTINCT JobMedia.JobId FROM JobMedia JOIN Job ON Job.JobId = JobMedia.JobId "
                "WHERE JobMedia.MediaId = ? AND Job.JobTDate < ?",
                (media_id, limit),
            ).fetchall()
        ]
        if jobs:
            jobs += [
                to_int(r[0])
                for r in self._db.execute(
                    f"SELECT JobId FROM Job WHERE Type IN (?, ?) AND PriorJobId IN ({marks(len(jobs))})",
                    (JobType.COPY.value, JobType.MIGRATE.value, *jobs),
                ).fetchall()
            ]
        return sorted(set(jobs))

    def jobs_older_than(
        self, job_tdate: int, *, client_id: int | None = None, pool_id: int | None = None
    ) -> list[JobRow]:
        """Jobs other than Archive jobs whose JobTDate is before ``job_tdate``, of the client
        and pool when given, by JobId (the candidates of Bareos' prune jobs and files)."""
        sql = f"SELECT {JOB.select} FROM Job WHERE Type <> ? AND JobTDate < ?"
        params: list[Any] = [JobType.ARCHIVE.value, job_tdate]
        for column, value in (("ClientId", client_id), ("PoolId", pool_id)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        return [JOB.row(r) for r in self._db.execute(f"{sql} ORDER BY JobId", params).fetchall()]

    def job_ids_on_volume(self, media_id: int) -> list[int]:
        """The JobIds with a JobMedia row on the volume, ascending."""
        rows = self._db.execute(
            "SELECT DISTINCT JobId FROM JobMedia WHERE MediaId = ? ORDER BY JobId", (media_id,)
        ).fetchall()
        return [to_int(r[0]) for r in rows]

    def mark_volume_purged_if_empty(self, media_id: int) -> bool:
        """VolStatus='Purged' when no JobMedia row refers to the volume any more."""
        with self._db.transaction():
            if (
                self._one("SELECT 1 FROM JobMedia WHERE MediaId = ? LIMIT 1", (media_id,))
                is not None
            ):
                return False
            self._db.execute(
                "UPDATE Media SET VolStatus = 'Purged' WHERE MediaId = ? "
                "AND VolStatus IN ('Append', 'Full', 'Used', 'Error')",
                (media_id,),
            )
            return bool(
                self._one("SELECT VolStatus FROM Media WHERE MediaId = ?", (media_id,)) == "Purged"
            )
