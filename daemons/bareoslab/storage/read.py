"""Reading the records a bootstrap selects and sending them to a peer (``read data``).

Each record goes out as ``rechdr <VolSessionId> <VolSessionTime> <FileIndex>
<Stream> <len>`` followed by one message with the data; label records are not
sent; an EOD ends the data.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from ..codes import MsgType
from ..net.framing import Connection, Signal
from ..volume.bsr import BsrVolume, parse_bsr, volume_names
from ..volume.errors import BsrError, VolumeError
from ..volume.record import Record, RecordReader
from .acquire import DeviceState
from .job import SdJob, bashed

log = logging.getLogger(__name__)

DRAIN_BYTES = 256 * 1024  # sent before waiting for the transport: memory stays flat


class ReadError(Exception):
    pass


async def check_volumes(job: SdJob, entries: list[BsrVolume]) -> list[str]:
    """Ask the Director about every volume of the bootstrap (``GetVolInfo ... write=0``)."""
    names = volume_names(entries)
    for name in names:
        reply = await job.catreq(f"GetVolInfo VolName={bashed(name)} write=0\n")
        if not reply.startswith("1000 OK"):
            raise ReadError(f'Volume "{name}" is not usable for reading: {reply.strip()}')
    return names


async def send_records(
    job: SdJob,
    state: DeviceState,
    conn: Connection,
    emit: Callable[[Connection, Record], int] | None = None,
) -> int:
    """Stream the bootstrap's records to ``conn``; returns the number of bytes sent."""
    try:
        entries = parse_bsr("\n".join(job.bootstrap))
    except BsrError as exc:
        raise ReadError(f"Bad bootstrap from the Director: {exc}") from exc
    await check_volumes(job, entries)
    emit = emit or emit_rechdr
    sent = 0
    since_drain = 0
    files = 0
    last_index: dict[tuple[int, int], int] = {}  # per session: FileIndexes only grow within one
    reader = RecordReader(include_labels=False)  # one across volumes: a record may span two
    try:
        for name in volume_names(entries):
            await job.jmsg(MsgType.INFO, f'Ready to read from volume "{name}" on device {state.print_name}.')
            for record in state.device.read_records(name, entries, reader=reader):
                n = emit(conn, record)
                session = (record.vol_session_id, record.vol_session_time)
                if record.file_index > last_index.get(session, 0):
                    last_index[session] = record.file_index
                    files += 1
                sent += n
                since_drain += n
                if since_drain >= DRAIN_BYTES:
                    since_drain = 0
                    job.job_files, job.job_bytes = files, sent  # what `status storage` shows
                    await conn.drain()
    except VolumeError as exc:
        await job.jmsg(MsgType.ERROR, f"Read error: {exc}")
        raise ReadError(str(exc)) from exc
    finally:
        await asyncio.shield(conn.drain())
    job.job_files = files
    job.job_bytes = sent
    return sent


def emit_rechdr(conn: Connection, record: Record) -> int:
    data = record.data
    conn.write(
        f"rechdr {record.vol_session_id} {record.vol_session_time} {record.file_index} "
        f"{record.stream} {len(data)}"
    )
    conn.write(data)
    return len(data)


async def end_of_data(conn: Connection) -> None:
    await conn.signal(Signal.EOD)
