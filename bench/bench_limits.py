"""The limits a run is compared with, measured on the same data in the same run, and restore checks.

* ``md5sum``: ``find DIR -type f -print0 | xargs -0 md5sum``, one process at a time, so one
  core hashing, as the File Daemon does with ``Signature = MD5``: the File Daemon's ceiling.
* ``tar | cat``: ``tar -cf - DIR | cat > /dev/null``: walking and reading the tree and
  pushing the bytes through a pipe (``cat`` keeps GNU tar from skipping the reads, which it
  does when it writes to /dev/null itself).
* ``tar -x``: ``tar -b 2048 -cf - DIR | tar -b 2048 -xf - -C NEW`` (1 MiB records): creating
  the same files and writing the same bytes, the restore's limit. File creation costs depend much on the file
  system's state (see :func:`tar_extract_rate`), so it is measured right before the restore.

Both run on a warm page cache: :func:`warm_cache` reads the tree once before.
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench_data import BenchError, Dataset, md5_tree


@dataclass
class Rate:
    seconds: float
    bytes: int
    files: int

    @property
    def mb_s(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds > 0 else 0.0

    @property
    def files_s(self) -> float:
        return self.files / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "seconds": round(self.seconds, 4),
            "bytes": self.bytes,
            "files": self.files,
            "mb_s": round(self.mb_s, 2),
            "files_s": round(self.files_s, 1),
        }


def _tar_pipe(root: Path) -> float:
    cmd = f"tar -cf - -C {shlex.quote(str(root.parent))} {shlex.quote(root.name)} | cat > /dev/null"
    t0 = time.monotonic()
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True)
    seconds = time.monotonic() - t0
    if proc.returncode != 0:
        raise BenchError(
            f"{cmd} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-500:]}"
        )
    return seconds


def warm_cache(ds: Dataset) -> float:
    """Read every file once so the measurements below (and the backup) run from the page cache."""
    return _tar_pipe(ds.root)


def md5sum_rate(ds: Dataset) -> Rate:
    digests, seconds = md5_tree(ds.root)
    if digests != ds.md5:
        bad = sorted(k for k in set(digests) | set(ds.md5) if digests.get(k) != ds.md5.get(k))
        raise BenchError(
            f"the data set in {ds.root} changed since it was made ({len(bad)} files differ, "
            f"e.g. {bad[:3]}); delete {ds.root.parent} to make it again"
        )
    return Rate(seconds, ds.bytes, ds.files)


def tar_rate(ds: Dataset) -> Rate:
    return Rate(_tar_pipe(ds.root), ds.bytes, ds.files)


def tar_extract_rate(ds: Dataset, dest: Path) -> Rate:
    """Copy the tree with ``tar -cf - | tar -xf -`` into the new directory ``dest``.

    Call it after a ``sync``, like the restore: with the backup's volume still dirty in
    the page cache, the kernel throttles the writer and the figure halves.

    ext4 without a journal skips inodes freed in the last 60 s (360 s while their inode
    table block is dirty) when it allocates new ones (``recently_deleted`` in
    ``fs/ext4/ialloc.c``), which can make each file creation cost ~1 ms right after a big
    tree was deleted; the caller keeps such trees until the end of the benchmark.
    """
    dest.mkdir(parents=True)
    cmd = (
        f"tar -b 2048 -cf - -C {shlex.quote(str(ds.root.parent))} {shlex.quote(ds.root.name)} "
        f"| tar -b 2048 -xf - -C {shlex.quote(str(dest))}"
    )
    t0 = time.monotonic()
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True)
    seconds = time.monotonic() - t0
    if proc.returncode != 0:
        raise BenchError(
            f"{cmd} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-500:]}"
        )
    return Rate(seconds, ds.bytes, ds.files)


@dataclass
class RestoreCheck:
    """How a restored tree compares with the data set."""

    root: str
    files_expected: int
    files_found: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    content_differs: list[str] = field(default_factory=list)
    metadata_differs: list[str] = field(default_factory=list)  # size is content; mode, mtime here
    dirs_missing: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def identical(self) -> bool:
        """Same files with the same bytes (the condition for the figures to count)."""
        return (
            not (self.missing or self.extra or self.content_differs)
            and self.files_found == self.files_expected
        )

    def summary(self) -> str:
        if self.identical and not self.metadata_differs and not self.dirs_missing:
            return f"identical: {self.files_found:,} files, same bytes, modes and mtimes"
        parts = []
        for label, items in (
            ("missing", self.missing),
            ("extra", self.extra),
            ("content differs", self.content_differs),
            ("mode/mtime differs", self.metadata_differs),
            ("directories missing", self.dirs_missing),
        ):
            if items:
                parts.append(f"{len(items):,} {label} (e.g. {', '.join(items[:3])})")
        head = "bytes identical" if self.identical else "NOT IDENTICAL"
        return f"{head}: {self.files_found:,}/{self.files_expected:,} files; " + "; ".join(parts)

    def as_dict(self, limit: int = 20) -> dict[str, object]:
        return {
            "root": self.root,
            "identical": self.identical,
            "files_expected": self.files_expected,
            "files_found": self.files_found,
            "missing": self.missing[:limit],
            "extra": self.extra[:limit],
            "content_differs": self.content_differs[:limit],
            "metadata_differs": self.metadata_differs[:limit],
            "dirs_missing": self.dirs_missing[:limit],
            "counts": {
                "missing": len(self.missing),
                "extra": len(self.extra),
                "content_differs": len(self.content_differs),
                "metadata_differs": len(self.metadata_differs),
                "dirs_missing": len(self.dirs_missing),
            },
            "seconds": round(self.seconds, 2),
            "summary": self.summary(),
        }


def restored_root(where: Path, source: Path) -> Path:
    """Where Bareos puts ``source`` when restoring with ``where``: the full path below it."""
    return where / source.relative_to(source.anchor)


def check_restore(ds: Dataset, where: Path) -> RestoreCheck:
    """Every file's MD5 (``md5sum``), size, mode and mtime, and every directory, against the data set."""
    t0 = time.monotonic()
    root = restored_root(where, ds.root)
    check = RestoreCheck(root=str(root), files_expected=ds.files)
    if not root.is_dir():
        check.missing = sorted(ds.md5)
        check.seconds = time.monotonic() - t0
        return check
    digests, _ = md5_tree(root)
    check.files_found = len(digests)
    check.missing = sorted(set(ds.md5) - set(digests))
    check.extra = sorted(set(digests) - set(ds.md5))
    for rel, digest in sorted(digests.items()):
        ref = ds.md5.get(rel)
        if ref is None:
            continue
        if ref != digest:
            check.content_differs.append(rel)
            continue
        a, b = os.lstat(ds.root / rel), os.lstat(root / rel)
        if stat.S_IMODE(a.st_mode) != stat.S_IMODE(b.st_mode) or int(a.st_mtime) != int(b.st_mtime):
            check.metadata_differs.append(rel)
    for dirpath, _dirs, _files in os.walk(ds.root):
        rel = os.path.relpath(dirpath, ds.root)
        if not (root / rel).is_dir():
            check.dirs_missing.append(rel)
    check.seconds = time.monotonic() - t0
    return check
