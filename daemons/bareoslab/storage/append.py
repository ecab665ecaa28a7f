"""Receiving a job's data records and writing them to a volume (``append data``).

The sender transmits, per stream, a header ``"<FileIndex> <Stream> 0"``, one or
more data messages (each becomes one record) and an EOD; one more EOD in place
of a header ends the data. Attribute and digest records are forwarded to the
Director (``UpdCat``) for the catalog.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from ..codes import CATALOG_STREAMS, STREAM_MASK, JobStatus, MsgType, VolumeLabel, merge_status
from ..net.errors import ProtocolError
from ..net.framing import Connection, Signal
from ..volume.errors import VolumeError
from ..volume.label import SessionLabel
from .acquire import AppendSession
from .job import Reservation, SdJob
from .reserve import DeviceState

if TYPE_CHECKING:
    from .daemon import StorageDaemon

log = logging.getLogger(__name__)

DRAIN_EVERY = 64  # UpdCat messages queued before waiting for the Director's socket


class AppendError(Exception):
    """The data stream broke a rule; the job fails."""


def session_label(job: SdJob, kind: VolumeLabel, pool: str, pool_type: str) -> SessionLabel:
    return SessionLabel(
        job_id=job.jobid, job_name=job.job_name, job=job.job, client_name=job.client_name,
        file_set_name=job.fileset, job_type=ord(job.job_type), job_level=ord(job.level),
        pool_name=pool, pool_type=pool_type or "Backup", file_set_md5=job.fileset_md5,
        label_type=kind, job_files=job.job_files, job_bytes=job.job_bytes,
        job_errors=job.errors, job_status=ord(job.status.value) if kind is VolumeLabel.EOS_LABEL else 0,
    )


async def append_data(sd: StorageDaemon, job: SdJob, state: DeviceState | None, data_conn: Connection,
                      ok_reply: str, done_reply: str, fail_reply: str) -> bool:
    """Acquire a volume, answer ``ok_reply``, write the stream; answer done/fail. True on success.

    With a device reserved at ``use`` the volume is acquired before ``ok_reply``; with just in
    time reservation (``state`` None) the device and the volume are had when the first record
    arrives, and a job that sends none writes nothing, not even its session labels (Bareos).
    """
    res = job.write_reservation
    assert res is not None
    session = AppendSession(sd.name, sd.reservations, job, state)
    ok = False
    try:
        if state is not None:
            if not await _start(job, session, res):
                await data_conn.send(fail_reply)
                return False
            await job.send_status(JobStatus.RUNNING)
        await data_conn.send(ok_reply)
        error = await _receive_records(job, session, data_conn)
        if error:
            await job.jmsg(MsgType.FATAL, error)
        if session.opened:
            # the status the end of session label carries, as Bareos sets it just before
            job.status = merge_status(job.status, JobStatus.ERROR_TERMINATED if error else JobStatus.TERMINATED)
            await session.write_label(session_label(job, VolumeLabel.EOS_LABEL, res.pool_name, res.pool_type))
            await session.flush()
        ok = not error
    except VolumeError as exc:
        await job.jmsg(MsgType.FATAL, f"Write error on volume: {exc}")
        await _discard_rest(data_conn)
    finally:
        await asyncio.shield(session.close())
    await data_conn.send(done_reply if ok else fail_reply)
    return ok


async def _start(job: SdJob, session: AppendSession, res: Reservation) -> bool:
    """Acquire the device and a volume and write the session's start label; False on failure."""
    try:
        await session.open()
    except Exception as exc:  # no device or no volume: the job fails
        await job.jmsg(MsgType.FATAL, f"Cannot get a volume to append to: {exc}")
        return False
    await session.write_label(session_label(job, VolumeLabel.SOS_LABEL, res.pool_name, res.pool_type))
    return True


async def _receive_records(job: SdJob, session: AppendSession, conn: Connection) -> str:
    """Write records until the final EOD. Returns an error text, or "" on success."""
    last_index = 0
    queued = 0
    recv, poll = conn.recv, conn.poll
    write_record = session.writer.write_record if session.writer is not None else None
    finished = session.writer.finished if session.writer is not None else []
    while True:
        header = poll()
        if header is None:
            header = await recv()
        if header is Signal.EOD:
            return ""
        if isinstance(header, Signal):
            if header in (Signal.HEARTBEAT, Signal.HB_RESPONSE):
                continue
            return f"Data stream interrupted by {header.name} from the peer"
        try:
            index_text, stream_text = header.split(None, 2)[:2]
            file_index, stream = int(index_text), int(stream_text)
        except ValueError:
            await _discard_rest(conn)
            return f"Malformed data header from the peer: {header[:40]!r}"
        if file_index <= 0 or file_index not in (last_index, last_index + 1):
            await _discard_rest(conn)
            return f"FileIndex={file_index} out of sequence (previous {last_index})"
        last_index = file_index
        if write_record is None:  # just in time reservation: the first record gets the device
            res = job.write_reservation
            assert res is not None
            if not await _start(job, session, res):
                await _discard_rest(conn)
                return "Unable to setup device for this job."
            assert session.writer is not None
            write_record = session.writer.write_record
            finished = session.writer.finished
        to_catalog = (stream & STREAM_MASK) in CATALOG_STREAMS and not job.no_attr
        while True:
            msg = poll()
            if msg is None:
                msg = await recv()
            if isinstance(msg, Signal):
                if msg is Signal.EOD:
                    break
                if msg in (Signal.HEARTBEAT, Signal.HB_RESPONSE):
                    continue
                return f"Data stream interrupted by {msg.name} from the peer"
            try:
                write_record(file_index, stream, msg)
            except VolumeError as exc:  # the volume is full: the record goes on the next one
                await session.recover(exc)
            if finished:  # a new file of the volume began (Maximum File Size): JobMedia so far
                await session.record_finished_ranges()
            job.job_bytes += len(msg)
            if to_catalog:
                await job.update_catalog_attributes(file_index, stream, msg)
                queued += 1
                if queued >= DRAIN_EVERY:
                    queued = 0
                    await job.dir_conn.drain()
        job.job_files = file_index


async def _discard_rest(conn: Connection) -> None:
    """Read and drop what the peer still sends up to the end of the data (two EODs in a row)."""
    previous_eod = False
    try:
        while True:
            msg = await conn.recv(timeout=60)
            if msg is Signal.EOD:
                if previous_eod:
                    return
                previous_eod = True
            elif msg is Signal.TERMINATE:
                return
            else:
                previous_eod = False
    except ProtocolError:
        return


def elapsed_text(start: float) -> str:
    seconds = int(time.time() - start)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
