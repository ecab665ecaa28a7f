"""Giving up the page cache behind sequential writes and reads (``posix_fadvise``)."""

from __future__ import annotations

import contextlib
import os


class DropBehind:
    """Keep a file's pages out of the page cache once they are written or read.

    For what is written once and read rarely: a volume (by the Storage daemon) and a large
    restored file (by the File daemon). Their pages would only push the files being backed up
    (and everything else) out of the cache; and on a virtual machine whose free memory goes
    back to the host, every page the cache takes anew costs more system time than the data's
    copy (bench/README.md). Every ``EVERY`` bytes the range behind the position is given up
    (``POSIX_FADV_DONTNEED``): for a writer the last ``WINDOW`` bytes, whose dirty pages the
    advice sends to the disk and whose clean ones it drops, so each page is dropped by a
    later call once written back; for a reader everything read so far. The file's bytes are
    the same with or without it.
    """

    EVERY = 8 * 1024 * 1024
    WINDOW = 32 * 1024 * 1024

    def __init__(self, fd: int, position: int, *, writing: bool) -> None:
        self.fd = fd
        self.writing = writing
        self._next = position + self.EVERY

    def passed(self, position: int) -> None:
        """The file was written (or read) up to ``position``."""
        if position < self._next:
            return
        self._next = position + self.EVERY
        start = max(0, position - self.WINDOW) if self.writing else 0
        advise_dontneed(self.fd, start, position - start)


def advise_dontneed(fd: int, start: int = 0, length: int = 0) -> None:
    """Drop ``fd``'s cached pages in the range (0: to the end). Advice only: where there is no
    ``posix_fadvise``, or the file system refuses it, nothing happens."""
    if hasattr(os, "posix_fadvise"):
        with contextlib.suppress(OSError):
            os.posix_fadvise(fd, start, length, os.POSIX_FADV_DONTNEED)
