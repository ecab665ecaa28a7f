"""Accurate mode on the FD: the Director's list, the per-file decision, the deleted entries."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from bareoslab.codes import FileType
from bareoslab.filed.accurate import AccurateList
from bareoslab.filed.attribs import decode_attributes, encode_lstat
from bareoslab.filed.backup import Totals, generate
from bareoslab.filed.estimate import estimate
from bareoslab.filed.fileset import Options
from bareoslab.lsformat import encode_mode as _mode
from bareoslab.net.bareos64 import bin_to_base64

from .helpers import listing, spec_for


def listed(path: Path, checksum: str = "", name: str | None = None) -> bytes:
    key = name if name is not None else str(path) + ("/" if path.is_dir() else "")
    return b"%s\0%s\0%s\0%d" % (key.encode(), encode_lstat(os.lstat(path)).encode(), checksum.encode(), 0)


def catalog_of(root: Path) -> AccurateList:
    """The list a Director would send after a Full of ``root``."""
    acc = AccurateList()
    for p in [root, *sorted(root.rglob("*"))]:
        acc.add(listed(p))
    return acc


def tree(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    (root / "d").mkdir(parents=True)
    (root / "a.txt").write_text("alpha\n")
    (root / "d" / "b.txt").write_text("beta\n")
    (root / "gone.txt").write_text("soon deleted\n")
    return root


def test_nothing_changed_sends_nothing_and_nothing_is_deleted(tmp_path: Path) -> None:
    root = tree(tmp_path)
    acc = catalog_of(root)
    assert listing(spec_for(root), root, check=acc) == []
    assert list(acc.deleted()) == []


def test_new_changed_and_deleted_entries(tmp_path: Path) -> None:
    root = tree(tmp_path)
    acc = catalog_of(root)
    before = os.lstat(root / "gone.txt")
    (root / "gone.txt").unlink()
    (root / "new.txt").write_text("new\n")
    with open(root / "d" / "b.txt", "a") as f:  # size and times change
        f.write("more\n")
    later = before.st_mtime + 10  # the catalog keeps whole seconds: move the directory's clearly
    os.utime(root, (later, later))
    got = listing(spec_for(root), root, check=acc)
    assert got == [("REG", "d/b.txt"), ("REG", "new.txt"), ("DIREND", "./")]
    ((name, lstat),) = list(acc.deleted())
    assert name == str(root / "gone.txt")
    # only the listed mtime and ctime go with a deleted entry (Bareos SendDeletedList)
    assert (lstat.st_mtime, lstat.st_ctime) == (int(before.st_mtime), int(before.st_ctime))
    assert (lstat.st_mode, lstat.st_size, lstat.st_ino) == (0, 0, 0)


def test_accurate_letters_decide_what_counts(tmp_path: Path) -> None:
    root = tree(tmp_path)
    acc = catalog_of(root)
    os.chmod(root / "a.txt", 0o600)  # ctime and mode move, nothing else
    spec = spec_for(root / "a.txt", options=[Options(accurate="m")])
    assert listing(spec, root, check=acc) == []  # mtime alone: unchanged
    spec = spec_for(root / "a.txt", options=[Options(accurate="p")])
    assert listing(spec, root, check=acc) == [("REG", "a.txt")]
    spec = spec_for(root / "a.txt", options=[Options(accurate="A")])
    assert listing(spec, root, check=acc) == [("REG", "a.txt")]


def test_checksum_letter_compares_the_digest(tmp_path: Path) -> None:
    root = tree(tmp_path)
    path = root / "a.txt"
    digest = bin_to_base64(hashlib.md5(path.read_bytes()).digest(), compat=True)
    spec = spec_for(path, options=[Options(accurate="5", signature="MD5")])
    acc = AccurateList()
    acc.add(listed(path, digest))
    assert listing(spec, root, check=acc) == []
    stat = os.lstat(path)
    path.write_text("ALPHA\n")  # same size; times put back: only the content differs
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    acc = AccurateList()
    acc.add(listed(path, digest))
    assert listing(spec, root, check=acc) == [("REG", "a.txt")]
    acc = AccurateList()
    acc.add(listed(path, ""))  # no checksum in the catalog: sent (Bareos warns)
    assert listing(spec, root, check=acc) == [("REG", "a.txt")]


def test_a_name_listed_twice_keeps_its_first_entry_and_unknown_names_are_deleted(tmp_path: Path) -> None:
    root = tree(tmp_path)
    acc = catalog_of(root)
    acc.add(listed(root / "d", name=str(root / "a.txt")))  # a second, different entry for a.txt
    acc.add(listed(root / "a.txt", name="/nowhere/at/all"))
    assert listing(spec_for(root), root, check=acc) == []
    assert [name for name, _ in acc.deleted()] == ["/nowhere/at/all"]


def test_the_data_stream_ends_with_the_deleted_entries(tmp_path: Path) -> None:
    root = tree(tmp_path)
    acc = catalog_of(root)
    (root / "gone.txt").unlink()
    totals = Totals()
    items = list(generate(spec_for(root), None, totals, threading.Event(), acc))
    records = [i for i in items if isinstance(i, bytes)]
    assert records[-2:] == [b"1 1 0", records[-1]]
    attrs = decode_attributes(records[-1])
    assert (attrs.file_index, attrs.file_type, attrs.name) == (1, FileType.DELETED, str(root / "gone.txt"))
    assert attrs.lstat.st_mtime > 0 and attrs.lstat.st_mode == 0
    assert totals.files == 1


def test_estimate_lines_as_bareos_ls_output(tmp_path: Path) -> None:
    assert _mode(0o100640) == "-rw-r-----" and _mode(0o104755) == "-rwsr-xr-x" and _mode(0o41777) == "drwxrwxrwt"
    assert _mode(0o10644) == "frw-r--r--" and _mode(0o120777) == "lrwxrwxrwx"
    root = tree(tmp_path)
    found = estimate(spec_for(root), None, None, listing=True)
    assert (found.files, found.bytes) == (5, len("alpha\n") + len("beta\n") + len("soon deleted\n"))
    assert found.lines[0].endswith(f"  {root}/a.txt") and found.lines[0].startswith("-rw-")
