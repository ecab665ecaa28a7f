"""Console commands: a table of (name, handler, help, usage), as bconsole users know them."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shlex
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..catalog.api import MediaRow
from ..codes import JOB_LEVEL_NAMES, JOB_STATUS_LONG, JobStatus, JobType
from ..config import Resource
from ..net.auth import VERSION, VERSION_DATE
from ..net.errors import ProtocolError
from ..net.framing import Connection, Signal, bash_spaces, decode_text
from .bsr import build_bootstrap
from .job import RunError, new_jcr, run_job
from .sd_cmd import StorageError, open_storage
from .ua_output import format_table, format_vertical

if TYPE_CHECKING:
    from .daemon import Director

log = logging.getLogger(__name__)

Handler = Callable[["UserAgent", list[tuple[str, str | None]]], Awaitable[bool]]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    help: str
    usage: str


class CommandFailed(Exception):
    """The command could not run; the text is shown to the console."""


def parse_args(line: str) -> list[tuple[str, str | None]]:
    """``run job="a b" yes`` -> [("run", None), ("job", "a b"), ("yes", None)]."""
    try:
        words = shlex.split(line, posix=True)
    except ValueError:
        words = line.split()
    out: list[tuple[str, str | None]] = []
    for word in words:
        key, sep, value = word.partition("=")
        out.append((key.lower(), value if sep else None))
    return out


def arg(args: list[tuple[str, str | None]], key: str) -> str | None:
    for k, v in args[1:]:
        if k == key:
            return v if v is not None else ""
    return None


def has(args: list[tuple[str, str | None]], key: str) -> bool:
    return any(k == key for k, _ in args[1:])


class UserAgent:
    """One console session's state: API mode, the connection, the console's ACLs."""

    def __init__(self, director: Director, conn: Connection, console: Resource | None) -> None:
        self.director = director
        self.conn = conn
        self.console = console
        self.api = 0
        self.json_result: dict[str, Any] = {}

    async def send(self, text: str) -> None:
        if self.api == 2:
            return
        await self.conn.send(text if text.endswith("\n") else text + "\n")

    async def ask(self, question: str) -> str:
        """Ask the console one question and return its answer (SUB_PROMPT)."""
        await self.conn.send(question)
        await self.conn.signal(Signal.SUB_PROMPT)
        msg = await self.conn.recv_msg(timeout=3600)
        return decode_text(msg).strip()

    async def execute(self, line: str) -> bool:
        """Run one command line; False ends the session."""
        if not line:
            await self._finish(True)
            return True
        args = parse_args(line)
        name = args[0][0]
        command = COMMANDS.get(name) or next(
            (c for n, c in COMMANDS.items() if not n.startswith(".") and n.startswith(name) and len(name) >= 3), None)
        if command is None:
            await self.send(f"{name}: is an invalid command.")
            await self._finish(False)
            return True
        if name in ("quit", "exit"):
            return False
        self.json_result = {}
        ok = True
        try:
            ok = await command.handler(self, args)
        except CommandFailed as exc:
            await self.send(str(exc))
            ok = False
        except ProtocolError:
            raise
        except Exception as exc:  # one bad command must not end the console session
            log.exception("console command %r failed", line)
            await self.send(f"Command failed: {exc}")
            ok = False
        await self._finish(ok)
        return True

    async def _finish(self, ok: bool) -> None:
        if self.api == 0:
            await self.conn.signal(Signal.EOD)
            return
        await self.conn.signal(Signal.CMD_OK if ok else Signal.CMD_FAILED)
        if self.api == 2:
            await self.conn.send(json.dumps({"jsonrpc": "2.0", "id": None, "result": self.json_result}))


# -- commands ---------------------------------------------------------------------


async def cmd_help(ua: UserAgent, args: list[tuple[str, str | None]]) -> bool:
    await ua.send("  Command       Description\n  =======       ===========")
    for c in COMMANDS.values():
        if not c.name.startswith("."):
            await ua.send(f"  {c.name:<13} {c.help}")
    return True


async def cmd_version(ua: UserAgent, args: list[tuple[str, str | None]]) -> bool:
    await ua.send(f"{ua.director.name} Version: {VERSION} ({VERSION_DATE}) bareoslab")
    ua.json_result = {"version": {"name": ua.director.name, "type": "bareos-director", "version": VERSION}}
    return True


async def cmd_quit(ua: UserAgent, args: list[tuple[str, str | None]]) -> bool:
    return True


async def cmd_api(ua: UserAgent, args: list[tuple[str, str | None]]) -> bool:
    mode = args[1][0] if len(args) > 1 else "on"
    ua.api = {"0": 0, "off": 0, "1": 1, "on": 1, "2": 2, "json": 2}.get(mode, 1)
    ua.json_result = {"api": ua.api}
    return True


async def cmd_autodisplay(ua: UserAgent, args: list[tuple[str, str | None]]) -> bool:
    return True


async def cmd_messages(ua: UserAgent, args: list[tuple[str, str | None]]) -> bool:
    lines = ua.director.msgs.take_console_messages()
    if not lines:
        await ua.send("You have no messages.")
    for text in lines:
        await ua.send(text.rstrip("\n"))
    return True


async def cmd_run(ua: UserAgent, args: list[tuple[str, str | None]]) -> bool:
    director = ua.director
    job_name = arg(args, "job")
    if not job_name and len(args) > 1 and args[1][1] is None and args[1][0] != "yes":
        job_name = shlex.split(decode_text(b"") or "")[0] if False else args[1][0]
    if not job_name:
        raise CommandFailed("Usage: run job=<job-name> [level=<level>] [client=<client>] "
                            "[fileset=<fileset>] [pool=<pool>] [storage=<storage>] [priority=<n>] [yes]")
    job_res = director.cfg.get("Job", job_name)
    if job_res is None:
        raise CommandFailed(f'Job "{job_name}" not found.')
    overrides = {k: v for k, v in args[1:] if v and k in
                 ("level", "client", "fileset", "pool", "storage", "priority", "comment", "where")}
    try:
        jcr = new_jcr(director, job_res, **overrides)
    except RunError as exc:
        raise CommandFailed(str(exc)) from exc
    if jcr.job_type is JobType.RESTORE:
        raise CommandFailed("Use the restore command to run a restore job.")
    if not has(args, "yes") and ua.api != 2:
        await ua.send(run_summary(jcr))
        answer = await ua.ask("OK to run? (yes/mod/no): ")
        if answer.lower() not in ("yes", "y", ""):
            await ua.send("Job not run.")
            return True
    jobid = await run_job(director, jcr)
    await ua.send(f"Job queued. JobId={jobid}")
    ua.json_result = {"run": {"jobid": str(jobid)}}
    return True


def run_summary(jcr: Any) -> str:
    return "\n".join([
        "Run Backup job" if jcr.job_type is JobType.BACKUP else f"Run {jcr.job_type.name.capitalize()} job",
        f"JobName:  {jcr.name}",
        f"Level:    {JOB_LEVEL_NAMES.get(jcr.level, '')}",
        f"Client:   {jcr.client.name if jcr.client else ''}",
        "Format:   Native",
        f"FileSet:  {jcr.fileset.name if jcr.fileset else ''}",
        f"Pool:     {jcr.pool.name if jcr.pool else ''} (From {jcr.pool_source})",
        f"Storage:  {jcr.storage.name if jcr.storage else ''} (From {jcr.storage_source})",
        f"When:     {time.strftime('%Y-%m-%d %H:%M:%S')}",
        f"Priority: {jcr.priority}",
    ])


async def cmd_wait(ua: UserAgent, args: list[tuple[str, str | None]]) -> bool:
    director = ua.director
    jobid = arg(args, "jobid")
    timeout = float(arg(args, "timeout") or 0) or None
    if jobid:
        jcr = director.jobs.get(int(jobid))
        if jcr is None:
            row = await director.db(director.catalog.get_job, int(jobid))
            status = JobStatus(row.job_status) if row else None
        else:
            try:
                await asyncio.wait_for(jcr.done.wait(), timeout)
            except TimeoutError:
                pass
            status = jcr.status
        long = JOB_STATUS_LONG.get(status, "Unknown term code") if status else "Unknown"
        await ua.send(f"JobId={jobid}\nJobStatus={long} ({status.value if status else '?'})")
        ua.json_result = {"job": {"jobid": int(jobid), "jobstatus": status.value if status else "?",
                                  "jobstatuslong": long,
                                  "exitstatus": 0 if status and status.ok else 2}}
        return True
    async with asyncio.timeout(timeout):
        while director.jobq.running or director.jobq.waiting:
            pending = [j.done.wait() for j in list(director.jobq.running.values()) + director.jobq.waiting]
            await asyncio.gather(*pending)
            await asyncio.sleep(0)
    return True


async def cmd_label(ua: UserAgent, args: list[tuple[str, str | None]]) -> bool:
    director = ua.director
    cfg, cat = director.cfg, director.catalog
    volume = arg(args, "volume")
    storage = cfg.get("Storage", arg(args, "storage") or "") if arg(args, "storage") else (
        cfg.resources("Storage")[0] if len(cfg.resources("Storage")) == 1 else None)
    pool = cfg.get("Pool", arg(args, "pool") or "") if arg(args, "pool") else (
        cfg.get("Pool", "Default"))
    if not volume or storage is None or pool is None:
        raise CommandFailed("Usage: label volume=<name> storage=<storage> pool=<pool> [yes]")
    if await director.db(cat.get_media, volume) is not None:
        raise CommandFailed(f'Media record for new Volume "{volume}" already exists.')
    await ua.send(f"Connecting to Storage daemon {storage.name} at {storage.address}:{storage.port} ...")
    try:
        conn = await open_storage(director, storage)
    except StorageError as exc:
        raise CommandFailed(str(exc)) from exc
    await ua.send(f'Sending label command for Volume "{volume}" Slot 0 ...')
    ok_line = ""
    try:
        await conn.send(f"label {bash_spaces(storage.device[0])} VolumeName={bash_spaces(volume)} "
                        f"PoolName={bash_spaces(pool.name)} MediaType={bash_spaces(storage.media_type)} "
                        f"Slot=0 drive=0 MinBlocksize=0 MaxBlocksize=0")
        for msg in await conn.recv_until_eod():
            text = decode_text(msg).rstrip("\n")
            await ua.send(text)
            if text.startswith("3000 OK label."):
                ok_line = text
    finally:
        await conn.close()
    if not ok_line:
        raise CommandFailed(f"Label command failed for Volume {volume}.")
    vol_bytes = int(re.search(r"VolBytes=(\d+)", ok_line).group(1))  # type: ignore[union-attr]
    pool_id = await director.db(cat.pool_id, pool.name)
    await director.db(cat.create_media, MediaRow(
        volume_name=volume, pool_id=pool_id or 0, media_type=storage.media_type,
        storage_id=director.storage_ids.get(storage.name, 0), vol_bytes=vol_bytes, vol_blocks=1,
        vol_status="Append" if vol_bytes else "Unlabeled", label_date=_now()))
    await ua.send(f'Catalog record for Volume "{volume}", Slot 0 successfully created.')
    return True


def _now() -> Any:
    from datetime import datetime

    return datetime.now().replace(microsecond=0)


LIST_JOBS_SQL = (
    "SELECT j.JobId AS jobid, j.Name AS name, c.Name AS client, j.StartTime AS starttime, "
    "j.Type AS type, j.Level AS level, j.JobFiles AS jobfiles, j.JobBytes AS jobbytes, "
    "j.JobStatus AS jobstatus FROM Job j LEFT JOIN Client c ON c.ClientId = j.ClientId"
)
LIST_VOLUMES_SQL = (
    "SELECT m.MediaId AS mediaid, m.VolumeName AS volumename, m.VolStatus AS volstatus, "
    "m.Enabled AS enabled, m.VolBytes AS volbytes, m.VolFiles AS volfiles, m.VolRetention AS volretention, "
    "m.Recycle AS recycle, m.Slot AS slot, m.InChanger AS inchanger, m.MediaType AS mediatype, "
    "m.LastWritten AS lastwritten FROM Media m"
)


async def cmd_list(ua: UserAgent, args: list[tuple[str, str | None]], vertical: bool = False) -> bool:
    director = ua.director
    what = args[1][0] if len(args) > 1 else ""
    params: list[Any] = []
    if what in ("jobs", "job", "jobid") or (what == "" and False):
        sql = LIST_JOBS_SQL
        conds = []
        if arg(args, "jobid"):
            conds.append("j.JobId = ?")
            params.append(int(arg(args, "jobid") or 0))
        if arg(args, "job"):
            conds.append("j.Name = ?")
            params.append(arg(args, "job"))
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        sql += " ORDER BY j.StartTime, j.JobId"
        key = "jobs"
    elif what in ("volumes", "volume", "media"):
        sql, key = LIST_VOLUMES_SQL + " ORDER BY m.MediaId", "volumes"
    elif what == "joblog":
        jobid = int(arg(args, "jobid") or 0)
        rows = await director.db(director.catalog.job_log, jobid)
        for row in rows:
            await ua.send(f" {row.time} {row.log_text}".rstrip("\n"))
        ua.json_result = {"joblog": [{"time": str(r.time), "logtext": r.log_text} for r in rows]}
        return True
    else:
        raise CommandFailed("Usage: list jobs [jobid=<id>] [job=<name>] | list volumes | list joblog jobid=<id>")
    columns, rows = await director.db(director.catalog.query, sql, params)
    lines = format_vertical(columns, rows) if vertical else format_table(columns, rows)
    for line in lines:
        await ua.send(line)
    ua.json_result = {key: [{c: ("" if v is None else str(v)) for c, v in zip(columns, r)} for r in rows]}
    return True


async def cmd_llist(ua: UserAgent, args: list[tuple[str, str | None]]) -> bool:
    return await cmd_list(ua, args, vertical=True)


async def cmd_status(ua: UserAgent, args: list[tuple[str, str | None]]) -> bool:
    director = ua.director
    what = args[1][0] if len(args) > 1 else "dir"
    if what.startswith("dir"):
        await ua.send(f"{director.name} Version: {VERSION} ({VERSION_DATE}) bareoslab")
        await ua.send(f"Daemon started {time.strftime('%d-%b-%y %H:%M', time.localtime(director.started))}. "
                      f"Jobs: run={len(director.jobs)}, running={len(director.jobq.running)} db:{director.catalog_res.db_driver}")
        await ua.send("\nRunning Jobs:")
        if not director.jobq.running and not director.jobq.waiting:
            await ua.send("No Jobs running.")
        for j in list(director.jobq.running.values()) + director.jobq.waiting:
            await ua.send(f" {j.jobid:>6} {JOB_LEVEL_NAMES.get(j.level, ''):<12} {j.job} is "
                          f"{'running' if j.jobid in director.jobq.running else 'waiting'}")
        await ua.send("====")
        return True
    raise CommandFailed(f"status {what}: not available in this Director yet")


async def cmd_restore(ua: UserAgent, args: list[tuple[str, str | None]]) -> bool:
    """``restore client=C [fileset=F] where=/p select all done [yes]`` or ``restore jobid=N all done``."""
    director = ua.director
    cfg, cat = director.cfg, director.catalog
    restore_jobs = [j for j in cfg.resources("Job") if str(j.type).lower() == "restore"]
    if not restore_jobs:
        raise CommandFailed("No Restore Job resource found in bareos-dir.conf.")
    job_res = restore_jobs[0]
    if arg(args, "jobid"):
        jobids = [int(x) for x in (arg(args, "jobid") or "").split(",") if x]
        first = await director.db(cat.get_job, jobids[0])
        if first is None:
            raise CommandFailed(f"No Job found for JobId {jobids[0]}")
        client_row = await director.db(cat.get_client, first.client_id)
        client = cfg.get("Client", client_row.name) if client_row else None
    else:
        client = cfg.get("Client", arg(args, "client") or "")
        if client is None:
            raise CommandFailed(f'Client "{arg(args, "client")}" not found.')
        fileset_name = arg(args, "fileset") or job_res.fileset
        client_id = await director.db(cat.client_id, client.name)
        fileset_ids = [r[0] for r in (await director.db(
            cat.query, "SELECT FileSetId FROM FileSet WHERE FileSet = ? ORDER BY FileSetId DESC",
            [fileset_name]))[1]]
        jobs = []
        for fsid in fileset_ids:
            jobs = await director.db(cat.select_restore_jobs, client_id or 0, fsid)
            if jobs:
                break
        if not jobs:
            raise CommandFailed(f'No Full backup before now found for Client "{client.name}".')
        jobids = [j.job_id for j in jobs]
    await ua.send(f"You have selected the following JobId{'s' if len(jobids) > 1 else ''}: "
                  f"{','.join(map(str, jobids))}")
    await ua.send(f"\nBuilding directory tree for JobId(s) {','.join(map(str, jobids))} ...")
    files = await director.db(lambda: list(cat.restore_files(jobids)))
    wanted: dict[int, list[int]] = {}
    for f in files:
        wanted.setdefault(f.job_id, []).append(f.file_index)
    await ua.send(f"{len(files)} files inserted into the tree and marked for extraction.")
    jobmedia = await director.db(cat.jobmedia_for_jobs, jobids)
    storage = cfg.get("Storage", arg(args, "storage") or "") if arg(args, "storage") else None
    jcr = new_jcr(director, job_res, client=client.name if client else None)
    if storage is not None:
        jcr.storage = storage
    if jcr.storage is None:
        raise CommandFailed("No Storage to restore from.")
    jcr.bootstrap = build_bootstrap(jobmedia, wanted, jcr.storage.name, jcr.storage.device[0])
    jcr.expected_files = len(files)
    jcr.where = arg(args, "where") if arg(args, "where") is not None else (job_res.where or "")
    jcr.replace = {"always": "a", "ifnewer": "w", "ifolder": "o", "never": "n"}.get(
        (arg(args, "replace") or str(job_res.replace)).lower(), "a")
    restore_client = cfg.get("Client", arg(args, "restoreclient") or "") if arg(args, "restoreclient") else None
    jcr.restore_client = restore_client or client
    await ua.send(f"{len(files)} files selected to be restored.")
    if not has(args, "yes") and ua.api != 2:
        await ua.send(f"Run Restore job\nJobName:         {jcr.name}\nWhere:           {jcr.where}\n"
                      f"Restore Client:  {jcr.restore_client.name if jcr.restore_client else ''}\n"
                      f"Storage:         {jcr.storage.name}")
        answer = await ua.ask("OK to run? (yes/mod/no): ")
        if answer.lower() not in ("yes", "y", ""):
            await ua.send("Job not run.")
            return True
    jobid = await run_job(director, jcr)
    await ua.send(f"Job queued. JobId={jobid}")
    ua.json_result = {"run": {"jobid": str(jobid)}}
    return True


async def cmd_sqlquery(ua: UserAgent, args: list[tuple[str, str | None]]) -> bool:
    """Read SQL lines up to a blank line or ``.``; run each ``;``-terminated statement."""
    director = ua.director
    await ua.send("Entering SQL query mode.\nTerminate each query with a semicolon.\nTerminate query mode with a blank line.")
    buffer = ""
    while True:
        line = await ua.ask("Enter SQL query: " if not buffer else "Add to SQL query: ")
        if line in ("", "."):
            break
        buffer += " " + line
        if buffer.rstrip().endswith(";"):
            sql, buffer = buffer.strip().rstrip(";"), ""
            try:
                columns, rows = await director.db(director.catalog.query, sql)
            except Exception as exc:
                await ua.send(f"Query failed: {exc}")
                continue
            if columns:
                for out in format_table(columns, rows):
                    await ua.send(out)
    await ua.send("End query mode.")
    return True


COMMANDS: dict[str, Command] = {c.name: c for c in [
    Command("help", cmd_help, "Print help on specific command", "help"),
    Command("version", cmd_version, "Print Director version", "version"),
    Command("quit", cmd_quit, "Terminate Bconsole session", "quit"),
    Command("exit", cmd_quit, "Terminate Bconsole session", "exit"),
    Command("messages", cmd_messages, "Display pending messages", "messages"),
    Command("run", cmd_run, "Run a job", "run job=<job-name> [level=] [client=] [fileset=] [pool=] [storage=] [yes]"),
    Command("wait", cmd_wait, "Wait until no jobs are running", "wait [jobid=<id>] [timeout=<s>]"),
    Command("label", cmd_label, "Label a tape", "label volume=<name> storage=<storage> pool=<pool>"),
    Command("list", cmd_list, "List objects from catalog", "list jobs | volumes | joblog jobid=<id>"),
    Command("llist", cmd_llist, "Full or long list like list command", "llist jobs"),
    Command("status", cmd_status, "Report status", "status dir"),
    Command("restore", cmd_restore, "Restore files", "restore client=<c> where=<dir> select all done yes"),
    Command("sqlquery", cmd_sqlquery, "Use SQL to query catalog", "sqlquery"),
    Command("autodisplay", cmd_autodisplay, "Autodisplay console messages", "autodisplay on|off"),
    Command(".api", cmd_api, "Switch API mode", ".api [0|1|2|json]"),
]}
