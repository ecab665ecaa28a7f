"""Restore support: job selection, newest file versions, JobMedia for the bootstrap."""

from __future__ import annotations

from datetime import datetime, timedelta

from bareoslab.catalog import Catalog, JobEnd, MediaRow
from bareoslab.codes import JobLevel, JobStatus, JobType

from .conftest import Basics

T0 = datetime(2024, 5, 1, 10, 0, 0)
LSTAT = "A B IGk B A A A Dw BAA A A A A A A A"


def backup(
    catalog: Catalog,
    b: Basics,
    level: JobLevel,
    day: int,
    files: dict[int, str],
    *,
    status: JobStatus = JobStatus.TERMINATED,
    volume: str | None = "V1",
    fileset_id: int | None = None,
    job_type: JobType = JobType.BACKUP,
) -> int:
    start = T0 + timedelta(days=day)
    fileset_id = fileset_id or b.fileset_id
    job_id = catalog.create_job(f"b.{day}", "backup-client1", job_type, level, sched_time=start,
                                client_id=b.client_id)  # fmt: skip
    catalog.update_job_start(
        job_id, "R", level, start, b.client_id, b.pool_id, fileset_id, day + 1, 1714550000
    )
    with catalog.file_batch(job_id) as batch:
        for index, name in files.items():
            batch.add(index, name, LSTAT, f"md5-{job_id}-{index}")
    if volume is not None:
        media = catalog.get_media(volume)
        media_id = media.media_id if media else catalog.create_media(
            MediaRow(volume, b.pool_id, "File", vol_bytes=209)
        )  # fmt: skip
        catalog.create_jobmedia(job_id, media_id, 1, max(files, default=1), 0, 0, 222, 5000)
    catalog.update_job_end(job_id, JobEnd(
        status, level, start + timedelta(minutes=5), job_files=len(files), job_bytes=100, vol_session_id=day + 1,
        vol_session_time=1714550000, pool_id=b.pool_id, fileset_id=fileset_id))
    return job_id


def ids(jobs: list[object]) -> list[int]:
    return [j.job_id for j in jobs]  # type: ignore[attr-defined]


def test_select_restore_jobs_full_diff_incs(catalog: Catalog, basics: Basics) -> None:
    b = basics
    assert catalog.select_restore_jobs(b.client_id, b.fileset_id) == []
    backup(catalog, b, JobLevel.FULL, 0, {1: "/d/a"})
    full = backup(catalog, b, JobLevel.FULL, 1, {1: "/d/a"})
    backup(catalog, b, JobLevel.INCREMENTAL, 2, {1: "/d/a"})
    diff_old = backup(catalog, b, JobLevel.DIFFERENTIAL, 3, {1: "/d/a"})
    diff = backup(catalog, b, JobLevel.DIFFERENTIAL, 4, {1: "/d/a"})
    inc1 = backup(catalog, b, JobLevel.INCREMENTAL, 5, {1: "/d/a"})
    backup(catalog, b, JobLevel.INCREMENTAL, 6, {1: "/d/a"}, status=JobStatus.ERROR_TERMINATED)
    inc2 = backup(catalog, b, JobLevel.INCREMENTAL, 7, {1: "/d/a"}, status=JobStatus.WARNINGS)
    assert ids(catalog.select_restore_jobs(b.client_id, b.fileset_id)) == [full, diff, inc1, inc2]
    # before: only jobs started before that time
    before = T0 + timedelta(days=3, hours=1)
    assert ids(catalog.select_restore_jobs(b.client_id, b.fileset_id, before)) == [full, diff_old]
    assert catalog.select_restore_jobs(b.client_id + 1, b.fileset_id) == []


