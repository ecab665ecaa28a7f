"""Copy/Migrate job selection (catalog.md 6.3)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from bareoslab.catalog import Catalog, CatalogError, JobEnd, MediaRow
from bareoslab.catalog.selection import SelectionType
from bareoslab.codes import JobStatus, JobType

from .conftest import Basics

T0 = datetime(2024, 5, 1, 10, 0, 0)


class Pool:
    """A read pool with volumes and jobs on them."""

    def __init__(self, catalog: Catalog, b: Basics) -> None:
        self.catalog, self.b = catalog, b
        self.client2 = catalog.get_or_create_client("client2-fd")

    def volume(self, name: str, status: str = "Full", vol_bytes: int = 1000, days: int = 0) -> int:
        return self.catalog.create_media(
            MediaRow(name, self.b.pool_id, "File", vol_bytes=vol_bytes, vol_status=status,
                     last_written=T0 + timedelta(days=days))
        )  # fmt: skip

    def job(
        self,
        name: str,
        hours: int,
        media_ids: list[int],
        *,
        type_: str = "B",
        status: JobStatus = JobStatus.TERMINATED,
        client_id: int | None = None,
        job_bytes: int = 100,
    ) -> int:
        when = T0 + timedelta(hours=hours)
        client_id = client_id or self.b.client_id
        job_id = self.catalog.create_job(
            f"{name}.{hours}", name, type_, "F", sched_time=when, client_id=client_id
        )
        self.catalog.update_job_start(
            job_id, "R", "F", when, client_id, self.b.pool_id, self.b.fileset_id
        )
        self.catalog.update_job_end(job_id, JobEnd(
            status, "F", when + timedelta(minutes=1), job_files=1, job_bytes=job_bytes, vol_session_id=1,
            vol_session_time=1, pool_id=self.b.pool_id, fileset_id=self.b.fileset_id))
        for media_id in media_ids:
            self.catalog.create_jobmedia(job_id, media_id, 1, 1, 0, 0, 0, 100)
        return job_id


@pytest.fixture
def pool(catalog: Catalog, basics: Basics) -> Pool:
    return Pool(catalog, basics)


def test_selection_volume(catalog: Catalog, basics: Basics, pool: Pool) -> None:
    v1 = pool.volume("TestVolume001", "Used")
    v2 = pool.volume("TestVolume002", "Append")  # never selected while appendable
    v3 = pool.volume("Other001", "Full")
    late = pool.job("backup-a", 5, [v1])
    early = pool.job("backup-b", 1, [v1, v3])
    pool.job("backup-c", 2, [v2])
    pool.job("backup-d", 3, [v1], status=JobStatus.ERROR_TERMINATED)
    pool.job("restore", 4, [v1], type_="R")
    select = catalog.select_copy_migrate_jobs
    assert select("Volume", basics.pool_id, "TestVolume") == [early, late]
    assert select(SelectionType.VOLUME, basics.pool_id, ".*") == [early, late]
    assert select("volume", basics.pool_id, "^Other") == [early]
    assert select("Volume", basics.pool_id, "nomatch") == []
    with pytest.raises(CatalogError, match="Could not compile regex"):
        select("Volume", basics.pool_id, "(")


def test_selection_job_and_client(catalog: Catalog, basics: Basics, pool: Pool) -> None:
    a1 = pool.job("backup-a", 1, [])
    b1 = pool.job("backup-b", 2, [], client_id=pool.client2)
    a2 = pool.job("backup-a", 3, [], status=JobStatus.ERROR_TERMINATED)
    migrated = pool.job("backup-a", 4, [], type_=JobType.MIGRATED_JOB.value)
    select = catalog.select_copy_migrate_jobs
    # Job: every job of the matching names, whatever its type or status
    assert select("Job", basics.pool_id, "backup-a") == [a1, a2, migrated]
    assert select("Job", basics.pool_id, "backup-") == [a1, b1, a2, migrated]
    # Client: successful B/C jobs of the matching clients
    assert select("Client", basics.pool_id, "client2") == [b1]
    assert select("Client", basics.pool_id, "client") == [a1, b1]
    assert select("Job", basics.pool_id + 1, ".*") == []


def test_selection_sql_query(catalog: Catalog, basics: Basics, pool: Pool) -> None:
    a = pool.job("backup-a", 2, [])
    b = pool.job("backup-b", 1, [])
    assert catalog.select_copy_migrate_jobs(
        "SQLQuery", basics.pool_id, "SELECT JobId FROM Job"
    ) == [b, a]
    with pytest.raises(CatalogError):
        catalog.select_copy_migrate_jobs("SQLQuery", basics.pool_id, "")
    with pytest.raises(CatalogError):
        catalog.select_copy_migrate_jobs("Nonsense", basics.pool_id)


def test_selection_smallest_and_oldest_volume(catalog: Catalog, basics: Basics, pool: Pool) -> None:
    small = pool.volume("Small", vol_bytes=10, days=5)
    old = pool.volume("Old", vol_bytes=5000, days=1)
    pool.volume("Empty", vol_bytes=1, days=0)  # no jobs: not a candidate
    on_small = pool.job("backup-a", 1, [small])
    on_old = pool.job("backup-b", 2, [old])
    assert catalog.select_copy_migrate_jobs("SmallestVolume", basics.pool_id) == [on_small]
    assert catalog.select_copy_migrate_jobs("OldestVolume", basics.pool_id) == [on_old]


def test_selection_pool_occupancy(catalog: Catalog, basics: Basics, pool: Pool) -> None:
    v1 = pool.volume("V1", days=1)
    v2 = pool.volume("V2", days=2)
    a = pool.job("backup-a", 1, [v1], job_bytes=600)
    pool.job("backup-b", 2, [v2], job_bytes=500)
    select = catalog.select_copy_migrate_jobs
    assert select("PoolOccupancy", basics.pool_id, migration_high_bytes=2000) == []
    # 1100 bytes >= high 1000: take the oldest volumes until <= low 600
    assert select(
        "PoolOccupancy", basics.pool_id, migration_high_bytes=1000, migration_low_bytes=600
    ) == [a]
    assert (
        len(
            select(
                "PoolOccupancy", basics.pool_id, migration_high_bytes=1000, migration_low_bytes=0
            )
        )
        == 2
    )


def test_selection_pool_time(catalog: Catalog, basics: Basics, pool: Pool) -> None:
    v1 = pool.volume("V1")
    old = pool.job("backup-a", 0, [v1])
    pool.job("backup-b", 48, [v1])
    now = T0 + timedelta(hours=50)
    assert catalog.select_copy_migrate_jobs(
        "PoolTime", basics.pool_id, now=now, migration_time=86400
    ) == [old]


def test_selection_pool_uncopied_jobs(catalog: Catalog, basics: Basics, pool: Pool) -> None:
    copied = pool.job("backup-a", 1, [])
    uncopied = pool.job("backup-b", 2, [])
    pool.job("backup-c", 3, [], job_bytes=0)
    pool.job("backup-d", 4, [], status=JobStatus.ERROR_TERMINATED)
    copy = pool.job("backup-a", 5, [], type_=JobType.JOB_COPY.value)
    catalog.set_prior_job_id(copy, copied)
    assert catalog.select_copy_migrate_jobs("PoolUncopiedJobs", basics.pool_id) == [uncopied]
