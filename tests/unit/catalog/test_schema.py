"""Schema creation, version, check and upgrade on both drivers."""

from __future__ import annotations

from typing import Any

import pytest
from bareoslab.catalog import (
    SCHEMA_VERSION,
    Catalog,
    DatabaseError,
    PoolRow,
    SchemaExistsError,
    SchemaVersionError,
    open_catalog,
)
from bareoslab.catalog.sql import TABLES
from bareoslab.codes import JOB_STATUS_LONG, JobStatus


def test_schema_version_is_2250(catalog: Catalog) -> None:
    assert catalog.schema_version() == SCHEMA_VERSION == 2250
    assert catalog.check() == 2250
    assert catalog.query("SELECT VersionId FROM Version") == (["versionid"], [(2250,)])


def test_schema_has_every_bareos_table(catalog: Catalog) -> None:
    for table in TABLES:
        columns, rows = catalog.query(f"SELECT count(*) FROM {table}")
        assert len(rows) == 1, table
    assert len(TABLES) == 28


def test_schema_create_twice_refused(catalog: Catalog) -> None:
    with pytest.raises(SchemaExistsError, match="already exists"):
        catalog.create_schema()


def test_schema_status_rows(catalog: Catalog) -> None:
    _, rows = catalog.query(
        "SELECT JobStatus, JobStatusLong, Severity FROM Status ORDER BY JobStatus"
    )
    status = {r[0]: (r[1], r[2]) for r in rows}
    assert len(status) == 26
    assert status["T"] == ("Completed successfully", 10)
    assert status["f"] == ("Fatal error", 100)
    assert status["A"] == ("Canceled by user", 90)
    assert set(status) >= {s.value for s in JOB_STATUS_LONG}
    assert set(status) == {s.value for s in JobStatus}


def test_schema_check_reports_wrong_version(catalog: Catalog) -> None:
    catalog.execute("UPDATE Version SET VersionId = 2230")
    with pytest.raises(SchemaVersionError, match="2230.*needs 2250.*upgrade"):
        catalog.check()


def test_schema_upgrade_noop_at_2250(catalog: Catalog) -> None:
    assert catalog.upgrade_schema() == (2250, 2250)


def test_schema_upgrade_unknown_version_refused(catalog: Catalog) -> None:
    catalog.execute("UPDATE Version SET VersionId = 2171")
    with pytest.raises(SchemaVersionError, match="from version 2171"):
        catalog.upgrade_schema()
    catalog.execute("UPDATE Version SET VersionId = 9999")
    with pytest.raises(SchemaVersionError, match="newer"):
        catalog.upgrade_schema()


@pytest.mark.postgresql
def test_schema_upgrade_postgresql_2240(pg_server: Any, pg_database: str) -> None:
    catalog = open_catalog("postgresql", pg_database, **pg_server.catalog_kwargs())
    # a 2240 catalog did not accept 'Unlabeled'
    catalog.execute("ALTER TABLE Media DROP CONSTRAINT media_volstatus_check")
    catalog.execute(
        "ALTER TABLE Media ADD CONSTRAINT media_volstatus_check CHECK (VolStatus IN ('Append','Full'))"
    )
    catalog.execute("UPDATE Version SET VersionId = 2240")
    assert catalog.upgrade_schema() == (2240, 2250)
    assert catalog.check() == 2250
    pool_id = catalog.sync_pool(PoolRow("Full"))
    catalog.execute(
        "INSERT INTO Media (VolumeName, MediaType, PoolId, VolStatus) VALUES ('V', 'File', ?, 'Unlabeled')",
        (pool_id,),
    )
    catalog.close()


def test_schema_check_constraints(catalog: Catalog) -> None:
    with pytest.raises(DatabaseError):
        catalog.execute(
            "INSERT INTO Media (VolumeName, MediaType, VolStatus) VALUES ('x', 'File', 'Bogus')"
        )
    with pytest.raises(DatabaseError):
        catalog.execute("INSERT INTO Pool (Name, LabelFormat, PoolType) VALUES ('p', '*', 'Bogus')")


def test_schema_unique_path_and_volume(catalog: Catalog) -> None:
    catalog.execute("INSERT INTO Path (Path) VALUES ('/tmp/')")
    with pytest.raises(DatabaseError):
        catalog.execute("INSERT INTO Path (Path) VALUES ('/tmp/')")
    catalog.execute(
        "INSERT INTO Media (VolumeName, MediaType, VolStatus) VALUES ('v1', 'File', 'Append')"
    )
    with pytest.raises(DatabaseError):
        catalog.execute(
            "INSERT INTO Media (VolumeName, MediaType, VolStatus) VALUES ('v1', 'File', 'Append')"
        )


def test_schema_file_index_on_jobid_pathid_name(catalog: Catalog) -> None:
    if catalog.driver == "postgresql":
        _, rows = catalog.query(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'file_jpfid_idx'"
        )
        assert "(jobid, pathid, name)" in rows[0][0]
    else:
        _, rows = catalog.query(
            "SELECT name FROM pragma_index_info('file_jpfid_idx') ORDER BY seqno"
        )
        assert [r[0] for r in rows] == ["JobId", "PathId", "Name"]


def test_schema_job_sequence_query(catalog: Catalog) -> None:
    """The systemtests' last_jobid_or_zero helper works on both drivers."""
    seq = "SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS jobid FROM job_jobid_seq"
    assert catalog.query(seq) == (["jobid"], [(0,)])
    assert catalog.last_job_id() == 0
    for n in range(3):
        catalog.create_job(f"j.{n}", "j", "B", "F")
    assert catalog.query(seq) == (["jobid"], [(3,)])
    catalog.execute("DELETE FROM Job")
    assert catalog.last_job_id() == 3


@pytest.mark.parametrize("driver", [pytest.param("postgresql", marks=pytest.mark.postgresql)])
def test_schema_postgresql_types(catalog: Catalog) -> None:
    _, rows = catalog.query(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'job' AND column_name IN ('schedtime', 'jobtdate', 'type', 'jobid')"
    )
    types = dict(rows)
    assert types == {
        "schedtime": "timestamp without time zone",
        "jobtdate": "bigint",
        "type": "character",
        "jobid": "integer",
    }
    _, rows = catalog.query("SELECT count(*) FROM pg_class WHERE relname = 'file_fileid_seq'")
    assert rows == [(1,)]


def test_schema_lstat_decoding(catalog: Catalog) -> None:
    assert catalog.query("SELECT bareos_frombase64('IGk')")[1] == [(33188,)]
    assert catalog.query("SELECT bareos_frombase64('A')")[1] == [(0,)]
    assert catalog.query("SELECT bareos_frombase64('-B')")[1] == [(-1,)]
    if catalog.driver == "postgresql":
        _, rows = catalog.query(
            "SELECT st_mode, st_size FROM decode_lstat('A B IGk B A A A Dw BAA A A A A A A A', "
            "array['st_mode', 'st_size'])"
        )
        assert rows == [(33188, 240)]
