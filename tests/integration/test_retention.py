"""Retention at the end of a job: the Client's AutoPrune prunes jobs and files past their
retention and keeps the jobs a restore of the latest state needs; on both catalogs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bareoslab.lab.render import LocalTopology

from .conftest import DRIVERS, Lab, job_status


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
