"""Load: 200 jobs from 4 clients queued at once, every connection mode among them; all end T
and the catalog adds up (JobMedia, volumes, files) on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from bareoslab.lab.local.render import topology

from .conftest import DRIVERS

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
JOBS = 200


def four_clients(tmp_path: Path) -> Path:
    """The one-sd inventory with a second client the Director calls: 4 clients, 3 modes."""
    inventory = tmp_path / "inventory"
    shutil.copytree(ROOT / "inventories" / "one-sd", inventory)
    hosts = inventory / "hosts.yml"
    hosts.write_text(hosts.read_text().replace("        lab-fd-director:\n",
                                               "        lab-fd-director:\n        lab-fd-director2:\n"))
    (inventory / "host_vars" / "lab-fd-director2.yml").write_text(
        "bareoslab_client_connection: director\nbareoslab_client_password: second-director-client-password\n")
    return inventory


@pytest.mark.parametrize("driver", DRIVERS)
def test_200_jobs_from_4_clients_at_once_all_end_T_and_the_catalog_adds_up(lab_factory: Any, tmp_path: Path,
                                                                          driver: str) -> None:
    lab = lab_factory(driver, inventory=four_clients(tmp_path))
    clients = [c.name for c in topology(lab.t).clients]
    assert len(clients) == 4
    queued = lab.run(*(f"run job=backup-{clients[i % 4]} level=Full yes" for i in range(JOBS)))
    jobids = [int(part.split()[0]) for part in queued.split("Job queued. JobId=")[1:]]
    assert len(jobids) == JOBS, queued[-2000:]
    lab.console.command("wait", timeout=1200)

    status = lab.query("SELECT JobStatus, COUNT(*) FROM Job WHERE Type = 'B' GROUP BY JobStatus")
    assert status == [("T", JOBS)], status
    entries = lab.query("SELECT DISTINCT JobFiles FROM Job WHERE Type = 'B'")
    assert len(entries) == 1 and entries[0][0] > 0  # the same tree from every client
    per_client = lab.query("SELECT Client.Name, COUNT(*) FROM Job JOIN Client USING (ClientId) GROUP BY Client.Name")
    assert sorted(n for _, n in per_client) == [JOBS // 4] * 4
    # every job's files are in File, each under a JobMedia range of a volume it wrote
    files = lab.query("SELECT Job.JobId, Job.JobFiles, COUNT(File.FileId) FROM Job "
                      "LEFT JOIN File ON File.JobId = Job.JobId WHERE File.FileIndex > 0 "
                      "GROUP BY Job.JobId, Job.JobFiles")
    assert len(files) == JOBS and all(count == job_files for _, job_files, count in files)
    uncovered = lab.query("SELECT COUNT(*) FROM Job WHERE Type = 'B' AND NOT EXISTS "
                          "(SELECT 1 FROM JobMedia WHERE JobMedia.JobId = Job.JobId AND JobMedia.LastIndex >= 1)")
    assert uncovered == [(0,)]
    # the volumes' catalog sizes are their files' sizes; VolJobs counts every job on them
    volumes = lab.query("SELECT VolumeName, VolBytes, VolJobs FROM Media WHERE VolBytes > 0")
    storage = Path(lab.t.base)
    on_disk = {p.name: p.stat().st_size for p in storage.rglob("*") if p.is_file() and p.name in
               {v for v, _, _ in volumes}}
    assert {v: b for v, b, _ in volumes} == on_disk
    assert sum(j for _, _, j in volumes) == JOBS
