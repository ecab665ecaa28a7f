"""``status`` (director, live storage and client queries), ``.status`` and ``cancel``."""

from __future__ import annotations

import asyncio
import logging
import platform
from typing import TYPE_CHECKING, Any

from ...codes import JOB_LEVEL_NAMES, JOB_STATUS_LONG, JobStatus, JobType
from ...config import Resource
from ...edit import short_date
from ...net.errors import ProtocolError
from ...net.framing import Connection, bash_spaces, decode_text
from ...version import VERSION, VERSION_DATE
from ..fd_cmd import PROBING_CLIENT, ClientError, open_client
from ..jcr import JobControlRecord
from ..sd_cmd import StorageError, open_storage
from . import acl
from .args import Args, CommandFailed, UsageError, int_arg, keyword
from .prompt import choose
from .run_prompt import select_resource
from .schedule import scheduled_jobs_lines, status_scheduler
from .subscriptions import status_subscriptions

if TYPE_CHECKING:
    from .commands import UserAgent

log = logging.getLogger(__name__)

DAEMON_TIMEOUT = 60.0

def _short(value: Any) -> str:
    return str(value)[:16] if value else ""


NO_LEVEL_TYPES = (JobType.RESTORE, JobType.ADMIN, JobType.ARCHIVE)

#: Bareos' texts for a job that is not running yet (ua_status.cc)
WAITING_TEXT = {
    JobStatus.CREATED: "is waiting execution",
    JobStatus.WAIT_STORE_RES: "is waiting on max Storage jobs",
    JobStatus.WAIT_CLIENT_RES: "is waiting on max Client jobs",
    JobStatus.WAIT_JOB_RES: "is waiting on max Job jobs",
    JobStatus.WAIT_MAX_JOBS: "is waiting on max total jobs",
    JobStatus.WAIT_PRIORITY: "is waiting for higher priority jobs to finish",
    JobStatus.WAIT_MOUNT: "is waiting for a mount request",
    JobStatus.WAIT_MEDIA: "is waiting for an appendable Volume",
}


def running_state(jcr: JobControlRecord) -> str:
    """What ``status dir`` says of an unfinished job."""
    if jcr.status is JobStatus.WAIT_START_TIME:
        return f"is waiting for its start time at {short_date(jcr.sched_time)}"
    if jcr.status is JobStatus.WAIT_SD and jcr.storage is not None:
        return f'is waiting on Storage "{jcr.storage.name}"'
    if jcr.status is JobStatus.WAIT_FD and jcr.client is not None:
        return f"is waiting on Client {jcr.client.name}"
    return WAITING_TEXT.get(jcr.status, "is running")


def _unfinished(ua: UserAgent) -> list[JobControlRecord]:
    """Running and waiting jobs (also those waiting for their ``when=`` time)."""
    return [j for j in ua.director.jobq.unfinished() if ua.acl.ok("Job ACL", j.name)]


def _running_json(ua: UserAgent) -> list[dict[str, Any]]:
    return [
        {
            "jobid": j.jobid,
            "job": j.job,
            "name": j.name,
            "level": j.level.value,
            "type": j.job_type.value,
            "status": j.status.value,
            "start_time": short_date(j.start_time) if j.start_time else "",
            "files": j.job_files,
            "bytes": j.job_bytes,
        }
        for j in _unfinished(ua)
    ]


async def _terminated(ua: UserAgent) -> list[tuple[Any, ...]]:
    _, rows = await ua.director.db(ua.director.catalog.list_terminated_jobs, 10)
    return [r for r in rows if ua.acl.ok("Job ACL", r[6] or "")]


async def status_header(ua: UserAgent) -> dict[str, Any]:
    director = ua.director
    started = short_date(director.started)
    await ua.send(
        f"{director.name} Version: {VERSION} ({VERSION_DATE}) {platform.system()} bareoslab"
    )
    await ua.send(
        f"Daemon started {started}. Jobs: run={director.jobs_run}, running={len(director.jobq.running)} "
        f"db:{director.catalog_res.db_driver}, bareoslab binary"
    )
    await ua.send(" Heap: bytes=0 max_bytes=0 bufs=0 max_bufs=0")
    return {
        "director": director.name,
        "version": VERSION,
        "release_date": VERSION_DATE,
        "os": platform.system(),
        "binary_info": "bareoslab",
        "daemon_started": started,
        "jobs_run": director.jobs_run,
        "jobs_running": len(director.jobq.running),
        "config_warnings": bool(director.cfg.warnings),
    }


async def _running(ua: UserAgent) -> list[dict[str, Any]]:
    await ua.send("\nRunning Jobs:\nConsole connected at " + short_date(ua.director.started))
    unfinished = _unfinished(ua)
    if not unfinished:
        await ua.send("No Jobs running.")
    else:
        # Bareos' layout (ua_status.cc): the level cut to 7 letters, none for restore/admin/archive
        await ua.send(
            " JobId Level   Name                       Status\n"
            "======================================================================"
        )
        for j in unfinished:
            level = "" if j.job_type in NO_LEVEL_TYPES else JOB_LEVEL_NAMES.get(j.level, "")[:7]
            await ua.send(f"{j.jobid:>6} {level:<6}  {j.job:<20} {running_state(j)}")
    await ua.send("====")
    return _running_json(ua)


