"""``list``/``llist``, the resource dot commands, ``.sql`` and ``sqlquery``.

Text output is Bareos' table layout (``output``); in api 2 every value is
a string and NULL is ``""``, as Bareos' JSON lists print them.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import acl
from .args import Args, CommandFailed, UsageError, arg, has, int_arg, int_list_arg, keyword
from .output import format_table, format_vertical, json_rows

if TYPE_CHECKING:
    from .commands import UserAgent

LIST_USAGE = (
    "list jobs [jobid=<id>] [job=<name>] [client=<client>] [pool=<pool>] [volume=<volume>] "
    "[jobstatus=<code>] [joblevel=<code>] [jobtype=<code>] [days=<n>] [hours=<n>] [last] "
    "[count] [limit=<n> [offset=<m>]] [reverse] | jobid=<id> | job=<name> | volumes [pool=<pool>] "
    "| volume=<name> | pools | clients | storages | filesets | files jobid=<id> "
    "| joblog jobid=<id> | jobmedia [jobid=<id>]"
)

JOB_COLUMNS = [
    "jobid",
    "name",
    "client",
    "starttime",
    "duration",
    "type",
    "level",
    "jobfiles",
    "jobbytes",
    "jobstatus",
]
LLIST_JOB_COLUMNS = [
    "jobid",
    "job",
    "name",
    "purgedfiles",
    "type",
    "level",
    "clientid",
    "client",
    "jobstatus",
    "schedtime",
    "starttime",
    "endtime",
    "realendtime",
    "duration",
    "jobtdate",
    "volsessionid",
    "volsessiontime",
    "jobfiles",
    "jobbytes",
    "joberrors",
    "jobmissingfiles",
    "poolid",
    "poolname",
    "priorjobid",
    "filesetid",
    "fileset",
]
JOBS_SQL = (
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
VOLUME_COLUMNS = [
    "mediaid",
    "volumename",
    "volstatus",
    "enabled",
    "volbytes",
    "volfiles",
    "volretention",
    "recycle",
    "slot",
    "inchanger",
    "mediatype",
    "lastwritten",
    "storage",
]
VOLUMES_SQL = (
    "SELECT m.MediaId AS mediaid, m.VolumeName AS volumename, m.VolStatus AS volstatus, m.Enabled AS enabled, "
    "m.VolBytes AS volbytes, m.VolFiles AS volfiles, m.VolRetention AS volretention, m.Recycle AS recycle, "
    "m.Slot AS slot, m.InChanger AS inchanger, m.MediaType AS mediatype, m.LastWritten AS lastwritten, "
    "s.Name AS storage, p.Name AS pool FROM Media m LEFT JOIN Storage s ON s.StorageId = m.StorageId "
    "LEFT JOIN Pool p ON p.PoolId = m.PoolId"
)
SIMPLE_LISTS: dict[str, tuple[str, str, str]] = {
    # keyword: (json key, resource type for the ACL, SQL)
    "pools": (
        "pools",
        "Pool",
        "SELECT PoolId AS poolid, Name AS name, NumVols AS numvols, MaxVols AS maxvols, "
        "PoolType AS pooltype, LabelFormat AS labelformat FROM Pool ORDER BY PoolId",
    ),
    "clients": (
        "clients",
        "Client",
        "SELECT ClientId AS clientid, Name AS name, FileRetention AS fileretention, "
        "JobRetention AS jobretention FROM Client ORDER BY Name",
    ),
    "storages": (
        "storages",
        "Storage",
        "SELECT StorageId AS storageid, Name AS name, "
        "AutoChanger AS autochanger FROM Storage ORDER BY StorageId",
    ),
    "filesets": (
        "filesets",
        "FileSet",
        "SELECT FileSetId AS filesetid, FileSet AS fileset, Md5 AS md5, "
        "CreateTime AS createtime FROM FileSet ORDER BY FileSetId",
    ),
}
_LIST_ALIASES = {
    "job": "jobs",
    "jobid": "jobs",
    "pool": "pools",
    "client": "clients",
    "storage": "storages",
    "fileset": "filesets",
    "media": "volumes",
    "volume": "volumes",
}


def duration(start: Any, end: Any, running: bool = False) -> str:
    """``HH:MM:SS`` between two catalog times (strings or datetimes); empty when unknown."""

    def parse(value: Any) -> float | None:
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            return value.timestamp()
        try:
            return time.mktime(time.strptime(str(value)[:19], "%Y-%m-%d %H:%M:%S"))
        except ValueError:
            return None

    begin = parse(start)
    finish = parse(end) if not running else time.time()
    if begin is None or finish is None or finish < begin:
        return ""
    seconds = int(finish - begin)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


async def show(
    ua: UserAgent, key: str, columns: list[str], rows: list[tuple[Any, ...]], vertical: bool
) -> None:
    await ua.lines(format_vertical(columns, rows) if vertical else format_table(columns, rows))
    ua.json_result = {key: json_rows(columns, rows)}


def _job_filters(ua: UserAgent, args: Args) -> tuple[str, list[Any]]:
    conds: list[str] = []
    params: list[Any] = []
    jobids = int_list_arg(args, "jobid") if arg(args, "jobid") else []
    if has(args, "jobid") and not jobids:
        raise UsageError("Invalid jobid specified.")
    if jobids:
        conds.append(f"j.JobId IN ({','.join('?' * len(jobids))})")
        params += jobids
    for key, column in (("job", "j.Name"), ("client", "c.Name"), ("pool", "p.Name")):
        if arg(args, key):
            conds.append(f"{column} = ?")
            params.append(arg(args, key))
    for key, column in (
        ("jobstatus", "j.JobStatus"),
        ("joblevel", "j.Level"),
        ("jobtype", "j.Type"),
    ):
        value = arg(args, key)
        if value:
            codes = [v.strip() for v in value.split(",") if v.strip()]
            if any(len(c) != 1 for c in codes):
                raise CommandFailed(f"invalid {key} value: {value}")
            conds.append(f"{column} IN ({','.join('?' * len(codes))})")
            params += codes
    if arg(args, "volume"):
        conds.append(
            "j.JobId IN (SELECT jm.JobId FROM JobMedia jm JOIN Media m ON m.MediaId = jm.MediaId "
            "WHERE m.VolumeName = ?)"
        )
        params.append(arg(args, "volume"))
    for key, unit in (("days", 86400), ("hours", 3600)):
        n = int_arg(args, key)
        if n is not None:
            conds.append("j.JobTDate >= ?")
            params.append(int(time.time()) - n * unit)
    return (" WHERE " + " AND ".join(conds)) if conds else "", params


async def list_jobs(ua: UserAgent, args: Args, vertical: bool) -> bool:
    director = ua.director
    where, params = _job_filters(ua, args)
    order = "DESC" if has(args, "reverse") else "ASC"
    columns, rows = await director.db(
        director.catalog.query,
        f"{JOBS_SQL}{where} ORDER BY j.StartTime {order}, j.JobId {order}",
        params,
    )
    records = [dict(zip(columns, r)) for r in rows]
    if not ua.acl.unrestricted:
        records = [
            r
            for r in records
            if ua.acl.ok(acl.JOB, r["name"] or "")
            and ua.acl.ok(acl.CLIENT, r["client"] or "")
        ]
    if has(args, "last"):
        newest: dict[str, dict[str, Any]] = {}
        for r in records:
            if r["name"] not in newest or r["jobid"] > newest[r["name"]]["jobid"]:
                newest[r["name"]] = r
        records = [r for r in records if newest.get(r["name"]) is r]
    offset, limit = int_arg(args, "offset") or 0, int_arg(args, "limit")
    records = records[offset : offset + limit] if limit is not None else records[offset:]
    if has(args, "count"):
        await show(ua, "jobs", ["count"], [(len(records),)], vertical)
        ua.json_result = {"jobs": [{"count": str(len(records))}]}
        return True
    running = {j.jobid for j in director.jobq.running.values()}
    for r in records:
        r["duration"] = duration(r["starttime"], r["endtime"], r["jobid"] in running)
    wanted = LLIST_JOB_COLUMNS if vertical else JOB_COLUMNS
    out_rows = [tuple(r[c] for c in wanted) for r in records]
    if vertical and has(args, "jobid") and not out_rows and ua.api == 2:
        ua.json_result = {"jobs": {}}
        return True
    await show(ua, "jobs", wanted, out_rows, vertical)
    return True


async def list_volumes(ua: UserAgent, args: Args, vertical: bool) -> bool:
    director = ua.director
    volume = arg(args, "volume") or None
    conds, params = [], []
    if volume:
        conds.append("m.VolumeName = ?")
        params.append(volume)
    pool = arg(args, "pool")
    if pool:
        ua.res("Pool", pool)
        conds.append("p.Name = ?")
        params.append(pool)
    sql = (
        VOLUMES_SQL
        + (" WHERE " + " AND ".join(conds) if conds else "")
        + " ORDER BY p.Name, m.MediaId"
    )
    columns, rows = await director.db(director.catalog.query, sql, params)
    records = [dict(zip(columns, r)) for r in rows]
    if not ua.acl.unrestricted:
        records = [r for r in records if ua.acl.ok(acl.POOL, r["pool"] or "")]
    as_rows = [tuple(r[c] for c in VOLUME_COLUMNS) for r in records]
    if volume:
        if not as_rows:
            raise CommandFailed(f'Volume "{volume}" not found.')
        await ua.lines(
            format_vertical(VOLUME_COLUMNS, as_rows)
            if vertical
            else format_table(VOLUME_COLUMNS, as_rows)
        )
        ua.json_result = {"volume": json_rows(VOLUME_COLUMNS, as_rows)[0]}
        return True
    if pool or has(args, "all"):
        await show(ua, "volumes", VOLUME_COLUMNS, as_rows, vertical)
        return True
    by_pool: dict[str, Any] = {}
    pools = ua.acl.allowed(director.cfg.resources("Pool"))
    for res in pools:
        pool_rows = [tuple(r[c] for c in VOLUME_COLUMNS) for r in records if r["pool"] == res.name]
        await ua.send(f"Pool: {res.name}")
        await ua.lines(
            format_vertical(VOLUME_COLUMNS, pool_rows)
            if vertical
            else format_table(VOLUME_COLUMNS, pool_rows)
        )
        by_pool[res.name.lower()] = json_rows(VOLUME_COLUMNS, pool_rows)
    ua.json_result = {"volumes": by_pool}
    return True


async def _allowed_job(ua: UserAgent, jobid: int) -> None:
    row = await ua.director.db(ua.director.catalog.get_job, jobid)
    if row is None:
        raise CommandFailed(f"JobId {jobid} not found in catalog.")
    if not ua.acl.ok(acl.JOB, row.name):
        raise CommandFailed(
            f'Job "{row.name}": access denied by the Job ACL of console "{ua.name}".'
        )


async def cmd_list(ua: UserAgent, args: Args, vertical: bool = False) -> bool:
    director = ua.director
    what = keyword(args)
    what = _LIST_ALIASES.get(what, what)
    if what == "jobs":
        return await list_jobs(ua, args, vertical)
    if what == "volumes":
        return await list_volumes(ua, args, vertical)
    if what in SIMPLE_LISTS:
        key, rtype, sql = SIMPLE_LISTS[what]
        columns, rows = await director.db(director.catalog.query, sql)
        if not ua.acl.unrestricted:
            names = {r.name for r in ua.acl.allowed(director.cfg.resources(rtype))}
            index = columns.index("fileset" if rtype == "FileSet" else "name")
            rows = [r for r in rows if r[index] in names]
        await show(ua, key, columns, rows, vertical)
        return True
    if what == "joblog":
        jobid = int_arg(args, "jobid")
        if jobid is None:
            raise UsageError("list joblog needs jobid=<id>.")
        await _allowed_job(ua, jobid)
        logs = await director.db(director.catalog.job_log, jobid)
        for row in logs:
            await ua.send(f" {row.time} {row.log_text}".rstrip("\n"))
        if not logs:
            await ua.send("No results to list.")
        ua.json_result = {"joblog": [{"time": str(r.time), "logtext": r.log_text} for r in logs]}
        return True
    if what == "files":
        jobid = int_arg(args, "jobid")
        if jobid is None:
            raise UsageError("list files needs jobid=<id>.")
        await _allowed_job(ua, jobid)
        columns, rows = await director.db(
            director.catalog.query,
            "SELECT p.Path || f.Name AS filename FROM File f JOIN Path p ON p.PathId = f.PathId "
            "WHERE f.JobId = ? ORDER BY f.FileIndex",
            [jobid],
        )
        await show(ua, "filenames", columns, rows, vertical)
        return True
    if what == "jobmedia":
        jobid = int_arg(args, "jobid")
        sql = (
            "SELECT jm.JobMediaId AS jobmediaid, jm.JobId AS jobid, m.VolumeName AS volumename, "
            "jm.FirstIndex AS firstindex, jm.LastIndex AS lastindex FROM JobMedia jm "
            "JOIN Media m ON m.MediaId = jm.MediaId"
        )
        params: list[Any] = []
        if jobid is not None:
            await _allowed_job(ua, jobid)
            sql, params = sql + " WHERE jm.JobId = ?", [jobid]
        columns, rows = await director.db(
            director.catalog.query, sql + " ORDER BY jm.JobMediaId", params
        )
        await show(ua, "jobmedia", columns, rows, vertical)
        return True
    raise UsageError(f"list {what}: unknown list." if what else "")


async def cmd_llist(ua: UserAgent, args: Args) -> bool:
    return await cmd_list(ua, args, vertical=True)


# -- dot commands: resource names -----------------------------------------------------


async def _names(ua: UserAgent, rtype: str, key: str, keep: Any = None) -> bool:
    resources = ua.acl.allowed(ua.director.cfg.resources(rtype))
    if keep is not None:
        resources = [r for r in resources if keep(r)]
    await ua.lines([r.name for r in resources])
    ua.json_result = {key: [{"name": r.name} for r in resources]}
    return True


async def dot_jobs(ua: UserAgent, args: Args) -> bool:
    wanted = (arg(args, "type") or "").lower()
    codes = {
        "b": "backup",
        "r": "restore",
        "c": "copy",
        "m": "migrate",
        "a": "admin",
        "v": "verify",
    }
    wanted = codes.get(wanted, wanted)
    return await _names(
        ua, "Job", "jobs", (lambda r: str(r.type).lower() == wanted) if wanted else None
    )


async def dot_clients(ua: UserAgent, args: Args) -> bool:
    return await _names(ua, "Client", "clients")


async def dot_pools(ua: UserAgent, args: Args) -> bool:
    wanted = (arg(args, "type") or "").lower()
    return await _names(
        ua, "Pool", "pools", (lambda r: str(r.pool_type).lower() == wanted) if wanted else None
    )


async def dot_storages(ua: UserAgent, args: Args) -> bool:
    return await _names(ua, "Storage", "storages")


async def dot_filesets(ua: UserAgent, args: Args) -> bool:
    return await _names(ua, "FileSet", "filesets")


# -- SQL --------------------------------------------------------------------------------


async def run_sql(ua: UserAgent, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run console SQL; a database error is shown with the database's own text."""
    try:
        return await ua.director.db(ua.director.catalog.query, sql)
    except Exception as exc:  # the driver's error type differs per database
        raise CommandFailed(f"Query failed: {exc}") from exc


