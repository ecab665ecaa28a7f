"""Job row lifecycle (catalog.md section 3), since-time lookups and the Log."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from bareoslab.catalog import Catalog, JobEnd, MediaRow, NotFoundError
from bareoslab.codes import JobLevel, JobStatus, JobType

from .conftest import Basics

T0 = datetime(2024, 5, 1, 10, 0, 0)


def run_job(
    catalog: Catalog,
    b: Basics,
    level: JobLevel,
    start: datetime,
    status: JobStatus = JobStatus.TERMINATED,
    name: str = "backup-client1",
) -> int:
    """A whole backup job row: create, start, end."""
    job_id = catalog.create_job(
        f"{name}.{start:%Y-%m-%d_%H.%M.%S}_00", name, JobType.BACKUP, level, sched_time=start,
        client_id=b.client_id,
    )  # fmt: skip
    catalog.update_job_start(
        job_id, JobStatus.RUNNING, level, start, b.client_id, b.pool_id, b.fileset_id
    )
    catalog.update_job_end(job_id, JobEnd(
        status, level, start + timedelta(minutes=5), job_files=10, job_bytes=1000, read_bytes=2000,
        vol_session_id=1, vol_session_time=1714550000, pool_id=b.pool_id, fileset_id=b.fileset_id))
    return job_id


def test_create_job_row(catalog: Catalog, basics: Basics) -> None:
    job_id = catalog.create_job(
        "backup-client1.2024-05-01_10.00.00_07", "backup-client1", JobType.BACKUP, JobLevel.INCREMENTAL,
        JobStatus.CREATED, T0, basics.client_id, "nightly",
    )  # fmt: skip
    job = catalog.get_job(job_id)
    assert job is not None
    assert (job.job_id, job.job, job.name) == (
        job_id,
        "backup-client1.2024-05-01_10.00.00_07",
        "backup-client1",
    )
    assert (job.type, job.level, job.job_status) == ("B", "I", "C")
    assert job.type == JobType.BACKUP and job.level == JobLevel.INCREMENTAL
    assert (job.sched_time, job.job_tdate, job.client_id, job.comment) == (
        T0, int(T0.timestamp()), basics.client_id, "nightly",
    )  # fmt: skip
    assert (job.start_time, job.end_time, job.real_end_time) == (None, None, None)
    assert (job.job_files, job.job_bytes, job.pool_id, job.prior_job_id) == (0, 0, 0, 0)
    assert catalog.get_job(job_id + 100) is None
    assert catalog.get_job_by_name("backup-client1.2024-05-01_10.00.00_07") == job
    # stored as local 'YYYY-MM-DD HH:MM:SS'
    assert catalog.query("SELECT SchedTime FROM Job")[1] == [("2024-05-01 10:00:00",)]


def test_create_job_accepts_letters_and_epoch(catalog: Catalog) -> None:
    job_id = catalog.create_job("r.1", "restore", "R", " ", "C", int(T0.timestamp()))
    job = catalog.get_job(job_id)
    assert job is not None and (job.type, job.level, job.sched_time) == ("R", " ", T0)


def test_update_job_start_sets_tdate(catalog: Catalog, basics: Basics) -> None:
    job_id = catalog.create_job("j.1", "j", JobType.BACKUP, JobLevel.INCREMENTAL, sched_time=T0)
    start = T0 + timedelta(seconds=30)
    catalog.update_job_start(
        job_id, JobStatus.RUNNING, JobLevel.FULL, start, basics.client_id, basics.pool_id,
        basics.fileset_id, 3, 1714550000,
    )  # fmt: skip
    job = catalog.get_job(job_id)
    assert job is not None
    assert (job.job_status, job.level, job.start_time, job.job_tdate) == (
        "R",
        "F",
        start,
        int(start.timestamp()),
    )
    assert (job.client_id, job.pool_id, job.fileset_id) == (
        basics.client_id,
        basics.pool_id,
        basics.fileset_id,
    )
    assert (job.vol_session_id, job.vol_session_time) == (3, 1714550000)
    catalog.update_job_status(job_id, JobStatus.ATTR_INSERTING)
    assert catalog.get_job(job_id).job_status == "i"  # type: ignore[union-attr]
    with pytest.raises(NotFoundError):
        catalog.update_job_status(job_id + 1, "T")


def test_update_job_end_real_end_time(catalog: Catalog, basics: Basics) -> None:
    job_id = catalog.create_job("j.1", "j", "B", "F", sched_time=T0, client_id=basics.client_id)
    end = T0 + timedelta(minutes=3)
    catalog.update_job_end(job_id, JobEnd(
        JobStatus.WARNINGS, JobLevel.FULL, end, job_files=12, job_bytes=3456, read_bytes=7890, job_errors=1,
        vol_session_id=2, vol_session_time=1714550000, pool_id=basics.pool_id, fileset_id=basics.fileset_id,
        purged_files=0))
    job = catalog.get_job(job_id)
    assert job is not None
    assert (job.job_status, job.end_time, job.real_end_time, job.job_tdate) == (
        "W", end, end, int(end.timestamp()),
    )  # fmt: skip
    assert (job.job_files, job.job_bytes, job.read_bytes, job.job_errors) == (12, 3456, 7890, 1)
    assert (job.vol_session_id, job.vol_session_time, job.client_id) == (
        2,
        1714550000,
        basics.client_id,
    )
    # a copy's new job: EndTime of the original, RealEndTime the actual end
    later = end + timedelta(hours=1)
    catalog.update_job_end(job_id, JobEnd(
        "T", "F", end, job_files=12, job_bytes=3456, vol_session_id=2, vol_session_time=1714550000,
        pool_id=basics.pool_id, fileset_id=basics.fileset_id, prior_job_id=7, real_end_time=later,
        client_id=99))
    job = catalog.get_job(job_id)
    assert job is not None
    assert (job.end_time, job.real_end_time, job.job_tdate) == (end, later, int(later.timestamp()))
    assert (job.prior_job_id, job.client_id) == (7, 99)
    catalog.update_job_running(job_id, 20, 5000)
    assert (catalog.get_job(job_id).job_files, catalog.get_job(job_id).job_bytes) == (20, 5000)  # type: ignore[union-attr]


def test_find_since_job_needs_full(catalog: Catalog, basics: Basics) -> None:
    b = basics
    assert (
        catalog.find_since_job("backup-client1", b.client_id, b.fileset_id, JobLevel.INCREMENTAL)
        is None
    )
    assert (
        catalog.find_since_job("backup-client1", b.client_id, b.fileset_id, JobLevel.DIFFERENTIAL)
        is None
    )
    run_job(catalog, b, JobLevel.INCREMENTAL, T0)  # an Incremental without Full does not count
    assert catalog.find_since_job("backup-client1", b.client_id, b.fileset_id, "I") is None
    run_job(catalog, b, JobLevel.FULL, T0 + timedelta(days=1), JobStatus.ERROR_TERMINATED)
    assert catalog.find_since_job("backup-client1", b.client_id, b.fileset_id, "I") is None


def test_find_since_job_incremental_and_differential(catalog: Catalog, basics: Basics) -> None:
    b = basics
    full = run_job(catalog, b, JobLevel.FULL, T0)
    inc1 = run_job(catalog, b, JobLevel.INCREMENTAL, T0 + timedelta(days=1))
    found = catalog.find_since_job(
        "backup-client1", b.client_id, b.fileset_id, JobLevel.INCREMENTAL
    )
    assert found is not None and found.job_id == inc1
    found = catalog.find_since_job(
        "backup-client1", b.client_id, b.fileset_id, JobLevel.DIFFERENTIAL
    )
    assert found is not None and found.job_id == full and found.start_time == T0
    diff = run_job(catalog, b, JobLevel.DIFFERENTIAL, T0 + timedelta(days=2), JobStatus.WARNINGS)
    run_job(catalog, b, JobLevel.INCREMENTAL, T0 + timedelta(days=3), JobStatus.FATAL_ERROR)
    found = catalog.find_since_job(
        "backup-client1", b.client_id, b.fileset_id, JobLevel.INCREMENTAL
    )
    assert found is not None and found.job_id == diff
    # other job names, clients and filesets are separate histories
    assert catalog.find_since_job("other", b.client_id, b.fileset_id, "I") is None
    assert catalog.find_since_job("backup-client1", b.client_id, b.fileset_id + 1, "I") is None
    last = catalog.find_last_job_for_level("backup-client1", b.client_id, b.fileset_id, ["I", "D"])
    assert last is not None and last.job_id == diff


def test_list_jobs_filters(catalog: Catalog, basics: Basics) -> None:
    b = basics
    ids = [run_job(catalog, b, JobLevel.FULL, T0 + timedelta(hours=n)) for n in range(3)]
    failed = run_job(
        catalog, b, JobLevel.INCREMENTAL, T0 + timedelta(hours=4), JobStatus.ERROR_TERMINATED
    )
    copy = catalog.create_job("copy.1", "copyjob", JobType.COPY, JobLevel.FULL)
    assert [j.job_id for j in catalog.list_jobs()] == [*ids, failed, copy]
    assert [j.job_id for j in catalog.list_jobs(type=JobType.COPY)] == [copy]
    assert [j.job_id for j in catalog.list_jobs(status=["T", "W"])] == ids
    assert [j.job_id for j in catalog.list_jobs(status=JobStatus.ERROR_TERMINATED)] == [failed]
    assert [j.job_id for j in catalog.list_jobs(level="I", client_id=b.client_id)] == [failed]
    assert [j.job_id for j in catalog.list_jobs(name="backup-client1", limit=2)] == [ids[2], failed]
    assert [j.job_id for j in catalog.list_jobs(job_ids=[ids[0], copy])] == [ids[0], copy]
    assert catalog.list_jobs(job_ids=[]) == []
    media_id = catalog.create_media(MediaRow("V1", b.pool_id, "File"))
    catalog.create_jobmedia(ids[1], media_id, 1, 10, 0, 0, 100, 64000)
    assert [j.job_id for j in catalog.list_jobs(volume_name="V1")] == [ids[1]]
    assert [j.job_id for j in catalog.list_jobs(pool_id=b.pool_id)] == [*ids, failed]


def test_log_rows(catalog: Catalog) -> None:
    job_id = catalog.create_job("j.1", "j", "B", "F")
    catalog.log(job_id, T0, "bareos-dir JobId 1: Start Backup JobId 1, Job=j.1\n")
    catalog.log(job_id, T0 + timedelta(seconds=1), "bareos-sd JobId 1: Wrote label\n")
    catalog.log(job_id + 1, T0, "other\n")
    rows = catalog.job_log(job_id)
    assert [(r.job_id, r.time, r.log_text) for r in rows] == [
        (job_id, T0, "bareos-dir JobId 1: Start Backup JobId 1, Job=j.1\n"),
        (job_id, T0 + timedelta(seconds=1), "bareos-sd JobId 1: Wrote label\n"),
    ]


def test_copy_migrate_bookkeeping(catalog: Catalog, basics: Basics) -> None:
    """catalog.md 6.2: the new job takes the original's times, logs are copied or moved."""
    b = basics
    prior = run_job(catalog, b, JobLevel.FULL, T0)
    catalog.log(prior, T0, "original log\n")
    new = catalog.create_job("new.1", "backup-client1", "B", "F", sched_time=T0 + timedelta(days=1))
    worker = catalog.create_job("copy.1", "copyjob", JobType.COPY, "F")
    catalog.set_prior_job_id(worker, new)
    catalog.copy_job_times(new, prior)
    catalog.set_job_type(new, JobType.JOB_COPY)
    assert catalog.copy_log(prior, new) == 1
    p, n, w = catalog.get_job(prior), catalog.get_job(new), catalog.get_job(worker)
    assert p is not None and n is not None and w is not None
    assert (n.start_time, n.end_time, n.job_tdate, n.type) == (
        p.start_time,
        p.end_time,
        p.job_tdate,
        "C",
    )
    assert w.prior_job_id == new
    assert [r.log_text for r in catalog.job_log(new)] == ["original log\n"]
    assert catalog.move_log(prior, worker) == 1
    assert catalog.job_log(prior) == []
    with pytest.raises(NotFoundError):
        catalog.copy_job_times(new, 999)


