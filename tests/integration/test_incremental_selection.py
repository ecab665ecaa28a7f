"""Full -> changes -> Incremental -> Incremental -> Differential -> restore, entry by entry.

The entries each job stores are the ones a real Bareos FD sent for the same steps
(the FD decides; see ``tests/unit/filed/test_incremental_selection.py`` for the rule
behind each). Job times are whole seconds and the FD counts an entry changed when a
time of it is at or after the since-time, so every step waits for the next second
before the job that must not see it.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import pytest
from selection_tree import build_baseline

from .conftest import DRIVERS, Lab
from .test_backup_restore import tree_listing

pytestmark = pytest.mark.integration


def next_second() -> None:
    """Return in the wall clock's next whole second (job times have no fraction)."""
    time.sleep(math.ceil(time.time()) - time.time() + 0.01)


def make_changes(data: Path) -> None:
    os.utime(data / "touched.txt")
    (data / "content.txt").write_text("new content\n")
    os.chmod(data / "mode.txt", 0o600)
    os.rename(data / "rename-from.txt", data / "rename-to.txt")
    (data / "gain" / "new.txt").write_text("new\n")
    (data / "lose" / "gone.txt").unlink()
    os.link(data / "hl-old.txt", data / "hl-new.txt")
    (data / "link").unlink()
    os.symlink("content.txt", data / "link")


# what each job stores, in FileIndex order ("./" is the data directory itself)
AFTER_CHANGES = ["content.txt", "gain/new.txt", "gain/", "hl-new.txt", "hl-old.txt", "link", "lose/",
                 "mode.txt", "rename-to.txt", "touched.txt", "./"]
AFTER_CHANGES_MTIMEONLY = ["content.txt", "gain/new.txt", "gain/", "link", "lose/", "touched.txt", "./"]


def stored(lab: Lab, jobid: int, data: Path) -> list[str]:
    rows = lab.query("SELECT p.Path, f.Name FROM File f JOIN Path p ON p.PathId = f.PathId "
                     f"WHERE f.JobId = {jobid} ORDER BY f.FileIndex")
    top = str(data) + "/"
    return [(path + name)[len(top):] or "./" for path, name in rows]


def job_files(lab: Lab, jobid: int) -> tuple[str, str, int]:
    level, status, files = lab.query(f"SELECT Level, JobStatus, JobFiles FROM Job WHERE JobId = {jobid}")[0]
    return level, status, files


def use_mtimeonly(t) -> None:
    conf = t.etc / "dir" / "bareos-dir.d" / "fileset" / "LabData.conf"
    conf.write_text(conf.read_text().replace("Signature =", "mtimeonly = yes\n      Signature ="))


@pytest.mark.parametrize("driver, mtimeonly", [
    *[(d, False) for d in DRIVERS],
    ("sqlite3", True),
], ids=["sqlite3", "postgresql", "mtimeonly"])
def test_incremental_and_differential_store_what_bareos_stores(
        lab_factory, tmp_path: Path, driver, mtimeonly: bool) -> None:
    data = tmp_path / "data"
    build_baseline(data)
    next_second()
    lab: Lab = lab_factory(driver, data=data, configure=use_mtimeonly if mtimeonly else None)
    full = lab.run_job("run job=backup level=Full yes")
    assert job_files(lab, full) == ("F", "T", len(list(data.rglob("*"))) + 1)

    next_second()
    make_changes(data)
    next_second()
    incr = lab.run_job("run job=backup level=Incremental yes")
    expected = AFTER_CHANGES_MTIMEONLY if mtimeonly else AFTER_CHANGES
    assert stored(lab, incr, data) == expected
    assert job_files(lab, incr) == ("I", "T", len(expected))
    # the report's lines as Bareos prints them (field names, order, the since-time, the client's uname)
    report = lab.run(f"list joblog jobid={incr}")
    fields = [line.split(":", 1)[0].strip() for line in report.splitlines() if line.startswith("  ")
              and ":" in line]
    assert fields[:9] == ["OS Information", "JobId", "Job", "Backup Level", "Client", "FileSet", "Pool",
                          "Catalog", "Storage"]
    assert fields.index("FD Files Written") < fields.index("SD Files Written") < fields.index(
        "FD Bytes Read") < fields.index("FD Bytes Written") < fields.index("SD Bytes Written") < fields.index("Rate")
    since = lab.query(f"SELECT StartTime FROM Job WHERE JobId = {full}")[0][0]
    assert f"  Backup Level:           Incremental, since={str(since)[:19]}" in report
    assert '  Client:                 "bareos-fd" 25.0.0 (25Nov26) ' in report
    assert "  Allow Mixed Priority:   no" in report

    next_second()
    (data / "late.txt").write_text("after the first Incremental\n")
    incr2 = lab.run_job("run job=backup level=Incremental yes")
    assert stored(lab, incr2, data) == ["late.txt", "./"]

    diff = lab.run_job("run job=backup level=Differential yes")
    at = expected.index("link")  # the walk's bytewise order
    changed_since_full = [*expected[:at], "late.txt", *expected[at:]]
    assert stored(lab, diff, data) == changed_since_full
    assert job_files(lab, diff) == ("D", "T", len(changed_since_full))

    # without Accurate nothing records the deletion: the latest state restores the
    # removed and the renamed-away names too, as Bareos does
    restore_dir = lab.t.restore_dir
    out = lab.run(f"restore client=bareos-fd fileset=LabData where={restore_dir} select all done yes")
    assert f"You have selected the following JobIds: {full},{diff}" in out, out
    restore = int(out.split("JobId=")[-1].split()[0])
    lab.console.command(f"wait jobid={restore}", timeout=120)
    restored = restore_dir / str(data).lstrip("/")
    got = tree_listing(restored)
    assert sorted(set(got) - set(tree_listing(data))) == ["lose/gone.txt", "rename-from.txt"]
    # Bareos' default HardLinks = no: each name of a hard-linked file comes back on its own
    assert (restored / "hardpair-a").stat().st_ino != (restored / "hardpair-b").stat().st_ino
    for name, entry in tree_listing(data).items():
        if mtimeonly and name in ("mode.txt", "rename-to.txt", "hl-new.txt"):
            continue  # moved only their ctime: mtimeonly left them out
        assert got.get(name) == entry, name