async def dot_sql(ua: UserAgent, args: Args) -> bool:
    sql = arg(args, "query")
    if not sql:
        raise UsageError("")
    columns, rows = await run_sql(ua, sql)
    if columns:
        await ua.lines(format_table(columns, rows))
    ua.json_result = {"query": json_rows(columns, rows)}
    return True


async def cmd_sqlquery(ua: UserAgent, args: Args) -> bool:
    """Read SQL lines up to a blank line or ``.``; run each ``;``-terminated statement."""
    if ua.api == 2:
        raise CommandFailed(
            'sqlquery needs questions and answers; use .sql query="..." in API mode 2.'
        )
    await ua.send(
        "Entering SQL query mode.\nTerminate each query with a semicolon.\n"
        "Terminate query mode with a blank line."
    )
    buffer = ""
    while True:
        line = await ua.ask("Enter SQL query: " if not buffer else "Add to SQL query: ")
        if line in ("", "."):
            break
        buffer += " " + line
        while ";" in buffer:
            statement, _, buffer = buffer.partition(";")
            if not statement.strip():
                continue
            try:
                columns, rows = await run_sql(ua, statement.strip())
            except CommandFailed as exc:
                await ua.error(str(exc))
                continue
            if columns:
                await ua.lines(format_table(columns, rows))
    await ua.send("End query mode.")
    ua.errors.clear()  # errors were shown per statement; the mode itself ended fine
    return True
