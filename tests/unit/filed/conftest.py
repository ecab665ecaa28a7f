"""Fixtures for the File Daemon's file-system side."""

from __future__ import annotations

import os

import pytest

from .helpers import NON_UTF8


@pytest.fixture
def tree(tmp_path):
    """A small source tree with every kind of file the walk knows."""
    src = tmp_path / "src"
    (src / "d1" / "sub").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"hello world\n")
    (src / "empty").write_bytes(b"")
    (src / "d1" / "big.bin").write_bytes(os.urandom(300_000))
    os.link(src / "a.txt", src / "d1" / "hard")
    os.symlink("../a.txt", src / "d1" / "rel-link")
    os.symlink("/etc/hostname", src / "abs-link")
    (src / "with space é.txt").write_bytes(b"spaces and accents")
    (src / "d1" / "sub" / NON_UTF8).write_bytes(b"latin-1 name")
    with open(src / "sparse.img", "wb") as f:
        f.truncate(1_000_000)
        f.seek(400_000)
        f.write(b"data in the middle")
    os.mkfifo(src / "fifo")
    return src