def test_accurate_jobids_as_bareos_picks_them(catalog: Catalog, basics: Basics) -> None:
    """Bareos AccurateGetJobids: the newest good Full, then for an Incremental the newest
    Differential after it and every Incremental after that; a Differential takes the Full alone."""
    old_full = run_job(catalog, basics, JobLevel.FULL, T0)
    full = run_job(catalog, basics, JobLevel.FULL, T0 + timedelta(hours=1))
    run_job(catalog, basics, JobLevel.INCREMENTAL, T0 + timedelta(hours=2))  # before the Differential
    diff = run_job(catalog, basics, JobLevel.DIFFERENTIAL, T0 + timedelta(hours=3))
    incr1 = run_job(catalog, basics, JobLevel.INCREMENTAL, T0 + timedelta(hours=4))
    run_job(catalog, basics, JobLevel.INCREMENTAL, T0 + timedelta(hours=5), status=JobStatus.ERROR_TERMINATED)
    incr2 = run_job(catalog, basics, JobLevel.INCREMENTAL, T0 + timedelta(hours=6))
    now = T0 + timedelta(hours=7)
    cid, fid = basics.client_id, basics.fileset_id
    assert catalog.accurate_jobids(cid, fid, JobLevel.INCREMENTAL, now) == [full, diff, incr1, incr2]
    assert catalog.accurate_jobids(cid, fid, JobLevel.DIFFERENTIAL, now) == [full]
    # only what started before the job asking
    assert catalog.accurate_jobids(cid, fid, JobLevel.INCREMENTAL, T0 + timedelta(minutes=30)) == [old_full]
    assert catalog.accurate_jobids(cid, fid, JobLevel.INCREMENTAL, T0 - timedelta(hours=1)) == []
    assert catalog.sum_job_files([full, diff, incr1]) == 30


