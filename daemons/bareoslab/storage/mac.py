"""Copy and migrate jobs on the Storage Daemon (job types ``c`` and ``g``).

``run`` with no FD: the records the bootstrap selects are read from the read
reservation's device and either written here to a volume acquired for the write
reservation (local copy, protocol.md §7.3) or replicated to the writing SD the
Director named with ``replicate`` (remote copy, §7.4; see :mod:`.replicate`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import TYPE_CHECKING

from ..codes import CATALOG_STREAMS, STREAM_MASK, JobStatus, MsgType, VolumeLabel
from ..net.errors import ProtocolError
from ..volume.bsr import parse_bsr
from ..volume.errors import VolumeError
from ..volume.label import SessionLabel, now_btime
from ..volume.record import Record
from .acquire import AppendSession
from .append import session_label
from .job import SdJob
from .read import ReadError, check_volumes

if TYPE_CHECKING:
    from .daemon import StorageDaemon

log = logging.getLogger(__name__)

MAC_JOB_TYPES = ("c", "g")
YIELD_BYTES = 8 * 1024 * 1024
DRAIN_EVERY = 64


class Renumber:
    """A fresh sequential FileIndex (1, 2, 3, ...) per source file, in read order."""

    def __init__(self) -> None:
        self.last_source: int | None = None
        self.current = 0

    def __call__(self, source_index: int) -> int:
        if source_index != self.last_source:
            self.last_source = source_index
            self.current += 1
        return self.current


def copied_label(source: SessionLabel, job: SdJob, pool: str, pool_type: str) -> SessionLabel:
    """The new SOS label: the original job's names, type and level; this job's JobId; now."""
    return dataclasses.replace(source, job_id=job.jobid, write_btime=now_btime(), pool_name=pool,
                               pool_type=pool_type or "Backup", label_type=VolumeLabel.SOS_LABEL)


def end_label(sos: SessionLabel, job: SdJob) -> SessionLabel:
    status = job.status if job.status not in (JobStatus.RUNNING, JobStatus.CREATED) else JobStatus.TERMINATED
    return dataclasses.replace(sos, label_type=VolumeLabel.EOS_LABEL, write_btime=now_btime(),
                               job_files=job.job_files, job_bytes=job.job_bytes, job_errors=job.errors,
                               job_status=ord(status.value))


async def run_mac(sd: StorageDaemon, job: SdJob) -> None:
    """The body of ``run`` for a copy/migrate job: no FD, no ``3010`` line."""
    from .replicate import replicate_records

    try:
        if job.read_reservation is None:
            await job.jmsg(MsgType.FATAL, "No read device reserved for the copy/migrate job.")
            return
        if job.replicate_conn is not None:
            await replicate_records(sd, job)
        elif job.write_reservation is None:
            await job.jmsg(MsgType.FATAL, "No write device reserved and no replicate peer for this job.")
        else:
            await copy_internally(sd, job)
    except (ReadError, ProtocolError, VolumeError, OSError) as exc:
        await job.jmsg(MsgType.FATAL, f"{'Replicate' if job.replicate_conn else 'Copy'} failed: {exc}")
    except Exception as exc:  # a bug must end this job, not the daemon
        log.exception("copy job %s failed", job.job)
        await job.jmsg(MsgType.FATAL, f"Internal error: {exc!r}")


async def copy_internally(sd: StorageDaemon, job: SdJob) -> None:
    """protocol.md §7.3 step 7: read the bootstrap's records, write them to a new session here."""
    read_res, write_res = job.read_reservation, job.write_reservation
    assert read_res is not None and write_res is not None
    reader = sd.devices[read_res.device]
    session = AppendSession(sd.name, sd.reservations, job, sd.devices.get(write_res.device))
    entries = parse_bsr("\n".join(job.bootstrap))
    await job.send_status(JobStatus.RUNNING)
    await check_volumes(job, entries)
    try:
        await session.open()
    except Exception as exc:
        await job.jmsg(MsgType.FATAL, f"Cannot get a volume to append to: {exc}")
        await session.close()
        return
    sos: SessionLabel | None = None
    try:
        renumber = Renumber()
        since_yield = 0
        queued = 0
        records = reader.device.read_bootstrap(entries, include_labels=True)
        for record in records:
            if record.is_label:
                if record.file_index == VolumeLabel.SOS_LABEL and sos is None:
                    sos = copied_label(SessionLabel.from_bytes(record.data, record.file_index), job,
                                       write_res.pool_name, write_res.pool_type)
                    await session.write_label(sos)
                continue
            if sos is None:  # no SOS in the selected range: label with what the Director told us
                sos = session_label(job, VolumeLabel.SOS_LABEL, write_res.pool_name, write_res.pool_type)
                await session.write_label(sos)
            queued += await _copy_record(job, session, renumber, record)
            since_yield += len(record.data)
            if queued >= DRAIN_EVERY:
                queued = 0
                await job.dir_conn.drain()
            if since_yield >= YIELD_BYTES:
                since_yield = 0
                await asyncio.sleep(0)
            if job.canceled:
                await job.jmsg(MsgType.FATAL, "Job canceled.")
                break
        if sos is None:
            sos = session_label(job, VolumeLabel.SOS_LABEL, write_res.pool_name, write_res.pool_type)
            await session.write_label(sos)
        await session.write_label(end_label(sos, job))
        await session.flush()
    except VolumeError as exc:
        await job.jmsg(MsgType.FATAL, f"Copy error: {exc}")
    finally:
        await asyncio.shield(session.close())
        await job.catreq(f"DeleteNullJobmediaRecords jobid={job.jobid}")


async def _copy_record(job: SdJob, session: AppendSession, renumber: Renumber, record: Record) -> int:
    """Write one record with its new FileIndex; 1 if an ``UpdCat`` went to the Director."""
    index = renumber(record.file_index)
    data = record.data
    await session.write_record(index, record.stream, data)
    job.job_bytes += len(data)
    job.job_files = index
    if (record.stream & STREAM_MASK) in CATALOG_STREAMS and not job.no_attr:
        await job.update_catalog_attributes(index, record.stream, data)
        return 1
    return 0
