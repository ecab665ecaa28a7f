"""What the console lists (Bareos' ``cats/sql_list.cc``): jobs, volumes, pools, clients,
storages, filesets, a job's files and JobMedia, as (lower-case columns, rows)."""

from __future__ import annotations

from typing import Any

from .base import SqlBase
from .driver import marks
from .records import JobFilter

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
    "s.Name AS storage, p.Name AS pool FROM Media m LEFT JOIN Storage s ON s.StorageId = m.StorageId "
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
        for column, value in (("j.Name", wanted.name), ("c.Name", wanted.client), ("p.Name", wanted.pool)):
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
