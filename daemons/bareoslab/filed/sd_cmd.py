"""The File Daemon's side of its data session with the Storage Daemon.

Backup: ``append open session``, ``append data``, the records, ``append end``,
``append close``. Restore: ``read open session``, ``read data``, the records
(``rechdr`` + data), ``read close``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import cast

from ..codes import JobStatus, MsgType
from ..net.errors import ProtocolError
from ..net.framing import KEEPALIVE, Connection, Signal, decode_text
from .backup import send_data
from .job import FdJob
from .restore_writer import RestoreWriter

log = logging.getLogger(__name__)

_TICKET = re.compile(r"^3000 OK open ticket = (\d+)")
_CLOSE = re.compile(r"^3000 OK close Status = (\d+)")


class SessionError(Exception):
    """The Storage Daemon refused a step of the data session."""


async def _expect(conn: Connection, prefix: str) -> str:
    reply = await conn.recv_text(timeout=3600)
    if not reply.startswith(prefix):
        raise SessionError(
            f"Storage daemon answered {reply.strip()!r} (expected {prefix.strip()!r})"
        )
    return reply


async def _open_session(conn: Connection, kind: str, job: FdJob) -> int:
    if kind == "append":
        await conn.send("append open session\n")
    else:
        await conn.send(
            f"read open session = DummyVolume {job.vol_session_id} {job.vol_session_time} 0 0 0 0\n"
        )
    match = _TICKET.match(await _expect(conn, "3000 OK open ticket"))
    assert match
    return int(match.group(1))


async def _close_session(conn: Connection, kind: str, ticket: int) -> int:
    await conn.send(f"{kind} close session {ticket}\n")
    match = _CLOSE.match(await _expect(conn, "3000 OK close Status"))
    assert match
    while (msg := await conn.recv()) is not Signal.EOD:  # the SD ends the reply with EOD
        if msg is Signal.TERMINATE:
            break
    return int(match.group(1))


async def backup(job: FdJob) -> None:
    """Send every file of the FileSet to the Storage Daemon."""
    conn = job.sd_conn
    assert conn is not None and job.fileset is not None
    ticket = await _open_session(conn, "append", job)
    await conn.send(f"append data {ticket}\n")
    await _expect(conn, "3000 OK data")

    totals = await send_data(conn, job.fileset, job.since, job.accurate_list,
                             on_note=lambda note: job.message(note.mtype, note.text),
                             canceled=lambda: job.canceled, totals=job.progress, workers=job.workers)
    job.job_files = totals.files
    job.read_bytes = totals.read_bytes
    job.job_bytes = totals.job_bytes
    conn.write_signal(Signal.EOD)
    await conn.drain()
    reply = await conn.recv_text(timeout=3600)
    if not reply.startswith("3000 OK append data"):
        job.message(MsgType.FATAL, f"Storage daemon failed the append: {reply.strip()}")
    await conn.send(f"append end session {ticket}\n")
    await _expect(conn, "3000 OK end")
    status = await _close_session(conn, "append", ticket)
    if chr(status) not in ("T", "W"):
        job.set_status(JobStatus.from_code(status))


def _record_header(msg: bytes) -> tuple[int, int, int]:
    """FileIndex, stream and length of ``rechdr <VolSessionId> <VolSessionTime> <FileIndex>
    <Stream> <length>``."""
    header = decode_text(msg).split()
    if len(header) == 6 and header[0] == "rechdr":
        try:
            return int(header[3]), int(header[4]), int(header[5])
        except ValueError:
            pass
    raise SessionError(f"bad record header from the Storage daemon: {msg[:60]!r}")


async def _record_data(conn: Connection) -> bytes:
    """The data message after a ``rechdr``: taken from the buffer when it is there already (most
    are), without a coroutine of ``recv_msg`` for each."""
    msg = conn.poll()
    if msg.__class__ is bytes:
        return cast(bytes, msg)
    if msg is None or msg in KEEPALIVE:
        return await conn.recv_msg(timeout=3600)  # skips keepalives, refuses other signals
    raise SessionError(f"Storage daemon sent {cast(Signal, msg).name} where record data was expected")


async def restore(job: FdJob, where: str, replace: str) -> None:
    """Receive the selected records from the Storage Daemon and write the files.

    The writer runs in this thread, in turn with receiving. A writer thread and a writer process
    were both measured slower for many small files: most of the writer's time is the kernel's
    (copying into the page cache); a thread took turns with the event loop at the GIL, and a
    process paid for a pipe and a second interpreter."""
    conn = job.sd_conn
    assert conn is not None
    ticket = await _open_session(conn, "read", job)
    await conn.send(f"read data {ticket}\n")
    await _expect(conn, "3000 OK data")
    writer = await asyncio.to_thread(RestoreWriter, where, replace, job.message)
    try:
        while True:
            msg = conn.poll()
            if msg is None:
                msg = await conn.recv(timeout=3600)
            if msg is Signal.EOD:
                break
            if isinstance(msg, Signal):
                if msg in KEEPALIVE:
                    continue
                raise SessionError(f"Storage daemon sent {msg.name} during the restore data")
            file_index, stream, length = _record_header(msg)
            data = await _record_data(conn) if length else b""
            if len(data) != length:
                raise SessionError(f"record of {len(data)} bytes where the header said {length}")
            writer.record(file_index, stream, data)
    finally:
        stats = writer.finish()
        job.job_files += stats.files
        job.job_bytes += stats.bytes
    await _close_session(conn, "read", ticket)


def problem(exc: BaseException) -> str:
    if isinstance(exc, ProtocolError):
        return f"Storage daemon connection failed: {exc}"
    return str(exc)
