"""``list``/``llist``, the resource dot commands, ``.sql`` and ``sqlquery``.

Text output is Bareos' table layout (``output``); in api 2 every value is
a string and NULL is ``""``, as Bareos' JSON lists print them.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ...catalog.records import JobFilter
from . import acl
from .args import Args, CommandFailed, UsageError, arg, has, int_arg, int_list_arg, keyword
from .nextvol import list_nextvol
from .output import format_table, format_vertical, json_rows

if TYPE_CHECKING:
    from .commands import UserAgent

LIST_USAGE = (
    "list jobs [jobid=<id>] [job=<name>] [client=<client>] [pool=<pool>] [volume=<volume>] "
    "[jobstatus=<code>] [joblevel=<code>] [jobtype=<code>] [days=<n>] [hours=<n>] [last] "
    "[count] [limit=<n> [offset=<m>]] [reverse] | jobid=<id> | job=<name> | volumes [pool=<pool>] "
    "| volume=<name> | pools | clients | storages | filesets | files jobid=<id> "
    "| joblog jobid=<id> | jobmedia [jobid=<id>] | jobtotals | copies [jobid=<id>] "
    "| log [client=<client>] [limit=<n>] [reverse] "
    "| backups client=<client> [fileset=<fileset>] [level=<level>] [jobstatus=<status>] "
    "| nextvol job=<job> [days=<n>]"
)
#: jobstatus= words Bareos takes beside the one-letter codes
JOB_STATUS_WORDS = {
    "terminated": "T", "warnings": "W", "canceled": "A", "running": "R", "error": "E", "fatal": "f",
}  # fmt: skip
DEFAULT_LOG_LINES = 5

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
    "hasencryptionkey",
]
RESOURCE_TYPES = {"pools": "Pool", "clients": "Client", "storages": "Storage", "filesets": "FileSet"}
"""The simple lists: the catalog's rows of a resource kind, the type whose ACL applies."""

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


def _job_filter(ua: UserAgent, args: Args) -> JobFilter:
    jobids = int_list_arg(args, "jobid") if arg(args, "jobid") else []
    if has(args, "jobid") and not jobids:
        raise UsageError("Invalid jobid specified.")
    wanted = JobFilter(job_ids=jobids, name=arg(args, "job") or None, client=arg(args, "client") or None,
                       pool=arg(args, "pool") or None, volume=arg(args, "volume") or None)
    for key, values in (("jobstatus", wanted.statuses), ("joblevel", wanted.levels), ("jobtype", wanted.types)):
        value = arg(args, key)
        if value:
            codes = [v.strip() for v in value.split(",") if v.strip()]
            if key == "jobstatus":
                codes = [JOB_STATUS_WORDS.get(c.lower(), c) for c in codes]
            if any(len(c) != 1 for c in codes):
                raise CommandFailed(f"invalid {key} value: {value}")
            values += codes
    for key, unit in (("days", 86400), ("hours", 3600)):
        n = int_arg(args, key)
        if n is not None:
            wanted.since_tdate = int(time.time()) - n * unit
    return wanted


async def list_jobs(
    ua: UserAgent, args: Args, vertical: bool, only: JobFilter | None = None, key: str = "jobs"
) -> bool:
    director = ua.director
    columns, rows = await director.db(director.catalog.list_job_records, only or _job_filter(ua, args),
                                      has(args, "reverse"))
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
        await show(ua, key, ["count"], [(len(records),)], vertical)
        ua.json_result = {key: [{"count": str(len(records))}]}
        return True
    running = {j.jobid for j in director.jobq.running.values()}
    for r in records:
        r["duration"] = duration(r["starttime"], r["endtime"], r["jobid"] in running)
    wanted = LLIST_JOB_COLUMNS if vertical else JOB_COLUMNS
    out_rows = [tuple(r[c] for c in wanted) for r in records]
    if vertical and has(args, "jobid") and not out_rows and ua.api == 2:
        ua.json_result = {"jobs": {}}
        return True
    await show(ua, key, wanted, out_rows, vertical)
    return True


async def list_backups(ua: UserAgent, args: Args, vertical: bool) -> bool:
    """A client's successful backups (``list backups``): ``list jobs`` narrowed to backups
    of one client, by default those that ended T or W."""
    client = arg(args, "client")
    if not client:
        raise CommandFailed("missing parameter: client")
    ua.check(acl.CLIENT, client)
    wanted = _job_filter(ua, args)
    wanted.client, wanted.types = client, ["B", "A", "a"]
    wanted.fileset = arg(args, "fileset") or None
    wanted.statuses = wanted.statuses or ["T", "W"]
    for word in (arg(args, "level") or "").split(","):
        level = next((n for n in ("Full", "Incremental", "Differential", "Base", "VirtualFull")
                      if word and n.lower().startswith(word.lower())), None)
        if level is not None:
            wanted.levels.append({"VirtualFull": "f"}.get(level, level[0]))
    order = (arg(args, "order") or "").lower()
    if order and not ("ascending".startswith(order) or "descending".startswith(order)):
        raise CommandFailed(f"invalid order value: {order}")
    if order and "descending".startswith(order):
        args = [*args, ("reverse", None)]
    return await list_jobs(ua, args, vertical, wanted, "backups")


