"""Retention at the end of a job: the Client's AutoPrune prunes jobs and files past their
retention and keeps the jobs a restore of the latest state needs; on both catalogs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bareoslab.lab.local.render import LocalTopology

from .conftest import DRIVERS, Lab, job_status, write_pool


def auto_prune(t: LocalTopology) -> None:
    client = t.etc / "dir" / "bareos-dir.d" / "client" / f"{t.client}.conf"
    client.write_text(client.read_text().replace(
        "  Maximum Concurrent Jobs = 5\n",
        "  Maximum Concurrent Jobs = 5\n  AutoPrune = yes\n  Job Retention = 1 hour\n  File Retention = 1 hour\n"))


def age(lab: Lab, jobids: list[int], seconds: int) -> None:
    """Make jobs look ``seconds`` older (their JobTDate) than they are."""
    with lab.catalog() as cat:
        cat.execute(f"UPDATE Job SET JobTDate = JobTDate - {seconds} WHERE JobId IN ({','.join(map(str, jobids))})")


@pytest.mark.parametrize("driver", DRIVERS)
def test_autoprune_keeps_the_restore_chain_and_prunes_the_rest(lab_factory: Any, driver: str) -> None:
    lab = lab_factory(driver, configure=auto_prune)
    data: Path = lab.t.fileset_dir
    full = lab.run_job("run job=backup level=Full yes")
    (data / "plain.txt").write_text("changed once\n")
    incr = lab.run_job("run job=backup level=Incremental yes")
    age(lab, [full, incr], 7200)
    (data / "plain.txt").write_text("changed twice\n")
    latest = lab.run_job("run job=backup level=Incremental yes")
    assert [job_status(lab, j) for j in (full, incr, latest)] == ["T", "T", "T"]
    # the Full and the Incremental are past the retention, but the latest state needs them
    assert lab.query(f"SELECT COUNT(*) FROM Job WHERE JobId IN ({full}, {incr})") == [(2,)]
    assert "End auto prune." in lab.run(f"list joblog jobid={latest}")

    # a new Full: the old Full (pool Full, as the new one) is no longer needed; the
    # Incremental is of another pool, which this job does not prune (Bareos prunes the job's pool)
    new_full = lab.run_job("run job=backup level=Full yes")
    assert job_status(lab, new_full) == "T"
    log = lab.run(f"list joblog jobid={new_full}")
    assert "Pruned 1 Job for client bareos-fd from catalog." in log, log
    assert [r[0] for r in lab.query("SELECT JobId FROM Job WHERE Type = 'B' ORDER BY JobId")] == [
        incr, latest, new_full]
    (data / "plain.txt").write_text("changed thrice\n")
    last = lab.run_job("run job=backup level=Incremental yes")
    assert "Pruned 1 Job for client bareos-fd from catalog." in lab.run(f"list joblog jobid={last}")
    assert [r[0] for r in lab.query("SELECT JobId FROM Job WHERE Type = 'B' ORDER BY JobId")] == [
        latest, new_full, last]
    assert lab.query(f"SELECT COUNT(*) FROM File WHERE JobId IN ({full}, {incr})") == [(0,)]
    assert lab.query(f"SELECT COUNT(*) FROM JobMedia WHERE JobId IN ({full}, {incr})") == [(0,)]


def pool(name: str, lines: str) -> Any:
    return lambda t: write_pool(t, name, lines)


@pytest.mark.parametrize("driver", DRIVERS)
def test_volume_use_duration_marks_the_volume_used(lab_factory: Any, driver: str) -> None:
    lab = lab_factory(driver, configure=pool("UseDur", "  Volume Use Duration = 1 hour\n"))
    first = lab.run_job("run job=backup level=Full pool=UseDur yes")
    with lab.catalog() as cat:  # the volume was first written two hours ago
        cat.execute("UPDATE Media SET FirstWritten = FirstWritten - INTERVAL '2 hours'"
                    if driver == "postgresql" else
                    "UPDATE Media SET FirstWritten = datetime(FirstWritten, '-2 hours')")
    second = lab.run_job("run job=backup level=Full pool=UseDur yes")
    assert [job_status(lab, j) for j in (first, second)] == ["T", "T"]
    log = lab.run(f"list joblog jobid={second}")
    assert 'Max configured use duration=3,600 sec. exceeded. Marking Volume "UseDur-0001" as Used.' in log, log
    assert lab.query("SELECT VolumeName, VolStatus FROM Media ORDER BY VolumeName") == [
        ("UseDur-0001", "Used"), ("UseDur-0002", "Append")]


@pytest.mark.parametrize("driver", DRIVERS)
def test_purge_oldest_volume_when_the_pool_is_full(lab_factory: Any, driver: str) -> None:
    lab = lab_factory(driver, configure=pool(
        "Ring", "  Maximum Volumes = 1\n  Maximum Volume Jobs = 1\n  AutoPrune = no\n  Recycle = yes\n"
                "  Purge Oldest Volume = yes\n"))
    first = lab.run_job("run job=backup level=Full pool=Ring yes")
    assert job_status(lab, first) == "T"
    second = lab.run_job("run job=backup level=Full pool=Ring yes")
    assert job_status(lab, second) == "T"
    log = lab.run(f"list joblog jobid={second}")
    assert 'Purging oldest volume "Ring-0001"' in log and 'Recycled volume "Ring-0001"' in log, log
    assert lab.query(f"SELECT COUNT(*) FROM Job WHERE JobId = {first}") == [(0,)]
    assert lab.query("SELECT VolumeName, VolJobs, RecycleCount FROM Media") == [("Ring-0001", 1, 1)]


@pytest.mark.parametrize("driver", DRIVERS)
def test_prune_jobs_and_files_from_the_console(lab_factory: Any, driver: str) -> None:
    lab = lab_factory(driver)
    data: Path = lab.t.fileset_dir
    old = lab.run_job("run job=backup level=Full yes")
    (data / "plain.txt").write_text("changed\n")
    keep = lab.run_job("run job=backup level=Full yes")
    age(lab, [old, keep], 400 * 86400)  # both past the client's default retentions
    out = lab.run("prune files client=bareos-fd yes")
    assert "Begin pruning Files." in out and "Pruned Files from 2 Jobs for client bareos-fd from catalog." in out
    assert lab.query(f"SELECT PurgedFiles FROM Job WHERE JobId IN ({old}, {keep}) ORDER BY JobId") == [(1,), (1,)]
    assert lab.query("SELECT COUNT(*) FROM File") == [(0,)]
    out = lab.run("prune jobs client=bareos-fd pool=Full yes")
    assert "Begin pruning Jobs older than 6 months." in out, out
    # the newest Full is what a restore of the latest state needs: kept
    assert "Pruned 1 Job for client bareos-fd from catalog." in out, out
    assert [r[0] for r in lab.query("SELECT JobId FROM Job ORDER BY JobId")] == [keep]
    assert "No Jobs found to prune." in lab.run("prune jobs client=bareos-fd pool=Full yes")
