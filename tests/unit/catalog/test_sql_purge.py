"""Purge and prune with copy upgrade (catalog.md 6.4, testrunner-02-copy / -05-migrate)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bareoslab.catalog import Catalog, JobEnd, MediaRow, PoolRow
from bareoslab.codes import JobType

from .conftest import Basics

T0 = datetime(2024, 5, 1, 10, 0, 0)
LSTAT = "A A A A A A A A A A A A A A A A"


def finished(
    catalog: Catalog, b: Basics, name: str, type_: str, when: datetime, volume_id: int | None
) -> int:
    job_id = catalog.create_job(
        f"{name}.{when:%H%M%S}", name, type_, "F", sched_time=when, client_id=b.client_id
    )
    catalog.update_job_start(job_id, "R", "F", when, b.client_id, b.pool_id, b.fileset_id)
    catalog.update_job_end(job_id, JobEnd(
        "T", "F", when + timedelta(seconds=10), job_files=1, job_bytes=10, vol_session_id=1,
        vol_session_time=1, pool_id=b.pool_id, fileset_id=b.fileset_id))
    if volume_id is not None:
        catalog.create_jobmedia(job_id, volume_id, 1, 1, 0, 0, 222, 500)
        with catalog.file_batch(job_id) as batch:
            batch.add(1, "/etc/hosts", LSTAT)
        catalog.log(job_id, when, f"{name} log\n")
    return job_id


def copy_scenario(catalog: Catalog, b: Basics) -> tuple[int, int, int, int, int, int]:
    """testrunner-02-copy: 1 backup, 2 selection (c), 3 worker (c), 4 new copy (C)."""
    full_vol = catalog.create_media(MediaRow("TestVolume001", b.pool_id, "File", vol_bytes=209))
    copy_pool = catalog.sync_pool(PoolRow("Copy", pool_type="Copy"))
    copy_vol = catalog.create_media(MediaRow("CopyVolume001", copy_pool, "File", vol_bytes=209))
    backup = finished(catalog, b, "backup-bareos-fd", "B", T0, full_vol)
    selection = finished(catalog, b, "copy", JobType.COPY.value, T0 + timedelta(minutes=1), None)
    worker = finished(catalog, b, "copy", JobType.COPY.value, T0 + timedelta(minutes=2), None)
    new = finished(catalog, b, "backup-bareos-fd", "B", T0 + timedelta(minutes=2), copy_vol)
    catalog.set_prior_job_id(worker, new)
    catalog.update_job_end(new, JobEnd(
        "T", "F", T0, job_files=1, job_bytes=10, vol_session_id=2, vol_session_time=1, pool_id=copy_pool,
        fileset_id=b.fileset_id, prior_job_id=backup))
    catalog.copy_job_times(new, backup)
    catalog.copy_log(backup, new)
    catalog.set_job_type(new, JobType.JOB_COPY)
    return backup, selection, worker, new, full_vol, copy_vol


def test_prune_volume_upgrades_copy(catalog: Catalog, basics: Basics) -> None:
    backup, selection, worker, new, full_vol, _ = copy_scenario(catalog, basics)
    catalog.update_media_status("TestVolume001", "Used")
    catalog.update_media("TestVolume001", vol_retention=1)
    assert catalog.prune_volume_candidates(full_vol, now=T0 - timedelta(days=1)) == []
    candidates = catalog.prune_volume_candidates(full_vol, now=T0 + timedelta(days=1))
    assert candidates == [backup]
    catalog.purge_jobs(candidates)
    assert catalog.get_job(backup) is None
    assert catalog.get_job(worker) is None  # the c worker of the upgraded copy goes too
    assert catalog.get_job(new).type == "B"  # type: ignore[union-attr]
    assert catalog.get_job(selection) is not None
    assert catalog.query("SELECT count(jobid) FROM job WHERE type='c'") == (["count"], [(1,)])
    assert catalog.query("SELECT count(*) FROM File WHERE JobId = ?", (backup,))[1] == [(0,)]
    assert catalog.query("SELECT count(*) FROM Log WHERE JobId = ?", (backup,))[1] == [(0,)]
    assert catalog.query("SELECT count(*) FROM JobMedia WHERE JobId = ?", (backup,))[1] == [(0,)]
    assert catalog.count_files(new) == 1
    assert catalog.mark_volume_purged_if_empty(full_vol) is True
    assert catalog.get_media(full_vol).vol_status == "Purged"  # type: ignore[union-attr]


def test_prune_includes_control_jobs(catalog: Catalog, basics: Basics) -> None:
    """testrunner-05-migrate: pruning the migration volume takes the g workers along."""
    b = basics
    vol = catalog.create_media(MediaRow("MigVolume", b.pool_id, "File", vol_bytes=209))
    new = finished(catalog, b, "backup-bareos-fd", "B", T0, vol)
    worker = finished(catalog, b, "migrate", JobType.MIGRATE.value, T0, None)
    catalog.set_prior_job_id(worker, new)
    catalog.update_media("MigVolume", vol_retention=1)
    assert catalog.prune_volume_candidates(vol, now=T0 + timedelta(days=1)) == [new, worker]
    catalog.purge_jobs([new, worker])
    assert catalog.list_jobs() == []
    assert catalog.mark_volume_purged_if_empty(vol) is True


def test_purge_files_and_volume_still_used(catalog: Catalog, basics: Basics) -> None:
    b = basics
    vol = catalog.create_media(MediaRow("V", b.pool_id, "File", vol_bytes=209))
    job = finished(catalog, b, "backup", "B", T0, vol)
    assert catalog.purge_files(job) == 1
    assert (catalog.count_files(job), catalog.get_job(job).purged_files) == (0, 1)  # type: ignore[union-attr]
    assert catalog.mark_volume_purged_if_empty(vol) is False
    catalog.purge_jobs([])
    assert catalog.get_media(vol).vol_status == "Append"  # type: ignore[union-attr]