def test_select_restore_jobs_needs_media_and_fileset_name(catalog: Catalog, basics: Basics) -> None:
    b = basics
    full = backup(catalog, b, JobLevel.FULL, 0, {1: "/d/a"})
    backup(catalog, b, JobLevel.FULL, 1, {1: "/d/a"}, volume=None)  # no JobMedia
    disabled = backup(catalog, b, JobLevel.FULL, 2, {1: "/d/a"}, volume="Off")
    catalog.update_media("Off", enabled=0)
    # a changed fileset definition (new FileSetId, same name) still counts
    changed = catalog.get_or_create_fileset("LinuxAll", "other-md5", "FileSet {...}")
    inc = backup(catalog, b, JobLevel.INCREMENTAL, 3, {1: "/d/a"}, fileset_id=changed)
    assert ids(catalog.select_restore_jobs(b.client_id, b.fileset_id)) == [full, inc]
    assert ids(catalog.select_restore_jobs(b.client_id, changed)) == [full, inc]
    assert disabled not in ids(catalog.select_restore_jobs(b.client_id, changed))
    other = catalog.get_or_create_fileset("Other", "x")
    assert catalog.select_restore_jobs(b.client_id, other) == []
    assert catalog.select_restore_jobs(b.client_id, 999) == []


def test_select_restore_jobs_copies(catalog: Catalog, basics: Basics) -> None:
    b = basics
    backup(catalog, b, JobLevel.FULL, 0, {1: "/d/a"})
    copy = backup(catalog, b, JobLevel.FULL, 1, {1: "/d/a"}, job_type=JobType.JOB_COPY, volume="C1")
    assert ids(catalog.select_restore_jobs(b.client_id, b.fileset_id, job_type="C")) == [copy]


def test_restore_files_newest_version_wins(catalog: Catalog, basics: Basics) -> None:
    b = basics
    full = backup(
        catalog, b, JobLevel.FULL, 0, {1: "/d/", 2: "/d/a", 3: "/d/b", 4: "/d/c", 5: "/e/a"}
    )
    inc1 = backup(catalog, b, JobLevel.INCREMENTAL, 1, {1: "/d/b", 2: "/d/new"})
    inc2 = backup(catalog, b, JobLevel.INCREMENTAL, 2, {0: "/d/c", 1: "/d/new"})  # /d/c deleted
    got = list(catalog.restore_files([full, inc1, inc2]))
    assert [(f.job_id, f.file_index, f.path, f.name) for f in got] == [
        (full, 1, "/d/", ""),
        (full, 2, "/d/", "a"),
        (full, 5, "/e/", "a"),
        (inc1, 1, "/d/", "b"),
        (inc2, 1, "/d/", "new"),
    ]
    assert got[0].lstat == LSTAT and got[4].md5 == f"md5-{inc2}-1"
    job_id, file_index, path, name, lstat, md5 = got[1]
    assert (job_id, file_index, path, name) == (full, 2, "/d/", "a")
    # only the selected jobs count
    assert [(f.job_id, f.name) for f in catalog.restore_files([full]) if f.name == "c"] == [
        (full, "c")
    ]
    assert list(catalog.restore_files([])) == []
    # unordered (one job's restore of everything): the same rows
    assert sorted(catalog.restore_files([full, inc1, inc2], ordered=False)) == got


def test_jobmedia_for_restore_jobs(catalog: Catalog, basics: Basics) -> None:
    b = basics
    full = backup(catalog, b, JobLevel.FULL, 0, {1: "/d/a", 2: "/d/b"})
    inc = backup(catalog, b, JobLevel.INCREMENTAL, 1, {1: "/d/b"}, volume="V2")
    chunks = catalog.jobmedia_for_jobs([inc, full])
    assert [
        (c.job_id, c.volume_name, c.vol_session_id, c.first_index, c.last_index) for c in chunks
    ] == [
        (full, "V1", 1, 1, 2),
        (inc, "V2", 2, 1, 1),
    ]


def test_select_restore_jobs_keeps_an_incremental_ending_in_the_same_second(
    catalog: Catalog, basics: Basics
) -> None:
    # both jobs start and end at the same whole second: the JobId orders them
    full = backup(catalog, basics, JobLevel.FULL, 5, {1: "/d/a"})
    incr = backup(catalog, basics, JobLevel.INCREMENTAL, 5, {1: "/d/a"})
    assert ids(catalog.select_restore_jobs(basics.client_id, basics.fileset_id)) == [full, incr]
