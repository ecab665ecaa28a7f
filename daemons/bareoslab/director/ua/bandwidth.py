"""``setbandwidth``: limit a running job's data stream, or a daemon's later jobs (Bareos' SetbwlimitCmd).

``limit=`` is in kb/s (1024 bytes). With ``jobid=``/``job=``/``ujobid=``/``all`` the
command goes to the daemon that sends the job's data: the client of a backup or
restore, the reading storage of a copy or migration, naming the job; with
``client=`` or ``storage=`` it goes to that daemon without a job, which makes it
the daemon's Maximum Bandwidth Per Job until it restarts.

Bareos sends the storage variants over its File Daemon path, which skips the
command on a Storage Daemon connection; here the Storage Daemon gets it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...codes import JobType
from ...config import Resource
from ...net.bandwidth import OK_BANDWIDTH, setbandwidth_line
from ...net.errors import ProtocolError
from ...net.framing import Connection
from ..fd_cmd import ClientError, open_client
from ..sd_cmd import StorageError, open_storage
from .args import Args, CommandFailed, has, int_arg
from .jobs import select_running_jobs

if TYPE_CHECKING:
    from .commands import UserAgent

_JOB_KEYS = ("job", "jobid", "ujobid", "all", "state")


async def _limit(ua: UserAgent, args: Args) -> int:
    """``limit=`` or the answer to Bareos' prompt, in kb/s."""
    limit = int_arg(args, "limit")
    if limit is None:
        answer = await ua.ask("Enter new bandwidth limit kb/s: ")
        if not answer.isdigit():
            raise CommandFailed("Please enter a positive integer.")
        limit = int(answer)
    if limit < 0:
        raise CommandFailed(f"Invalid limit specified: {limit}")
    return limit


async def cmd_setbandwidth(ua: UserAgent, args: Args) -> bool:
    limit = await _limit(ua, args)
    job = ""
    if any(has(args, key) for key in _JOB_KEYS):
        chosen = await select_running_jobs(ua, args)
        if not chosen:
            return True
        for jcr in chosen:
            jcr.max_bandwidth = limit * 1024
        jcr = chosen[-1]  # as Bareos: the last job selected is the one told
        job = jcr.job
        reads = jcr.job_type in (JobType.COPY, JobType.MIGRATE)
        target = jcr.read_storage if reads else jcr.client
        if target is None:
            raise CommandFailed(f"JobId {jcr.jobid} has no daemon sending data yet.")
    elif has(args, "storage"):
        target = ua.pick(args, "Storage", "storage")
    else:
        target = ua.pick(args, "Client", "client")
    await _tell(ua, target, limit, job)
    return True


async def _tell(ua: UserAgent, daemon: Resource, limit: int, job: str) -> None:
    kind = "Storage daemon" if daemon.rtype == "Storage" else "Client"
    await ua.send(f"Connecting to {kind} {daemon.name} at {daemon.address}:{daemon.port}")
    try:
        conn: Connection = await (open_storage(ua.director, daemon) if daemon.rtype == "Storage"
                                  else open_client(ua.director, daemon))
    except (StorageError, ClientError) as exc:
        raise CommandFailed(f"Failed to connect to {kind}.\n{exc}") from exc
    try:
        await conn.send(setbandwidth_line(limit * 1024, job))
        answer = await conn.recv_text(timeout=60)
    except ProtocolError as exc:
        raise CommandFailed(f"Failed to set bandwidth limit on {kind}.\n{exc}") from exc
    finally:
        await conn.close()
    if answer != OK_BANDWIDTH:
        raise CommandFailed(f"Failed to set bandwidth limit on {kind}.\n{answer.strip()}")
    ua.json_result = {"setbandwidth": {"limit": limit, "job": job, "daemon": daemon.name}}
    await ua.send(f"OK Limiting bandwidth to {limit}kb/s {job}")
