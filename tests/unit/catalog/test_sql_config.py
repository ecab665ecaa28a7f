"""Rows the Director writes from its configuration at start: Pool, Client, Storage,
MediaType, FileSet."""

from __future__ import annotations

from datetime import datetime

import pytest
from bareoslab.catalog import Catalog, CatalogError, MediaRow, PoolRow


def test_sync_pool_inserts_from_config(catalog: Catalog) -> None:
    pool_id = catalog.sync_pool(
        PoolRow(
            "Full",
            label_format="Full-",
            max_vols=100,
            max_vol_jobs=1,
            max_vol_bytes=50_000_000_000,
            vol_retention=86400,
            vol_use_duration=3600,
            recycle=0,
            auto_prune=1,
            action_on_purge=1,
        )
    )
    pool = catalog.get_pool("Full")
    assert pool is not None and pool.pool_id == pool_id
    assert (pool.label_format, pool.max_vols, pool.max_vol_jobs) == ("Full-", 100, 1)
    assert (pool.max_vol_bytes, pool.vol_retention, pool.vol_use_duration) == (
        50_000_000_000,
        86400,
        3600,
    )
    assert (pool.recycle, pool.auto_prune, pool.action_on_purge, pool.use_catalog) == (0, 1, 1, 1)
    assert (pool.pool_type, pool.enabled, pool.num_vols, pool.next_pool_id) == ("Backup", 1, 0, 0)
    assert catalog.get_pool(pool_id) == pool
    assert catalog.pool_id("Full") == pool_id
    assert catalog.pool_id("Nope") is None and catalog.get_pool("Nope") is None


def test_sync_pool_label_format_star_when_none(catalog: Catalog) -> None:
    catalog.sync_pool(PoolRow("Scratch", pool_type="Scratch", label_format=""))
    pool = catalog.get_pool("Scratch")
    assert pool is not None and (pool.label_format, pool.pool_type) == ("*", "Scratch")


def test_sync_pool_updates_existing_and_recounts(catalog: Catalog) -> None:
    pool_id = catalog.sync_pool(PoolRow("Full", max_vol_jobs=1))
    catalog.create_media(MediaRow("V1", pool_id, "File"))
    catalog.create_media(MediaRow("V2", pool_id, "File"))
    catalog.execute("UPDATE Pool SET NumVols = 0")
    again = catalog.sync_pool(PoolRow("Full", max_vol_jobs=5, label_format="F-", pool_type="Copy"))
    assert again == pool_id
    pool = catalog.get_pool(pool_id)
    assert pool is not None
    assert (pool.max_vol_jobs, pool.label_format, pool.pool_type, pool.num_vols) == (
        5,
        "F-",
        "Copy",
        2,
    )
    assert catalog.query("SELECT count(*) FROM Pool")[1] == [(1,)]


def test_sync_pool_rejects_bad_type(catalog: Catalog) -> None:
    with pytest.raises(CatalogError, match="Pool Type"):
        catalog.sync_pool(PoolRow("P", pool_type="Bogus"))


def test_client_get_or_create(catalog: Catalog) -> None:
    cid = catalog.get_or_create_client("c1-fd", auto_prune=1, file_retention=60, job_retention=120)
    assert catalog.get_or_create_client("c1-fd") == cid
    client = catalog.get_client("c1-fd")
    assert client is not None
    assert (client.client_id, client.uname, client.auto_prune) == (cid, "", 1)
    catalog.get_or_create_client("c1-fd", auto_prune=1, file_retention=60, job_retention=120)
    catalog.get_or_create_client("c1-fd")  # a job's lookup keeps the config values
    catalog.update_client_uname(cid, "25.0.0 (01Jan25) Linux,x86_64")
    client = catalog.get_client(cid)
    assert client is not None
    assert (client.uname, client.auto_prune, client.file_retention, client.job_retention) == (
        "25.0.0 (01Jan25) Linux,x86_64", 1, 60, 120,
    )  # fmt: skip
    # an empty uname keeps the one reported by the FD
    catalog.get_or_create_client("c1-fd")
    assert catalog.get_client(cid).uname.startswith("25.0.0")  # type: ignore[union-attr]
    assert catalog.client_id("c1-fd") == cid and catalog.client_id("other") is None
    assert catalog.get_or_create_client("c2-fd") != cid


def test_storage_and_media_type_get_or_create(catalog: Catalog) -> None:
    sid = catalog.get_or_create_storage("File")
    assert catalog.get_or_create_storage("File") == sid
    assert catalog.get_or_create_storage("Tape", autochanger=1) != sid
    catalog.get_or_create_storage("File", autochanger=1)
    catalog.get_or_create_storage("File")
    assert catalog.query("SELECT AutoChanger FROM Storage WHERE StorageId = ?", (sid,))[1] == [(1,)]
    catalog.get_or_create_storage("File", autochanger=0)
    assert catalog.query("SELECT AutoChanger FROM Storage WHERE StorageId = ?", (sid,))[1] == [(0,)]
    mt = catalog.get_or_create_media_type("File")
    assert catalog.get_or_create_media_type("File") == mt
    assert catalog.get_or_create_media_type("LTO") != mt
    assert catalog.query("SELECT count(*) FROM MediaType")[1] == [(2,)]


def test_fileset_new_row_when_md5_changes(catalog: Catalog) -> None:
    when = datetime(2024, 5, 1, 10, 0, 0)
    first = catalog.get_or_create_fileset("LinuxAll", "md5a", "Include { File = / }", when)
    assert catalog.get_or_create_fileset("LinuxAll", "md5a") == first
    second = catalog.get_or_create_fileset("LinuxAll", "md5b", "Include { File = /etc }")
    assert second != first
    row = catalog.get_fileset(first)
    assert row is not None
    assert (row.fileset, row.md5, row.fileset_text, row.create_time) == (
        "LinuxAll", "md5a", "Include { File = / }", when,
    )  # fmt: skip
    assert catalog.get_fileset(999) is None
