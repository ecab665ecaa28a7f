"""What the Director may hand the File daemon before a restore: a bootstrap and restore
objects, taken as Bareos' FD takes them."""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

import pytest
from bareoslab.net.errors import ConnectionClosed
from bareoslab.net.framing import Connection, Signal

from .conftest import Lab, as_director, wait_until

pytestmark = pytest.mark.integration

BSR = 'Volume="Full-0001"\nMediaType="File"\nDevice="FileStorage"\nVolSessionId=1\nVolSessionTime=1\nFileIndex=1-5\n'


async def fd_session(lab: Lab, job: str) -> Connection:
    conn = await as_director(lab.t, "fd")
    await conn.send(f"JobId=7 Job={job} SDid=1 SDtime=1 Authorization=AAAA ssl=0")
    assert (await conn.recv_text(timeout=10)).startswith("2000 OK Job")
    return conn


def test_bootstrap_is_kept_for_the_job_and_removed_after(lab_factory: Any) -> None:
    lab: Lab = lab_factory()
    job = "restore.2026-12-05_10.00.00_07"
    work = lab.t.working_dir("fd")

    async def talk() -> tuple[str, list[str]]:
        conn = await fd_session(lab, job)
        try:
            await conn.send("bootstrap")
            for line in BSR.splitlines(keepends=True):
                await conn.send(line)
            await conn.signal(Signal.EOD)
            reply = await conn.recv_text(timeout=10)
            return reply, [p.read_text() for p in work.glob(f"bareos-fd.{job}.*.bootstrap")]
        finally:
            await conn.close()

    reply, kept = asyncio.run(talk())
    assert reply == "2000 OK bootstrap\n"
    assert kept == [BSR]
    # the Director went away: the job and its bootstrap are gone (Bareos erases it)
    assert wait_for(lambda: not list(work.glob("*.bootstrap")))


def wait_for(predicate: Any) -> bool:
    return wait_until(predicate, timeout=10)


async def reply(conn: Connection, job_messages: list[str]) -> str:
    """The next answer; the job messages (``Jmsg ...``) the FD sends meanwhile go aside."""
    while (text := await conn.recv_text(timeout=10)).startswith("Jmsg "):
        job_messages.append(text)
    return text


def test_restore_objects_are_read_whole_and_end_with_ok(lab_factory: Any) -> None:
    lab: Lab = lab_factory()
    plain = b"<metadata>job</metadata>"
    packed = zlib.compress(b"x" * 5000, 9)

    job_messages: list[str] = []

    async def talk() -> list[str]:
        conn = await fd_session(lab, "restore.2026-12-05_10.00.00_08")
        answers = []
        try:
            await conn.send(f"restoreobject JobId=3 {len(plain)},{len(plain)},0,27,0,1,my-plugin:a\x01b\n")
            await conn.send("job_metadata.xml")
            await conn.send(plain)
            await conn.send(f"restoreobject JobId=3 {len(packed)},5000,1,27,1,2,my-plugin\n")
            await conn.send("big.xml")
            await conn.send(packed)
            await conn.send(f"restoreobject JobId=3 {len(packed)},4000,2,27,1,3\n")  # an older FD's form
            await conn.send("wrong-length.xml")
            await conn.send(packed)
            await conn.send("restoreobject end\n")
            answers.append(await reply(conn, job_messages))
            await conn.send("restoreobject JobId=three\n")
            answers.append(await reply(conn, job_messages))
            try:  # a bad command ends the session, as in Bareos
                while True:
                    await conn.recv(timeout=10)
            except ConnectionClosed:
                answers.append("closed")
        finally:
            await conn.close()
        return answers

    answers = asyncio.run(talk())
    assert answers == ["2000 OK ObjectRestored\n", "2909 Bad RestoreObject command.\n", "closed"]
    said = [m.split(": ", 1)[1] for m in job_messages]  # "Jmsg Job=... bareos-fd JobId 7: <type>: <text>"
    assert said == ["Error: Decompression failed. Len wanted=4000 got=5000. Object_name=wrong-length.xml\n",
                    "Fatal error: Bad RestoreObject command: restoreobject JobId=three\n"]
