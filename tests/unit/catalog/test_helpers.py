"""Driver-independent pieces: times, codes, placeholders, LStat decoding, API consistency."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

import pytest
from bareoslab.catalog import Catalog, CatalogError, SqlCatalog
from bareoslab.catalog.batch import SqlFileBatch
from bareoslab.catalog.driver import code, codes, marks
from bareoslab.catalog.postgresql import PgParams, to_pg_placeholders
from bareoslab.catalog.sqlite import bareos_frombase64, pg_column_name
from bareoslab.catalog.times import db_time, epoch, parse_db_time
from bareoslab.codes import JobLevel, JobStatus, JobType


def test_times_local_strings() -> None:
    when = datetime(2024, 5, 1, 10, 0, 0, 123456)
    assert db_time(when) == "2024-05-01 10:00:00"
    assert db_time(None) is None
    assert db_time(int(when.timestamp())) == "2024-05-01 10:00:00"
    aware = datetime(2024, 5, 1, 8, 0, 0, tzinfo=UTC)
    assert db_time(aware) == aware.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert epoch(when.replace(microsecond=0)) == int(when.timestamp())
    assert parse_db_time("2024-05-01 10:00:00") == datetime(2024, 5, 1, 10)
    assert parse_db_time(datetime(2024, 5, 1, 10, 0, 0, 5)) == datetime(2024, 5, 1, 10)
    assert parse_db_time(None) is parse_db_time("0000-00-00 00:00:00") is parse_db_time(0) is None


def test_codes() -> None:
    assert (
        code(JobType.COPY) == "c" and code(JobLevel.NONE) == " " and code(JobStatus.WARNINGS) == "W"
    )
    assert code("g") == "g" and codes("F") == ["F"] and codes([JobLevel.FULL, "I"]) == ["F", "I"]
    with pytest.raises(CatalogError):
        code("Full")
    assert marks(3) == "?, ?, ?" and marks(0) == "NULL"


def test_pg_placeholders() -> None:
    assert (
        to_pg_placeholders("SELECT ? WHERE a LIKE '%?%' AND b = ?")
        == "SELECT %s WHERE a LIKE '%%?%%' AND b = %s"
    )
    assert to_pg_placeholders("SELECT 'it''s' || ?") == "SELECT 'it''s' || %s"


def test_pg_params() -> None:
    assert PgParams("bareos").connect_kwargs() == {"dbname": "bareos"}
    assert PgParams("b", "u", "p", "db.lab", 5433).connect_kwargs() == {
        "dbname": "b", "host": "db.lab", "port": 5433, "user": "u", "password": "p",
    }  # fmt: skip
    assert (
        PgParams("b", socket="/nonexistent/.s.PGSQL.5432", address="x").connect_kwargs()["host"]
        == "/nonexistent"
    )


def test_sqlite_frombase64_and_column_names() -> None:
    assert bareos_frombase64("IGk") == 33188
    assert bareos_frombase64("-B") == -1
    assert bareos_frombase64("A") == 0 and bareos_frombase64(None) is None
    assert pg_column_name("JobId") == "JobId"
    assert pg_column_name("count(jobid)") == "count"
    assert pg_column_name("CASE WHEN x THEN 1 END") == "case"
    assert pg_column_name("1 + 2") == "?column?"


def test_sql_catalog_implements_protocol() -> None:
    """Every Catalog method exists on SqlCatalog with the same parameters."""
    for name, member in inspect.getmembers(Catalog, predicate=inspect.isfunction):
        if name.startswith("_") and name not in ("__enter__", "__exit__"):
            continue
        implementation = getattr(SqlCatalog, name)
        wanted = list(inspect.signature(member).parameters)
        got = list(inspect.signature(implementation).parameters)
        assert got[: len(wanted)] == wanted, name
    for name in ("add", "set_digest", "flush", "__enter__", "__exit__"):
        wanted = list(
            inspect.signature(
                getattr(__import__("bareoslab.catalog", fromlist=["FileBatch"]).FileBatch, name)
            ).parameters
        )
        assert list(inspect.signature(getattr(SqlFileBatch, name)).parameters) == wanted, name
