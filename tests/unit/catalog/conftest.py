"""The ``catalog`` fixture: every catalog test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``tests/pgserver.py`` (a private cluster started once per session,
or ``$BAREOSLAB_PG_DSN``); each test gets the session's catalog database emptied back to
a new catalog (``PgShared``).  Without server binaries the PostgreSQL cases are skipped,
unless ``BAREOSLAB_REQUIRE_POSTGRESQL=1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from bareoslab.catalog import Catalog, open_catalog
from bareoslab.catalog.sql import TABLES

DRIVERS = ["sqlite3", pytest.param("postgresql", marks=pytest.mark.postgresql)]


@pytest.fixture(scope="session")
def pg_template(pg_server: Any) -> str:
    """A database holding a fresh catalog schema, to copy for tests that change the schema."""
    name = pg_server.create_database(pg_server.unique_name("bareoslab_template"))
    with open_catalog("postgresql", name, **pg_server.catalog_kwargs()) as catalog:
        catalog.create_schema()
    return str(name)


@pytest.fixture
def pg_database(pg_server: Any, pg_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database copied from the template; dropped afterwards."""
    name = pg_server.create_database(template=pg_template)
    try:
        yield name
    finally:
        pg_server.drop_database(name)


class PgShared:
    """One catalog database for the session, emptied before each test.

    Deleting every row, rewinding the sequences and re-inserting the static rows takes a
    few milliseconds where CREATE DATABASE takes a few hundred.  Tests that change the
    schema itself use ``pg_database`` instead.
    """

    def __init__(self, server: Any) -> None:
        self.name = server.create_database(server.unique_name("bareoslab_catalog"))
        with open_catalog("postgresql", self.name, **server.catalog_kwargs()) as catalog:
            catalog.create_schema()
        self.conn = server.connect(self.name)
        sequences = [
            r[0]
            for r in self.conn.execute(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"
            ).fetchall()
        ]
        data = resources.files("bareoslab.catalog").joinpath("schema/data.sql").read_text("utf-8")
        self.reset_script = (
            "".join(f"DELETE FROM {table};" for table in sorted(TABLES))
            + "".join(f"SELECT setval('{seq}', 1, false);" for seq in sequences)
            + data
        )

    def reset(self) -> str:
        self.conn.execute(self.reset_script)
        return str(self.name)


@pytest.fixture(scope="session")
def pg_shared(pg_server: Any) -> Iterator[PgShared]:
    shared = PgShared(pg_server)
    try:
        yield shared
    finally:
        shared.conn.close()


def open_test_catalog(request: pytest.FixtureRequest, driver: str, tmp_path: Path) -> Catalog:
    if driver == "sqlite3":
        return open_catalog("sqlite3", "bareos", working_directory=str(tmp_path))
    server = request.getfixturevalue("pg_server")
    name = request.getfixturevalue("pg_shared").reset()
    return open_catalog("postgresql", name, **server.catalog_kwargs())


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def catalog(request: pytest.FixtureRequest, driver: str, tmp_path: Path) -> Iterator[Catalog]:
    """A new, empty catalog (schema 2250) on each driver."""
    cat = open_test_catalog(request, driver, tmp_path)
    try:
        yield cat
    finally:
        cat.close()


class Basics:
    """The rows a director creates at start: a pool, a client, a fileset, a storage."""

    def __init__(self, catalog: Catalog) -> None:
        from bareoslab.catalog import PoolRow

        self.pool_id = catalog.sync_pool(PoolRow("Full", label_format="Full-", max_vol_jobs=0))
        self.client_id = catalog.get_or_create_client("client1-fd", "25.0.0 (01Jan25) Linux")
        self.fileset_id = catalog.get_or_create_fileset("LinuxAll", "mD5base64", "FileSet {...}")
        self.storage_id = catalog.get_or_create_storage("File")
        self.media_type = "File"


@pytest.fixture
def basics(catalog: Catalog) -> Basics:
    return Basics(catalog)
