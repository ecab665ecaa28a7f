"""A throwaway PostgreSQL server for tests.

``start_pg_server()`` returns

* an :class:`ExternalPgServer` when ``BAREOSLAB_PG_DSN`` names a server to use (its
  user must be allowed to create databases);
* else a :class:`PgServer`: a private cluster made with ``initdb`` in a temporary
  directory, listening on a unix socket in that directory and on 127.0.0.1 at a free
  port, trust authentication, fsync off.  As root the server binaries run as the
  ``postgres`` system user (``initdb`` refuses root);
* ``None`` when no server binaries are found (``pg_unavailable_reason()`` says why), so
  fixtures can skip.  ``BAREOSLAB_REQUIRE_POSTGRESQL=1`` is for them to turn that into
  a failure.

Both kinds offer ``create_database``, ``drop_database``, ``connect`` and
``catalog_kwargs`` (keyword arguments for ``bareoslab.catalog.open_catalog``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from typing import Any

import psycopg
from psycopg import sql

ENV_DSN = "BAREOSLAB_PG_DSN"
ENV_REQUIRE = "BAREOSLAB_REQUIRE_POSTGRESQL"
ENV_BINDIR = "BAREOSLAB_PG_BINDIR"
SERVER_USER = "postgres"
DEBIAN_BINDIRS = "/usr/lib/postgresql/*/bin"


def postgresql_required() -> bool:
    return os.environ.get(ENV_REQUIRE, "") == "1"


def find_bindir() -> str | None:
    """The directory holding initdb, pg_ctl and postgres, newest Debian version first."""
    candidates: list[str] = []
    if os.environ.get(ENV_BINDIR):
        candidates.append(os.environ[ENV_BINDIR])
    debian = glob.glob(DEBIAN_BINDIRS)
    debian.sort(key=lambda p: _version_key(p.split("/")[-2]), reverse=True)
    candidates += debian
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(os.path.dirname(on_path))
    for bindir in candidates:
        if all(
            os.access(os.path.join(bindir, b), os.X_OK) for b in ("initdb", "pg_ctl", "postgres")
        ):
            return bindir
    return None


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


def pg_unavailable_reason() -> str | None:
    """Why ``start_pg_server()`` would return None, or None if it would not."""
    if os.environ.get(ENV_DSN):
        return None
    if find_bindir() is None:
        return (
            f"no PostgreSQL server binaries (initdb, pg_ctl, postgres) in {DEBIAN_BINDIRS}, "
            f"${ENV_BINDIR} or PATH, and ${ENV_DSN} is not set"
        )
    if os.geteuid() == 0 and not _has_user(SERVER_USER):
        return f"running as root and there is no {SERVER_USER!r} user to run initdb as"
    return None


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Server:
    """Database management common to both kinds of server."""

    host: str
    port: int
    user: str
    password: str | None
    admin_db: str

    def __init__(self) -> None:
        self._created: set[str] = set()

    def connect(self, dbname: str | None = None) -> psycopg.Connection[Any]:
        kwargs: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "dbname": dbname or self.admin_db,
            "autocommit": True,
            "client_encoding": "UTF8",  # text as str from the SQL_ASCII catalogs too
        }
        if self.password:
            kwargs["password"] = self.password
        return psycopg.connect(**kwargs)

    def catalog_kwargs(self) -> dict[str, Any]:
        """Connection keywords for ``open_catalog("postgresql", db_name, **kwargs)``."""
        kwargs: dict[str, Any] = {"user": self.user, "password": self.password, "port": self.port}
        if self.host.startswith("/"):
            kwargs["socket"] = self.host
        else:
            kwargs["address"] = self.host
        return kwargs

    def server_pid(self) -> int | None:
        """The postmaster's pid when this process started the server (else None)."""
        return None

    def unique_name(self, prefix: str = "bareoslab") -> str:
        return f"{prefix}_{uuid.uuid4().hex[:12]}"

    def create_database(self, name: str | None = None, *, template: str | None = None) -> str:
        """Create a database (a copy of ``template`` if given, else a ``SQL_ASCII`` one as
        Bareos makes its catalog); return its name."""
        name = name or self.unique_name()
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        else:
            statement += sql.SQL(
                " ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
        with self.connect() as conn:
            conn.execute(statement)
        self._created.add(name)
        return name

    def drop_database(self, name: str) -> None:
        with self.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        self._created.discard(name)

    def drop_created(self) -> None:
        for name in sorted(self._created):
            try:
                self.drop_database(name)
            except psycopg.Error:
                pass

    def describe(self) -> str:
        return f"PostgreSQL at {self.host}:{self.port}"

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> _Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ExternalPgServer(_Server):
    """An existing server named by a libpq connection string (``BAREOSLAB_PG_DSN``)."""

    def __init__(self, dsn: str) -> None:
        super().__init__()
        info = psycopg.conninfo.conninfo_to_dict(dsn)
        self.host = str(info.get("host") or "localhost")
        self.port = int(info.get("port") or 5432)
        self.user = str(info.get("user") or os.environ.get("USER", "postgres"))
        password = info.get("password")
        self.password = str(password) if password else None
        self.admin_db = str(info.get("dbname") or "postgres")
        with self.connect():
            pass

    def close(self) -> None:
        self.drop_created()


class PgServer(_Server):
    """A private cluster in a temporary directory, removed by ``close()``."""

    def __init__(self, bindir: str, base_dir: str | None = None) -> None:
        super().__init__()
        self.bindir = bindir
        self.user = SERVER_USER
        self.password = None
        self.admin_db = "postgres"
        self.port = free_port()
        self.root = tempfile.mkdtemp(prefix="bareoslab-pg-", dir=base_dir)
        self.host = self.root  # the unix socket directory
        self.data = os.path.join(self.root, "data")
        self.logfile = os.path.join(self.root, "server.log")
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SERVER_USER)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            self._as_user = ["runuser", "-u", SERVER_USER, "--"]
        try:
            self._run("initdb", "-D", self.data, "-A", "trust", "-U", SERVER_USER, "-E", "UTF8",
                      "--locale=C", "--no-sync")  # fmt: skip
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
                "-c fsync=off -c full_page_writes=off -c synchronous_commit=off "
                "-c max_connections=50"
            )
            self._run("pg_ctl", "-D", self.data, "-l", self.logfile, "-w", "-t", "60",
                      "-o", options, "start")  # fmt: skip
        except BaseException:
            self._remove()
            raise

    def server_pid(self) -> int | None:
        try:
            with open(os.path.join(self.data, "postmaster.pid"), encoding="ascii") as handle:
                return int(handle.readline())
        except (OSError, ValueError):
            return None

    def _run(self, program: str, *args: str) -> None:
        command = [*self._as_user, os.path.join(self.bindir, program), *args]
        result = subprocess.run(
            command, cwd=self.root, capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            log = ""
            if os.path.exists(self.logfile):
                with open(self.logfile, encoding="utf-8", errors="replace") as handle:
                    log = handle.read()[-2000:]
            raise RuntimeError(
                f"{program} failed ({result.returncode}): {result.stderr.strip()}\n{log}".strip()
            )

    def close(self) -> None:
        if os.path.isdir(self.data):
            try:
                self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        self._remove()

    def _remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def start_pg_server(base_dir: str | None = None) -> _Server | None:
    """A server to test against, or None when PostgreSQL is not available here."""
    dsn = os.environ.get(ENV_DSN)
    if dsn:
        return ExternalPgServer(dsn)
    if pg_unavailable_reason() is not None:
        return None
    bindir = find_bindir()
    assert bindir is not None
    return PgServer(bindir, base_dir)
