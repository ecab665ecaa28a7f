"""Bandwidth limits on a job's data, measured where the data arrives.

The rate is the slope of a least-squares line through (arrival time, bytes so far)
of the job's data frames in the Storage Daemon's protocol trace: the limit
paces the sender in steps of one batch, and the slope of the staircase is the rate.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from bareoslab.lab.local.topology_extra import render_copy_migrate, sd2_process, start_sd2, stop_sd2
from bareoslab.net.trace import read_trace
from bareoslab.trace.rates import data_rate

from .conftest import Lab, wait_until
from .test_client_mode_faults import dir_conf, edit, fd_conf

pytestmark = pytest.mark.integration

MB = 1_000_000  # Bareos' "mb/s"


def data_tree(root: Path, size: int) -> Path:
    root.mkdir(parents=True)
    (root / "payload.bin").write_bytes(os.urandom(size))
    return root


def received(lab: Lab, job: str, trace: list[dict[str, Any]] | None = None, sender: str | None = None,
             **window: float) -> tuple[float, int]:
    """(bytes/s, bytes) of the job's data an SD received (by default: the first SD, from the FD)."""
    return data_rate(lab.trace("sd") if trace is None else trace, job, sender or lab.t.client, **window)


def job_name(lab: Lab, jobid: int) -> str:
    return lab.query(f"SELECT Job FROM Job WHERE JobId = {jobid}")[0][0]


def limit_in_job(t: Any) -> None:
    edit(dir_conf(t, "job", "backup.conf"), 'Job {\n',
         'Job {\n  Maximum Bandwidth = 4 mb/s\n')


def limit_in_director_client(t: Any) -> None:
    edit(dir_conf(t, "client", f"{t.client}.conf"), "  Maximum Concurrent Jobs = 5\n",
         "  Maximum Concurrent Jobs = 5\n  Maximum Bandwidth Per Job = 4 mb/s\n")


def limit_in_file_daemon(t: Any) -> None:
    edit(fd_conf(t, "client", "myself.conf"), "  Working Directory",
         "  Maximum Bandwidth Per Job = 4 mb/s\n  Working Directory")


@pytest.mark.parametrize("configure", [limit_in_job, limit_in_director_client, limit_in_file_daemon],
                         ids=["Job Maximum Bandwidth", "Client Maximum Bandwidth Per Job",
                              "FD Maximum Bandwidth Per Job"])
def test_limited_backup_runs_at_the_limit(lab_factory, tmp_path: Path, configure) -> None:
    lab: Lab = lab_factory(data=data_tree(tmp_path / "data", 12 * MB), configure=configure)
    jobid = lab.run_job("run job=backup level=Full yes")
    assert lab.query(f"SELECT JobStatus FROM Job WHERE JobId = {jobid}")[0][0] == "T"
    job = job_name(lab, jobid)
    rate, size = received(lab, job)
    assert size == 12 * MB
    assert abs(rate - 4 * MB) < 0.1 * 4 * MB, f"{rate / MB:.2f} MB/s against a limit of 4"
    told = [r for r in lab.trace("fd") if r.get("dir") == "recv" and r.get("msg", "").startswith("setbandwidth=")]
    if configure is limit_in_file_daemon:
        assert told == []  # the FD limits itself; the Director says nothing
    else:
        assert [r["msg"] for r in told] == [f"setbandwidth=4000000 Job={job}"]


