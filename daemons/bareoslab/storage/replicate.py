"""SD-to-SD replication for remote copy/migrate (protocol.md §7.4).

Reading SD: ``replicate JobId=... Job=... address=... port=... ssl=0
Authorization=...`` from the Director opens ``Hello Start Storage Job`` to the
writing SD (CRAM with the new job's key); on ``run`` it sends ``start
replicate``, ``replicate data <ticket>``, the records in the append data format
(original FileIndex and Stream), ``end replicate`` and hangs up.

Writing SD: ``listen`` from the Director waits for that connection, which is
served like an FD's append session (:class:`ReplicateSession`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

from ..codes import JobStatus, MsgType
from ..net.auth import hello_start_storage_job
from ..net.errors import ProtocolError
from ..net.framing import Connection, Signal
from ..net.handshake import authenticate_outbound, connected_info, job_outbound, start_outbound
from ..net.server import connect
from ..volume.record import Record
from .append import append_data
from .fd_cmd import FdSession
from .job import SdJob, parse_kv
from .read import send_records

if TYPE_CHECKING:
    from .daemon import StorageDaemon

log = logging.getLogger(__name__)

OK_REPLICATE = "3000 OK replicate\n"
OK_START_REPLICATE = "3000 OK start replicate ticket = {ticket}\n"
OK_REPLICATE_DATA = "3000 OK replicate data\n"
ERROR_REPLICATE_DATA = "3903 Error replicate data\n"
OK_END_REPLICATE = "3000 OK end replicate\n"
ERROR_ALREADY_OPEN = "3901 Error replicate session already open\n"
ERROR_NOT_OPEN = "3902 Error replicate session not opened\n"
REPLY_TIMEOUT = 600.0
CONNECT_TIMEOUT = 30.0

_START_OK = re.compile(r"^3000 OK start replicate ticket = (\d+)")
_REPLICATE_DATA = re.compile(r"^replicate data (\d+)")


class ReplicateError(Exception):
    """The writing SD refused a step of the replication."""


# -- reading SD ---------------------------------------------------------------------------


async def replicate_cmd(sd: StorageDaemon, job: SdJob | None, dir_conn: Connection, line: str,
                        director: str) -> None:
    """Connect and authenticate to the writing SD (as limited as the job's bandwidth); answer the Director."""
    kv = parse_kv(line)
    if job is None or not all(k in kv for k in ("Job", "address", "port", "Authorization")):
        await dir_conn.send(f"3991 Bad replicate command: {line.strip()}\n")
        return
    try:
        conn = await connect(kv["address"], int(kv["port"]), daemon=sd.name, peer=f"{kv['address']}:{kv['port']}",
                             tracer=sd.tracer, timeout=CONNECT_TIMEOUT, job=job.job)
        conn.jobid = job.jobid
        conn.limit_bandwidth(sd.replication_bandwidth(job, director), sd.bandwidth_bursting)
        how = job_outbound(sd.tls, kv["Job"], kv["Authorization"], int(kv.get("ssl", 0)), kv["address"])
        await start_outbound(conn, how)
        await conn.send(hello_start_storage_job(kv["Job"]))
        await authenticate_outbound(conn, f"R_STORAGE::{sd.name}", how)
    except (OSError, ProtocolError, ValueError) as exc:
        await job.jmsg(MsgType.FATAL, f"Cannot connect to the writing Storage daemon at "
                                      f"{kv['address']}:{kv['port']}: {exc}")
        await dir_conn.send(f"3991 Bad replicate command: {exc}\n")
        return
    await job.jmsg(MsgType.INFO, connected_info("Storage daemon", kv["address"], kv["port"], conn))
    job.replicate_conn = conn
    await dir_conn.send(OK_REPLICATE)


class ReplicateEmitter:
    """Records in the append data format: a header per (FileIndex, Stream) run, EOD after each."""

    def __init__(self) -> None:
        self.current: tuple[int, int] | None = None

    def __call__(self, conn: Connection, record: Record) -> int:
        key = (record.file_index, record.stream)
        if key != self.current:
            if self.current is not None:
                conn.write_signal(Signal.EOD)
            conn.write(f"{record.file_index} {record.stream} 0")
            self.current = key
        conn.write(record.data)
        return len(record.data)

    def finish(self, conn: Connection) -> None:
        if self.current is not None:
            conn.write_signal(Signal.EOD)
        conn.write_signal(Signal.EOD)


async def _ask(conn: Connection, line: str, expect: str) -> str:
    await conn.send(line)
    while True:
        msg = await conn.recv(timeout=REPLY_TIMEOUT)
        if isinstance(msg, Signal):
            if msg in (Signal.HEARTBEAT, Signal.HB_RESPONSE, Signal.EOD):
                continue
            raise ReplicateError(f"writing Storage daemon sent {msg.name} in answer to {line.strip()!r}")
        text = msg.decode("utf-8", "replace")
        if not text.startswith(expect):
            raise ReplicateError(f"writing Storage daemon answered {text.strip()!r} to {line.strip()!r}")
        return text


async def replicate_records(sd: StorageDaemon, job: SdJob) -> None:
    """``run`` of the reading SD: send the bootstrap's records to the writing SD."""
    conn: Connection = job.replicate_conn
    assert job.read_reservation is not None
    state = sd.devices[job.read_reservation.device]
    await job.send_status(JobStatus.RUNNING)
    try:
        answer = await _ask(conn, "start replicate\n", "3000 OK start replicate")
        match = _START_OK.match(answer)
        ticket = int(match.group(1)) if match else 0
        await _ask(conn, f"replicate data {ticket}\n", "3000 OK data")
        emitter = ReplicateEmitter()
        await send_records(job, state, conn, emit=emitter)
        emitter.finish(conn)
        await conn.drain()
        await _wait_reply(conn, OK_REPLICATE_DATA)
        await _ask(conn, "end replicate\n", OK_END_REPLICATE.strip())
    except ReplicateError as exc:
        await job.jmsg(MsgType.FATAL, str(exc))
    finally:
        job.replicate_conn = None
        await conn.close()


async def _wait_reply(conn: Connection, expect: str) -> None:
    while True:
        msg = await conn.recv(timeout=REPLY_TIMEOUT)
        if isinstance(msg, Signal):
            if msg in (Signal.HEARTBEAT, Signal.HB_RESPONSE, Signal.EOD):
                continue
            raise ReplicateError(f"writing Storage daemon sent {msg.name} instead of {expect.strip()!r}")
        text = msg.decode("utf-8", "replace")
        if text != expect:
            raise ReplicateError(f"writing Storage daemon answered {text.strip()!r} to the data")
        return


# -- writing SD ---------------------------------------------------------------------------


async def listen(sd: StorageDaemon, job: SdJob) -> None:
    """``listen``: wait for the reading SD, then for the end of its session."""
    await job.send_status(JobStatus.WAIT_SD)
    job.run_started.set()
    # the Director sends nothing while we wait; if it hangs up (its replicate failed), stop waiting
    connected = asyncio.ensure_future(job.fd_connected.wait())
    hangup = asyncio.ensure_future(job.director_hangup())
    try:
        done, _ = await asyncio.wait({connected, hangup}, timeout=sd.client_connect_wait,
                                     return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (connected, hangup):
            if not task.done():
                task.cancel()
        await asyncio.gather(connected, hangup, return_exceptions=True)
    if connected not in done:
        if hangup in done:
            job.canceled = True
            job.status = JobStatus.ERROR_TERMINATED
            log.info("job %s: the Director left before the reading Storage daemon connected", job.job)
            if hangup.exception() is not None:
                raise hangup.exception()  # type: ignore[misc]  # ends the Director session
        else:
            await job.jmsg(MsgType.FATAL, f"No connection from the reading Storage daemon for job {job.job} "
                                          f"within {sd.client_connect_wait} s.")
        job.status = JobStatus.ERROR_TERMINATED
        return
    await job.finished.wait()


class ReplicateSession(FdSession):
    """A ``Hello Start Storage Job`` connection: the append session protocol with replicate verbs."""

    async def command(self, line: str) -> bool:
        job, conn = self.job, self.conn
        if line.startswith("start replicate"):
            if self.open:
                await conn.send(ERROR_ALREADY_OPEN)
            else:
                self.open = True
                await conn.send(OK_START_REPLICATE.format(ticket=job.session_id))
            return True
        if match := _REPLICATE_DATA.match(line):
            if not self.open or int(match.group(1)) != job.session_id or job.write_reservation is None:
                await conn.send(ERROR_NOT_OPEN)
                return True
            state = self.sd.devices.get(job.write_reservation.device)  # None: just in time
            await append_data(self.sd, job, state, conn, "3000 OK data\n", OK_REPLICATE_DATA,
                              ERROR_REPLICATE_DATA)
            return True
        if line.startswith("end replicate"):
            self.open = False
            await conn.send(OK_END_REPLICATE)
            return True
        return await super().command(line)
