"""File and Path rows through the FileBatch (catalog.md section 5)."""

from __future__ import annotations

import os
import time

from bareoslab.catalog import Catalog, FileBatch

LSTAT = "A B IGk B A A A Dw BAA A A A A A A A"

# the benchmark's shape: 50,000 files in 1,110 directories
BENCH_FILES = 50_000
BENCH_DIRS = 1_110
BENCH_LIMIT_S = 15.0


def files_of(catalog: Catalog, job_id: int) -> list[tuple[object, ...]]:
    return catalog.query(
        "SELECT f.FileIndex, p.Path, f.Name, f.LStat, f.Md5, f.DeltaSeq, f.MarkId, f.Fhinfo "
        "FROM File f JOIN Path p ON p.PathId = f.PathId WHERE f.JobId = ? ORDER BY f.FileId",
        (job_id,),
    )[1]


def test_file_batch_splits_paths(catalog: Catalog) -> None:
    job_id = catalog.create_job("j.1", "j", "B", "F")
    with catalog.file_batch(job_id) as batch:
        assert isinstance(batch, FileBatch)
        batch.add(1, "/tmp/data/a.txt", LSTAT, "1B2M2Y8AsgTpgAmY7PhCfg")
        batch.add(2, "/tmp/data/sub/", LSTAT)
        batch.add(3, "/tmp/data/", LSTAT)
        batch.add(4, "c:", LSTAT)
        batch.add(0, "/tmp/data/deleted", LSTAT)
        batch.add(5, "/tmp/data/naïve 'q' \\ %s ?.txt", LSTAT)
        assert batch.pending == 6
    assert files_of(catalog, job_id) == [
        (1, "/tmp/data/", "a.txt", LSTAT, "1B2M2Y8AsgTpgAmY7PhCfg", 0, 0, 0),
        (2, "/tmp/data/sub/", "", LSTAT, "0", 0, 0, 0),
        (3, "/tmp/data/", "", LSTAT, "0", 0, 0, 0),
        (4, "c:", "", LSTAT, "0", 0, 0, 0),
        (0, "/tmp/data/", "deleted", LSTAT, "0", 0, 0, 0),
        (5, "/tmp/data/", "naïve 'q' \\ %s ?.txt", LSTAT, "0", 0, 0, 0),
    ]
    assert catalog.query("SELECT count(*) FROM Path")[1] == [(3,)]
    assert catalog.count_files(job_id) == 6


def test_names_that_are_not_utf8_are_stored_byte_for_byte(catalog: Catalog) -> None:
    """As Bareos (a ``SQL_ASCII`` PostgreSQL catalog, SQLite's bytes): a name read from disk
    that is not UTF-8 goes in and comes out as the same bytes, and finds itself."""
    latin1_dir = os.fsdecode(b"/srv/r\xe9sum\xe9s/")
    latin1 = os.fsdecode(b"caf\xe9")
    job_id = catalog.create_job("j.1", "j", "B", "F")
    with catalog.file_batch(job_id) as batch:
        batch.add(1, latin1_dir + latin1, LSTAT)
        batch.add(2, latin1_dir, LSTAT)
        batch.add(3, "/srv/na\u00efve", LSTAT)  # valid UTF-8 beside it
    assert [(r[1], r[2]) for r in files_of(catalog, job_id)] == [
        (latin1_dir, latin1), (latin1_dir, ""), ("/srv/", "na\u00efve")]
    assert [(f.path, f.name) for f in catalog.restore_files([job_id])] == [
        (latin1_dir, latin1), (latin1_dir, ""), ("/srv/", "na\u00efve")]
    assert os.fsencode(latin1_dir + latin1) == b"/srv/r\xe9sum\xe9s/caf\xe9"
    assert catalog.query("SELECT f.FileIndex FROM File f JOIN Path p ON p.PathId = f.PathId "
                         "WHERE p.Path = ? AND f.Name = ?", (latin1_dir, latin1))[1] == [(1,)]


