"""Console commands beyond label/run: catalog maintenance, live status, show, reload, cancel, restore forms."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from .conftest import Lab

pytestmark = pytest.mark.integration


def backup(lab: Lab, volume: str = "TestVolume001") -> int:
    lab.run(f"label volume={volume} storage=File pool=Full")
    return lab.run_job("run job=backup level=Full yes")


def test_console_volume_maintenance(lab_factory) -> None:
    lab: Lab = lab_factory()
    jobid = backup(lab)
    out = lab.run("update volume=TestVolume001 volstatus=Used volretention=1")
    assert "New Volume status is: Used" in out and "New retention period is: 1 sec" in out
    assert lab.query("SELECT VolStatus, VolRetention FROM Media")[0] == ("Used", 1)
    assert "Invalid VolStatus specified: Bogus" in lab.run(
        "update volume=TestVolume001 volstatus=Bogus"
    )

    lab.run("label volume=TestVolume002 storage=File pool=Full")
    assert (
        "Pruning volume TestVolume002: cannot prune as Volstatus is Append but needs to be Full or Used."
        in lab.run("prune volume=TestVolume002 yes")
    )
    time.sleep(2.1)  # let the 1 s retention pass
    out = lab.run("prune volume=TestVolume001 yes")
    assert f"Purging the following 1 JobIds: {jobid}" in out
    assert 'Volume "TestVolume001" contains no jobs after pruning.' in out
    assert (
        lab.query("SELECT VolStatus FROM Media WHERE VolumeName = 'TestVolume001'")[0][0]
        == "Purged"
    )
    assert lab.query("SELECT count(*) FROM Job")[0][0] == 0

    second = lab.run_job("run job=backup level=Full yes")
    third = lab.run_job("run job=backup level=Full yes")
    assert f"JobId={second} and associated records deleted from the catalog." in lab.run(
        f"delete jobid={second}"
    )
    out = lab.run("purge volume=TestVolume002 yes")
    assert f"Purging the following 1 JobIds: {third}" in out
    out = lab.run("delete volume=TestVolume002", "yes")
    assert 'Are you sure you want to delete Volume "TestVolume002"? (yes/no): ' in out
    assert [r[0] for r in lab.query("SELECT VolumeName FROM Media")] == ["TestVolume001"]
    assert "No results to list." in lab.run("list jobs")


def test_console_status_show_reload_and_lists(lab_factory) -> None:
    lab: Lab = lab_factory()
    jobid = backup(lab)
    assert "No Jobs running." in lab.run("status dir")
    out = lab.run("status storage=File")
    assert (
        f"Connecting to Storage daemon File at {lab.t.host}:{lab.t.sd_port}" in out
        and "No Jobs running." in out
    )
    out = lab.run(f"status client={lab.t.client}")
    assert f"Connecting to Client {lab.t.client}" in out and "No Jobs running." in out
    # the backup above already reached the client: no probing, how the connection started
    assert "Probing client protocol" not in out
    assert re.search(r" Handshake: Immediate TLS, Encryption: \S*PSK\S* TLSv1\.2", out), out

    out = lab.run("list jobs jobstatus=T last")
    assert f"|     {jobid} | backup" in out
    assert "No results to list." in lab.run("list jobs client=nosuchclient")
    assert "count" in lab.run("list jobs count")
    assert "Pool: Full" in lab.run("list volumes") and "TestVolume001" in lab.run(
        "list volumes pool=Full"
    )
    assert "LabData" in lab.run("list filesets")
    assert lab.t.client in lab.run("list clients") and "File" in lab.run("list storages")
    assert "Full" in lab.run("list pools")
    assert "plain.txt" in lab.run(f"list files jobid={jobid}")
    assert "TestVolume001" in lab.run(f"list jobmedia jobid={jobid}")
    assert "Termination:" in lab.run(f"list joblog jobid={jobid}")
    assert "       jobstatus: T" in lab.run(f"llist jobid={jobid}")

    out = lab.run("show jobs")
    assert 'Name = "backup"' in out and 'JobDefs = "DefaultJob"' in out
    assert "Label Format" in lab.run("show pool=Full")

    job = lab.t.etc / "dir" / "bareos-dir.d" / "job" / "backup2.conf"
    job.write_text('Job {\n  Name = "backup2"\n  JobDefs = "DefaultJob"\n}\n')
    assert "backup2" not in lab.run(".jobs")
    lab.run("reload")
    assert "backup2" in lab.run(".jobs")
    job.write_text("Job {\n  Name = broken\n")
    assert "reload failed, the configuration is unchanged" in lab.run("reload")
    assert lab.run_job("run job=backup2 level=Full yes") > jobid


def test_console_restore_forms_and_cancel(lab_factory, tmp_path: Path) -> None:
    data = tmp_path / "big"
    data.mkdir()
    (data / "small.txt").write_text("small\n")
    with open(data / "big.bin", "wb") as fh:
        block = bytes(range(256)) * 4096
        for _ in range(400):
            fh.write(block)
    lab: Lab = lab_factory(data=data)
    jobid = backup(lab)
    where = tmp_path / "one"
    out = lab.run(f"restore jobid={jobid} file={data}/small.txt where={where} all done yes")
    assert "1 file selected to be restored." in out
    restore_id = int(out.split("Job queued. JobId=")[1].split()[0])
    assert "JobStatus=OK (T)" in lab.run(f"wait jobid={restore_id}")
    assert (where / str(data).lstrip("/") / "small.txt").read_text() == "small\n"
    assert not (where / str(data).lstrip("/") / "big.bin").exists()
    assert "Job not run." in lab.run(f"restore jobid={jobid} where={where} all done", "no")
    assert 'Client "nosuch" not found.' in lab.run(
        f"restore jobid={jobid} restoreclient=nosuch all done yes"
    )

    out = lab.run("run job=backup level=Full yes")
    running = int(out.split("JobId=")[1].split()[0])
    out = lab.run(f"cancel jobid={running}")
    assert f"JobId {running}, Job backup." in out and "marked to be canceled." in out
    assert "JobStatus=Canceled (A)" in lab.run(f"wait jobid={running}")
    assert "No Jobs running." in lab.run("cancel jobid=99")
    assert "No Jobs running." in lab.run("status dir")
