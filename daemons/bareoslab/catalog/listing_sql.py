"""What the console lists (Bareos' ``cats/sql_list.cc``): jobs, volumes, pools, clients,
storages, filesets, a job's files and JobMedia, as (lower-case columns, rows)."""

from __future__ import annotations

from typing import Any

from .base import SqlBase
from .driver import marks
from .records import JobFilter
from .times import db_time, epoch

Listing = tuple[list[str], list[tuple[Any, ...]]]

_JOBS = (
    "SELECT j.JobId AS jobid, j.Job AS job, j.Name AS name, j.PurgedFiles AS purgedfiles, j.Type AS type, "
    "j.Level AS level, j.ClientId AS clientid, c.Name AS client, j.JobStatus AS jobstatus, "
    "j.SchedTime AS schedtime, j.StartTime AS starttime, j.EndTime AS endtime, j.RealEndTime AS realendtime, "
    "j.JobTDate AS jobtdate, j.VolSessionId AS volsessionid, j.VolSessionTime AS volsessiontime, "
    "j.JobFiles AS jobfiles, j.JobBytes AS jobbytes, j.JobErrors AS joberrors, "
    "j.JobMissingFiles AS jobmissingfiles, j.PoolId AS poolid, p.Name AS poolname, "
    "j.PriorJobId AS priorjobid, j.FileSetId AS filesetid, f.FileSet AS fileset "
    "FROM Job j LEFT JOIN Client c ON c.ClientId = j.ClientId LEFT JOIN Pool p ON p.PoolId = j.PoolId "
    "LEFT JOIN FileSet f ON f.FileSetId = j.FileSetId"
)
_VOLUMES = (
    "SELECT m.MediaId AS mediaid, m.VolumeName AS volumename, m.VolStatus AS volstatus, m.Enabled AS enabled, "
    "m.VolBytes AS volbytes, m.VolFiles AS volfiles, m.VolRetention AS volretention, m.Recycle AS recycle, "
    "m.Slot AS slot, m.InChanger AS inchanger, m.MediaType AS mediatype, m.LastWritten AS lastwritten, "
    "s.Name AS storage, p.Name AS pool, CASE WHEN m.EncryptionKey IS NULL OR m.EncryptionKey = '' THEN 0 "
    "ELSE 1 END AS hasencryptionkey FROM Media m LEFT JOIN Storage s ON s.StorageId = m.StorageId "
    "LEFT JOIN Pool p ON p.PoolId = m.PoolId"
)
_RESOURCES = {
    "pools": "SELECT PoolId AS poolid, Name AS name, NumVols AS numvols, MaxVols AS maxvols, "
    "PoolType AS pooltype, LabelFormat AS labelformat FROM Pool ORDER BY PoolId",
    "clients": "SELECT ClientId AS clientid, Name AS name, FileRetention AS fileretention, "
    "JobRetention AS jobretention FROM Client ORDER BY Name",
    "storages": "SELECT StorageId AS storageid, Name AS name, AutoChanger AS autochanger FROM Storage "
    "ORDER BY StorageId",
    "filesets": "SELECT FileSetId AS filesetid, FileSet AS fileset, Md5 AS md5, CreateTime AS createtime "
    "FROM FileSet ORDER BY FileSetId",
}
RESOURCE_LISTS = frozenset(_RESOURCES)
"""The resource kinds :meth:`ListingSql.list_resources` lists."""


