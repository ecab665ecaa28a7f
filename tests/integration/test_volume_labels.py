"""What a backup leaves in the volume's labels, as Bareos' SD writes them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from bareoslab.volume.device import FileDevice
from bareoslab.volume.label import SessionLabel

from .conftest import Lab, job_status, wait_until

pytestmark = pytest.mark.integration


def test_labels_after_a_backup(lab_factory: Any) -> None:
    lab: Lab = lab_factory()
    jobid = lab.run_job("run job=backup level=Full yes")
    assert job_status(lab, jobid) == "T"
    device = FileDevice("FileStorage", "File", lab.t.storage_dir)
    label = device.read_label("Full-0001")
    # Bareos' CreateVolumeLabel: "Ver. <version> <date>", "Build <build time>", the SD's name
    assert (label.prog_version, label.prog_date, label.label_prog) == (
        "Ver. 25.0.0 25 November 2026", "Build 2026-11-25 00:00:00", lab.t.storage)
    sessions = [SessionLabel.from_bytes(r.data, r.file_index)
                for r in device.read_records("Full-0001", include_labels=True) if r.file_index in (-4, -5)]
    sos, eos = sessions
    assert (sos.job_id, eos.job_id) == (jobid, jobid)
    assert chr(eos.job_status) == "T"  # the status the SD set just before it wrote the EOS
    files = lab.query("SELECT JobFiles FROM Job WHERE JobId = ?", (jobid,))[0][0]
    sd_bytes = re.search(r"SD Bytes Written: +([\d,]+)", lab.run(f"list joblog jobid={jobid}"))
    assert sd_bytes is not None
    assert (eos.job_files, eos.job_bytes) == (files, int(sd_bytes[1].replace(",", "")))  # the SD's counts


def test_vol_mounts_counts_as_bareos(lab_factory: Any) -> None:
    """Labelled new: mounted once; each later job that appends to it mounts it once more
    (a real SD: 5 after five jobs on one volume)."""
    lab: Lab = lab_factory()
    for _ in range(3):
        lab.run_job("run job=backup level=Full yes")
    assert lab.query("SELECT VolumeName, VolMounts, VolJobs FROM Media") == [("Full-0001", 3, 3)]
    first_written, first_start = lab.query(
        "SELECT m.FirstWritten, j.StartTime FROM Media m, Job j WHERE j.JobId = 1")[0]
    assert first_written is not None and str(first_written)[:16] == str(first_start)[:16]


def test_a_volume_moved_to_another_pool_is_not_appended_to(lab_factory: Any) -> None:
    """GetVolInfo write=1 checks the pool as Bareos' catreq.cc: a job that would append to
    the volume its device has mounted is refused it once the volume went to another pool."""
    def two_jobs_at_once(t: Any) -> None:  # 2 MB/s: the first job still writes when the second comes
        job = t.etc / "dir" / "bareos-dir.d" / "job" / "backup.conf"
        job.write_text(job.read_text().replace("Job {\n", "Job {\n  Maximum Bandwidth = 2 mb/s\n"
                                                          "  Maximum Concurrent Jobs = 2\n", 1))

    lab: Lab = lab_factory(configure=two_jobs_at_once)
    (lab.t.fileset_dir / "big.bin").write_bytes(b"\xa5" * (8 * 1024 * 1024))
    first = int(lab.run("run job=backup level=Full yes").split("JobId=")[1].split()[0])
    assert wait_until(lambda: "Volume:      Full-0001" in lab.run("status storage=File"))
    assert "New Pool is: Incremental" in lab.run("update volume=Full-0001 pool=Incremental")
    second = int(lab.run("run job=backup level=Full yes").split("JobId=")[1].split()[0])
    lab.console.command(f"wait jobid={second}", timeout=120)
    lab.console.command(f"wait jobid={first}", timeout=120)
    assert [job_status(lab, j) for j in (first, second)] == ["T", "T"]
    refusal = '1998 Volume "Full-0001" catalog status is Append, not in Pool.'
    assert any(refusal in str(e.get("msg", "")) for e in lab.trace("dir")), "no refusal in the trace"
    volumes = lab.query("SELECT DISTINCT m.VolumeName FROM JobMedia jm JOIN Media m ON m.MediaId = jm.MediaId "
                        "WHERE jm.JobId = ?", (second,))
    assert volumes == [("Full-0002",)]


def test_jobmedia_per_maximum_file_size(lab_factory: Any) -> None:
    """A device's Maximum File Size starts a new "file" of the volume whenever a block would
    reach it, and the job records its blocks so far in a JobMedia row: with 1 MB here and
    1 MiB blocks, a row per block, each after a placeholder row (what a real SD wrote for
    the same data: ids 2, 4, ... 12, VolIndex the same)."""
    def small_files(t: Any) -> None:
        device = t.etc / "sd" / "bareos-sd.d" / "device" / "FileStorage.conf"
        device.write_text(device.read_text().replace("Device {\n", "Device {\n  Maximum File Size = 1000000\n", 1))

    lab: Lab = lab_factory(configure=small_files)
    data = lab.t.fileset_dir
    (data / "big.bin").write_bytes(bytes(range(256)) * (5_000_000 // 256))
    jobid = lab.run_job("run job=backup level=Full yes")
    assert job_status(lab, jobid) == "T"
    rows = lab.query("SELECT JobMediaId, VolIndex, FirstIndex, LastIndex, StartBlock, EndBlock FROM JobMedia "
                     "WHERE JobId = ? ORDER BY JobMediaId", (jobid,))
    blocks = [(offset, header.block_len) for offset, header in
              FileDevice("FileStorage", "File", lab.t.storage_dir).read_blocks("Full-0001")][1:]  # not the label
    assert [(r[4], r[5]) for r in rows] == [(offset, offset + length - 1) for offset, length in blocks]
    assert [r[0] for r in rows] == [r[1] for r in rows] == list(range(2, 2 * len(rows) + 1, 2))
    assert rows[0][2] == 1 and all(a[3] <= b[2] for a, b in zip(rows, rows[1:]))  # FileIndex ranges in order
    restore = lab.run_job(f"restore jobid={jobid} where={lab.t.restore_dir} all done yes")
    assert job_status(lab, restore) == "T"
    assert (lab.t.restore_dir / str(data).lstrip("/") / "big.bin").read_bytes() == (data / "big.bin").read_bytes()
