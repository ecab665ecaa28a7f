"""``estimate``: the client counts what a backup would send (Bareos' EstimateCmd)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from .conftest import Lab
from .test_incremental_selection import next_second

pytestmark = pytest.mark.integration


def expected(root: Path) -> tuple[int, int]:
    """(entries, bytes of regular files) -- each name of a hard link on its own (HardLinks = no)."""
    entries, size = 1, 0
    for top, dirs, files in os.walk(root):
        entries += len(dirs) + len(files)
        for name in files:
            st = os.lstat(os.path.join(top, name))
            if stat.S_ISREG(st.st_mode):  # a regular file, not a link to one
                size += st.st_size
    return entries, size


def test_estimate_counts_listing_and_levels(lab_factory) -> None:
    lab: Lab = lab_factory()
    t = lab.t
    entries, size = expected(t.fileset_dir)
    out = lab.run("estimate job=backup level=Full")
    assert f"Connecting to Client {t.client} at {t.host}:{t.fd_port}" in out
    assert f"2000 OK estimate files={entries:,} bytes={size:,}" in out
    listed = lab.run("estimate job=backup level=Full listing")
    assert "-rw-r-----   1 root     root              13 " in listed  # plain.txt, mode 0640
    assert f"  {t.fileset_dir}/plain.txt" in listed
    assert f"  {t.fileset_dir}/symlink -> plain.txt" in listed
    assert lab.query("SELECT count(*) FROM Job")[0][0] == 0  # an estimate is no job

    next_second()
    lab.run_job("run job=backup level=Full yes")
    next_second()
    assert "2000 OK estimate files=0 bytes=0" in lab.run("estimate job=backup level=Incremental")
    (t.fileset_dir / "new.txt").write_text("12345\n")
    # the new file and its directory
    assert "2000 OK estimate files=2 bytes=6" in lab.run("estimate job=backup level=Incremental")


def test_estimate_refuses_what_bareos_refuses(lab_factory) -> None:
    lab: Lab = lab_factory()
    assert 'Level "Sometimes" not valid.' in lab.run("estimate job=backup level=Sometimes")
    assert "Invalid value for accurate.  It must be YES or NO." in lab.run("estimate job=backup accurate=maybe")
    assert "Wrong job specified of type Restore." in lab.run("estimate job=RestoreFiles")
