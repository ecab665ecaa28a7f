"""SIGHUP and ``reload``: the Director reads its configuration again without ending the jobs
it is running (Bareos' ``reload`` and its SIGHUP handler)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from bareoslab.lab.local import processes

from .conftest import Lab, job_status, wait_until

pytestmark = pytest.mark.integration

POOL = """Pool {
  Name = Added
  Pool Type = Backup
  Label Format = Added-
}
"""


def test_sighup_reloads_while_a_job_runs(lab_factory, tmp_path: Path) -> None:
    gate = tmp_path / "go"

    def add_gated_job(t) -> None:
        # the job runs until the test opens the gate (bounded: 60 s)
        wait = (f"/bin/sh -c 'i=0; while [ ! -e {gate} ] && [ $i -lt 600 ]; do sleep 0.1; "
                "i=$((i+1)); done'")
        path = t.etc / "dir" / "bareos-dir.d" / "job" / "gated.conf"
        path.write_text("Job {\n  Name = gated\n  JobDefs = DefaultJob\n  Level = Full\n"
                        f'  RunScript {{\n    RunsWhen = Before\n    RunsOnClient = no\n    Command = "{wait}"\n  }}\n}}\n')

    lab: Lab = lab_factory(configure=add_gated_job)
    lab.run("label volume=TestVolume001 storage=File pool=Full")
    out = lab.run("run job=gated yes")
    jobid = int(out.split("Job queued. JobId=")[1].split()[0])
    assert wait_until(lambda: job_status(lab, jobid) == "R")
    assert 'Pool "Added" not found.' in lab.run("show pool=Added")

    (lab.t.etc / "dir" / "bareos-dir.d" / "pool" / "Added.conf").write_text(POOL)
    pid = processes.daemon_processes(lab.t)["dir"].pid()
    assert pid is not None
    os.kill(pid, signal.SIGHUP)
    assert wait_until(lambda: 'Name = "Added"' in lab.run("show pool=Added"))
    assert lab.query("SELECT count(*) FROM Pool WHERE Name = 'Added'")[0][0] == 1  # mirrored in the catalog

    gate.touch()
    assert "JobStatus=OK (T)" in lab.run(f"wait jobid={jobid}")  # the running job was not ended
    assert processes.daemon_processes(lab.t)["dir"].pid() == pid

    # a configuration that does not load leaves the one in use
    (lab.t.etc / "dir" / "bareos-dir.d" / "pool" / "Broken.conf").write_text("Pool {\n  Name = Broken\n")
    os.kill(pid, signal.SIGHUP)
    assert wait_until(lambda: "reload failed, the configuration is unchanged" in lab.log("dir"))
    assert 'Name = "Added"' in lab.run("show pool=Added")
    assert "reload failed, the configuration is unchanged" in lab.run("reload")


def test_show_messages_lists_each_destination_once(lab_factory) -> None:
    lab: Lab = lab_factory()
    out = lab.run("show messages")
    assert "Append = " in out and "Console = all" in out
    assert "MessageDestination(" not in out
    # the Daemon and Standard Messages resources each append to one log file, once
    assert out.count("Append = ") == 2
