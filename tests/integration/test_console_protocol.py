"""The console protocol under stress: consoles that vanish mid-command, API 1 framing, scheduled runs."""

from __future__ import annotations

import time

import pytest
from bareoslab.console.client import Console
from bareoslab.net.auth import password_key
from bareoslab.net.framing import Signal

from .conftest import Lab

pytestmark = pytest.mark.integration


def open_console(lab: Lab) -> Console:
    return Console.open(lab.t.host, lab.t.dir_port, password_key(lab.t.console_password))


def test_console_disconnect_mid_command_leaves_the_director_serving(lab_factory) -> None:
    lab: Lab = lab_factory()
    gone = open_console(lab)
    assert gone.command("sqlquery").prompt  # the Director waits for SQL ...
    gone.close()  # ... and the console vanishes
    asker = open_console(lab)
    assert asker.command("run job=backup level=Full").prompt
    asker.close()  # vanishes at "OK to run?": the job must not run
    assert "Version:" in lab.run("version")
    assert lab.query("SELECT count(*) FROM Job")[0][0] == 0


def test_console_api1_brackets_each_command(lab_factory) -> None:
    lab: Lab = lab_factory()
    with open_console(lab) as c:
        conn, loop = c.session.conn, c._loop
        assert c.command(".api 1").text == "api: 1\n"  # as Bareos' DotApiCmd says it

        async def exchange(line: str) -> list[object]:
            await conn.send(line)
            got: list[object] = []
            while not got or got[-1] is not Signal.MAIN_PROMPT:
                msg = await conn.recv(timeout=10)
                got.append(msg if isinstance(msg, Signal) else msg.decode())
            return got

        got = loop.run_until_complete(exchange("whoami"))
        assert got == [Signal.CMD_BEGIN, "root\n", Signal.CMD_OK, Signal.MAIN_PROMPT]
        got = loop.run_until_complete(exchange("nosuch"))
        assert got == [
            Signal.ERROR_MSG,
            "nosuch: is an invalid command.\n",
            Signal.CMD_FAILED,
            Signal.MAIN_PROMPT,
        ]


def test_console_run_when_waits_for_its_time(lab_factory) -> None:
    lab: Lab = lab_factory()
    lab.run("label volume=TestVolume001 storage=File pool=Full")
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(time.time() + 3))
    out = lab.run(f'run job=backup level=Full when="{when}" yes')
    jobid = int(out.split("JobId=")[1].split()[0])
    assert lab.query(f"SELECT JobStatus FROM Job WHERE JobId = {jobid}")[0][0] == "C"
    assert "JobStatus=OK (T)" in lab.run(f"wait jobid={jobid}")
    start = lab.query(f"SELECT StartTime FROM Job WHERE JobId = {jobid}")[0][0]
    assert str(start) >= when


def test_console_cancel_a_job_waiting_for_its_time(lab_factory) -> None:
    lab: Lab = lab_factory()
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(time.time() + 60))
    out = lab.run(f'run job=backup level=Full when="{when}" yes')
    jobid = int(out.split("JobId=")[1].split()[0])
    assert "is waiting for its start time" in lab.run("status dir")
    assert "marked to be canceled." in lab.run(f"cancel jobid={jobid}")
    assert "JobStatus=Canceled (A)" in lab.run(f"wait jobid={jobid}")
    assert "No Jobs running." in lab.run("status dir")
