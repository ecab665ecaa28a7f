"""The benchmark data sets: made once by ``make_dataset.py``, cached by profile, scale and seed.

A cached data set lives in ``WORK/datasets/<profile>-scale<scale>-seed<seed>/``:
the tree itself in ``<profile>/`` (what the FileSet backs up) and ``dataset.json``
beside it (the generator's summary, the file count, bytes, allocated bytes and the
reference MD5 of every file, relative path -> digest). ``dataset.json`` is written
last, so a directory without it is an interrupted generation and is made again.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

GiB = 1 << 30
MiB = 1 << 20
KiB = 1 << 10
DEFAULT_GENERATOR = Path("/work/shared/bench/make_dataset.py")
PROFILES = ("large", "small", "mixed")
HEADROOM = 1 * GiB  # kept free beyond what a run needs (catalog, logs, the rest of the system)


class BenchError(Exception):
    """A step of the benchmark could not be done; the message says why."""


@dataclass
class Dataset:
    profile: str
    scale: float
    seed: int
    root: Path  # the tree the FileSet names
    files: int
    dirs: int
    bytes: int  # apparent size of the regular files
    alloc_bytes: int  # blocks allocated on disk (files and directories)
    md5: dict[str, str]  # relative path -> hex digest (the reference for restores)
    summary: str  # make_dataset.py's line

    @property
    def label(self) -> str:
        return f"{self.profile}-scale{self.scale:g}-seed{self.seed}"


def dataset_key(profile: str, scale: float, seed: int) -> str:
    return f"{profile}-scale{scale:g}-seed{seed}"


def estimate_bytes(profile: str, scale: float) -> tuple[int, int]:
    """(apparent bytes, allocated bytes) of a profile before it exists, generously rounded."""
    if profile == "large":
        size = 4 * max(1, int(512 * MiB * scale))
        return size, size + 4 * 4096
    if profile == "small":
        n = max(1, int(round(50000 * scale)))
        apparent = n * int(8.5 * KiB)
        return apparent, n * 12 * KiB + 1110 * 4096  # 4 KiB blocks round every file up
    size = max(MiB, int(GiB * scale))
    return size, int(size * 1.1)


def run_need(alloc_bytes: int, apparent_bytes: int) -> int:
    """Disk needed by one run: the volume (data plus record and block headers) and the restore."""
    volume = int(apparent_bytes * 1.05) + 64 * MiB
    return volume + alloc_bytes


def free_bytes(path: Path) -> int:
    probe = path
    while not probe.exists():
        probe = probe.parent
    return shutil.disk_usage(probe).free


def check_space(path: Path, need: int, what: str) -> None:
    """Refuse with a clear message unless ``need`` bytes plus headroom are free under ``path``."""
    free = free_bytes(path)
    if free < need + HEADROOM:
        raise BenchError(
            f"not enough free disk space under {path} for {what}: need {(need + HEADROOM) / GiB:.1f} GiB "
            f"({need / GiB:.1f} GiB + {HEADROOM / GiB:.0f} GiB headroom), only {free / GiB:.1f} GiB free. "
            f"Free some space, point --work at a bigger file system, or use a smaller --scale."
        )


def _tree_stats(root: Path) -> tuple[int, int, int, int]:
    files = dirs = apparent = alloc = 0
    for dirpath, _dirnames, filenames in os.walk(root):
        dirs += 1
        alloc += os.lstat(dirpath).st_blocks * 512
        for name in filenames:
            st = os.lstat(os.path.join(dirpath, name))
            if stat.S_ISREG(st.st_mode):
                files += 1
                apparent += st.st_size
            alloc += st.st_blocks * 512
    return files, dirs, apparent, alloc


def md5_tree(root: Path, out_file: Path | None = None) -> tuple[dict[str, str], float]:
    """MD5 of every regular file under ``root`` with ``md5sum`` (one process at a time, one core).

    Returns (relative path -> digest, seconds). The walk (``find``) is part of the time,
    as it is part of the File Daemon's work.
    """
    cmd = f"find {_q(root)} -type f -print0 | xargs -0 -r md5sum"
    t0 = time.monotonic()
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True)
    seconds = time.monotonic() - t0
    if proc.returncode != 0:
        raise BenchError(
            f"md5sum over {root} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-500:]}"
        )
    digests: dict[str, str] = {}
    prefix = str(root).rstrip("/") + "/"
    for line in proc.stdout.decode("utf-8", "surrogateescape").splitlines():
        digest, _, name = line.partition("  ")
        if line.startswith("\\"):  # md5sum escapes names with backslash or newline
            raise BenchError(f"unexpected file name in {root}: {line!r}")
        digests[name[len(prefix) :] if name.startswith(prefix) else name] = digest
    if out_file is not None:
        out_file.write_bytes(proc.stdout)
    return digests, seconds


def _q(path: Path) -> str:
    return shlex.quote(str(path))


def ensure_dataset(
    work: Path, profile: str, scale: float, seed: int, generator: Path, say=print
) -> Dataset:
    """The cached data set, made first if it is missing or incomplete."""
    if profile not in PROFILES:
        raise BenchError(f"unknown profile {profile!r} (known: {', '.join(PROFILES)})")
    key = dataset_key(profile, scale, seed)
    base = work / "datasets" / key
    meta = base / "dataset.json"
    if meta.exists():
        try:
            info = json.loads(meta.read_text())
            ds = Dataset(
                profile=profile,
                scale=scale,
                seed=seed,
                root=base / profile,
                files=info["files"],
                dirs=info["dirs"],
                bytes=info["bytes"],
                alloc_bytes=info["alloc_bytes"],
                md5=info["md5"],
                summary=info["summary"],
            )
            if ds.root.is_dir():
                say(
                    f"data set {key}: cached in {base} ({ds.files:,} files, {ds.bytes / 1e6:,.1f} MB)"
                )
                return ds
        except (OSError, ValueError, KeyError):
            pass
    if not generator.is_file():
        raise BenchError(f"data set generator not found: {generator} (use --generator PATH)")
    _, alloc = estimate_bytes(profile, scale)
    if base.exists():
        shutil.rmtree(base)
    check_space(work, alloc, f"the {key} data set")
    base.mkdir(parents=True)
    say(f"data set {key}: generating with {generator.name} (once; cached for later runs) ...")
    t0 = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            str(generator),
            "--seed",
            str(seed),
            "--scale",
            repr(scale),
            "--force",
            str(base),
            profile,
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise BenchError(f"{generator} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    root = base / profile
    files, dirs, apparent, alloc_bytes = _tree_stats(root)
    say(f"data set {key}: {summary} ({time.monotonic() - t0:.1f} s); computing reference MD5s ...")
    digests, _ = md5_tree(root)
    if len(digests) != files:
        raise BenchError(f"md5sum saw {len(digests)} files in {root}, the walk {files}")
    info = {
        "profile": profile,
        "scale": scale,
        "seed": seed,
        "files": files,
        "dirs": dirs,
        "bytes": apparent,
        "alloc_bytes": alloc_bytes,
        "summary": summary,
        "md5": digests,
    }
    tmp = meta.with_suffix(".tmp")
    tmp.write_text(json.dumps(info))
    tmp.replace(meta)
    return Dataset(
        profile=profile,
        scale=scale,
        seed=seed,
        root=root,
        files=files,
        dirs=dirs,
        bytes=apparent,
        alloc_bytes=alloc_bytes,
        md5=digests,
        summary=summary,
    )


class Trash:
    """Trees of many files are moved here and deleted at the end (see ``tar_extract_rate``).

    Deleting tens of thousands of files makes file creation slow for a minute or more on
    ext4 without a journal, which would show up in the next restore; so they are only
    renamed during the benchmark. ``WORK/last-mass-delete`` remembers when a deletion
    happened, so the next benchmark waits until the file system has settled.
    """

    #: RECENTCY_DIRTY (300 s) in fs/ext4/ialloc.c, plus margin: the sync cleans the freed inodes'
    #: table blocks, but the next run's new files dirty them again, and RECENTCY_MIN (60 s, what
    #: this was) is not enough: a restore of 50,000 files 65 s after a mass deletion ran 40 %
    #: slower in all three runs of a benchmark, and at full speed 400 s after it
    SETTLE = 310.0

    def __init__(self, work: Path, say: Callable[[str], None] = print) -> None:
        self.dir = work / "trash"
        self.stamp = work / "last-mass-delete"
        self.say = say
        self.n = 0

    def put(self, path: Path) -> None:
        if path.exists():
            self.dir.mkdir(parents=True, exist_ok=True)
            self.n += 1
            path.rename(self.dir / f"{self.n:03d}-{path.parent.name}-{path.name}")

    def empty(self, *also: Path) -> None:
        """Delete the trash (and ``also``); sync, so the freed inodes' blocks are clean."""
        files = 0
        for tree in (self.dir, *also):
            if tree.exists():
                files += sum(len(f) for _, _, f in os.walk(tree))
                subprocess.run(["rm", "-rf", "--one-file-system", "--", str(tree)], check=False)
                shutil.rmtree(tree, ignore_errors=True)
        if files:
            subprocess.run(["sync"], check=False)
            if files > 1000:
                self.stamp.write_text(f"{time.time()}\n")

    def settle(self) -> None:
        """Wait until the last mass deletion is SETTLE seconds old."""
        try:
            when = float(self.stamp.read_text())
        except (OSError, ValueError):
            return
        wait = when + self.SETTLE - time.time()
        if wait > 0:
            self.say(
                f"waiting {wait:.0f} s for the file system to settle after deleting many files "
                f"(ext4 without a journal avoids recently freed inodes) ..."
            )
            time.sleep(wait)
