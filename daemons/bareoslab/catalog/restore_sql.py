"""What the console's ``restore`` asks the catalog while the user chooses (Bareos'
``uar_*`` queries of ``cats/dml``): the jobs to pick from, the FileSets of a client,
where a file was saved, the newest saved version of one file."""

from __future__ import annotations

from typing import Any

from ..codes import JobType
from .base import OK_STATUSES, SqlBase
from .driver import marks
from .times import db_time

Listing = tuple[list[str], list[tuple[Any, ...]]]

_OK = ", ".join("?" * len(OK_STATUSES))


class RestoreSql(SqlBase):
    """The restore menu's catalog lookups; listings come back as (columns, rows) for display."""

    def last_jobs(self, job_type: str = JobType.BACKUP.value, limit: int = 20) -> Listing:
        """The newest successful jobs of a type (``uar_list_jobs``)."""
        return self.query(
            "SELECT j.JobId AS jobid, c.Name AS client, j.StartTime AS starttime, "
            "j.Level AS joblevel, j.JobFiles AS jobfiles, j.JobBytes AS jobbytes "
            "FROM Job j JOIN Client c ON c.ClientId = j.ClientId "
            f"WHERE j.JobStatus IN ({_OK}) AND j.Type = ? "
            f"ORDER BY j.StartTime DESC, j.JobId DESC LIMIT {int(limit)}",
            (*OK_STATUSES, job_type),
        )

    def jobs_saving_file(self, client: str, name: str, limit: int = 20) -> Listing:
        """The jobs of ``client`` that saved a file called ``name`` (``uar_file``)."""
        return self.query(
            "SELECT j.JobId AS jobid, p.Path || f.Name AS name, j.StartTime AS starttime, "
            "j.Type AS jobtype, j.JobStatus AS jobstatus, j.JobFiles AS jobfiles, "
            "j.JobBytes AS jobbytes FROM Client c JOIN Job j ON j.ClientId = c.ClientId "
            "JOIN File f ON f.JobId = j.JobId JOIN Path p ON p.PathId = f.PathId "
            "WHERE c.Name = ? AND f.FileIndex > 0 AND f.Name = ? "
            f"ORDER BY j.StartTime DESC LIMIT {int(limit)}",
            (client, name),
        )

    def jobs_by_ids(self, job_ids: list[int]) -> Listing:
        """The chosen jobs with their volumes (``uar_list_jobs_by_idlist``)."""
        return self.query(
            "SELECT DISTINCT j.JobId AS jobid, j.Level AS level, j.JobFiles AS jobfiles, "
            "j.JobBytes AS jobbytes, j.StartTime AS starttime, m.VolumeName AS volumename "
            "FROM Job j JOIN JobMedia jm ON jm.JobId = j.JobId "
            "JOIN Media m ON m.MediaId = jm.MediaId "
            f"WHERE j.JobId IN ({marks(len(job_ids))}) AND m.Enabled = 1 "
            "ORDER BY j.StartTime ASC, j.JobId ASC",
            job_ids,
        )

    def client_filesets(self, client_id: int) -> list[str]:
        """The FileSets a client's jobs were run with (``uar_sel_fileset``)."""
        rows = self._db.execute(
            "SELECT DISTINCT fs.FileSet FROM Job j JOIN FileSet fs ON fs.FileSetId = j.FileSetId "
            "WHERE j.ClientId = ? ORDER BY fs.FileSet",
            (client_id,),
        ).fetchall()
        return [str(r[0]) for r in rows]

    def client_fileset_ids(self, client_id: int) -> list[int]:
        """The newest FileSetId of each FileSet the client's jobs used (``uar_sel_filesetid``)."""
        rows = self._db.execute(
            "SELECT MAX(fs.FileSetId) FROM FileSet fs JOIN Job j ON j.FileSetId = fs.FileSetId "
            "WHERE j.ClientId = ? GROUP BY fs.FileSet ORDER BY 1",
            (client_id,),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def failed_jobids(self, since_jobid: int = 0, until_jobid: int = 0, after: float = 0) -> list[int]:
        """JobIds of jobs that ended in a fatal error (``f``), from ``since_jobid`` (up to
        ``until_jobid``) or scheduled after ``after`` (``rerun``)."""
        sql = "SELECT JobId FROM Job WHERE JobStatus = 'f'"
        params: list[Any] = []
        if since_jobid:
            sql += " AND JobId >= ?"
            params.append(since_jobid)
            if until_jobid:
                sql += " AND JobId <= ?"
                params.append(until_jobid)
        else:
            sql += " AND SchedTime > ?"
            params.append(db_time(after))
        return [int(r[0]) for r in self._db.execute(sql + " ORDER BY JobId", params).fetchall()]

    def client_names(self) -> list[str]:
        rows = self._db.execute("SELECT Name FROM Client ORDER BY ClientId").fetchall()
        return [str(r[0]) for r in rows]

    def newest_saved_file(
        self, client: str, path: str, name: str, before: float, job_ids: list[int] | None = None
    ) -> tuple[int, int] | None:
        """(JobId, FileIndex) of the newest saved version of ``path``+``name`` of a client
        up to ``before`` (``uar_jobid_fileindex``), or among ``job_ids`` when given."""
        sql = (
            "SELECT j.JobId, f.FileIndex FROM Job j JOIN File f ON f.JobId = j.JobId "
            "JOIN Path p ON p.PathId = f.PathId JOIN Client c ON c.ClientId = j.ClientId "
            f"WHERE p.Path = ? AND f.Name = ? AND j.JobStatus IN ({_OK}) AND j.Type = ? "
        )
        params: list[Any] = [path, name, *OK_STATUSES, JobType.BACKUP.value]
        if job_ids:
            sql += f"AND j.JobId IN ({marks(len(job_ids))}) "
            params += job_ids
        # always the client's own jobs (the one the console may use), up to the date
        sql += "AND c.Name = ? AND j.StartTime <= ? "
        params += [client, db_time(before)]
        row = self._db.execute(
            sql + "ORDER BY j.StartTime DESC, j.JobId DESC LIMIT 1", params
        ).fetchone()
        return None if row is None or int(row[1]) <= 0 else (int(row[0]), int(row[1]))
