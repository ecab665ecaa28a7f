"""Producing a backup's data stream: the FileSet walk, reading, hashing and sending, in a thread.

Reading, hashing and the socket's writes release the GIL, so one thread does them all and
writes the data connection itself (:meth:`~bareoslab.net.framing.Connection.lent_to_thread`),
while the event loop goes on serving the Director. Handing batches to the event loop to send
kept two of the File daemon's threads busy, and the kernel tends to put a thread it wakes on
the waker's core: the reader, the sender and the Storage daemon shared two cores badly.
Job messages go to the event loop as they come.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import cast

from ..codes import FileType, MsgType, Stream
from ..net.framing import Connection, Signal, ThreadWriter
from .accurate import AccurateList
from .attribs import encode_attributes
from .backup_stream import Chunk, file_streams
from .fileset import FileSetSpec, WalkIssue, walk

EOD = Signal.EOD
CANCEL_CHECK_BYTES = 64 * 1024  # a chunk at least this large: the reader asks whether to go on


@dataclass
class Note:
    """A job message produced by the reader thread, sent by the event loop."""

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


Item = Chunk | Signal | Note  # a memoryview is valid until the next item is taken


def _issue_type(issue: WalkIssue) -> MsgType:
    return MsgType.ERROR if issue.is_error else MsgType.INFO


def generate(spec: FileSetSpec, since: float | None, totals: Totals,
             stop: threading.Event, accurate: AccurateList | None = None) -> Iterator[Item]:
    """Every message of the data stream, in order: header, records, EOD per stream; in accurate
    mode the deleted entries last."""
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
        streams = file_streams(entry, file_index)
        for stream, chunks in streams:
            yield f"{file_index} {stream} 0".encode()
            yield from chunks
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


def _send_items(items: Iterator[Item], out: ThreadWriter, totals: Totals,
                on_note: Callable[[Note], None], canceled: Callable[[], bool]) -> None:
    """In the reader thread: each message written before the next is made (so a chunk may be a
    view of a buffer the reader reuses). A canceled job stops after a stream or a large chunk."""
    write = out.write
    for item in items:
        if item is EOD:
            out.write_signal(EOD)
            if canceled():
                break
        elif isinstance(item, Note):
            on_note(item)
        else:
            size = len(cast(Chunk, item))
            totals.sent += size  # handed over: never less than the Storage daemon has received
            write(cast(Chunk, item))
            if size >= CANCEL_CHECK_BYTES and canceled():
                break
    out.flush()


async def send_data(conn: Connection, spec: FileSetSpec, since: float | None, accurate: AccurateList | None,
                    on_note: Callable[[Note], None], canceled: Callable[[], bool],
                    totals: Totals | None = None) -> Totals:
    """Send the FileSet's data stream (without the final EOD); returns what was sent, kept in
    ``totals`` as it goes."""
    totals = totals if totals is not None else Totals()
    stop = threading.Event()
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[None] = loop.create_future()

    def settle(error: BaseException | None) -> None:  # in the event loop
        if not finished.done():
            if error is None:
                finished.set_result(None)
            else:
                finished.set_exception(error)

    def report(note: Note) -> None:
        loop.call_soon_threadsafe(on_note, note)

    def run(out: ThreadWriter) -> None:
        error: BaseException | None = None
        try:
            _send_items(generate(spec, since, totals, stop, accurate), out, totals, report,
                        lambda: canceled() or stop.is_set())
        except BaseException as exc:  # handed to the event loop, which raises it
            error = exc
        with contextlib.suppress(RuntimeError):  # the event loop closed meanwhile
            loop.call_soon_threadsafe(settle, error)

    async with conn.lent_to_thread(stop) as out:
        worker = threading.Thread(target=run, args=(out,), name="backup-reader", daemon=True)
        worker.start()
        try:
            await finished
        finally:
            stop.set()
            await loop.run_in_executor(None, worker.join)
    return totals
