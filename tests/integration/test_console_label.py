"""Volumes labelled from the console are used by the next backup of their pool."""

from __future__ import annotations

import pytest
from bareoslab.volume.device import FileDevice

from .conftest import Lab

pytestmark = pytest.mark.integration


def test_label_then_backup_appends_to_the_labelled_volume(lab_factory) -> None:
    lab: Lab = lab_factory()
    out = lab.run("label volume=TestVolume001 storage=File pool=Full")
    assert 'Catalog record for Volume "TestVolume001", Slot 0 successfully created.' in out
    assert "3000 OK label." in out
    label = FileDevice("FileStorage", "File", lab.t.storage_dir).read_label("TestVolume001")
    assert (label.volume_name, label.pool_name, label.media_type) == ("TestVolume001", "Full", "File")
    media = lab.query("SELECT VolStatus, VolBytes FROM Media WHERE VolumeName = 'TestVolume001'")
    assert media[0][0] == "Append"
    assert media[0][1] == (lab.t.storage_dir / "TestVolume001").stat().st_size
    # labelling the same volume twice is refused
    assert 'Media record for new Volume "TestVolume001" already exists.' in lab.run(
        "label volume=TestVolume001 storage=File pool=Full")

    jobid = lab.run_job("run job=backup level=Full yes")
    rows = lab.query(
        f"SELECT m.VolumeName, m.VolJobs FROM JobMedia jm JOIN Media m ON m.MediaId = jm.MediaId WHERE jm.JobId = {jobid}")
    assert [tuple(r) for r in rows] == [("TestVolume001", 1)]
    assert lab.query("SELECT count(*) FROM Media")[0][0] == 1
