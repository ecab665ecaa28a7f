"""The restore reads from the Storage that holds the volumes (Media.StorageId), not the Job's."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from bareoslab.catalog.api import JobMediaRow
from bareoslab.director.ua.args import CommandFailed
from bareoslab.director.ua.restore import _volume_storage


def _ua(*storages: str) -> SimpleNamespace:
    cfg = SimpleNamespace(get=lambda rtype, name: name if rtype == "Storage" and name in storages else None)
    return SimpleNamespace(director=SimpleNamespace(cfg=cfg))


def _jm(volume: str, storage: str) -> JobMediaRow:
    return JobMediaRow(1, 7, 1, volume, "File", 0, 1, 2, 1, 9, 0, 0, 0, 100, 1, storage)


def test_volume_storage_is_the_storage_that_wrote_the_volumes() -> None:
    ua = _ua("File", "File2")
    assert _volume_storage(ua, [_jm("FullCopy-0004", "File2"), _jm("FullCopy-0005", "File2")]) == "File2"


def test_volume_storage_unknown_or_unrecorded_leaves_the_jobs_storage() -> None:
    assert _volume_storage(_ua("File"), [_jm("Full-0001", "Gone")]) is None
    assert _volume_storage(_ua("File"), [_jm("Full-0001", "")]) is None


def test_volume_storage_refuses_volumes_of_several_storages() -> None:
    with pytest.raises(CommandFailed, match=r"2 storages \(File, File2\)"):
        _volume_storage(_ua("File", "File2"), [_jm("Full-0001", "File"), _jm("FullCopy-0004", "File2")])