def test_setbandwidth_slows_a_running_job(lab_factory, tmp_path: Path) -> None:
    def fast_limit(t: Any) -> None:
        edit(dir_conf(t, "job", "backup.conf"), 'Job {\n',
             'Job {\n  Maximum Bandwidth = 8 mb/s\n')

    lab: Lab = lab_factory(data=data_tree(tmp_path / "data", 12 * MB), configure=fast_limit)
    out = lab.run("run job=backup level=Full yes")
    jobid = int(out.split("JobId=")[1].split()[0])
    assert wait_until(lambda: lab.query(f"SELECT Job FROM Job WHERE JobId = {jobid}") != [])
    job = job_name(lab, jobid)
    assert wait_until(lambda: received(lab, job)[1] > 2 * MB, timeout=60)

    answer = lab.run(f"setbandwidth jobid={jobid} limit=2000")
    changed = time.time()
    assert f"Connecting to Client {lab.t.client} at" in answer
    assert f"OK Limiting bandwidth to 2000kb/s {job}" in answer
    status = lab.run(f"status client={lab.t.client}")
    assert "Bwlimit=2,048,000" in status  # the job still runs: 8 MB to go at 2 MB/s
    # and shows its progress as Bareos' ListRunningJobsPlain: files and bytes so far, the rate
    assert f"JobId {jobid} Job {job} is running." in status
    assert re.search(r"^    Full Backup Job started: \d\d-\w{3}-\d\d \d\d:\d\d$", status, re.M), status
    progress = re.search(r"^    Files=([\d,]+) Bytes=([\d,]+) Bytes/sec=([\d,]+) Errors=0$", status, re.M)
    assert progress and int(progress[2].replace(",", "")) > 2 * MB and int(progress[3].replace(",", "")) > 0, status
    assert re.search(r"^    Files Examined=[1-9][\d,]*$", status, re.M), status
    assert re.search(rf"^    Processing file: {re.escape(str(tmp_path / 'data'))}/", status, re.M), status
    sd = lab.run("status storage=File")  # the SD's job inventory, as Bareos' ListRunningJobs
    assert f"JobId={jobid} Level=Full Type=Backup Name=backup Status=Running" in sd, sd
    assert re.search(r'^Writing: Volume="[^"]+"\n    pool="Full" device="FileStorage"', sd, re.M), sd
    rates = re.search(r"^    Files=[\d,]+ Bytes=([\d,]+) AveBytes/sec=([\d,]+) LastBytes/sec=[\d,]+$", sd, re.M)
    assert rates and int(rates[1].replace(",", "")) > 2 * MB and int(rates[2].replace(",", "")) > 0, sd
    lab.console.command(f"wait jobid={jobid}", timeout=120)
    assert lab.query(f"SELECT JobStatus FROM Job WHERE JobId = {jobid}")[0][0] == "T"

    before, _ = received(lab, job, end=changed)
    # from the first batch paced at the new limit (one batch of 1 MB takes 0.5 s)
    after, size = received(lab, job, start=changed + 0.6)
    assert size > 4 * MB
    assert abs(after - 2_048_000) < 0.1 * 2_048_000, f"{after / MB:.2f} MB/s after the change"
    assert before > 1.5 * after


def test_setbandwidth_answers(lab_factory, tmp_path: Path) -> None:
    lab: Lab = lab_factory(data=data_tree(tmp_path / "data", 1000))
    out = lab.run(f"setbandwidth client={lab.t.client} limit=1000")
    assert f"Connecting to Client {lab.t.client} at" in out and "OK Limiting bandwidth to 1000kb/s" in out
    out = lab.run("setbandwidth storage=File limit=500")
    assert "Connecting to Storage daemon File at" in out and "OK Limiting bandwidth to 500kb/s" in out
    assert "No Jobs running." in lab.run("setbandwidth jobid=99 limit=10")
    assert "Invalid limit specified: x" in lab.run("setbandwidth client=bareos-fd limit=x")
    # the client-wide limit holds every later job of that client
    jobid = lab.run_job("run job=backup level=Full yes")
    told = [r["msg"] for r in lab.trace("fd") if r.get("msg", "").startswith("setbandwidth=")]
    assert told == ["setbandwidth=1024000 Job="]
    assert lab.query(f"SELECT JobStatus FROM Job WHERE JobId = {jobid}")[0][0] == "T"


def test_remote_copy_is_limited_by_the_reading_sd(lab_factory, tmp_path: Path) -> None:
    """A remote copy's Job Maximum Bandwidth goes to the reading SD, which paces its replication."""
    started = []

    def configure(t: Any) -> None:
        sd2 = render_copy_migrate(t)
        edit(dir_conf(t, "job", "copy-remote.conf"), "  Priority = 10\n",
             "  Priority = 10\n  Maximum Bandwidth = 4 mb/s\n")
        start_sd2(t, sd2)
        started.append(t)

    lab: Lab = lab_factory(data=data_tree(tmp_path / "data", 12 * MB), configure=configure)
    try:
        lab.run_job("run job=backup level=Full yes")
        out = lab.run("run job=copy-remote yes")
        control = int(out.split("JobId=")[1].split()[0])
        lab.console.command(f"wait jobid={control}", timeout=120)
        worker, new = control + 1, control + 2
        assert wait_until(lambda: lab.query(f"SELECT JobStatus FROM Job WHERE JobId = {new}") == [("T",)])
        told = [r["msg"] for r in lab.trace("sd") if r.get("msg", "").startswith("setbandwidth=")]
        assert told == [f"setbandwidth=4000000 Job={job_name(lab, worker)}"]
        rate, size = received(lab, job_name(lab, new), read_trace(str(sd2_process(lab.t).trace_file)), "127.0.0.1")
        assert size >= 12 * MB
        assert abs(rate - 4 * MB) < 0.1 * 4 * MB, f"{rate / MB:.2f} MB/s against a limit of 4"
    finally:
        for t in started:
            stop_sd2(t)
