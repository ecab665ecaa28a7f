"""Accurate Incrementals: the Director sends the catalog's list, the FD decides against it and
reports deletions, the catalog records them (FileIndex 0) and a restore leaves them out."""

from __future__ import annotations

from pathlib import Path

import pytest
from selection_tree import build_baseline

from .conftest import DRIVERS, Lab
from .test_backup_restore import tree_listing
from .test_client_mode_faults import dir_conf, edit
from .test_incremental_selection import AFTER_CHANGES, make_changes, next_second, stored

pytestmark = pytest.mark.integration


def accurate_job(t) -> None:
    edit(dir_conf(t, "job", "backup.conf"), 'Job {\n',
         'Job {\n  Accurate = yes\n')


def deleted(lab: Lab, jobid: int, data: Path) -> list[str]:
    rows = lab.query("SELECT p.Path, f.Name FROM File f JOIN Path p ON p.PathId = f.PathId "
                     f"WHERE f.JobId = {jobid} AND f.FileIndex = 0 ORDER BY p.Path, f.Name")
    return sorted((path + name)[len(str(data)) + 1:] for path, name in rows)


@pytest.mark.parametrize("driver", DRIVERS)
def test_accurate_incremental_records_deletions_and_restore_leaves_them_out(
        lab_factory, tmp_path: Path, driver: str) -> None:
    data = tmp_path / "data"
    build_baseline(data)
    lab: Lab = lab_factory(driver, data=data, configure=accurate_job)
    full = lab.run_job("run job=backup level=Full yes")
    full_files = lab.query(f"SELECT JobFiles FROM Job WHERE JobId = {full}")[0][0]

    next_second()  # the Incremental's reference jobs started before it, in whole seconds
    make_changes(data)
    incr = lab.run_job("run job=backup level=Incremental yes")
    level, status, files = lab.query(f"SELECT Level, JobStatus, JobFiles FROM Job WHERE JobId = {incr}")[0]
    assert (level, status) == ("I", "T")
    log = lab.run(f"list joblog jobid={incr}")
    assert f"Sending Accurate information (estimated {full_files} files)." in log
    assert f"Sent Accurate information for {full_files} files (skipping 0 deleted files) in 00:00:0" in log
    # what changed, as a plain Incremental would send it, then the two names gone since the Full
    assert [n for n in stored(lab, incr, data) if n not in ("lose/gone.txt", "rename-from.txt")] == AFTER_CHANGES
    assert deleted(lab, incr, data) == ["lose/gone.txt", "rename-from.txt"]
    assert files == len(AFTER_CHANGES) + 2

    # the FD was told: the level word and the list went over the wire
    fd_trace = [r.get("msg", "") for r in lab.trace("fd") if r.get("dir") == "recv" and r.get("jobid") == incr]
    assert "level = accurate_incremental  mtime_only=0 " in fd_trace
    assert f"accurate files={full_files}" in fd_trace

    out = lab.run(f"restore client=bareos-fd fileset=LabData where={lab.t.restore_dir} select all done yes")
    assert f"You have selected the following JobIds: {full},{incr}" in out, out
    restore = int(out.split("JobId=")[-1].split()[0])
    lab.console.command(f"wait jobid={restore}", timeout=120)
    restored = lab.t.restore_dir / str(data).lstrip("/")
    assert tree_listing(restored) == tree_listing(data)  # nothing deleted comes back


def test_accurate_incremental_without_a_full_is_upgraded_and_a_second_one_sends_nothing(
        lab_factory, tmp_path: Path) -> None:
    data = tmp_path / "data"
    build_baseline(data)
    lab: Lab = lab_factory(data=data, configure=accurate_job)
    first = lab.run_job("run job=backup level=Incremental yes")
    assert lab.query(f"SELECT Level FROM Job WHERE JobId = {first}") == [("F",)]
    next_second()
    again = lab.run_job("run job=backup level=Incremental yes")
    assert lab.query(f"SELECT Level, JobStatus, JobFiles FROM Job WHERE JobId = {again}") == [("I", "T", 0)]
    assert stored(lab, again, data) == []


def test_run_accurate_yes_makes_one_incremental_accurate(lab_factory, tmp_path: Path) -> None:
    data = tmp_path / "data"
    build_baseline(data)
    lab: Lab = lab_factory(data=data)  # the Job has no Accurate
    lab.run_job("run job=backup level=Full yes")
    (data / "lose" / "gone.txt").unlink()
    incr = lab.run_job("run job=backup level=Incremental accurate=yes yes")
    assert deleted(lab, incr, data) == ["lose/gone.txt"]
    assert "Invalid accurate value: maybe" in lab.run("run job=backup accurate=maybe yes")