async def _terminated_section(ua: UserAgent) -> list[dict[str, Any]]:
    await ua.send("\nTerminated Jobs:")
    rows = await _terminated(ua)
    if rows:
        await ua.send(
            " JobId  Level    Files      Bytes   Status   Finished        Name \n"
            "===================================================================="
        )
        for jobid, level, files, nbytes, status, end, name, _type in reversed(rows):
            long = (
                JOB_STATUS_LONG.get(JobStatus(status), status)
                if status in JobStatus._value2member_map_
                else status
            )
            await ua.send(
                f"{jobid:>6}  {JOB_LEVEL_NAMES.get(level, level) or '':<6} {files or 0:>8,} "
                f"{nbytes or 0:>10,}   {long[:8]:<8} {_short(end):<15} {name}"
            )
    else:
        await ua.send("No Terminated Jobs.")
    return [
        {
            "jobid": r[0],
            "name": r[6],
            "level": r[1],
            "type": r[7],
            "status": r[4],
            "files": r[2] or 0,
            "bytes": r[3] or 0,
            "finished": str(r[5] or ""),
        }
        for r in rows
    ]


async def status_dir(ua: UserAgent, args: Args) -> bool:
    director = ua.director
    header = await status_header(ua)
    await ua.lines(scheduled_jobs_lines(ua, int_arg(args, "days") or 1))
    running = await _running(ua)
    terminated = await _terminated_section(ua)
    await ua.send(
        "\nClient Initiated Connections (waiting for jobs):\n"
        "Connect time        Protocol            Authenticated       Name\n"
        "====================================================================================================\n"
        + "".join(line + "\n" for line in director.waiting_clients.status_lines())
        + "====\n"
    )
    ua.json_result = {
        "header": header,
        "scheduled": [],
        "running": running,
        "terminated": terminated,
        "client-connection": director.waiting_clients.status_json(),
    }
    return True


async def relay(ua: UserAgent, conn: Connection, line: str) -> list[str]:
    """Send one command on a daemon control connection and pass its answer up to EOD on as it
    comes (a daemon may send one line in several messages, as Bareos' SD does); its lines."""
    parts: list[str] = []
    try:
        await conn.send(line)
        for msg in await asyncio.wait_for(conn.recv_until_eod(), DAEMON_TIMEOUT):
            parts.append(decode_text(msg))
            await ua.raw(parts[-1])
    finally:
        await conn.close()
    text = "".join(parts)
    if text and not text.endswith("\n"):
        await ua.raw("\n")
    return text.splitlines()


async def relay_answer(ua: UserAgent, conn: Connection, command: str, daemon: str, key: str) -> None:
    """:func:`relay` a command; its lines are the api 2 result under ``key``; a daemon that
    does not answer fails the command."""
    try:
        lines = await relay(ua, conn, command)
    except (ProtocolError, TimeoutError) as exc:
        raise CommandFailed(f"{daemon} did not answer {key}: {exc}") from exc
    ua.json_result = {key: lines} if ua.api == 2 else {}


async def _open(ua: UserAgent, res: Resource) -> Connection:
    try:
        if res.rtype == "Storage":
            await ua.send(f"Connecting to Storage daemon {res.name} at {res.address}:{res.port}")
            storage = await open_storage(ua.director, res)
            # Bareos' GetCipherMessageString: the cipher's name, or None
            await ua.send(f" Encryption: {(storage.encryption or 'None').split()[0]}")
            return storage
        await ua.send(f"Connecting to Client {res.name} at {res.address}:{res.port}")
        director = ua.director
        if res.name not in director.client_handshakes:
            await ua.send(PROBING_CLIENT)
        conn = await open_client(director, res)
        director.client_handshakes[res.name] = conn.handshake
        # Bareos' SendInfoSuccess and SendInfoChosenCipher, on the console
        await ua.send(f" Handshake: {conn.handshake}, Encryption: {conn.encryption}")
        return conn
    except (StorageError, ClientError) as exc:
        raise CommandFailed(str(exc)) from exc


STATUS_CHOICES = ["Director", "Storage", "Client", "Scheduler", "All"]


async def status_daemon(ua: UserAgent, res: Resource) -> bool:
    """A Storage or Client daemon's own status, passed on as it answers."""
    if res.rtype == "Client" and not ua.director.is_enabled(res):
        await ua.send(f'Client "{res.name}" is disabled; skipping status call')
        return True
    conn = await _open(ua, res)
    # a storage's status names its devices (Bareos: the SD shows only those)
    command = f"status {bash_spaces(','.join(res.device))}" if res.rtype == "Storage" else "status"
    await relay_answer(ua, conn, command, f"{res.rtype} {res.name}", "status")
    return True


