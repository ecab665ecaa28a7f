"""Backup (Full, then Incremental after a change) and restore between real daemons."""

from __future__ import annotations

import filecmp
import hashlib
import os
import stat
import time
from pathlib import Path

import pytest
from bareoslab.net.bareos64 import bin_to_base64

from .conftest import DRIVERS, Lab

pytestmark = pytest.mark.integration


def tree_listing(root: Path) -> dict[str, tuple[int, int, str]]:
    """relative path -> (mode, mtime, content digest or link target)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            rel = str(path.relative_to(root))
            if stat.S_ISLNK(st.st_mode):
                what = "-> " + os.readlink(path)
            elif stat.S_ISREG(st.st_mode):
                what = str(hash(path.read_bytes()))
            else:
                what = "dir"
            mtime = int(st.st_mtime) if not stat.S_ISDIR(st.st_mode) else 0
            out[rel] = (st.st_mode, mtime, what)
    return out


def assert_same_tree(source: Path, restored: Path) -> None:
    assert tree_listing(restored) == tree_listing(source)
    cmp = filecmp.dircmp(source, restored)
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only


def after_tree_written() -> None:
    """Start the next job in a later second than the data tree's creation.

    Job times are whole seconds and the FD counts a file changed when its mtime or
    ctime is at or after the since-time (as Bareos does), so a tree made in the
    same second as the reference backup would all count as changed.
    """
    time.sleep(1.1)


def job_row(lab: Lab, jobid: int) -> tuple:
    rows = lab.query(f"SELECT Type, Level, JobStatus, JobFiles, JobBytes FROM Job WHERE JobId = {jobid}")
    assert rows, f"no Job row {jobid}"
    return tuple(rows[0])


def keep_hard_links(t) -> None:
    """``HardLinks = yes``: Bareos' default is no since 23.0 (each name saved and restored alone)."""
    conf = t.etc / "dir" / "bareos-dir.d" / "fileset" / "LabData.conf"
    conf.write_text(conf.read_text().replace("Signature =", "HardLinks = yes\n      Signature ="))


@pytest.mark.parametrize("driver", DRIVERS)
def test_backup_full_then_incremental_then_restore(lab_factory, driver: str) -> None:
    lab: Lab = lab_factory(driver, configure=keep_hard_links)
    data = lab.t.fileset_dir
    full = lab.run_job("run job=backup level=Full yes")
    messages = lab.run("messages")
    assert "Termination:            Backup OK" in messages, messages
    # the FD's start lines, as Bareos' BackupCmd and BlastDataToStorageDaemon say them
    for line in ("Extended attribute support is enabled", "ACL support is enabled", "Version: 25.0.0 ("):
        assert f"{lab.t.client} JobId {full}: {line}" in messages, line
    entries = sum(len(d) + len(f) for _, d, f in os.walk(data)) + 1  # + the top directory
    jtype, level, status, files, nbytes = job_row(lab, full)
    assert (jtype, level, status) == ("B", "F", "T")
    assert files == entries
    assert nbytes > 700_000
    # File rows: one per entry, digests for regular files
    assert lab.query(f"SELECT count(*) FROM File WHERE JobId = {full}")[0][0] == entries
    md5s = [r[0] for r in lab.query(f"SELECT Md5 FROM File WHERE JobId = {full} AND Name = 'plain.txt'")]
    assert md5s and md5s[0] not in ("", "0")
    # random.bin is 2.7 chunks: the FD's digest thread hashed it while it was read and sent
    random_bin = data / "sub" / "deeper" / "random.bin"
    md5s = [r[0] for r in lab.query(f"SELECT Md5 FROM File WHERE JobId = {full} AND Name = 'random.bin'")]
    assert md5s == [bin_to_base64(hashlib.md5(random_bin.read_bytes()).digest(), compat=True)]
    # one volume, auto-labelled, and its JobMedia
    media = lab.query("SELECT VolumeName, VolStatus, VolJobs, VolBytes FROM Media")
    assert len(media) == 1 and media[0][0] == "Full-0001" and media[0][1] == "Append"
    volume = lab.t.storage_dir / "Full-0001"
    assert volume.stat().st_size == media[0][3]
    jm = lab.query(f"SELECT FirstIndex, LastIndex FROM JobMedia WHERE JobId = {full}")
    assert jm == [(1, entries)] or [tuple(r) for r in jm] == [(1, entries)]

    # a second Full appends to the same volume
    after_tree_written()
    full = lab.run_job("run job=backup level=Full yes")
    assert job_row(lab, full)[:3] == ("B", "F", "T")
    assert [tuple(r) for r in lab.query("SELECT VolumeName, VolJobs FROM Media")] == [("Full-0001", 2)]
    assert len(lab.query(f"SELECT JobMediaId FROM JobMedia WHERE JobId = {full}")) == 1

    # change one file, add one: the Incremental sends those (and the directories)
    time.sleep(1.1)
    (data / "plain.txt").write_text("changed\n")
    (data / "sub" / "new-file").write_text("new\n")
    incr = lab.run_job("run job=backup level=Incremental yes")
    jtype, level, status, files, _ = job_row(lab, incr)
    assert (jtype, level, status) == ("B", "I", "T")
    names = {r[0] for r in lab.query(f"SELECT Name FROM File WHERE JobId = {incr} AND Name <> ''")}
    assert names == {"plain.txt", "new-file"}
    # the Incremental Backup Pool labels its own volume
    assert [tuple(r) for r in lab.query("SELECT VolumeName FROM Media ORDER BY MediaId")] == [
        ("Full-0001",), ("Incremental-0002",)]

    out = lab.run("restore client=bareos-fd fileset=LabData where=" + str(lab.t.restore_dir)
                  + " select all done yes")
    assert f"You have selected the following JobIds: {full},{incr}" in out
    restore = int(out.split("JobId=")[-1].split()[0])
    lab.console.command(f"wait jobid={restore}", timeout=120)
    assert "Termination:            Restore OK" in lab.run("messages")
    rtype, _, rstatus, rfiles, _ = job_row(lab, restore)
    assert (rtype, rstatus) == ("R", "T")
    assert rfiles == entries + 1
    restored = lab.t.restore_dir / str(data).lstrip("/")
    assert_same_tree(data, restored)
    # hard links come back as hard links
    a, b = restored / "sub" / "hardlink-a", restored / "sub" / "hardlink-b"
    assert a.stat().st_ino == b.stat().st_ino


