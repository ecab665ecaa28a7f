"""The File daemon's side of a restore's data session (filed/sd_cmd.restore) over a real connection,
against a Storage daemon played by the test."""

from __future__ import annotations

import asyncio

import pytest
from bareoslab.codes import FileType, Stream
from bareoslab.filed import sd_cmd
from bareoslab.filed.fileset import FileSetSpec, IncludeBlock
from bareoslab.filed.job import FdJob
from bareoslab.net.errors import UnexpectedSignal
from bareoslab.net.framing import Connection, Signal

from .helpers import run_backup
from .test_restore_writer import age_tree, attr, snapshot

Wire = list[bytes | Signal]


def rechdr(records, keepalives: bool = False) -> Wire:
    """What a Storage daemon sends for ``records``: ``rechdr`` and data for each (a heartbeat
    between them with ``keepalives``), without the final EOD."""
    wire: Wire = []
    for file_index, stream, data in records:
        wire.append(f"rechdr 1 1700000000 {file_index} {stream} {len(data)}".encode())
        if keepalives:
            wire.append(Signal.HEARTBEAT)
        if data:
            wire.append(data)
    return wire


async def storage_daemon(conn: Connection, wire: Wire) -> None:
    """The read session as a Storage daemon runs it, sending ``wire`` as the data."""
    assert (await conn.recv_text()).startswith("read open session")
    await conn.send("3000 OK open ticket = 1\n")
    assert await conn.recv_text() == "read data 1\n"
    await conn.send("3000 OK data\n")
    for item in wire:
        conn.write_signal(item) if isinstance(item, Signal) else conn.write(item)
        await conn.drain()
    if wire[-1] is Signal.EOD:
        assert await conn.recv_text() == "read close session 1\n"
        await conn.send("3000 OK close Status = 84\n")
        await conn.signal(Signal.EOD)


def restore(pair, wire: Wire, where) -> tuple[FdJob, list[bytes], BaseException | None]:
    """``sd_cmd.restore`` against ``wire``: the job, what it sent the Director, what it raised.
    ``pair``: the fixture that makes two connected Connections."""

    async def main():
        sd_side, fd_side = await pair()
        director, fd_to_director = await pair()
        job = FdJob(1, "RestoreFiles.2026-12-07_00.00.00_01", "client-fd", dir_conn=fd_to_director)
        job.sd_conn = fd_side
        sd = asyncio.create_task(storage_daemon(sd_side, wire))
        failure = None
        try:
            await sd_cmd.restore(job, str(where), "a")
        except Exception as exc:  # noqa: BLE001 - returned for the test to check
            failure = exc
        job.dir_conn.write("end of the test")  # what the job sent the Director comes before it
        await job.dir_conn.drain()
        sent = []
        while (msg := await director.recv()) != b"end of the test":
            sent.append(msg)
        if failure is None:
            await sd
        sd.cancel()
        return job, sent, failure

    return asyncio.run(main())


def test_a_restore_stream_with_heartbeats_restores_the_tree(pair, tree, tmp_path):
    age_tree(tree)
    before = snapshot(tree)
    backup = run_backup(FileSetSpec(include=[IncludeBlock(files=[str(tree)])]), chunk_size=32 * 1024)
    where = tmp_path / "restored"
    job, sent, failure = restore(pair, rechdr(backup.records, keepalives=True) + [Signal.EOD], where)
    assert failure is None and sent == []
    assert snapshot(where / str(tree).lstrip("/")) == before
    assert job.job_files == len(backup.entries) and job.errors == 0


@pytest.mark.parametrize(
    ("wire", "error", "reason"),
    [
        ([b"rechdr 1 2 3"], sd_cmd.SessionError, "bad record header"),
        ([b"rechdr 1 2 x 2 4"], sd_cmd.SessionError, "bad record header"),
        ([b"rechdr 1 2 3 2 4", Signal.EOD], sd_cmd.SessionError, "sent EOD where record data was expected"),
        ([b"rechdr 1 2 3 2 4", Signal.HEARTBEAT, Signal.EOD], UnexpectedSignal, "EOD where a message was"),
        ([b"rechdr 1 2 3 2 4", b"12345"], sd_cmd.SessionError, "record of 5 bytes where the header said 4"),
        ([Signal.TERMINATE], sd_cmd.SessionError, "sent TERMINATE during the restore data"),
    ],
)
def test_a_broken_stream_fails_after_what_came_before_is_written(pair, tmp_path, wire, error, reason):
    good = [attr(1, FileType.REG, "first.txt", size=5), (1, Stream.FILE_DATA, b"first")]
    job, _, failure = restore(pair, rechdr(good) + wire, tmp_path)
    assert isinstance(failure, error) and reason in str(failure)
    assert (tmp_path / "first.txt").read_bytes() == b"first" and job.job_files == 1