async def list_jobtotals(ua: UserAgent, vertical: bool) -> bool:
    (columns, rows), (total_columns, total) = await ua.director.db(ua.director.catalog.job_totals)
    if not ua.acl.unrestricted:
        rows = [r for r in rows if ua.acl.ok(acl.JOB, str(r[3]))]
    await ua.lines(format_vertical(columns, rows) if vertical else format_table(columns, rows))
    await ua.lines(format_table(total_columns, total))
    ua.json_result = {"jobs": json_rows(columns, rows), "jobtotals": json_rows(total_columns, total)[0]}
    return True


async def list_copies(ua: UserAgent, args: Args, vertical: bool) -> bool:
    jobids = int_list_arg(args, "jobid") if arg(args, "jobid") else None
    columns, rows = await ua.director.db(ua.director.catalog.list_copies, jobids, int_arg(args, "limit"))
    ua.json_result = {"copies": json_rows(columns, rows)}
    if not rows:
        return True  # Bareos says nothing when there are no copies
    await ua.send(
        "These JobIds have copies as follows:" if jobids else "The catalog contains copies as follows:"
    )
    await ua.lines(format_vertical(columns, rows) if vertical else format_table(columns, rows))
    return True


async def list_log(ua: UserAgent, args: Args, vertical: bool) -> bool:
    """The newest job log lines, as raw text (``list log``)."""
    client = arg(args, "client")
    if client:
        if await ua.director.db(ua.director.catalog.client_id, client) is None:
            raise CommandFailed(f"invalid client argument: {client}")
        ua.check(acl.CLIENT, client)
    limit = int_arg(args, "limit") or DEFAULT_LOG_LINES
    columns, rows = await ua.director.db(
        ua.director.catalog.list_log, client or None, limit, int_arg(args, "offset") or 0, has(args, "reverse")
    )
    rows = [r for r in rows if ua.acl.ok(acl.JOB, str(r[1] or "")) and ua.acl.ok(acl.CLIENT, str(r[2] or ""))]
    ua.json_result = {"log": json_rows(columns, rows)}
    if vertical:
        await ua.lines(format_vertical(columns, rows))
    else:
        for row in rows:  # Bareos' raw list: each log text after a blank
            await ua.raw(f" {row[4]}")
    return True


async def list_volumes(ua: UserAgent, args: Args, vertical: bool) -> bool:
    director = ua.director
    volume = arg(args, "volume") or None
    pool = arg(args, "pool")
    if pool:
        ua.res("Pool", pool)
    columns, rows = await director.db(director.catalog.list_volume_records, volume, pool or None)
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
    if what in RESOURCE_TYPES:
        key, rtype = what, RESOURCE_TYPES[what]
        columns, rows = await director.db(director.catalog.list_resources, what)
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
        columns, rows = await director.db(director.catalog.list_file_names, jobid)
        # Bareos lists a job's files as plain lines, each after a blank (ListFilesForJob)
        await ua.lines([f" {row[0]}" for row in rows])
        ua.json_result = {"filenames": json_rows(columns, rows)}
        return True
    if what == "jobmedia":
        jobid = int_arg(args, "jobid")
        if jobid is not None:
            await _allowed_job(ua, jobid)
        columns, rows = await director.db(director.catalog.list_jobmedia, jobid)
        await show(ua, "jobmedia", columns, rows, vertical)
        return True
    if what == "jobtotals":
        return await list_jobtotals(ua, vertical)
    if what == "copies":
        return await list_copies(ua, args, vertical)
    if what == "log":
        return await list_log(ua, args, vertical)
    if what == "backups":
        return await list_backups(ua, args, vertical)
    if what in ("nextvol", "nextvolume"):
        return await list_nextvol(ua, args)
    if not what:
        raise UsageError("")
    raise CommandFailed(f"Unknown list keyword: {what}")


async def cmd_llist(ua: UserAgent, args: Args) -> bool:
    return await cmd_list(ua, args, vertical=True)


# -- dot commands: resource names -----------------------------------------------------


async def send_objects(ua: UserAgent, key: str, objects: list[dict[str, Any]]) -> bool:
    """Each object's name a line; ``{key: objects}`` for api 2 (Bareos' dot command lists)."""
    await ua.lines([str(o["name"]) for o in objects])
    ua.json_result = {key: objects}
    return True


async def resource_names(ua: UserAgent, rtype: str, key: str, keep: Any = None, acl: bool = True) -> bool:
    """The resources of a type (those the console's ACL allows, unless ``acl`` is false)."""
    resources = ua.director.cfg.resources(rtype)
    if acl:
        resources = ua.acl.allowed(resources)
    if keep is not None:
        resources = [r for r in resources if keep(r)]
    return await send_objects(ua, key, [{"name": r.name} for r in resources])


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
    return await resource_names(
        ua, "Job", "jobs", (lambda r: str(r.type).lower() == wanted) if wanted else None
    )


async def dot_clients(ua: UserAgent, args: Args) -> bool:
    return await resource_names(ua, "Client", "clients")


async def dot_pools(ua: UserAgent, args: Args) -> bool:
    wanted = (arg(args, "type") or "").lower()
    return await resource_names(
        ua, "Pool", "pools", (lambda r: str(r.pool_type).lower() == wanted) if wanted else None
    )


async def dot_storages(ua: UserAgent, args: Args) -> bool:
    return await resource_names(ua, "Storage", "storages")


async def dot_filesets(ua: UserAgent, args: Args) -> bool:
    return await resource_names(ua, "FileSet", "filesets")


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