@pytest.mark.parametrize("driver", DRIVERS)
def test_names_that_are_not_utf8_are_kept_byte_for_byte(lab_factory, tmp_path: Path, driver: str) -> None:
    """A name is the bytes the file system gives, as in Bareos: a Latin-1 directory and file
    back up, land in the catalog as those bytes, restore under them, and an Accurate
    Incremental (the catalog's names sent back to the FD) finds them unchanged."""
    data = tmp_path / "names"
    raw = os.path.join(os.fsencode(data), b"r\xe9sum\xe9s")
    os.makedirs(raw)
    (data / "plain").write_text("fine\n")
    with open(os.path.join(raw, b"caf\xe9"), "wb") as fh:
        fh.write(b"latin-1 name\n")
    lab: Lab = lab_factory(driver, data=data, configure=accurate)
    full = lab.run_job("run job=backup level=Full yes")
    assert job_row(lab, full)[:4] == ("B", "F", "T", 4), lab.run(f"list joblog jobid={full}")
    names = {os.fsencode(path + name) for path, name in lab.query(
        f"SELECT p.Path, f.Name FROM File f JOIN Path p ON p.PathId = f.PathId WHERE f.JobId = {full}")}
    assert raw + b"/caf\xe9" in names and raw + b"/" in names

    out = lab.run(f"restore jobid={full} where={lab.t.restore_dir} all done yes")
    restore = int(out.split("JobId=")[-1].split()[0])
    lab.console.command(f"wait jobid={restore}", timeout=120)
    assert job_row(lab, restore)[2] == "T", lab.run(f"list joblog jobid={restore}")
    restored = os.path.join(os.fsencode(lab.t.restore_dir), raw.lstrip(b"/"))
    with open(os.path.join(restored, b"caf\xe9"), "rb") as fh:
        assert fh.read() == b"latin-1 name\n"
    assert_same_tree(data, lab.t.restore_dir / str(data).lstrip("/"))

    after_tree_written()
    incr = lab.run_job("run job=backup level=Incremental yes")
    assert job_row(lab, incr)[1:4] == ("I", "T", 0), lab.run(f"list joblog jobid={incr}")


def accurate(t) -> None:
    """``Accurate = yes`` on the backup job."""
    conf = t.etc / "dir" / "bareos-dir.d" / "job" / "backup.conf"
    conf.write_text(conf.read_text().replace("Job {\n", "Job {\n  Accurate = yes\n", 1))


def test_differential_without_full_is_upgraded(lab: Lab) -> None:
    jobid = lab.run_job("run job=backup level=Differential yes")
    assert job_row(lab, jobid)[1:3] == ("F", "T")
    log = lab.run(f"list joblog jobid={jobid}")
    assert "No prior or suitable Full backup found in catalog. Doing FULL backup." in log


def test_differential_holds_every_change_since_the_full(lab_factory) -> None:
    lab: Lab = lab_factory()
    data = lab.t.fileset_dir
    after_tree_written()
    lab.run_job("run job=backup level=Full yes")
    time.sleep(1.1)
    (data / "plain.txt").write_text("first change\n")
    incr = lab.run_job("run job=backup level=Incremental yes")
    time.sleep(1.1)
    (data / "sub" / "second").write_text("second change\n")
    diff = lab.run_job("run job=backup level=Differential yes")
    assert job_row(lab, diff)[:3] == ("B", "D", "T")

    def names(jobid: int) -> set[str]:
        return {r[0] for r in lab.query(f"SELECT Name FROM File WHERE JobId = {jobid} AND Name <> ''")}

    assert names(incr) == {"plain.txt"}
    assert names(diff) == {"plain.txt", "second"}


def test_xxh128_signature_as_bareos_stock_filesets(lab_factory) -> None:
    """Bareos' stock FileSets use Signature = XXH128: the catalog gets the digest, the restore checks it."""
    lab: Lab = lab_factory(signature="XXH128")
    data = lab.t.fileset_dir
    full = lab.run_job("run job=backup level=Full yes")
    (digest,) = lab.query(f"SELECT Md5 FROM File WHERE JobId = {full} AND Name = 'plain.txt'")[0]
    assert len(digest) == 22  # 16 bytes in Bareos' base64
    restore_dir = lab.t.restore_dir
    out = lab.run(f"restore jobid={full} where={restore_dir} all done yes")
    restore = int(out.split("JobId=")[-1].split()[0])
    lab.console.command(f"wait jobid={restore}", timeout=120)
    assert "Termination:            Restore OK" in lab.run(f"list joblog jobid={restore}")
    assert_same_tree(data, restore_dir / str(data).lstrip("/"))
