"""PostgreSQL driver (psycopg 3): the catalog of a real deployment."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import adapt
from psycopg import sql as pgsql

from .driver import STREAM_ROWS, split_placeholders
from .errors import NOT_UTF8, DatabaseError

log = logging.getLogger(__name__)


@lru_cache(maxsize=512)
def to_pg_placeholders(sql: str) -> str:
    """Rewrite ``?`` placeholders to ``%s`` (and ``%`` to ``%%``) outside string literals."""
    return "%s".join(piece.replace("%", "%%") for piece in split_placeholders(sql))


#: libpq's chunked rows mode (``Cursor.stream(size=...)``): libpq 17 and later
_CHUNKED_ROWS = psycopg.pq.version() >= 170000


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


class _ByteExactDumper(adapt.Dumper):
    """A str to the bytes it was decoded from (``surrogateescape``): a file name that is not
    UTF-8 reaches the catalog byte for byte."""

    oid = 0  # "unknown", as psycopg's own str dumper: the server infers the type

    def dump(self, obj: str) -> bytes:
        if "\0" in obj:
            raise psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
        return obj.encode("utf-8", "surrogateescape")


class _ByteExactLoader(adapt.Loader):
    """Text from the catalog as str, bytes that are not UTF-8 kept as surrogates."""

    def load(self, data: adapt.Buffer) -> str:
        return str(data, "utf-8", "surrogateescape")


_TEXT_TYPES = ("text", "varchar", "bpchar", "name", '"char"', 0)


def use_byte_exact_text(conn: psycopg.Connection[Any]) -> None:
    """Talk to a ``SQL_ASCII`` catalog as Bareos does: client encoding ``SQL_ASCII``, text
    stored and read byte for byte, so that any file name fits.  A database in another
    encoding keeps UTF-8 (with a warning, as Bareos gives): a name that is not valid in it
    fails its statement."""
    row = conn.execute("SELECT getdatabaseencoding()").fetchone()
    encoding = row[0] if row else "?"
    if encoding != "SQL_ASCII":
        log.warning(
            "catalog database %s has encoding %s, not SQL_ASCII: a file name that is not "
            "valid %s cannot be stored",
            conn.info.dbname, encoding, encoding,
        )
        return
    conn.execute("SET client_encoding TO 'SQL_ASCII'")
    conn.adapters.register_dumper(str, _ByteExactDumper)
    for text_type in _TEXT_TYPES:
        conn.adapters.register_loader(text_type, _ByteExactLoader)


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
    """One psycopg connection in autocommit mode; ``transaction()`` nests as savepoints.

    A connection the server dropped (restarted, killed) is opened again, as Bareos' catalog
    reconnects: at the next statement outside a transaction, which is then run once more. A
    statement inside a transaction fails with it: what it began is gone.
    """

    name = "postgresql"

    def __init__(self, params: PgParams) -> None:
        self.params = params
        self.conn = self._connect()
        self._depth = 0  # transaction() blocks open

    def _connect(self) -> psycopg.Connection[Any]:
        conn = connect(self.params)
        try:
            use_byte_exact_text(conn)
        except psycopg.Error as exc:
            conn.close()
            raise DatabaseError(f"cannot set up the catalog connection: {str(exc).strip()}") from exc
        return conn

    def _reconnect_if_lost(self) -> bool:
        """A new connection in place of a broken one (callers: outside any transaction); True if made."""
        if not (self.conn.broken or self.conn.closed):
            return False
        log.warning("the connection to the catalog was lost; connecting again")
        self.conn = self._connect()
        return True

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        try:
            return self._execute(sql, params)
        except psycopg.OperationalError as exc:
            if not (self._depth == 0 and self._reconnect_if_lost()):
                raise DatabaseError(f"{str(exc).strip()}: {sql}") from exc
        except psycopg.Error as exc:
            raise DatabaseError(f"{str(exc).strip()}: {sql}") from exc
        except UnicodeEncodeError as exc:
            raise DatabaseError(f"{NOT_UTF8}: {sql}") from exc
        try:
            return self._execute(sql, params)
        except psycopg.Error as exc:
            raise DatabaseError(f"{str(exc).strip()}: {sql}") from exc

    def _execute(self, sql: str, params: Sequence[Any]) -> psycopg.Cursor[Any]:
        if params:
            return self.conn.execute(to_pg_placeholders(sql), tuple(params))
        return self.conn.execute(sql)

    def stream(self, sql: str, params: Sequence[Any] = (), size: int = STREAM_ROWS) -> Iterator[Any]:
        """Rows in chunks of ``size`` as the server sends them: libpq's chunked rows mode
        (libpq 17 and later), else its single row mode."""
        query = to_pg_placeholders(sql) if params else sql
        try:
            with self.conn.cursor() as cursor:
                yield from cursor.stream(query, tuple(params), size=size if _CHUNKED_ROWS else 1)
        except psycopg.Error as exc:
            raise DatabaseError(f"{str(exc).strip()}: {sql}") from exc
        except UnicodeEncodeError as exc:
            raise DatabaseError(f"{NOT_UTF8}: {sql}") from exc

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with ExitStack() as stack:
            try:
                stack.enter_context(self.conn.transaction())
            except psycopg.OperationalError as exc:  # BEGIN on a dropped connection: nothing begun yet
                if not (self._depth == 0 and self._reconnect_if_lost()):
                    raise DatabaseError(f"cannot begin a transaction: {str(exc).strip()}") from exc
                stack.enter_context(self.conn.transaction())
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1

    def bulk_load(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        if self._depth == 0:
            self._reconnect_if_lost()
        try:
            with self.conn.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as exc:
            raise DatabaseError(f"{str(exc).strip()}: {statement}") from exc
        except UnicodeEncodeError as exc:  # a file name that is not UTF-8
            raise DatabaseError(f"{NOT_UTF8}: {statement}") from exc

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