def test_unfinished_jobs_end_as_bareos_ends_them_at_the_directors_start(catalog: Catalog, basics: Basics) -> None:
    done = run_job(catalog, basics, JobLevel.FULL, T0)
    created = catalog.create_job("backup-client1.c", "backup-client1", JobType.BACKUP, JobLevel.FULL,
                                 JobStatus.CREATED, T0 + timedelta(hours=1), basics.client_id)
    running = catalog.create_job("backup-client1.r", "backup-client1", JobType.BACKUP, JobLevel.FULL,
                                 JobStatus.CREATED, T0, basics.client_id)
    catalog.update_job_start(running, JobStatus.RUNNING, JobLevel.FULL, T0 + timedelta(minutes=2),
                             basics.client_id, basics.pool_id, basics.fileset_id)
    left = catalog.end_unfinished_jobs()
    assert sorted((j.job_id, j.job_status) for j in left) == [(created, "C"), (running, "R")]
    c, r, d = (catalog.get_job(i) for i in (created, running, done))
    assert c is not None and r is not None and d is not None
    assert (c.job_status, c.start_time, c.end_time) == ("f", T0 + timedelta(hours=1), T0 + timedelta(hours=1))
    assert (r.job_status, r.end_time) == ("f", T0 + timedelta(minutes=2))
    assert (d.job_status, d.end_time) == ("T", T0 + timedelta(minutes=5))
    assert catalog.end_unfinished_jobs() == []
