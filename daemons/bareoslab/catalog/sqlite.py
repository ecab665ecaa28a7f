"""SQLite driver: the embedded default catalog (one file in the working directory)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .errors import NOT_UTF8, DatabaseError

BASE64_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_DIGIT = {c: i for i, c in enumerate(BASE64_DIGITS)}


def bareos_frombase64(field: str | None) -> int | None:
    """Bareos' base64 integer (LStat fields), as the PostgreSQL function of that name."""
    if field is None:
        return None
    negative = field.startswith("-")
    value = 0
    for char in field[1:] if negative else field:
        digit = _DIGIT.get(char)
        if digit is None:
            break
        value = (value << 6) + digit
    return -value if negative else value


_FUNCTION_CALL = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def pg_column_name(name: str) -> str:
    """The header PostgreSQL gives an unaliased result column (SQLite echoes the text):
    ``count(jobid)`` -> ``count``, ``CASE ...`` -> ``case``, other expressions ``?column?``."""
    if _IDENTIFIER.fullmatch(name):
        return name
    call = _FUNCTION_CALL.match(name)
    if call:
        return call.group(1)
    if name.strip().upper().startswith("CASE"):
        return "case"
    return "?column?"


def _regexp(pattern: str | None, text: str | None) -> bool:
    """``text REGEXP pattern`` (POSIX-style ``~`` on PostgreSQL)."""
    if pattern is None or text is None:
        return False
    return re.search(pattern, text) is not None


class SqliteDriver:
    """One sqlite3 connection in autocommit mode with explicit transactions."""

    name = "sqlite3"

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self.conn = sqlite3.connect(
                path, check_same_thread=False, isolation_level=None, timeout=30.0
            )
            if path != ":memory:":
                self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot open SQLite catalog {path}: {exc}") from exc
        self.conn.create_function("bareos_frombase64", 1, bareos_frombase64, deterministic=True)
        self.conn.create_function("regexp", 2, _regexp, deterministic=True)
        self._depth = 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, tuple(params))
        except sqlite3.Error as exc:
            raise DatabaseError(f"{exc}: {sql}") from exc
        except UnicodeEncodeError as exc:  # a console's bytes that are not UTF-8 (found by fuzzing)
            raise DatabaseError(f"{NOT_UTF8}: {sql}") from exc

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self._depth = 0
        self.execute("COMMIT")

    def bulk_load(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise DatabaseError(f"{exc}: {sql}") from exc
        except UnicodeEncodeError as exc:  # a file name that is not UTF-8
            raise DatabaseError(f"{NOT_UTF8}: {sql}") from exc

    def run_script(self, script: str) -> None:
        if self._depth:
            raise DatabaseError("a schema script cannot run inside a transaction")
        try:
            self.conn.executescript(f"BEGIN IMMEDIATE;\n{script}\n;COMMIT;")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise DatabaseError(f"schema script failed: {exc}") from exc

    def raw_query(
        self, sql: str, params: Sequence[Any] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        cursor = self.execute(sql, params)
        columns = [pg_column_name(d[0]) for d in cursor.description] if cursor.description else []
        return columns, [tuple(r) for r in cursor.fetchall()] if columns else []

    def table_names(self) -> set[str]:
        rows = self.conn.execute(
            "SELECT lower(name) FROM sqlite_master WHERE type IN ('table', 'view')"
        ).fetchall()
        return {r[0] for r in rows}

    def describe(self) -> str:
        return f"SQLite database {self.path}"

    def close(self) -> None:
        self.conn.close()
