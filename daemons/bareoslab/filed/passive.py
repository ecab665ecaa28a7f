"""Passive client: the Storage Daemon calls the File Daemon for a job's data session.

The SD says ``Hello Storage calling Start Job <job>``; the FD, which accepted the
connection, challenges first with the job's Authorization key (from ``JobId=``
or ``setauthorization``). The connection then becomes the job's ``sd_conn``:
``append open session`` / ``read open session`` and the rest go over it as if
the FD had connected to the SD itself.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import TYPE_CHECKING

from ..net.errors import ProtocolError
from ..net.framing import Connection
from .job import FdJob

if TYPE_CHECKING:
    from .daemon import FileDaemon

log = logging.getLogger(__name__)

#: how long ``backup``/``restore`` wait for a passive SD connection that is not there yet
STORAGE_WAIT = 30.0


async def serve_storage_calling(fd: FileDaemon, conn: Connection, job_name: str) -> None:
    """Authenticate the calling SD and hand the connection to the job until it is closed."""
    job = fd.jobs.get(job_name)
    if job is None:
        log.warning("Storage daemon at %s called for unknown job %s; refused", conn.peer, job_name)
        return
    address = conn.peer
    conn.peer, conn.job, conn.jobid = "storage", job.job, job.jobid
    try:
        await fd.inbound.authenticate(conn, job.sd_auth, f"R_CLIENT::{fd.name}", fd.tls)
    except (ProtocolError, TimeoutError) as exc:
        log.warning("authentication of the Storage daemon at %s for job %s failed: %s", address, job.job, exc)
        return
    log.info("Storage daemon at %s connected for job %s (passive client)", address, job.job)
    if job.sd_conn is not None and job.sd_conn is not conn:
        await job.sd_conn.close()
    job.sd_conn = conn
    fd.limit_data(job)
    job.sd_ready.set()
    # the listener closes the connection when we return: wait until the job is done with it
    with suppress(OSError, ConnectionError):
        await conn.writer.wait_closed()


async def wait_for_storage(job: FdJob, timeout: float = STORAGE_WAIT) -> bool:
    """True once the job has a data connection (a passive SD may still be calling)."""
    if job.sd_conn is not None:
        return True
    job.sd_ready.clear()
    with suppress(TimeoutError):
        await asyncio.wait_for(job.sd_ready.wait(), timeout)
    return job.sd_conn is not None
