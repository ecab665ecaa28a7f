"""One catalog API on SQLite (embedded default) or PostgreSQL.

>>> cat = open_catalog("sqlite3", "bareos", working_directory="/var/lib/bareos")
>>> cat.check()
2250
"""

from __future__ import annotations

import os

from . import api
from .api import *  # noqa: F403  (the catalog API: its class, records and errors)
from .api import Catalog, CatalogError, SchemaMissingError
from .sql import SqlCatalog

SQLITE_DRIVERS = frozenset({"sqlite3", "sqlite"})
POSTGRESQL_DRIVERS = frozenset({"postgresql", "postgres", "pgsql"})


def normalise_driver(driver: str | None) -> str:
    """``"sqlite3"`` or ``"postgresql"`` for the spellings a Catalog resource may use."""
    name = (driver or "sqlite3").strip().lower()
    if name in SQLITE_DRIVERS:
        return "sqlite3"
    if name in POSTGRESQL_DRIVERS:
        return "postgresql"
    raise CatalogError(f"unknown catalog DB Driver {driver!r} (use sqlite3 or postgresql)")


def sqlite_path(db_name: str, working_directory: str | None = None) -> str:
    """``db_name`` if absolute (or ``:memory:``), else ``<working_directory>/<db_name>.db``."""
    if db_name == ":memory:" or os.path.isabs(db_name):
        return db_name
    return os.path.join(working_directory or os.getcwd(), f"{db_name}.db")


def open_catalog(
    driver: str,
    db_name: str,
    *,
    user: str | None = None,
    password: str | None = None,
    address: str | None = None,
    port: int | str | None = None,
    socket: str | None = None,
    working_directory: str | None = None,
    create: bool = True,
) -> Catalog:
    """Connect to a catalog.

    SQLite: the file of :func:`sqlite_path`; with ``create`` a missing (or empty)
    database gets its schema, without it a missing file raises
    :class:`SchemaMissingError`.  PostgreSQL: psycopg connection with the given
    credentials (``password`` in clear text; ``socket`` is a socket directory or file);
    the schema is never created implicitly (``bareoslab-catalog create`` does).
    The schema version is not checked here: call ``check()``.
    """
    kind = normalise_driver(driver)
    if kind == "sqlite3":
        from .sqlite import SqliteDriver

        path = sqlite_path(db_name, working_directory)
        if path != ":memory:" and not os.path.exists(path) and not create:
            raise SchemaMissingError(f"catalog database file {path} does not exist")
        catalog = SqlCatalog(SqliteDriver(path))
        if create and catalog.is_empty():
            catalog.create_schema()
        return catalog

    from .postgresql import PgParams, PostgresDriver

    params = PgParams(
        db_name=db_name,
        user=user or None,
        password=password or None,
        address=address or None,
        port=int(port) if port else None,
        socket=socket or None,
    )
    return SqlCatalog(PostgresDriver(params))


__all__ = [*api.__all__, "SqlCatalog", "normalise_driver", "open_catalog", "sqlite_path"]
