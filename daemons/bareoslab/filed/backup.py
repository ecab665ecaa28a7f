"""Producing a backup's data stream: the FileSet walk, reading and hashing, in a worker thread.

Reading and hashing release the GIL, so a worker thread does them while the
event loop sends what is ready: the digest of one chunk overlaps the network
send of the previous one. (A file of two chunks or more is hashed by a thread of
its own while the reader reads on: ``backup_stream.DigestThread``.) The worker
hands over whole batches (about 512 KiB or a few hundred messages) so that small
files do not pay one thread hop each, and hands them to the event loop itself
(:class:`Handoff`): one wake-up per batch. The worker also frames the messages
(:class:`~bareoslab.net.framing.Frames`), so the event loop writes a batch in one call
instead of taking its messages one by one.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import cast

from ..codes import FileType, MsgType, Stream
from ..net.framing import Connection, Frames, Signal
from .accurate import AccurateList
from .attribs import encode_attributes
from .backup_stream import DEFAULT_WORKERS, file_streams
from .fileset import FileSetSpec, WalkIssue, walk

# what the reader may be ahead of the sender: QUEUE_BATCHES batches of up to BATCH_BYTES (the
# File Daemon's memory during a backup; more did not make it faster)
BATCH_BYTES = 512 * 1024
BATCH_MESSAGES = 512
QUEUE_BATCHES = 2

EOD = Signal.EOD


@dataclass
class Note:
    """A job message produced by the worker, sent by the event loop."""

    mtype: MsgType
    text: str


@dataclass
class Totals:
    """What a backup has sent so far (``status client`` reads it while the job runs)."""

    files: int = 0
    read_bytes: int = 0
    job_bytes: int = 0
    examined: int = 0  # files the walk looked at (Bareos' "Files Examined")
    current: str = ""  # the file being sent ("Processing file")
    started: int = 0  # files whose sending has begun (Bareos counts JobFiles so)
    sent: int = 0  # bytes handed to the Storage daemon's connection so far
    notes: list[Note] = field(default_factory=list)


Item = bytes | Signal | Note


def _issue_type(issue: WalkIssue) -> MsgType:
    return MsgType.ERROR if issue.is_error else MsgType.INFO


def generate(spec: FileSetSpec, since: float | None, totals: Totals,
             stop: threading.Event, accurate: AccurateList | None = None,
             workers: int = DEFAULT_WORKERS) -> Iterator[Item]:
    """Every message of the data stream, in order: header, records, EOD per stream; in accurate
    mode the deleted entries last. ``workers``: the Client's Maximum Workers Per Job."""
    pending: list[Note] = []
    file_index = 0
    for entry in walk(spec, since=since, check=accurate,
                      on_error=lambda i: pending.append(Note(_issue_type(i), i.message))):
        yield from pending
        pending.clear()
        if stop.is_set():
            return
        totals.examined += 1
        totals.current = entry.path
        file_index += 1
        totals.started = file_index
        streams = file_streams(entry, file_index, workers=workers)
        for stream, chunks in streams:
            yield f"{file_index} {stream} 0".encode()
            for chunk in chunks:
                yield bytes(chunk)  # copies a reused buffer's view (compressed, sparse); plain data is bytes
            yield EOD
        outcome = streams.outcome
        for text in outcome.errors:
            yield Note(MsgType.ERROR, text)
        for text in outcome.warnings:
            yield Note(MsgType.WARNING, text)
        if not outcome.sent:
            file_index -= 1  # FileIndexes stay consecutive for the SD
            continue
        totals.files = file_index
        totals.read_bytes += outcome.read_bytes
        totals.job_bytes += outcome.sent_bytes
    yield from pending
    if accurate is None:
        return
    for name, lstat in accurate.deleted():  # Bareos' SendDeletedList
        if stop.is_set():
            return
        file_index += 1
        yield f"{file_index} {int(Stream.UNIX_ATTRIBUTES)} 0".encode()
        yield encode_attributes(file_index, FileType.DELETED, name,
                                lstat._replace(data_stream=int(Stream.FILE_DATA)))
        yield EOD
        totals.files = file_index


Batch = list[Frames | Note] | BaseException | None  # None: the stream is complete


class Handoff:
    """Batches from the reader thread to the event loop, at most ``depth`` of them waiting.

    The reader schedules each batch on the loop (``call_soon_threadsafe``) and waits for a
    free slot first; the loop frees one as it takes a batch. Through a ``queue.Queue`` and an
    executor thread each batch woke two threads and took two thread hops.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, depth: int, stop: threading.Event) -> None:
        self._loop = loop
        self._slots = threading.Semaphore(depth)
        self._ready: asyncio.Queue[Batch] = asyncio.Queue()  # bounded by the slots
        self._stop = stop

    def put(self, batch: Batch) -> bool:
        """In the reader thread: False once the consumer has stopped."""
        while not self._slots.acquire(timeout=0.5):
            if self._stop.is_set():
                return False
        if self._stop.is_set():
            return False
        self._loop.call_soon_threadsafe(self._ready.put_nowait, batch)
        return True

    async def get(self) -> Batch:
        batch = await self._ready.get()
        self._slots.release()
        return batch


def _worker(items: Iterator[Item], handoff: Handoff, trace: bool) -> None:
    """In the reader thread: frame the stream's messages and hand them over in batches (job
    messages in their place between the frames). ``trace``: keep what the protocol trace shows."""
    frames = Frames(trace)
    batch: list[Frames | Note] = [frames]
    put = handoff.put
    try:
        for item in items:
            if item.__class__ is bytes:
                frames.add(cast(bytes, item))
            elif item is EOD:
                frames.add_signal(EOD)
            else:
                batch.append(cast(Note, item))
                frames = Frames(trace)
                batch.append(frames)
            if frames.size >= BATCH_BYTES or frames.messages >= BATCH_MESSAGES or len(batch) >= BATCH_MESSAGES:
                if not put(batch):
                    return
                frames = Frames(trace)
                batch = [frames]
        if (frames.messages or len(batch) > 1) and not put(batch):
            return
        put(None)
    except BaseException as exc:  # handed to the event loop, which reports it
        put(exc)


async def send_data(conn: Connection, spec: FileSetSpec, since: float | None, accurate: AccurateList | None,
                    on_note: Callable[[Note], None], canceled: Callable[[], bool],
                    totals: Totals | None = None, workers: int = DEFAULT_WORKERS) -> Totals:
    """Send the FileSet's data stream (without the final EOD); returns what was sent, kept in
    ``totals`` as it goes. ``workers``: the Client's Maximum Workers Per Job (0: the reader
    thread hashes too)."""
    totals = totals if totals is not None else Totals()
    stop = threading.Event()
    loop = asyncio.get_running_loop()
    handoff = Handoff(loop, QUEUE_BATCHES, stop)
    items = generate(spec, since, totals, stop, accurate, workers)
    worker = threading.Thread(target=_worker, args=(items, handoff, conn.tracer is not None),
                              name="backup-reader", daemon=True)
    worker.start()
    try:
        while True:
            batch = await handoff.get()
            if batch is None:
                break
            if isinstance(batch, BaseException):
                raise batch
            for part in batch:
                if part.__class__ is Frames:
                    frames = cast(Frames, part)
                    totals.sent += frames.payload_bytes
                    conn.write_frames(frames)
                else:
                    on_note(cast(Note, part))
            await conn.drain()
            if canceled():
                break
    finally:
        stop.set()
        await loop.run_in_executor(None, worker.join)
    return totals
