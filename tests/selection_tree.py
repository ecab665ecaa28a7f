"""The data tree of the Incremental-selection tests, shared by the unit and integration tests.

The same steps were run through a real Bareos FD to get the entries the tests expect.
"""

from __future__ import annotations

import os
from pathlib import Path


def build_baseline(data: Path) -> None:
    """The tree the reference (Full) backup saw."""
    data.mkdir()
    for name in ("touched.txt", "content.txt", "mode.txt", "rename-from.txt", "hl-old.txt"):
        (data / name).write_text(f"{name} as the Full saw it\n")
    os.symlink("touched.txt", data / "link")
    for directory, files in (("gain", ["keep.txt"]), ("lose", ["gone.txt", "stay.txt"]),
                             ("untouched", ["file.txt"]), ("empty", [])):
        (data / directory).mkdir()
        for name in files:
            (data / directory / name).write_text(name + "\n")
    os.mkfifo(data / "fifo")
    (data / "hardpair-a").write_text("two names\n")
    os.link(data / "hardpair-a", data / "hardpair-b")


def file_system_tick(probe: Path) -> float:
    """A file-system timestamp later than every one taken before the call.

    File times come from the kernel's coarse clock, which can lag ``time.time()``;
    touching a probe until its mtime moves gives a since-time that every earlier
    change is before and every later change is at or after, without sleeping.
    """
    probe.touch()
    first = probe.stat().st_mtime_ns
    for _ in range(1_000_000):
        os.utime(probe)
        st = probe.stat()
        if st.st_mtime_ns > first:
            return st.st_mtime
    raise AssertionError("the file-system clock did not move")