async def _storage_of(ua: UserAgent, args: Args) -> Resource | None:
    """``storage=``, the storage of a running ``jobid=``/``job=``/``ujobid=``, or one picked
    (Bareos' ``get_storage_resource``)."""
    for key, value in args[1:]:
        if key in ("storage", "sd") and value:
            return ua.res("Storage", value)
        if key == "jobid":
            if not value or not value.isdigit() or int(value) <= 0:
                raise CommandFailed(f"Expecting jobid=nn command, got: {key}")
            jcr = next((j for j in _unfinished(ua) if j.jobid == int(value)), None)
            if jcr is None:
                raise CommandFailed(f"JobId {value} is not running.")
            return ua.res("Storage", jcr.storage.name) if jcr.storage else None  # its Storage ACL
        if key in ("job", "ujobid"):
            if not value:
                raise CommandFailed(f"Expecting {key}=xxx, got: {key}.")
            jcr = next((j for j in _unfinished(ua) if value in (j.name, j.job)), None)
            if jcr is None:
                raise CommandFailed(f'Job "{value}" is not running.')
            return ua.res("Storage", jcr.storage.name) if jcr.storage else None
    return await select_resource(ua, "Storage")


async def status_all(ua: UserAgent, args: Args) -> bool:
    """The Director, then each Storage and Client daemon once (by address and port)."""
    await status_dir(ua, args)
    results: dict[str, Any] = {"director": ua.json_result}
    for rtype in ("Storage", "Client"):
        seen: set[tuple[str, int]] = set()
        for res in ua.acl.allowed(ua.director.cfg.resources(rtype)):
            where = (str(res.address), int(res.port))
            if where in seen:
                continue
            seen.add(where)
            try:
                await status_daemon(ua, res)
                results[f"{rtype.lower()}:{res.name}"] = ua.json_result.get("status", [])
            except CommandFailed as exc:
                await ua.send(str(exc))
    ua.json_result = results
    return True


async def status_configuration(ua: UserAgent, args: Args) -> bool:
    if not ua.acl.ok(acl.COMMAND, "configure"):
        raise CommandFailed(
            'status configuration: is an invalid command or needs access right to the "configure" command.'
        )
    warnings = ua.director.cfg.warnings
    if warnings:
        await ua.send("Deprecated configuration settings detected:")
        await ua.lines([f" * {w}" for w in warnings])
    else:
        await ua.send("No deprecated configuration settings detected.")
    ua.json_result = {"deprecated_configuration": warnings}
    return True


async def cmd_status(ua: UserAgent, args: Args) -> bool:
    """Bareos' ``StatusCmd``: the first keyword decides; none asks which daemon."""
    if len(args) == 1:
        picked = await choose(ua, "Status available for:\n", STATUS_CHOICES, "", "Select daemon type for status")
        if picked is None:
            return True
        args = [*args, (STATUS_CHOICES[picked].lower(), None)]
    for key, value in args[1:]:
        if key == "all":
            return await status_all(ua, args)
        if key.startswith("dir"):
            return await status_dir(ua, args)
        if key in ("client", "fd"):
            res = ua.res("Client", value) if value else await select_resource(ua, "Client")
            return res is None or await status_daemon(ua, res)
        if key.startswith("sched"):
            return await status_scheduler(ua, args)
        if key.startswith("sub"):
            return await status_subscriptions(ua, args)
        if key.startswith("conf"):
            return await status_configuration(ua, args)
        res = await _storage_of(ua, args)
        return res is None or await status_daemon(ua, res)
    raise UsageError("")


OK_DOT_STATUS = "1000 OK .status"


async def dot_status(ua: UserAgent, args: Args) -> bool:
    """``.status dir current|last|header|scheduled|running|terminated``, ``.status client=``,
    ``.status storage=`` (Bareos' ``DotStatusCmd``), as the WebUI and scripts ask it."""
    if len(args) < 2:
        await ua.error("1900 Bad .status command, missing arguments.")
        return False
    what, part = keyword(args), keyword(args, 2)
    if what in ("client", "storage"):
        return await cmd_status(ua, args[:2])
    if what != "dir":
        await ua.error("1900 Bad .status command, wrong argument.")
        return False
    if part == "current":
        await ua.send(OK_DOT_STATUS)
        for j in _unfinished(ua):
            await ua.send(f"JobId={j.jobid} JobStatus={j.status.value} JobErrors={j.job_errors}")
        ua.json_result = {"current": _running_json(ua)}
    elif part == "last":
        await ua.send(OK_DOT_STATUS)
        rows = await _terminated(ua)  # newest first
        last = await ua.director.db(ua.director.catalog.get_job, rows[0][0]) if rows else None
        if last is not None:
            await ua.send(f"JobId={last.job_id} JobStatus={last.job_status} JobErrors={last.job_errors}")
    elif part == "header":
        ua.json_result = {"header": await status_header(ua)}
    elif part == "scheduled":
        await ua.lines(scheduled_jobs_lines(ua, int_arg(args, "days") or 1))
    elif part == "running":
        ua.json_result = {"running": await _running(ua)}
    elif part == "terminated":
        ua.json_result = {"terminated": await _terminated_section(ua)}
    else:
        await ua.error("1900 Bad .status command, wrong argument.")
        return False
    return True