def test_file_batch_reuses_paths_across_jobs(catalog: Catalog) -> None:
    first = catalog.create_job("j.1", "j", "B", "F")
    second = catalog.create_job("j.2", "j", "B", "I")
    for job_id in (first, second):
        batch = catalog.file_batch(job_id)
        batch.add(1, "/etc/hosts", LSTAT)
        batch.add(2, "/etc/", LSTAT)
        assert batch.flush() == 2
        assert batch.flush() == 0
    assert catalog.query("SELECT Path FROM Path ORDER BY Path")[1] == [("/etc/",)]
    assert catalog.count_files(first) == catalog.count_files(second) == 2


def test_file_batch_digest_follows_attributes(catalog: Catalog) -> None:
    job_id = catalog.create_job("j.1", "j", "B", "F")
    batch = catalog.file_batch(job_id)
    batch.add(1, "/a/one", LSTAT)
    batch.set_digest(1, "digest-one")
    batch.add(2, "/a/two", LSTAT)
    batch.flush()
    batch.set_digest(2, "digest-two")  # after the flush: updates the stored row
    assert [(r[0], r[4]) for r in files_of(catalog, job_id)] == [
        (1, "digest-one"),
        (2, "digest-two"),
    ]


def test_file_batch_auto_flush_keeps_last_row(catalog: Catalog) -> None:
    job_id = catalog.create_job("j.1", "j", "B", "F")
    batch = catalog.file_batch(job_id, flush_rows=3)  # type: ignore[call-arg]
    for n in range(1, 25):  # 11 flushes: prepared statements survive the new batch tables
        batch.add(n, f"/d{n % 2}/f{n}", LSTAT)
        batch.set_digest(n, f"md5-{n}")
        assert batch.pending < 3
    assert catalog.count_files(job_id) == 22
    batch.flush()
    rows = files_of(catalog, job_id)
    assert [(r[0], r[4]) for r in rows] == [(n, f"md5-{n}") for n in range(1, 25)]


def test_file_batch_discarded_on_error(catalog: Catalog) -> None:
    job_id = catalog.create_job("j.1", "j", "B", "F")
    try:
        with catalog.file_batch(job_id) as batch:
            batch.add(1, "/x/y", LSTAT)
            raise RuntimeError("job failed")
    except RuntimeError:
        pass
    assert catalog.count_files(job_id) == 0


def test_file_batch_50k_files(catalog: Catalog) -> None:
    """50,000 files in 1,110 directories in one batch: the time is the report's figure."""
    job_id = catalog.create_job("big.1", "big", "B", "F")
    names = [f"/srv/data/d{n % BENCH_DIRS:04d}/file-{n:06d}.dat" for n in range(BENCH_FILES)]
    started = time.perf_counter()
    with catalog.file_batch(job_id) as batch:
        for index, name in enumerate(names, start=1):
            batch.add(index, name, LSTAT)
            batch.set_digest(index, "1B2M2Y8AsgTpgAmY7PhCfg")
    elapsed = time.perf_counter() - started
    print(f"\n{catalog.driver}: {BENCH_FILES} File rows, {BENCH_DIRS} paths: {elapsed:.2f} s")
    assert catalog.count_files(job_id) == BENCH_FILES
    assert catalog.query("SELECT count(*) FROM Path")[1] == [(BENCH_DIRS,)]
    assert elapsed < BENCH_LIMIT_S
    # a second job with the same tree only adds File rows
    again = catalog.create_job("big.2", "big", "B", "I")
    with catalog.file_batch(again) as batch:
        for index, name in enumerate(names[:1000], start=1):
            batch.add(index, name, LSTAT)
    assert catalog.query("SELECT count(*) FROM Path")[1] == [(BENCH_DIRS,)]
    assert catalog.count_files(again) == 1000
