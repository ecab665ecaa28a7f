"""What a backup leaves in the volume's labels, as Bareos' SD writes them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from bareoslab.volume.device import FileDevice
from bareoslab.volume.label import SessionLabel

from .conftest import Lab, job_status

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
