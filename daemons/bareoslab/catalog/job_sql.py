"""Job rows: creation, start and end updates, lookups, copy/migrate selection, job logs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Unpack

from ..codes import JobLevel, JobStatus, JobType
from .base import OK_STATUSES, SqlBase
from .driver import code, codes, marks
from .errors import CatalogError, NotFoundError
from .records import Code, JobEnd, JobRow, LogRow, TimeLike
from .rows import JOB, LOG, to_int
from .selection import JobSelector, SelectionLimits
from .times import db_time, epoch, local_datetime
from .times import now as _now


class JobSql(SqlBase):
    """Job rows and their logs."""

    def create_job(
        self,
        job: str,
        name: str,
        type: Code,
        level: Code,
        status: Code = JobStatus.CREATED,
        sched_time: TimeLike | None = None,
        client_id: int = 0,
        comment: str = "",
        *,
        pool_id: int = 0,
        fileset_id: int = 0,
        prior_job_id: int = 0,
    ) -> int:
        """Insert a Job row (JobTDate = SchedTime) and return its JobId."""
        sched = local_datetime(sched_time if sched_time is not None else _now())
        return to_int(
            self._one(
                "INSERT INTO Job (Job, Name, Type, Level, JobStatus, SchedTime, JobTDate, "
                "ClientId, Comment, PoolId, FileSetId, PriorJobId) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING JobId",
                (
                    job, name, code(type), code(level), code(status), db_time(sched),
                    epoch(sched), client_id, comment, pool_id, fileset_id, prior_job_id,
                ),
            )
        )  # fmt: skip

    def update_job_start(
        self,
        job_id: int,
        status: Code,
        level: Code,
        start_time: TimeLike,
        client_id: int,
        pool_id: int,
        fileset_id: int,
        vol_session_id: int = 0,
        vol_session_time: int = 0,
    ) -> None:
        """The job thread's start update; JobTDate = StartTime."""
        start = local_datetime(start_time)
        self._update_job(
            job_id,
            "UPDATE Job SET JobStatus = ?, Level = ?, StartTime = ?, ClientId = ?, JobTDate = ?, "
            "PoolId = ?, FileSetId = ?, VolSessionId = ?, VolSessionTime = ? WHERE JobId = ?",
            (
                code(status), code(level), db_time(start), client_id, epoch(start), pool_id,
                fileset_id, vol_session_id, vol_session_time,
            ),
        )  # fmt: skip

    def update_job_status(self, job_id: int, status: Code) -> None:
        self._update_job(job_id, "UPDATE Job SET JobStatus = ? WHERE JobId = ?", (code(status),))

    def update_job_end(self, job_id: int, end: JobEnd) -> None:
        """The termination update (:class:`~bareoslab.catalog.records.JobEnd`)."""
        end_time = local_datetime(end.end_time)
        real = local_datetime(end.real_end_time) if end.real_end_time is not None else end_time
        real = max(real, end_time)
        self._update_job(
            job_id,
            "UPDATE Job SET JobStatus = ?, Level = ?, EndTime = ?, ClientId = COALESCE(?, ClientId), "
            "JobBytes = ?, ReadBytes = ?, JobFiles = ?, JobErrors = ?, VolSessionId = ?, "
            "VolSessionTime = ?, PoolId = ?, FileSetId = ?, JobTDate = ?, RealEndTime = ?, "
            "PriorJobId = ?, HasBase = ?, PurgedFiles = ? WHERE JobId = ?",
            (
                code(end.status), code(end.level), db_time(end_time), end.client_id, end.job_bytes,
                end.read_bytes, end.job_files, end.job_errors, end.vol_session_id, end.vol_session_time,
                end.pool_id, end.fileset_id, epoch(real), db_time(real), end.prior_job_id, end.has_base,
                end.purged_files,
            ),
        )  # fmt: skip

    def end_unfinished_jobs(self) -> list[JobRow]:
        """Bareos' clean-up at the Director's start (``cleanup_created_job``,
        ``cleanup_running_job``): jobs left created end as fatal errors at their SchedTime,
        jobs left running (or waiting, which only the lab stores) at their StartTime.
        Returns the jobs as they were."""
        fatal = JobStatus.FATAL_ERROR.value
        started = [s.value for s in JobStatus if not s.finished and s is not JobStatus.CREATED]
        with self._db.transaction():
            left = self.list_jobs(status=[JobStatus.CREATED, *started])
            self._db.execute("UPDATE Job SET JobStatus = ?, StartTime = SchedTime, EndTime = SchedTime "
                             "WHERE JobStatus = ?", (fatal, JobStatus.CREATED.value))
            self._db.execute(f"UPDATE Job SET JobStatus = ?, EndTime = StartTime "
                             f"WHERE JobStatus IN ({marks(len(started))})", (fatal, *started))
        return left

    def update_job_running(self, job_id: int, job_files: int, job_bytes: int) -> None:
        """``UpdateJobRecord`` catalog request: files/bytes so far."""
        self._update_job(
            job_id,
            "UPDATE Job SET JobFiles = ?, JobBytes = ? WHERE JobId = ?",
            (job_files, job_bytes),
        )

    def get_job(self, job_id: int) -> JobRow | None:
        row = self._db.execute(
            f"SELECT {JOB.select} FROM Job WHERE JobId = ?", (job_id,)
        ).fetchone()
        return None if row is None else JOB.row(row)

    def get_job_by_name(self, job: str) -> JobRow | None:
        """The job with this unique ``Job`` name."""
        row = self._db.execute(
            f"SELECT {JOB.select} FROM Job WHERE Job = ? ORDER BY JobId DESC LIMIT 1", (job,)
        ).fetchone()
        return None if row is None else JOB.row(row)

    def find_last_job_for_level(
        self,
        name: str,
        client_id: int,
        fileset_id: int,
        levels: Code | Iterable[Code],
        *,
        job_type: Code = JobType.BACKUP,
    ) -> JobRow | None:
        """Newest successful (T/W) job of this Job resource, client and fileset with
        one of ``levels``, by StartTime."""
        wanted = codes(levels)
        row = self._db.execute(
            f"SELECT {JOB.select} FROM Job WHERE JobStatus IN (?, ?) AND Type = ? "
            f"AND Level IN ({marks(len(wanted))}) AND Name = ? AND ClientId = ? AND FileSetId = ? "
            "ORDER BY StartTime DESC, JobId DESC LIMIT 1",
            (*OK_STATUSES, code(job_type), *wanted, name, client_id, fileset_id),
        ).fetchone()
        return None if row is None else JOB.row(row)

    def accurate_jobids(
        self, client_id: int, fileset_id: int, level: Code, before: TimeLike | None = None,
        *, job_type: Code = JobType.BACKUP,
    ) -> list[int]:
        """The jobs an accurate Incremental or Differential compares against (Bareos
        ``AccurateGetJobids``), oldest first: the newest good Full of this client and
        FileSetId started before ``before``; for an Incremental also the newest Differential
        and then every Incremental of a FileSet of the same name that started after the
        end of the last job taken (times to the second, as stored)."""
        date = db_time(epoch(before if before is not None else _now()) + 1)
        row = self._db.execute(
            "SELECT JobId, EndTime, JobTDate FROM Job WHERE ClientId = ? AND Level = 'F' "
            "AND JobStatus IN (?, ?) AND Type = ? AND StartTime < ? AND FileSetId = ? "
            "ORDER BY JobId DESC, JobTDate DESC LIMIT 1",
            (client_id, *OK_STATUSES, code(job_type), date, fileset_id),
        ).fetchone()
        if row is None:
            return []
        jobs = [(to_int(row[2]), to_int(row[0]), row[1])]
        if code(level) == JobLevel.INCREMENTAL:
            after = (
                "FROM Job JOIN FileSet ON FileSet.FileSetId = Job.FileSetId WHERE ClientId = ? "
                "AND JobStatus IN (?, ?) AND Type = ? AND StartTime > ? AND StartTime < ? "
                "AND FileSet.FileSet = (SELECT FileSet FROM FileSet WHERE FileSetId = ?)"
            )
            for level_code, extra, limit in (("D", "AND JobFiles > 0 ", " LIMIT 1"), ("I", "", "")):
                last_end = jobs[-1][2]  # the Differential ended after the Full
                rows = self._db.execute(
                    f"SELECT JobId, EndTime, JobTDate {after} AND Level = ? {extra}"
                    f"ORDER BY Job.JobTDate DESC{limit}",
                    (client_id, *OK_STATUSES, code(job_type), last_end, date, fileset_id, level_code),
                ).fetchall()
                jobs += [(to_int(r[2]), to_int(r[0]), r[1]) for r in rows]
        return [jobid for _, jobid, _ in sorted(jobs)]

    def sum_job_files(self, job_ids: Iterable[int]) -> int:
        """JobFiles of the jobs added up (Bareos' estimate of an accurate list)."""
        ids = [int(i) for i in job_ids]
        return to_int(self._one(f"SELECT sum(JobFiles) FROM Job WHERE JobId IN ({marks(len(ids))})", ids))

    def find_since_job(
        self, name: str, client_id: int, fileset_id: int, level: Code
    ) -> JobRow | None:
        """The job an Incremental/Differential runs since: for Differential the last
        Full; for Incremental the last Full/Differential/Incremental, provided a Full
        exists.  None means "no prior Full": the director upgrades to Full."""
        full = self.find_last_job_for_level(name, client_id, fileset_id, JobLevel.FULL)
        wanted = code(level)
        if full is None or wanted == JobLevel.DIFFERENTIAL:
            return full
        if wanted != JobLevel.INCREMENTAL:
            raise CatalogError(f"no since-time for level {wanted!r}")
        return self.find_last_job_for_level(
            name,
            client_id,
            fileset_id,
            (JobLevel.INCREMENTAL, JobLevel.DIFFERENTIAL, JobLevel.FULL),
        )

    def list_jobs(
        self,
        *,
        job_ids: Iterable[int] | None = None,
        name: str | None = None,
        client_id: int | None = None,
        pool_id: int | None = None,
        type: Code | None = None,
        level: Code | None = None,
        status: Code | Iterable[Code] | None = None,
        volume_name: str | None = None,
        limit: int | None = None,
    ) -> list[JobRow]:
        """Jobs matching every given filter, by JobId (the newest ``limit`` if set)."""
        where: list[str] = []
        params: list[Any] = []
        if job_ids is not None:
            ids = list(job_ids)
            where.append(f"JobId IN ({marks(len(ids))})")
            params += ids
        for column, value in (("Name", name), ("ClientId", client_id), ("PoolId", pool_id)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if type is not None:
            where.append("Type = ?")
            params.append(code(type))
        if level is not None:
            where.append("Level = ?")
            params.append(code(level))
        if status is not None:
            wanted = codes(status)
            where.append(f"JobStatus IN ({marks(len(wanted))})")
            params += wanted
        if volume_name is not None:
            where.append(
                "JobId IN (SELECT JobMedia.JobId FROM JobMedia JOIN Media "
                "ON Media.MediaId = JobMedia.MediaId WHERE Media.VolumeName = ?)"
            )
            params.append(volume_name)
        sql = f"SELECT {JOB.select} FROM Job"
        if where:
            sql += " WHERE " + " AND ".join(where)
        if limit is not None:
            sql += " ORDER BY JobId DESC LIMIT ?"
            params.append(int(limit))
            rows = [JOB.row(r) for r in self._db.execute(sql, params).fetchall()]
            return rows[::-1]
        return [JOB.row(r) for r in self._db.execute(sql + " ORDER BY JobId", params).fetchall()]

    def last_job_id(self) -> int:
        """Highest JobId ever allocated (0 when none)."""
        row = self._db.execute("SELECT last_value, is_called FROM job_jobid_seq").fetchone()
        return to_int(row[0]) if row is not None and row[1] else 0

    def set_job_type(self, job_id: int, type: Code) -> None:
        self._update_job(job_id, "UPDATE Job SET Type = ? WHERE JobId = ?", (code(type),))

    def set_prior_job_id(self, job_id: int, prior_job_id: int) -> None:
        self._update_job(job_id, "UPDATE Job SET PriorJobId = ? WHERE JobId = ?", (prior_job_id,))

    def copy_job_times(self, to_job_id: int, from_job_id: int) -> None:
        """StartTime, EndTime and JobTDate of ``from`` written onto ``to``."""
        source = self.get_job(from_job_id)
        if source is None:
            raise NotFoundError(f"no Job record with JobId {from_job_id}")
        self._update_job(
            to_job_id,
            "UPDATE Job SET StartTime = ?, EndTime = ?, JobTDate = ? WHERE JobId = ?",
            (db_time(source.start_time), db_time(source.end_time), source.job_tdate),
        )

    def copy_log(self, from_job_id: int, to_job_id: int) -> int:
        return self._db.execute(
            "INSERT INTO Log (JobId, Time, LogText) SELECT ?, Time, LogText FROM Log "
            "WHERE JobId = ? ORDER BY LogId",
            (to_job_id, from_job_id),
        ).rowcount

    def move_log(self, from_job_id: int, to_job_id: int) -> int:
        return self._db.execute(
            "UPDATE Log SET JobId = ? WHERE JobId = ?", (to_job_id, from_job_id)
        ).rowcount

    def select_copy_migrate_jobs(
        self, selection_type: str, pool_id: int, pattern: str = "", **limits: Unpack[SelectionLimits]
    ) -> list[int]:
        """:meth:`JobSelector.select` on this catalog."""
        return JobSelector(self._db, self.flavour).select(selection_type, pool_id, pattern, **limits)

    def log(self, job_id: int, time: TimeLike, text: str) -> None:
        self._db.execute(
            "INSERT INTO Log (JobId, Time, LogText) VALUES (?, ?, ?)", (job_id, db_time(time), text)
        )

    def job_log(self, job_id: int) -> list[LogRow]:
        rows = self._db.execute(
            f"SELECT {LOG.select} FROM Log WHERE JobId = ? ORDER BY LogId", (job_id,)
        ).fetchall()
        return [LOG.row(r) for r in rows]
