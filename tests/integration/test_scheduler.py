"""Scheduled jobs: the Director starts them at their Run lines' times, with the lines'
overrides. The Director's clock is a file the test writes (``bareoslab-dir --clock``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DRIVERS, Lab, wait_until
from .test_client_mode_faults import dir_conf, edit

pytestmark = pytest.mark.integration

MONDAY_2100 = "2026-11-30 21:00:00"  # a Monday


def nightly(t) -> None:
    dir_conf(t, "schedule").mkdir(exist_ok=True)
    dir_conf(t, "schedule", "Nightly.conf").write_text(
        "Schedule {\n  Name = Nightly\n"
        "  Run = Level=Full Pool=Full mon-fri at 21:10\n"
        "  Run = Level=Incremental Priority=5 sat at 09:30\n}\n")
    edit(dir_conf(t, "job", "backup.conf"), 'Job {\n',
         'Job {\n  Schedule = Nightly\n')


def set_clock(lab: Lab, when: str) -> None:
    lab.t.clock_file.write_text(when + "\n")


def jobs(lab: Lab) -> list[tuple]:
    return [tuple(r) for r in lab.query("SELECT JobId, Name, Level, JobStatus, SchedTime FROM Job ORDER BY JobId")]


def wait_for_job_count(lab: Lab, count: int) -> list[tuple]:
    assert wait_until(lambda: len(jobs(lab)) >= count and all(j[3] in "TEfA" for j in jobs(lab)), timeout=60)
    return jobs(lab)


@pytest.mark.parametrize("driver", DRIVERS)
def test_the_scheduler_starts_jobs_at_their_times(lab_factory, tmp_path: Path, driver: str) -> None:
    clock = tmp_path / "clock"
    clock.write_text(MONDAY_2100 + "\n")
    lab: Lab = lab_factory(driver, configure=nightly, clock_file=clock)

    status = lab.run("status dir")
    assert ("Level          Type     Pri  Scheduled          Name               Volume" in status)
    assert "Full           Backup    10  30-Nov-26 21:10    backup             *unknown*" in status
    sched = lab.run("status scheduler days=6")
    assert "Nightly\n                       backup\n" in sched
    assert "Scheduler Preview for 6 days:" in sched
    assert "Mon 30-Nov-2026 21:10  Nightly                 Level=Full Pool=Full" in sched
    assert "Sat 05-Dec-2026 09:30  Nightly                 Level=Incremental Priority=5" in sched
    assert jobs(lab) == []

    set_clock(lab, "2026-11-30 21:10:05")
    (jobid, name, level, status_code, sched_time), = wait_for_job_count(lab, 1)
    assert (name, level, status_code) == ("backup", "F", "T")
    assert str(sched_time).startswith("2026-11-30 21:10:00")
    log = lab.run(f"list joblog jobid={jobid}")
    assert "Job triggered by:       Scheduler" in log
    # the Job's Full Backup Pool still wins over the Run line's Pool= for a Full, as in Bareos
    assert 'Pool:                   "Full" (From Job FullPool override)' in log

    # disabled, the job leaves the schedule; enabled again, the next weekday runs it
    out = lab.run("disable job=backup")
    assert 'Job "backup" disabled' in out and "Disabling is a temporary operation" in out
    assert "No Scheduled Jobs." in lab.run("status dir")
    assert "backup (disabled)" in lab.run("status scheduler")
    assert 'Job "backup" enabled' in lab.run("enable job=backup")

    # the Director was "down" three days: runs that are past are not made up, the one due now runs
    set_clock(lab, "2026-12-03 21:10:30")
    found = wait_for_job_count(lab, 2)
    assert [j[2] for j in found] == ["F", "F"] and str(found[1][4]).startswith("2026-12-03 21:10:00")

    set_clock(lab, "2026-12-05 09:30:01")  # Saturday: the Incremental line
    found = wait_for_job_count(lab, 3)
    assert found[2][1:4] == ("backup", "I", "T")
    assert "Priority:               5" in lab.run(f"list joblog jobid={found[2][0]}")
    assert len(jobs(lab)) == 3


def test_a_bad_run_line_stops_the_director_with_its_line(tmp_path: Path) -> None:
    conf = tmp_path / "bareos-dir.conf"
    conf.write_text('Director { Name = d; Password = "p" }\nMessages { Name = Standard; Console = all }\n'
                    "Schedule {\n  Name = S\n  Run = Full mon at 24:00\n}\n")
    done = subprocess.run([sys.executable, "-m", "bareoslab.director.main", "-c", str(conf), "-t"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"{conf}:5: Run = Full mon at 24:00: Bad time specification." in done.stderr
