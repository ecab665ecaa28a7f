"""Run scripts: Bareos' decision when a script runs, its % codes, the client's Run command."""

from __future__ import annotations

import asyncio

import pytest
from bareoslab.codes import JobStatus, MsgType
from bareoslab.filed.runscript import ClientScript, parse_run
from bareoslab.scripts import AFTER, BEFORE, expand_codes, failure_text, run_command, should_run

R, T, E, A = JobStatus.RUNNING, JobStatus.TERMINATED, JobStatus.ERROR_TERMINATED, JobStatus.CANCELED


@pytest.mark.parametrize("when, success, failure, before, status, runs", [
    (BEFORE, True, False, True, R, True),       # Run Before Job
    (BEFORE, True, False, False, T, False),     # not after
    (AFTER, True, False, False, T, True),       # Run After Job, job OK
    (AFTER, True, False, False, E, False),      # ... not when it failed
    (AFTER, False, True, False, E, True),       # Run After Failed Job
    (AFTER, False, True, False, A, True),       # canceled counts as failed
    (AFTER, False, True, False, T, False),
    (BEFORE | AFTER, True, False, True, R, True),   # Runs When = Always: both
    (BEFORE | AFTER, True, False, False, JobStatus.WARNINGS, True),
    (0, True, True, True, R, False),            # Never
])
def test_when_a_script_runs(when, success, failure, before, status, runs) -> None:
    assert should_run(when, success, failure, before, status) is runs


def test_codes_are_replaced_and_unknown_ones_kept() -> None:
    assert expand_codes("%n %l %i %% %q end%", {"n": "backup", "l": "Full", "i": "7", "%": "%"}) == \
        "backup Full 7 % %q end%"


def test_failure_texts_as_bareos() -> None:
    assert failure_text("BeforeJob", 3) == "Runscript: BeforeJob returned non-zero status=3. ERR=Child exited with code 3"
    assert failure_text("AfterJob", -9) == "Runscript: AfterJob returned non-zero status=9. ERR=Child died from signal 9"


def test_the_client_run_command() -> None:
    assert parse_run("Run OnSuccess=1 OnFailure=0 AbortOnError=1 When=2 Command=/bin/echo\x01a\x01b\n") == \
        ClientScript(True, False, True, 2, "/bin/echo a b")
    assert parse_run("Run OnSuccess=x") is None


def test_a_command_runs_without_a_shell_and_its_lines_are_said() -> None:
    said: list[tuple[MsgType, str]] = []

    async def say(mtype: MsgType, text: str) -> None:
        said.append((mtype, text))

    ok = asyncio.run(run_command("/bin/echo 'a b' $HOME", "BeforeJob", say))
    assert ok and said == [(MsgType.INFO, "BeforeJob: a b $HOME")]  # no shell: $HOME stays
    said.clear()
    assert not asyncio.run(run_command("/bin/false", "AfterJob", say))
    assert said == [(MsgType.ERROR, "Runscript: AfterJob returned non-zero status=1. ERR=Child exited with code 1")]
