"""``open_catalog``: driver names, SQLite file rules and first-start creation."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from bareoslab.catalog import (
    Catalog,
    CatalogError,
    DatabaseError,
    SchemaMissingError,
    SqlCatalog,
    normalise_driver,
    open_catalog,
    sqlite_path,
)


def test_normalise_driver() -> None:
    assert (
        normalise_driver(None)
        == normalise_driver("SQLite3")
        == normalise_driver("sqlite")
        == "sqlite3"
    )
    assert normalise_driver("postgresql") == normalise_driver("PostgreSQL") == "postgresql"
    with pytest.raises(CatalogError, match="unknown catalog DB Driver 'mysql'"):
        normalise_driver("mysql")


def test_sqlite_path_rules(tmp_path: Path) -> None:
    assert sqlite_path("bareos", "/var/lib/bareos") == "/var/lib/bareos/bareos.db"
    assert sqlite_path("/srv/cat.sqlite", "/var/lib/bareos") == "/srv/cat.sqlite"
    assert sqlite_path(":memory:") == ":memory:"


def test_open_sqlite_creates_schema_on_first_open(tmp_path: Path) -> None:
    path = tmp_path / "bareos.db"
    with open_catalog("sqlite3", "bareos", working_directory=str(tmp_path)) as catalog:
        assert isinstance(catalog, Catalog)
        assert catalog.check() == 2250
        catalog.create_job("j.1", "j", "B", "F")
    assert path.exists()
    with open_catalog("sqlite3", str(path)) as catalog:  # absolute name, existing file
        assert catalog.list_jobs()[0].job == "j.1"
        assert catalog.describe() == f"SQLite database {path}"


def test_open_sqlite_without_create(tmp_path: Path) -> None:
    with pytest.raises(SchemaMissingError, match="does not exist"):
        open_catalog("sqlite3", "bareos", working_directory=str(tmp_path), create=False)
    assert not (tmp_path / "bareos.db").exists()
    (tmp_path / "empty.db").touch()
    with open_catalog("sqlite3", "empty", working_directory=str(tmp_path), create=False) as catalog:
        assert not catalog.schema_exists()
        with pytest.raises(SchemaMissingError, match="no catalog schema"):
            catalog.check()
    with open_catalog("sqlite3", "empty", working_directory=str(tmp_path)) as catalog:
        assert catalog.check() == 2250  # an empty file gets the schema


def test_open_sqlite_bad_directory(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="cannot open SQLite catalog"):
        open_catalog("sqlite3", "bareos", working_directory=str(tmp_path / "missing"))


def test_open_sqlite_other_thread(tmp_path: Path) -> None:
    """The director's single worker thread may change: no same-thread check."""
    catalog = open_catalog("sqlite3", "bareos", working_directory=str(tmp_path))
    result: list[int] = []
    worker = threading.Thread(
        target=lambda: result.append(catalog.create_job("j.1", "j", "B", "F"))
    )
    worker.start()
    worker.join()
    assert result == [1] and catalog.get_job(1) is not None
    catalog.close()


@pytest.mark.postgresql
def test_open_postgresql_over_tcp(pg_server: Any, pg_shared: Any) -> None:
    name = pg_shared.reset()
    kwargs = pg_server.catalog_kwargs()
    if "socket" in kwargs:
        kwargs = {"user": kwargs["user"], "password": kwargs["password"], "address": "127.0.0.1",
                  "port": str(kwargs["port"])}  # fmt: skip
    with open_catalog("postgresql", name, **kwargs) as catalog:
        assert isinstance(catalog, SqlCatalog)
        assert catalog.check() == 2250
        assert "PostgreSQL database" in catalog.describe()


@pytest.mark.postgresql
def test_open_postgresql_socket_file_and_errors(pg_server: Any, pg_shared: Any) -> None:
    kwargs = pg_server.catalog_kwargs()
    if "socket" in kwargs:  # a socket file path works like its directory
        kwargs["socket"] = os.path.join(kwargs["socket"], f".s.PGSQL.{kwargs['port']}")
        with open_catalog("postgresql", pg_shared.reset(), **kwargs) as catalog:
            assert catalog.schema_version() == 2250
    with pytest.raises(DatabaseError, match="cannot connect to PostgreSQL database nosuchdb"):
        open_catalog("postgresql", "nosuchdb", **pg_server.catalog_kwargs())


@pytest.mark.postgresql
def test_open_postgresql_empty_database(pg_server: Any) -> None:
    name = pg_server.create_database()
    try:
        with open_catalog("postgresql", name, **pg_server.catalog_kwargs()) as catalog:
            assert not catalog.schema_exists()  # never created implicitly on PostgreSQL
            with pytest.raises(SchemaMissingError):
                catalog.schema_version()
            catalog.create_schema()
            assert catalog.check() == 2250
    finally:
        pg_server.drop_database(name)


@pytest.mark.postgresql
def test_postgresql_connection_dropped_by_the_server_is_opened_again(pg_server: Any, pg_shared: Any) -> None:
    """A catalog whose server ended its connection (restarted, killed) connects again at the
    next statement outside a transaction, as Bareos' catalog reconnects; inside one the
    statement fails, and with it what the transaction began."""
    with open_catalog("postgresql", pg_shared.reset(), **pg_server.catalog_kwargs()) as catalog:
        assert isinstance(catalog, SqlCatalog)

        def drop_the_connection() -> None:
            pid = catalog.query("SELECT pg_backend_pid()")[1][0][0]
            with pg_server.connect() as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

        drop_the_connection()
        catalog.create_job("after.1", "after", "B", "F")  # connected again, ran once more
        assert [j.job for j in catalog.list_jobs()] == ["after.1"]
        drop_the_connection()
        with catalog._db.transaction():  # BEGIN connects again: nothing was begun
            catalog.create_job("inside.1", "inside", "B", "F")
        with pytest.raises(DatabaseError), catalog._db.transaction():
            catalog.create_job("lost.1", "lost", "B", "F")
            drop_the_connection()
            catalog.query("SELECT 1")  # the transaction is gone: fails, not run again alone
        assert [j.job for j in catalog.list_jobs()] == ["after.1", "inside.1"]  # connected again
