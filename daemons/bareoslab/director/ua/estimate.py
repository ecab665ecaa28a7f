"""``estimate``: what a backup would send, counted by the client (Bareos' EstimateCmd).

The Director sets up the job as for a backup (level and since-time, FileSet, accurate list)
on a connection of its own to the client, with JobId 0, and sends ``estimate
listing=<0|1>``; what the File Daemon answers (``ls`` lines with ``listing``, then
``2000 OK estimate files=N bytes=M``) is shown as it comes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...codes import JobType
from ...net.errors import ProtocolError
from ...net.framing import Signal, decode_text
from ..accurate import send_accurate_files
from ..fd_cmd import ClientError, ClientSession, open_client
from ..jcr import create_unique_job_name
from ..job import RunError, new_jcr, resolve_level
from ..jobs.backup import fileset_and_since
from .args import Args, CommandFailed, arg, has, yesno

if TYPE_CHECKING:
    from .commands import UserAgent

ANSWER_TIMEOUT = 3600.0


async def cmd_estimate(ua: UserAgent, args: Args) -> bool:
    director, cat = ua.director, ua.director.catalog
    job_res = ua.pick(args, "Job", "job")
    if str(job_res.type).lower() != "backup":
        raise CommandFailed(f"Wrong job specified of type {job_res.type}.")
    overrides = {key: arg(args, key) for key in ("client", "fileset", "level") if arg(args, key)}
    for key, rtype in (("client", "Client"), ("fileset", "FileSet")):
        if key in overrides:
            ua.res(rtype, overrides[key])
    if "level" in overrides:
        try:
            resolve_level(str(overrides["level"]))
        except RunError:
            raise CommandFailed(f'Level "{overrides["level"]}" not valid.') from None
    accurate = None
    if arg(args, "accurate") is not None:
        accurate = yesno(arg(args, "accurate") or "")
        if accurate is None:
            raise CommandFailed("Invalid value for accurate.  It must be YES or NO.")
    try:
        jcr = new_jcr(director, job_res, **overrides)
    except RunError as exc:
        raise CommandFailed(str(exc)) from exc
    if jcr.job_type is not JobType.BACKUP or jcr.client is None or jcr.fileset is None:
        raise CommandFailed("No client specified or selected." if jcr.client is None
                            else "No fileset specified or selected.")
    jcr.job, jcr.sd_auth = create_unique_job_name(jcr.name), "dummy"
    jcr.accurate = bool(job_res.accurate) if accurate is None else accurate
    jcr.client_id = await director.db(cat.get_or_create_client, jcr.client.name)
    definition = await fileset_and_since(director, jcr, _quiet)
    client = jcr.client
    await ua.send(f"Connecting to Client {client.name} at {client.address}:{client.port}")
    try:
        conn = await open_client(director, client)
    except ClientError as exc:
        raise CommandFailed(f"Failed to connect to Client.\n{exc}") from exc
    fd = ClientSession(director, jcr, client, conn)
    try:
        await fd.start_job()
        await fd.send_level()
        await fd.send_fileset(definition.lines)
        await send_accurate_files(director, jcr, conn)
        await conn.send(f"estimate listing={1 if has(args, 'listing') else 0}\n")
        shown = []
        while (msg := await conn.recv(timeout=ANSWER_TIMEOUT)) is not Signal.EOD:
            if isinstance(msg, Signal):
                continue
            shown.append(decode_text(msg).rstrip("\n"))
            await ua.send(shown[-1])
    except (ClientError, ProtocolError) as exc:
        raise CommandFailed(f"Estimate failed: {exc}") from exc
    finally:
        await fd.close()
    ua.json_result = {"estimate": shown}
    return True


async def _quiet(text: str) -> None:
    """An estimate makes no job messages."""
