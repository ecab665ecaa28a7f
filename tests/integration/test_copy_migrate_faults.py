"""Copy/migrate faults: nothing to select, an unreachable or refusing destination SD,
a media type no device offers, and the writing SD killed in the middle of a replicate.

In each case the job log says what happened, the catalog shows it, the original
job is untouched and the next copy succeeds.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bareoslab.lab.local.render import LocalTopology, _write
from bareoslab.lab.local.topology_extra import (
    SecondStorage,
    render_copy_migrate,
    sd2_storage_dir,
    start_sd2,
    stop_sd2,
)

from .conftest import DRIVERS, Lab, wait_until
from .test_copy_migrate import job_log, jobs, run_all

pytestmark = pytest.mark.integration


def _extra_resources(t: LocalTopology) -> None:
    """A Storage with a wrong password and one with a media type no device has, each behind a pool."""
    d = t.etc / "dir" / "bareos-dir.d"
    text = (d / "storage" / "File2.conf").read_text()
    bad = text.replace("Name = File2", "Name = File2BadAuth")
    bad = bad.replace(bad.split('Password = "')[1].split('"')[0], "not-the-password")
    _write(d / "storage" / "File2BadAuth.conf", bad)
    tape = (d / "storage" / "FileCopy.conf").read_text().replace("Name = FileCopy", "Name = FileTape")
    _write(d / "storage" / "FileTape.conf", tape.replace("Media Type = File", "Media Type = LTO-9"))
    for pool, storage in (("BadAuthCopy", "File2BadAuth"), ("TapeCopy", "FileTape")):
        _write(d / "pool" / f"{pool}.conf", f"""Pool {{
  Name = {pool}
  Pool Type = Backup
  Storage = {storage}
  Label Format = "{pool}-"
}}
""")
        _write(d / "job" / f"copy-{pool}.conf", f"""Job {{
  Name = "copy-{pool}"
  Type = Copy
  Pool = Full
  Next Pool = {pool}
  Selection Type = Job
  Selection Pattern = "^backup$"
  Messages = Standard
}}
""")
    director = d / "director" / f"{t.director}.conf"
    director.write_text(director.read_text().replace("  Messages = Daemon\n", "  Messages = Daemon\n  SD Connect Timeout = 2\n"))


@pytest.fixture
def fault_lab(lab_factory: Any, request: pytest.FixtureRequest) -> Iterator[Lab]:
    started: list[tuple[LocalTopology, SecondStorage]] = []

    def configure(t: LocalTopology) -> None:
        sd2 = render_copy_migrate(t)
        _extra_resources(t)
        start_sd2(t, sd2)
        started.append((t, sd2))

    lab = lab_factory("sqlite3", data=getattr(request, "param", None), configure=configure)
    lab.sd2 = started[0][1]  # type: ignore[attr-defined]
    yield lab
    for t, _ in started:
        stop_sd2(t)


def original_intact(lab: Lab, backup: int) -> None:
    row = lab.query("SELECT Type, JobStatus, PurgedFiles, JobFiles FROM Job WHERE JobId = ?", (backup,))[0]
    assert tuple(row[:3]) == ("B", "T", 0)
    assert lab.query("SELECT count(*) FROM File WHERE JobId = ?", (backup,))[0][0] == row[3]
    assert "Termination:            Backup OK" in job_log(lab, backup)


def test_copy_with_no_jobs_ends_ok(fault_lab: Lab) -> None:
    lab = fault_lab
    control = run_all(lab, "run job=copy-local yes")
    assert jobs(lab) == [(control, "c", "copy-local", "T", 0, "Full")]
    log = job_log(lab, control)
    assert "No JobIds found to copy." in log
    assert "Termination:            Copying -- no files to copy" in log


def test_migrate_with_no_matching_jobs_ends_ok(fault_lab: Lab) -> None:
    lab = fault_lab
    lab.run_job("run job=backup level=Full yes")
    lab.run("update volume=Full-0001 volstatus=Used")
    lab.query("UPDATE Job SET Name = 'other' WHERE JobId = 1")
    control = run_all(lab, "run job=migrate-local yes")
    assert [r[1:4] for r in jobs(lab, control)] == [("g", "migrate-local", "T")]
    assert "No JobIds found to migrate." in job_log(lab, control)


def test_destination_sd_unreachable(fault_lab: Lab) -> None:
    lab = fault_lab
    backup = lab.run_job("run job=backup level=Full yes")
    stop_sd2(lab.t)
    control = run_all(lab, "run job=copy-remote yes")
    worker, new = control + 1, control + 2
    rows = jobs(lab, control)
    assert rows[1][:4] == (worker, "c", "copy-remote", "f") and rows[1][4] == new
    assert rows[2][:5] == (new, "B", "backup", "f", backup)
    wlog = job_log(lab, worker)
    assert f'Failed to connect to Storage daemon "File2" at 127.0.0.1:{lab.sd2.port}' in wlog  # type: ignore[attr-defined]
    assert "*** Copying Error ***" in wlog
    original_intact(lab, backup)
    # the SD is back: the next copy succeeds
    start_sd2(lab.t, lab.sd2)  # type: ignore[attr-defined]
    control = run_all(lab, "run job=copy-remote yes")
    assert [r[1] + r[3] for r in jobs(lab, control)] == ["cT", "cT", "CT"]


def test_destination_sd_refuses_authentication(fault_lab: Lab) -> None:
    lab = fault_lab
    backup = lab.run_job("run job=backup level=Full yes")
    control = run_all(lab, "run job=copy-BadAuthCopy yes")
    worker = control + 1
    assert [r[1] + r[3] for r in jobs(lab, control)] == ["cT", "cf", "Bf"]
    wlog = job_log(lab, worker)
    assert 'Storage daemon "File2BadAuth"' in wlog and "Fatal error" in wlog
    original_intact(lab, backup)


def test_media_type_no_device_offers(fault_lab: Lab) -> None:
    lab = fault_lab
    backup = lab.run_job("run job=backup level=Full yes")
    control = run_all(lab, "run job=copy-TapeCopy yes")
    worker = control + 1
    assert [r[1] + r[3] for r in jobs(lab, control)] == ["cT", "cf", "Bf"]
    wlog = job_log(lab, worker)
    # the SD reserves the writing device just in time (Bareos' default): it finds none at the start
    assert "Using just in time reservation for job" in wlog
    assert "Could not reserve any device for this job." in wlog
    assert 'Device "FileCopyStorage" not in SD Device resources or no matching Media Type.' in wlog
    original_intact(lab, backup)
    # no stale reservation or job left on the SD; a copy right after works
    status = lab.run("status storage=File")
    assert "No Jobs running." in status, status
    control = run_all(lab, "run job=copy-local yes")
    assert [r[1] + r[3] for r in jobs(lab, control)] == ["cT", "cT", "CT"]


def _big_data(tmp_path: Path) -> Path:
    root = tmp_path / "bigdata"
    root.mkdir()
    for i in range(6):
        (root / f"chunk-{i}.bin").write_bytes(os.urandom(40 * 1024 * 1024))
    return root


@pytest.mark.parametrize("driver", DRIVERS)
def test_writing_sd_killed_mid_replicate(lab_factory: Any, tmp_path: Path, driver: str) -> None:
    started: list[tuple[LocalTopology, SecondStorage]] = []

    def configure(t: LocalTopology) -> None:
        sd2 = render_copy_migrate(t)
        start_sd2(t, sd2)
        started.append((t, sd2))

    lab: Lab = lab_factory(driver, data=_big_data(tmp_path), configure=configure)
    t, sd2 = started[0]
    try:
        backup = lab.run_job("run job=backup level=Full yes", timeout=300)
        out = lab.run("run job=migrate-remote yes")
        control = int(out.split("JobId=")[1].split()[0])
        volume = sd2_storage_dir(t) / "FullCopy-0002"
        assert wait_until(lambda: volume.exists() and volume.stat().st_size > 20 * 1024 * 1024, timeout=60, interval=0.01)
        stop_sd2(t, sig=signal.SIGKILL)
        lab.console.command("wait", timeout=120)
        worker, new = control + 1, control + 2
        rows = jobs(lab, backup)
        assert rows[0][:4] == (backup, "B", "backup", "T"), rows  # not marked M
        assert rows[2][1] == "g" and rows[2][3] in ("E", "f"), rows
        assert rows[3][:2] == (new, "B") and rows[3][3] in ("E", "f"), rows
        assert "*** Migration Error ***" in job_log(lab, worker)
        original_intact(lab, backup)
        # the writing SD back up: the next migrate succeeds and the original becomes M
        start_sd2(t, sd2)
        time.sleep(0.2)
        control = run_all(lab, "run job=migrate-remote yes", timeout=300)
        rows = jobs(lab, control)
        # T, or W when the half-written volume of the killed run had to be set aside first
        assert [r[1] for r in rows] == ["g", "g", "B"] and rows[0][3] == "T", rows
        assert rows[1][3] in ("T", "W") and rows[2][3] == rows[1][3], rows
        assert lab.query("SELECT Type FROM Job WHERE JobId = ?", (backup,))[0][0] == "M"
    finally:
        stop_sd2(t)
