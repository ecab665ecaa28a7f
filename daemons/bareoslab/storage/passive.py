"""``passive client``: the Storage Daemon connects to a passive File Daemon.

The Director sends ``passive client address=<fd> port=<port> ssl=0`` after the
device reservation. The SD connects to the FD, says
``Hello Storage calling Start Job <job>``, answers the FD's CRAM-MD5 challenge
with the job's Authorization key, challenges back, and then serves the FD's
data-session commands on that connection exactly as if the FD had called
(``FdSession``). The Director gets ``2000 OK passive client`` once the FD is
authenticated, or ``3991 Bad passive client command: ...``.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from ..codes import MsgType
from ..net.auth import hello_storage_calling
from ..net.errors import ProtocolError
from ..net.framing import Connection, unbash_spaces
from ..net.handshake import authenticate_outbound, connected_info, job_outbound, start_outbound
from ..net.server import connect
from .fd_cmd import FdSession
from .job import SdJob

if TYPE_CHECKING:
    from .daemon import StorageDaemon
    from .dir_cmd import DirectorSession

log = logging.getLogger(__name__)

OK_PASSIVE = "2000 OK passive client\n"
BAD_PASSIVE = "3991 Bad passive client command: {}\n"
#: the name the SD challenges a passive FD with (Bareos uses this fixed string)
CHALLENGE_NAME = "File daemon"

_PASSIVE = re.compile(r"^passive client address=(\S+) port=(\d+) ssl=(\d+)")


def parse_passive(line: str) -> tuple[str, int, int] | None:
    """``(address, port, ssl)`` of a ``passive client`` command, or None."""
    match = _PASSIVE.match(line.strip())
    if not match:
        return None
    return unbash_spaces(match.group(1)), int(match.group(2)), int(match.group(3))


async def connect_file_daemon(
    sd: StorageDaemon, job: SdJob, address: str, port: int, ssl: int
) -> Connection:
    """Connect to the FD (TLS first if the Director said ``ssl=4``) and authenticate
    with the job's key (the FD challenges first)."""
    conn = await connect(address, port, daemon=sd.name, peer=job.client_name or "client", tracer=sd.tracer,
                         timeout=float(sd.storage.fd_connect_timeout), job=job.job)
    conn.jobid = job.jobid
    how = job_outbound(sd.tls, job.job, job.auth_key, ssl, address)
    try:
        await start_outbound(conn, how)
        await conn.send(hello_storage_calling(job.job))
        await authenticate_outbound(conn, CHALLENGE_NAME, how)
    except BaseException:
        await conn.close()
        raise
    return conn


async def passive_cmd(session: DirectorSession, line: str) -> bool:
    sd, job = session.sd, session.job
    parsed = parse_passive(line)
    if job is None or parsed is None:
        why = "no job" if job is None else "syntax"
        await session.conn.send(BAD_PASSIVE.format(f"{why}: {line.strip()}"))
        return True
    address, port, ssl = parsed
    try:
        conn = await connect_file_daemon(sd, job, address, port, ssl)
    except (OSError, ProtocolError, TimeoutError) as exc:
        text = f"Failed to connect to File daemon at {address}:{port}: {exc}"
        log.warning("job %s: %s", job.job, text)
        await job.jmsg(MsgType.FATAL, text)
        await session.conn.send(BAD_PASSIVE.format(text))
        return True
    log.info("job %s: connected File Daemon at %s:%d (passive client)", job.job, address, port)
    await job.jmsg(MsgType.INFO, connected_info("File Daemon", address, port, conn))
    job.fd_connected.set()
    sd.tasks.spawn(_serve_file_daemon(sd, conn, job), f"passive-fd-{job.job}")
    await session.conn.send(OK_PASSIVE)
    return True


async def _serve_file_daemon(sd: StorageDaemon, conn: Connection, job: SdJob) -> None:
    """The FD's commands on the connection we opened: the same session as an active FD's."""
    try:
        await FdSession(sd, conn, job).serve()
    finally:
        await conn.close()
