"""Run scripts on the Director and on the client, when Bareos runs them, with the % codes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import DRIVERS, Lab, job_status
from .test_client_mode_faults import dir_conf, edit

pytestmark = pytest.mark.integration


def script(tmp_path: Path) -> tuple[Path, Path]:
    """A script that notes its arguments in a file, says a line, and exits with the status its
    first argument ends with (``x:3`` exits 3)."""
    log = tmp_path / "scripts.log"
    path = tmp_path / "note.sh"
    path.write_text(f'#!/bin/sh\necho "$*" >> {log}\necho "said $1"\n'
                    'case "$1" in *:[0-9]) exit "${1##*:}";; esac\nexit 0\n')
    os.chmod(path, 0o755)
    return path, log


def with_scripts(lines: str):
    def configure(t) -> None:
        edit(dir_conf(t, "job", "backup.conf"), 'Job {\n', f'Job {{\n{lines}')
    return configure


def noted(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize("driver", DRIVERS)
def test_scripts_run_where_and_when_bareos_runs_them(lab_factory, tmp_path: Path, driver: str) -> None:
    sh, log = script(tmp_path)
    lab: Lab = lab_factory(driver, configure=with_scripts(
        f'  RunScript {{\n    RunsWhen = Before\n    RunsOnClient = no\n    Command = "{sh} dir-before %n %l %c"\n  }}\n'
        f'  RunScript {{\n    RunsWhen = After\n    RunsOnClient = no\n    Command = "{sh} dir-after %e %i"\n  }}\n'
        f'  Client Run Before Job = "{sh} fd-before %j"\n'
        f'  Client Run After Job = "{sh} fd-after %e"\n'
        f'  Run After Failed Job = "{sh} dir-failed"\n'
        '  RunScript {\n    RunsWhen = After\n    Console = "list jobid=%i"\n  }\n'))
    jobid = lab.run_job("run job=backup level=Full yes")
    assert job_status(lab, jobid) == "T"
    job = lab.query(f"SELECT Job FROM Job WHERE JobId = {jobid}")[0][0]
    assert noted(log) == ["dir-before backup Full bareos-fd", f"fd-before {job}", "fd-after OK",
                          f"dir-after OK {jobid}"]
    text = lab.run(f"list joblog jobid={jobid}")
    assert f'shell command: run BeforeJob "{sh} dir-before backup Full bareos-fd"' in text
    assert "BeforeJob: said dir-before" in text
    assert f'bareos-fd JobId {jobid}: shell command: run ClientBeforeJob "{sh} fd-before {job}"' in text
    assert f"bareos-fd JobId {jobid}: ClientAfterJob: said fd-after" in text
    assert f'console command: run AfterJob "list jobid={jobid}"' in text
    # the After scripts come after the job's report, as in Bareos
    assert text.index("Termination:") < text.index("AfterJob: said dir-after")


def test_a_failing_before_script_fails_the_job_and_the_failed_job_script_runs(lab_factory, tmp_path: Path) -> None:
    sh, log = script(tmp_path)
    lab: Lab = lab_factory(configure=with_scripts(
        f'  Run Before Job = "{sh} dir-before:3"\n  Run After Failed Job = "{sh} dir-failed %e"\n'
        f'  Run After Job = "{sh} dir-after"\n'))
    jobid = lab.run_job("run job=backup level=Full yes")
    assert job_status(lab, jobid) == "E"
    assert lab.query(f"SELECT JobFiles FROM Job WHERE JobId = {jobid}")[0][0] == 0
    text = lab.run(f"list joblog jobid={jobid}")
    assert "Runscript: BeforeJob returned non-zero status=3. ERR=Child exited with code 3" in text
    assert noted(log) == ["dir-before:3", "dir-failed Error"]


def test_a_failing_client_script_fails_the_job(lab_factory, tmp_path: Path) -> None:
    sh, log = script(tmp_path)
    lab: Lab = lab_factory(configure=with_scripts(
        f'  Client Run Before Job = "{sh} fd-before:2"\n  Run After Failed Job = "{sh} dir-failed"\n'))
    jobid = lab.run_job("run job=backup level=Full yes")
    assert job_status(lab, jobid) in ("E", "f")
    text = lab.run(f"list joblog jobid={jobid}")
    assert "Runscript: ClientBeforeJob returned non-zero status=2. ERR=Child exited with code 2" in text
    assert 'Client "bareos-fd" RunScript failed.' in text
    assert noted(log) == ["fd-before:2", "dir-failed"]
    assert job_status(lab, lab.run_job("run job=backup level=Full yes")) in ("E", "f")  # every time


def test_fail_job_on_error_no_keeps_the_job_with_a_warning(lab_factory, tmp_path: Path) -> None:
    sh, log = script(tmp_path)
    lab: Lab = lab_factory(configure=with_scripts(
        f'  RunScript {{\n    RunsWhen = Before\n    RunsOnClient = no\n    FailJobOnError = no\n'
        f'    Command = "{sh} soft:1"\n  }}\n'))
    jobid = lab.run_job("run job=backup level=Full yes")
    assert job_status(lab, jobid) == "W"
    assert noted(log) == ["soft:1"]
    assert lab.query(f"SELECT JobFiles FROM Job WHERE JobId = {jobid}")[0][0] > 0


def test_a_script_that_cannot_start_is_an_error(lab_factory, tmp_path: Path) -> None:
    lab: Lab = lab_factory(configure=with_scripts(f'  Run Before Job = "{tmp_path}/no-such-script"\n'))
    jobid = lab.run_job("run job=backup level=Full yes")
    assert job_status(lab, jobid) == "E"
    assert "Runscript: BeforeJob could not execute. ERR=No such file or directory" in lab.run(
        f"list joblog jobid={jobid}")
