"""PostgreSQL driver (psycopg 3): the catalog of a real deployment."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import sql as pgsql

from .errors import DatabaseError


@lru_cache(maxsize=512)
def to_pg_placeholders(sql: str) -> str:
    """Rewrite ``?`` placeholders to ``%s`` (and ``%`` to ``%%``) outside string literals."""
    out: list[str] = []
    quote = ""
    for char in sql:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "?":
            out.append("%s")
            continue
        out.append("%%" if char == "%" else char)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class PgParams:
    """Where a PostgreSQL catalog lives (the Director's Catalog resource)."""

    db_name: str
    user: str | None = None
    password: str | None = None
    address: str | None = None
    port: int | None = None
    socket: str | None = None

    def connect_kwargs(self, db_name: str | None = None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"dbname": db_name or self.db_name}
        host = self.socket or self.address
        if host and self.socket and not os.path.isdir(host):
            host = os.path.dirname(host)  # a socket file path: libpq wants its directory
        if host:
            kwargs["host"] = host
        if self.port:
            kwargs["port"] = int(self.port)
        if self.user:
            kwargs["user"] = self.user
        if self.password:
            kwargs["password"] = self.password
        return kwargs


def connect(params: PgParams, db_name: str | None = None) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(
            autocommit=True,
            client_encoding="UTF8",
            application_name="bareoslab",
            connect_timeout=30,
            **params.connect_kwargs(db_name),
        )
    except psycopg.Error as exc:
        where = db_name or params.db_name
        raise DatabaseError(
            f"cannot connect to PostgreSQL database {where}: {exc}".strip()
        ) from exc


def database_exists(params: PgParams, maintenance_db: str = "postgres") -> bool:
    with connect(params, maintenance_db) as conn:
        row = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (params.db_name,)
        ).fetchone()
        return row is not None


def create_database(params: PgParams, maintenance_db: str = "postgres") -> bool:
    """Create the catalog database like Bareos' create_bareos_database (SQL_ASCII, C
    collation, from template0).  Returns False when it already exists."""
    if database_exists(params, maintenance_db):
        return False
    with connect(params, maintenance_db) as conn:
        try:
            conn.execute(
                pgsql.SQL(
                    "CREATE DATABASE {} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' "
                    "TEMPLATE template0"
                ).format(pgsql.Identifier(params.db_name))
            )
        except psycopg.Error as exc:
            raise DatabaseError(f"cannot create database {params.db_name}: {exc}") from exc
    return True


class PostgresDriver:
    """One psycopg connection in autocommit mode; ``transaction()`` nests as savepoints."""

    name = "postgresql"

    def __init__(self, params: PgParams) -> None:
        self.params = params
        self.conn = connect(params)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        try:
            if params:
                return self.conn.execute(to_pg_placeholders(sql), tuple(params))
            return self.conn.execute(sql)
        except psycopg.Error as exc:
            raise DatabaseError(f"{str(exc).strip()}: {sql}") from exc

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.conn.transaction():
            yield

    def bulk_load(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        try:
            with self.conn.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as exc:
            raise DatabaseError(f"{str(exc).strip()}: {statement}") from exc

    def run_script(self, script: str) -> None:
        try:
            with self.conn.transaction():
                self.conn.execute(script)
        except psycopg.Error as exc:
            raise DatabaseError(f"schema script failed: {str(exc).strip()}") from exc

    def raw_query(
        self, sql: str, params: Sequence[Any] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        cursor = self.execute(sql, params)
        if cursor.description is None:
            return [], []
        return [d.name for d in cursor.description], [tuple(r) for r in cursor.fetchall()]

    def table_names(self) -> set[str]:
        rows = self.conn.execute(
            "SELECT lower(table_name) FROM information_schema.tables "
            "WHERE table_schema = current_schema()"
        ).fetchall()
        return {r[0] for r in rows}

    def describe(self) -> str:
        info = self.conn.info
        return f"PostgreSQL database {info.dbname} on {info.host}:{info.port}"

    def close(self) -> None:
        self.conn.close()
