"""Giving up the page cache behind writes and reads: which ranges are advised, and when."""

from __future__ import annotations

import os

import pytest
from bareoslab import pagecache
from bareoslab.pagecache import DropBehind

MIB = 1024 * 1024


@pytest.fixture
def advised(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    calls: list[tuple[int, int]] = []

    def record(fd: int, start: int, length: int, advice: int) -> None:
        assert advice == os.POSIX_FADV_DONTNEED
        calls.append((start, length))

    monkeypatch.setattr(pagecache.os, "posix_fadvise", record)
    return calls


def test_a_writer_gives_up_the_window_behind_its_end_every_few_mebibytes(advised: list[tuple[int, int]]) -> None:
    behind = DropBehind(3, 0, writing=True)
    for end in range(1 * MIB, 49 * MIB, MIB):  # 1 MiB blocks up to 48 MiB
        behind.passed(end)
    assert advised == [(0, 8 * MIB), (0, 16 * MIB), (0, 24 * MIB), (0, 32 * MIB),
                       (8 * MIB, 32 * MIB), (16 * MIB, 32 * MIB)]


def test_a_reader_gives_up_all_it_has_read_from_where_it_began(advised: list[tuple[int, int]]) -> None:
    behind = DropBehind(3, 100 * MIB, writing=False)  # a volume read from an offset
    behind.passed(104 * MIB)
    behind.passed(108 * MIB)
    behind.passed(117 * MIB)
    assert advised == [(0, 108 * MIB), (0, 117 * MIB)]


def test_advice_a_file_refuses_changes_nothing() -> None:
    read_end, write_end = os.pipe()  # posix_fadvise on a pipe: ESPIPE
    try:
        behind = DropBehind(write_end, 0, writing=True)
        behind.passed(64 * MIB)
        pagecache.advise_dontneed(write_end)
        os.write(write_end, b"still a pipe")
        assert os.read(read_end, 64) == b"still a pipe"
    finally:
        os.close(read_end)
        os.close(write_end)
