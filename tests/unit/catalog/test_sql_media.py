"""Media and JobMedia lifecycle (catalog.md section 4)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from bareoslab.catalog import (
    Catalog,
    CatalogError,
    DatabaseError,
    MediaRow,
    MediaUpdate,
    NotFoundError,
    PoolRow,
    VolumeExistsError,
)

from .conftest import Basics

T0 = datetime(2024, 5, 1, 10, 0, 0)


def label(catalog: Catalog, b: Basics, name: str, **kw: object) -> int:
    """What the director does after ``label``: VolBytes>0 makes it Append."""
    media = MediaRow(
        name, b.pool_id, b.media_type, vol_bytes=209, storage_id=b.storage_id, label_date=T0
    )
    for key, value in kw.items():
        setattr(media, key, value)
    return catalog.create_media(media)


def test_create_media_copies_pool_defaults(catalog: Catalog) -> None:
    pool_id = catalog.sync_pool(
        PoolRow("Full", max_vol_jobs=3, max_vol_bytes=10**9, vol_retention=600, recycle=1,
                vol_use_duration=60, max_vol_files=7, action_on_purge=1)
    )  # fmt: skip
    media_id = catalog.create_media(
        MediaRow("Full-0001", pool_id, "File", vol_retention=5, label_date=T0)
    )
    media = catalog.get_media("Full-0001")
    assert media is not None and media.media_id == media_id
    assert (media.vol_status, media.enabled, media.media_type, media.pool_id) == (
        "Unlabeled",
        1,
        "File",
        pool_id,
    )
    assert (media.max_vol_jobs, media.max_vol_bytes, media.vol_retention) == (3, 10**9, 600)
    assert (media.recycle, media.vol_use_duration, media.max_vol_files, media.action_on_purge) == (
        1,
        60,
        7,
        1,
    )
    assert (media.label_date, media.first_written, media.last_written) == (T0, None, None)
    assert (media.slot, media.in_changer, media.media_type_id, media.label_type) == (0, 0, 0, 0)
    assert catalog.get_media(media_id) == media
    assert catalog.get_pool(pool_id).num_vols == 1  # type: ignore[union-attr]
    assert catalog.get_media("nope") is None


def test_create_media_labelled_is_append(catalog: Catalog, basics: Basics) -> None:
    label(catalog, basics, "TestVolume001", slot=3)
    media = catalog.get_media("TestVolume001")
    assert media is not None
    assert (media.vol_status, media.vol_bytes, media.slot, media.in_changer) == (
        "Append",
        209,
        3,
        1,
    )
    assert media.storage_id == basics.storage_id
    with pytest.raises(VolumeExistsError, match='Volume "TestVolume001" already exists.'):
        label(catalog, basics, "TestVolume001")
    with pytest.raises(CatalogError, match="VolStatus"):
        catalog.create_media(MediaRow("X", basics.pool_id, "File", vol_status="Bogus"))
    with pytest.raises(NotFoundError):
        catalog.create_media(MediaRow("Y", 999, "File"))
    assert [m.volume_name for m in catalog.list_media(basics.pool_id)] == ["TestVolume001"]
    assert catalog.list_media(999) == [] and len(catalog.list_media()) == 1


def test_find_next_volume_order(catalog: Catalog, basics: Basics) -> None:
    b = basics
    assert catalog.find_next_volume(b.pool_id, "File") is None
    label(catalog, b, "Unl", vol_bytes=0)
    old = label(catalog, b, "Old", last_written=T0)
    new = label(catalog, b, "New", last_written=T0 + timedelta(days=1))
    never = label(catalog, b, "Never")
    label(catalog, b, "Tape", media_type="LTO")
    label(catalog, b, "Off", enabled=0)
    # Append first, most recently written first, never-written last
    found = catalog.find_next_volume(b.pool_id, "File")
    assert found is not None and found.media_id == new
    found = catalog.find_next_volume(b.pool_id, "File", ["New"])
    assert found is not None and found.media_id == old
    found = catalog.find_next_volume(b.pool_id, "File", ["New", "Old"])
    assert found is not None and found.media_id == never
    found = catalog.find_next_volume(b.pool_id, "File", ["New", "Old", "Never"])
    assert found is not None and found.volume_name == "Unl"
    assert catalog.find_next_volume(b.pool_id, "File", ["New", "Old", "Never", "Unl"]) is None
    found = catalog.find_next_volume(b.pool_id, "LTO")
    assert found is not None and found.volume_name == "Tape"
    assert catalog.find_next_volume(b.pool_id + 1, "File") is None


def test_find_next_volume_recycles_purged(catalog: Catalog, basics: Basics) -> None:
    b = basics
    label(catalog, b, "Full1", vol_status="Full")
    label(catalog, b, "NoRecycle", vol_status="Purged", recycle=0)
    catalog.update_media("NoRecycle", recycle=0)
    assert catalog.find_next_volume(b.pool_id, "File") is None
    p2 = label(catalog, b, "Purged2", vol_status="Purged", last_written=T0 + timedelta(days=2))
    p1 = label(catalog, b, "Purged1", vol_status="Purged", last_written=T0)
    found = catalog.find_next_volume(b.pool_id, "File", recycle=False)
    assert found is not None and (found.media_id, found.vol_status) == (p1, "Purged")
    found = catalog.find_next_volume(b.pool_id, "File")
    assert found is not None and (found.media_id, found.vol_status) == (p1, "Recycle")
    assert (found.vol_bytes, found.vol_jobs, found.last_written, found.recycle_count) == (
        1,
        0,
        None,
        1,
    )
    # a volume already in Recycle comes before purged ones
    found = catalog.find_next_volume(b.pool_id, "File")
    assert found is not None and found.media_id == p1
    assert catalog.get_media(p2).vol_status == "Purged"  # type: ignore[union-attr]


def test_find_next_volume_prefers_changer(catalog: Catalog, basics: Basics) -> None:
    b = basics
    label(catalog, b, "Outside", last_written=T0 + timedelta(days=1))
    inside = label(catalog, b, "Inside", slot=2, last_written=T0)
    found = catalog.find_next_volume(b.pool_id, "File", storage_id=b.storage_id)
    assert found is not None and found.media_id == inside
    found = catalog.find_next_volume(b.pool_id, "File", ["Inside"], storage_id=b.storage_id)
    assert found is not None and found.volume_name == "Outside"


def test_next_volume_name(catalog: Catalog, basics: Basics) -> None:
    assert catalog.next_volume_name("Full-") == "Full-0001"
    assert catalog.next_volume_name("*") is None and catalog.next_volume_name("") is None
    label(catalog, basics, "A")
    label(catalog, basics, "Full-0003")  # MediaId 2: the next number (3) is taken
    assert catalog.next_volume_name("Full-") == "Full-0004"
    with pytest.raises(CatalogError, match="variables"):
        catalog.next_volume_name("Vol-${Year}")


def test_update_media_from_sd_first_use(catalog: Catalog, basics: Basics) -> None:
    catalog.create_media(MediaRow("V", basics.pool_id, "File"))  # newVolume: no LabelDate
    start = T0 + timedelta(hours=1)
    result = catalog.update_media_from_sd(
        MediaUpdate("V", vol_jobs=0, vol_files=0, vol_blocks=1, vol_bytes=209, vol_mounts=1,
                    vol_writes=1, last_written=int(start.timestamp()), relabel=True),
        job_start_time=start, write_storage_id=basics.storage_id,
    )  # fmt: skip
    media = result.media
    assert result.messages == []
    assert (media.vol_status, media.vol_bytes, media.vol_blocks, media.vol_mounts) == (
        "Append",
        209,
        1,
        1,
    )
    assert (media.first_written, media.label_date, media.initial_write, media.last_written) == (
        start, start, start, start,
    )  # fmt: skip
    assert media.storage_id == basics.storage_id
    assert catalog.get_media("V") == media


def test_update_media_from_sd_rules(catalog: Catalog, basics: Basics) -> None:
    label(catalog, basics, "V")
    catalog.update_media_from_sd(
        MediaUpdate("V", vol_jobs=1, vol_files=0, vol_blocks=10, vol_bytes=64000, vol_writes=10,
                    last_written=int(T0.timestamp()), first_written=int(T0.timestamp())),
        job_start_time=T0 + timedelta(hours=5),
    )  # fmt: skip
    media = catalog.get_media("V")
    assert media is not None
    assert (media.first_written, media.label_date, media.last_written) == (T0, T0, T0)
    assert (media.vol_jobs, media.vol_blocks, media.vol_bytes) == (1, 10, 64000)
    # FirstWritten is set once; LastWritten only moves when VolBlocks changed
    later = T0 + timedelta(days=1)
    result = catalog.update_media_from_sd(
        MediaUpdate("V", vol_jobs=2, vol_files=0, vol_blocks=10, vol_bytes=64000, vol_writes=11,
                    last_written=int(later.timestamp()), first_written=int(later.timestamp()),
                    vol_status="Used"),
        job_start_time=later,
    )  # fmt: skip
    media = result.media
    assert (media.first_written, media.last_written, media.vol_status, media.vol_jobs) == (
        T0,
        T0,
        "Used",
        2,
    )
    # counters never go backwards
    result = catalog.update_media_from_sd(
        MediaUpdate("V", vol_jobs=2, vol_files=0, vol_blocks=5, vol_bytes=100, vol_writes=11,
                    last_written=int(later.timestamp())),
    )  # fmt: skip
    assert (result.media.vol_blocks, result.media.vol_bytes) == (10, 64000)
    assert result.messages == [
        'Ignoring Volume Blocks at 10 being set to 5 for Volume "V".',
        'Ignoring Volume Bytes at 64000 being set to 100 for Volume "V".',
    ]
    result = catalog.update_media_from_sd(MediaUpdate("V", vol_files=0, vol_blocks=0, vol_bytes=0))
    assert result.media.vol_blocks == 10
    catalog.execute("UPDATE Media SET VolFiles = 3")
    result = catalog.update_media_from_sd(
        MediaUpdate("V", vol_files=1, vol_blocks=99, vol_bytes=70000)
    )
    assert (result.media.vol_files, result.media.vol_blocks, result.media.vol_bytes) == (
        3,
        10,
        70000,
    )
    assert result.messages[0].startswith("Ignoring Volume Files at 3 being set to 1")
    # a relabel resets the counters and the label date
    result = catalog.update_media_from_sd(
        MediaUpdate("V", vol_blocks=1, vol_bytes=209, relabel=True), job_start_time=later
    )
    assert (result.media.vol_bytes, result.media.label_date, result.messages) == (209, later, [])
    with pytest.raises(NotFoundError, match='Volume "W" not in catalog.'):
        catalog.update_media_from_sd(MediaUpdate("W"))
    with pytest.raises(CatalogError):
        catalog.update_media_from_sd(MediaUpdate("V", vol_status="Bogus"))


def test_update_media_status(catalog: Catalog, basics: Basics) -> None:
    label(catalog, basics, "TestVolume001")
    catalog.update_media_status("TestVolume001", "Used")
    assert catalog.get_media("TestVolume001").vol_status == "Used"  # type: ignore[union-attr]
    with pytest.raises(CatalogError):
        catalog.update_media_status("TestVolume001", "Nonsense")
    with pytest.raises(NotFoundError):
        catalog.update_media_status("Nope", "Used")
    with pytest.raises(DatabaseError):
        catalog.execute("UPDATE Media SET VolStatus = 'Nonsense'")
    other = catalog.sync_pool(PoolRow("Other"))
    catalog.update_media("TestVolume001", pool_id=other, last_written=T0, comment="moved")
    media = catalog.get_media("TestVolume001")
    assert media is not None and (media.pool_id, media.last_written, media.comment) == (
        other,
        T0,
        "moved",
    )
    assert (catalog.get_pool(other).num_vols, catalog.get_pool(basics.pool_id).num_vols) == (1, 0)  # type: ignore[union-attr]
    with pytest.raises(KeyError):
        catalog.update_media("TestVolume001", bogus=1)


def test_create_jobmedia(catalog: Catalog, basics: Basics) -> None:
    job_id = catalog.create_job("j.1", "j", "B", "F", client_id=basics.client_id)
    v1 = label(catalog, basics, "V1")
    v2 = label(catalog, basics, "V2")
    first = catalog.create_jobmedia(job_id, v1, 1, 5, 0, 0, 222, 1_000_000)
    catalog.create_jobmedia(job_id, v2, 5, 9, 0, 1, 222, 4096)
    catalog.create_jobmedia(job_id, v2, 0, 0, 1, 1, 4096, 4096)
    other = catalog.create_job("j.2", "j", "B", "F")
    catalog.create_jobmedia(other, v1, 1, 1, 0, 0, 1_000_000, 1_064_000)
    _, rows = catalog.query(
        "SELECT JobMediaId, JobId, MediaId, FirstIndex, LastIndex, VolIndex FROM JobMedia ORDER BY JobMediaId"
    )
    assert rows[0] == (first, job_id, v1, 1, 5, 1)
    assert [r[5] for r in rows] == [1, 2, 3, 1]
    v2row = catalog.get_media(v2)
    assert v2row is not None and (v2row.end_file, v2row.end_block) == (1, 4096)
    assert catalog.delete_null_jobmedia(job_id) == 1
    chunks = catalog.jobmedia_for_jobs([job_id])
    assert [(c.volume_name, c.first_index, c.last_index, c.vol_index) for c in chunks] == [
        ("V1", 1, 5, 1), ("V2", 5, 9, 2),
    ]  # fmt: skip
    catalog.update_job_start(
        job_id, "R", "F", T0, basics.client_id, basics.pool_id, basics.fileset_id, 4, 1714550000
    )
    chunk = catalog.jobmedia_for_jobs([job_id])[1]
    assert (chunk.media_type, chunk.vol_session_id, chunk.vol_session_time) == (
        "File",
        4,
        1714550000,
    )
    assert (chunk.start_file, chunk.end_file, chunk.start_block, chunk.end_block) == (
        0,
        1,
        222,
        4096,
    )
    assert catalog.jobmedia_for_jobs([]) == []


def test_a_name_that_is_not_utf8_is_looked_up_byte_for_byte(catalog: Catalog) -> None:
    """A console's bytes that are not UTF-8 (kept as surrogates) are looked up as those bytes
    (found by fuzzing: they once crashed the drivers); a surrogate no bytes gave is refused."""
    assert catalog.get_media("Full-\udcd0\udccf") is None
    with pytest.raises(DatabaseError, match="not valid UTF-8"):
        catalog.get_media("Full-\ud800")