class ListingSql(SqlBase):
    """The console's lists."""

    def list_job_records(self, wanted: JobFilter, newest_first: bool = False) -> Listing:
        """Jobs with their client, pool and fileset names, by StartTime (and JobId)."""
        conds: list[str] = []
        params: list[Any] = []
        if wanted.job_ids:
            conds.append(f"j.JobId IN ({marks(len(wanted.job_ids))})")
            params += wanted.job_ids
        for column, value in (("j.Name", wanted.name), ("c.Name", wanted.client), ("p.Name", wanted.pool),
                              ("f.FileSet", wanted.fileset)):
            if value:
                conds.append(f"{column} = ?")
                params.append(value)
        for column, values in (("j.JobStatus", wanted.statuses), ("j.Level", wanted.levels),
                               ("j.Type", wanted.types)):
            if values:
                conds.append(f"{column} IN ({marks(len(values))})")
                params += values
        if wanted.volume:
            conds.append("j.JobId IN (SELECT jm.JobId FROM JobMedia jm JOIN Media m ON m.MediaId = jm.MediaId "
                         "WHERE m.VolumeName = ?)")
            params.append(wanted.volume)
        if wanted.since_tdate is not None:
            conds.append("j.JobTDate >= ?")
            params.append(wanted.since_tdate)
        where = (" WHERE " + " AND ".join(conds)) if conds else ""
        order = "DESC" if newest_first else "ASC"
        return self.query(f"{_JOBS}{where} ORDER BY j.StartTime {order}, j.JobId {order}", params)

    def job_totals(self) -> tuple[Listing, Listing]:
        """Jobs, files and bytes per job name and in all, of backups, archives and copies
        (``ListJobTotals``)."""
        kinds = "Type IN ('B', 'A', 'a', 'C')"
        by_name = self.query(
            "SELECT count(*) AS jobs, sum(JobFiles) AS files, sum(JobBytes) AS bytes, Name AS job "
            f"FROM Job WHERE {kinds} GROUP BY Name ORDER BY Name"
        )
        total = self.query(
            "SELECT count(*) AS jobs, sum(JobFiles) AS files, sum(JobBytes) AS bytes "
            f"FROM Job WHERE {kinds}"
        )
        return by_name, total

    def list_copies(self, job_ids: list[int] | None = None, limit: int | None = None) -> Listing:
        """Copy jobs with the job they copied and their media type (``ListCopiesRecords``)."""
        where, params = "", list(job_ids or [])
        if job_ids:
            where = f" AND (j.PriorJobId IN ({marks(len(job_ids))}) OR j.JobId IN ({marks(len(job_ids))}))"
            params += list(job_ids)
        return self.query(
            "SELECT DISTINCT j.PriorJobId AS jobid, j.Job AS job, j.JobId AS copyjobid, "
            "m.MediaType AS mediatype FROM Job j JOIN JobMedia jm ON jm.JobId = j.JobId "
            f"JOIN Media m ON m.MediaId = jm.MediaId WHERE j.Type = 'C'{where} "
            "ORDER BY j.PriorJobId DESC" + (f" LIMIT {int(limit)}" if limit else ""),
            params,
        )

    def list_log(self, client: str | None, limit: int, offset: int = 0, newest_first: bool = False) -> Listing:
        """The newest ``limit`` job log lines (of one client), oldest first unless asked
        otherwise (``ListLogRecords``)."""
        where, params = "", []
        if client:
            where, params = " AND c.Name = ?", [client]
        newest = (
            "SELECT l.LogId AS logid, j.Name AS jobname, c.Name AS clientname, l.Time AS time, "
            "l.LogText AS logtext FROM Log l JOIN Job j ON j.JobId = l.JobId "
            f"LEFT JOIN Client c ON c.ClientId = j.ClientId WHERE j.Type <> 'C'{where} "
            f"ORDER BY l.LogId DESC LIMIT {int(limit)} OFFSET {int(offset)}"
        )
        if newest_first:
            return self.query(newest, params)
        return self.query(f"SELECT * FROM ({newest}) sub ORDER BY logid ASC", params)

    def latest_full_backups(self) -> list[tuple[Any, ...]]:
        """(client, ClientId, FileSet, bytes, FileSetText) of the newest successful Full with
        data of each client and FileSet: what subscriptions count (``subscription_with_clause``)."""
        return [
            tuple(r)
            for r in self._db.execute(
                "SELECT c.Name, c.ClientId, f.FileSet, "
                "CASE WHEN j.ReadBytes > j.JobBytes THEN j.ReadBytes ELSE j.JobBytes END, "
                "f.FileSetText FROM Job j JOIN Client c ON c.ClientId = j.ClientId "
                "JOIN FileSet f ON f.FileSetId = j.FileSetId WHERE j.JobId IN "
                "(SELECT MAX(j2.JobId) FROM Job j2 JOIN FileSet f2 ON f2.FileSetId = j2.FileSetId "
                "WHERE j2.Level = 'F' AND j2.JobStatus IN ('T', 'W') AND j2.Type = 'B' "
                "AND j2.JobBytes > 0 GROUP BY j2.ClientId, f2.FileSet) ORDER BY c.Name, f.FileSet"
            ).fetchall()
        ]

    def job_status_details(self, code: str | None = None) -> Listing:
        """The job status codes with their text, severity and exit level (``.jobstatus``)."""
        where, params = ("WHERE JobStatus = ? ", [code]) if code else ("", [])
        return self.query(
            "SELECT DISTINCT JobStatus AS jobstatus, JobStatusLong AS jobstatuslong, "
            "Severity AS severity, CASE WHEN JobStatus IN ('T') THEN '0' "
            "WHEN JobStatus IN ('W') THEN '1' WHEN JobStatus IN ('e', 'f', 'A', 'E') THEN '2' "
            "END AS exitlevel, CASE WHEN JobStatus IN ('T') THEN 'Ok' "
            "WHEN JobStatus IN ('W') THEN 'Warning' "
            "WHEN JobStatus IN ('e', 'f', 'A', 'E') THEN 'Error' END AS exitstatus "
            f"FROM Status {where}ORDER BY JobStatus",
            params,
        )

    def list_pool(self, pool_id: int) -> Listing:
        """One Pool row, every column, as ``update pool`` shows it (``list_pool``)."""
        columns = (
            "PoolId, Name, NumVols, MaxVols, UseOnce, UseCatalog, AcceptAnyVolume, VolRetention, "
            "VolUseDuration, MaxVolJobs, MaxVolFiles, MaxVolBytes, AutoPrune, Recycle, ActionOnPurge, "
            "PoolType, LabelType, LabelFormat, Enabled, ScratchPoolId, RecyclePoolId, NextPoolId, "
            "MinBlockSize, MaxBlockSize, MigrationHighBytes, MigrationLowBytes, MigrationTime"
        )
        return self.query(f"SELECT {columns} FROM Pool WHERE PoolId = ?", (pool_id,))

    def update_stats(self, before_tdate: int) -> int:
        """Copy finished jobs older than ``before_tdate`` into JobHisto (``fill_jobhisto``);
        the number copied."""
        columns = (
            "JobId, Job, Name, Type, Level, ClientId, JobStatus, SchedTime, StartTime, EndTime, "
            "RealEndTime, JobTDate, VolSessionId, VolSessionTime, JobFiles, JobBytes, ReadBytes, "
            "JobErrors, JobMissingFiles, PoolId, FileSetId, PriorJobId, PurgedFiles, HasBase, "
            "Reviewed, Comment"
        )
        with self._db.transaction():
            return int(self._db.execute(
                f"INSERT INTO JobHisto ({columns}) SELECT {columns} FROM Job "
                "WHERE JobStatus IN ('T', 'W', 'f', 'A', 'E') AND NOT EXISTS "
                "(SELECT 1 FROM JobHisto h WHERE h.JobId = Job.JobId) AND JobTDate < ?",
                (before_tdate,),
            ).rowcount)

    def update_job_record(self, job_id: int, **changes: Any) -> None:
        """``update jobid=``: Name, ClientId, FileSetId, Type and StartTime (SchedTime,
        EndTime and JobTDate move with it)."""
        sets, params = [], []
        for column in ("Name", "ClientId", "FileSetId", "Type"):
            if column in changes:
                sets.append(f"{column} = ?")
                params.append(changes[column])
        shift = changes.get("shift")
        if shift:
            for column in ("StartTime", "SchedTime", "EndTime"):
                value = self._one(f"SELECT {column} FROM Job WHERE JobId = ?", (job_id,))
                if value:
                    sets.append(f"{column} = ?")
                    params.append(db_time(epoch(value) + shift))
            sets.append("JobTDate = JobTDate + ?")
            params.append(shift)
        if sets:
            with self._db.transaction():
                self._db.execute(f"UPDATE Job SET {', '.join(sets)} WHERE JobId = ?", [*params, job_id])

    def list_volume_records(self, volume: str | None = None, pool: str | None = None) -> Listing:
        """Volumes with their storage and pool names, by pool and MediaId."""
        conds, params = [], []
        for column, value in (("m.VolumeName", volume), ("p.Name", pool)):
            if value:
                conds.append(f"{column} = ?")
                params.append(value)
        where = (" WHERE " + " AND ".join(conds)) if conds else ""
        return self.query(f"{_VOLUMES}{where} ORDER BY p.Name, m.MediaId", params)

    def list_resources(self, kind: str) -> Listing:
        """``pools``, ``clients``, ``storages`` or ``filesets`` as the catalog has them."""
        return self.query(_RESOURCES[kind])

    def distinct_names(self, kind: str) -> list[str]:
        """``media`` (VolumeName), ``mediatypes`` (MediaType) or ``locations`` (Location): each
        once, in order (what Bareos' ``.media``, ``.mediatypes`` and ``.locations`` list)."""
        table, column = {"media": ("Media", "VolumeName"), "mediatypes": ("MediaType", "MediaType"),
                         "locations": ("Location", "Location")}[kind]
        rows = self.query(f"SELECT DISTINCT {column} FROM {table} ORDER BY {column}")[1]
        return [str(r[0]) for r in rows]

    def list_file_names(self, job_id: int) -> Listing:
        """The job's files (path + name), by FileIndex."""
        return self.query("SELECT p.Path || f.Name AS filename FROM File f JOIN Path p ON p.PathId = f.PathId "
                          "WHERE f.JobId = ? ORDER BY f.FileIndex", [job_id])

    def list_jobmedia(self, job_id: int | None = None) -> Listing:
        """JobMedia rows (of one job, or all) with their volume names, by JobMediaId."""
        sql = ("SELECT jm.JobMediaId AS jobmediaid, jm.JobId AS jobid, m.VolumeName AS volumename, "
               "jm.FirstIndex AS firstindex, jm.LastIndex AS lastindex FROM JobMedia jm "
               "JOIN Media m ON m.MediaId = jm.MediaId")
        if job_id is None:
            return self.query(sql + " ORDER BY jm.JobMediaId")
        return self.query(sql + " WHERE jm.JobId = ? ORDER BY jm.JobMediaId", [job_id])

    def list_terminated_jobs(self, count: int) -> Listing:
        """The last ``count`` jobs to end (``status dir``'s Terminated Jobs): JobId, Level, JobFiles,
        JobBytes, JobStatus, EndTime, Name, Type, newest first."""
        return self.query("SELECT j.JobId, j.Level, j.JobFiles, j.JobBytes, j.JobStatus, j.EndTime, j.Name, "
                          "j.Type FROM Job j WHERE j.JobStatus NOT IN ('C', 'R') "
                          "ORDER BY j.EndTime DESC, j.JobId DESC LIMIT ?", [count])
