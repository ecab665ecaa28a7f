"""``query``/``execute`` for sqlquery and .sql: the systemtests' direct SQL (catalog.md 9)."""

from __future__ import annotations

from datetime import datetime

import pytest
from bareoslab.catalog import Catalog, DatabaseError, MediaRow

from .conftest import Basics


def test_query_lower_case_columns_and_plain_values(catalog: Catalog, basics: Basics) -> None:
    job_id = catalog.create_job("j.1", "j", "B", "F", sched_time=datetime(2024, 5, 1, 10, 0, 0))
    columns, rows = catalog.query("SELECT JobId, Type, SchedTime, JobTDate, Comment FROM Job")
    assert columns == ["jobid", "type", "schedtime", "jobtdate", "comment"]
    assert rows == [
        (job_id, "B", "2024-05-01 10:00:00", int(datetime(2024, 5, 1, 10).timestamp()), "")
    ]
    columns, rows = catalog.query("SELECT type FROM job WHERE jobid=?", (job_id,))
    assert (columns, rows) == (["type"], [("B",)])
    assert catalog.query("SELECT count(*) FROM Job WHERE Name LIKE 'j%'") == (["count"], [(1,)])
    assert catalog.query("SELECT CASE WHEN 1 = 1 THEN 'y' END FROM Job")[0] == ["case"]
    assert catalog.query("SELECT max(JobId) AS Highest FROM Job")[0] == ["highest"]


def test_query_numeric_as_int(catalog: Catalog) -> None:
    job_id = catalog.create_job("j.1", "j", "B", "F")
    catalog.create_jobmedia(job_id, 1, 1, 1, 0, 0, 0, 0, job_bytes=12345678901234)
    assert catalog.query("SELECT JobBytes FROM JobMedia")[1] == [(12345678901234,)]


def test_query_update_statement(catalog: Catalog, basics: Basics) -> None:
    """`UPDATE Media SET mediatype = 'NoSuchType' WHERE volumename = 'TestVolume001';`"""
    catalog.create_media(MediaRow("TestVolume001", basics.pool_id, "File", vol_bytes=1))
    assert catalog.query(
        "UPDATE Media SET mediatype = 'NoSuchType' WHERE volumename = 'TestVolume001';"
    ) == ([], [])
    assert catalog.get_media("TestVolume001").media_type == "NoSuchType"  # type: ignore[union-attr]
    assert (
        catalog.execute("UPDATE Media SET Comment = ? WHERE VolumeName = ?", ("x", "TestVolume001"))
        == 1
    )


def test_query_errors_are_database_errors(catalog: Catalog) -> None:
    with pytest.raises(DatabaseError, match="nosuchtable|NoSuchTable"):
        catalog.query("SELECT * FROM NoSuchTable")
    # the connection stays usable
    assert catalog.query("SELECT count(*) FROM Job")[1] == [(0,)]


def test_query_placeholders_and_percent(catalog: Catalog) -> None:
    catalog.create_job("100%_done.1", "it's ?", "B", "F")
    assert catalog.query("SELECT Name FROM Job WHERE Job LIKE ?", ("100%",))[1] == [("it's ?",)]
    assert catalog.query(
        "SELECT Name FROM Job WHERE Name = 'it''s ?' AND Job = ?", ("100%_done.1",)
    )[1] == [("it's ?",)]


def test_a_streamed_result_comes_in_order_and_a_stream_left_early_frees_the_connection(
        catalog: Catalog, basics: Basics) -> None:
    """``stream`` reads a result a chunk (SQLite: a row) at a time (on PostgreSQL in chunked rows mode, not
    the whole result at once); after a stream abandoned halfway the catalog goes on."""
    db = catalog._db
    rows = db.stream("SELECT ? + 0 AS n UNION ALL SELECT ? + 0 UNION ALL SELECT ? + 0 ORDER BY n",
                     (3, 1, 2), size=2)
    assert [tuple(r) for r in rows] == [(1,), (2,), (3,)]
    many = "SELECT ClientId FROM Client" + " UNION ALL SELECT ClientId FROM Client" * 20
    stream = db.stream(many, size=3)
    assert tuple(next(stream)) == (basics.client_id,)
    stream.close()
    assert catalog.get_or_create_client("client2-fd", "25.0.0") != basics.client_id


def test_a_stream_without_libpq_chunks_comes_row_by_row(catalog: Catalog, basics: Basics,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A libpq older than 17 has no chunked rows mode: PostgreSQL then streams row by row."""
    from bareoslab.catalog import postgresql

    monkeypatch.setattr(postgresql, "_CHUNKED_ROWS", False)
    rows = catalog._db.stream("SELECT ClientId FROM Client UNION ALL SELECT ClientId FROM Client", size=50)
    assert [tuple(r) for r in rows] == [(basics.client_id,)] * 2
