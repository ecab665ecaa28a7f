"""The ``lab`` fixture: Director, Storage and File daemons as real processes on loopback.

Each test gets its own topology in ``tmp_path`` (configs rendered by
``bareoslab.lab.local.render``), with protocol tracing on. ``lab`` is parametrised over
the two catalog drivers; PostgreSQL gets a fresh database created by
``bareoslab-catalog create``, as a deployment would.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bareoslab.catalog import open_catalog
from bareoslab.console.client import Console
from bareoslab.lab.local import processes
from bareoslab.lab.local.render import CatalogSettings, LocalTopology, director_host, place, render
from bareoslab.net.auth import hello_director, password_key
from bareoslab.net.errors import ProtocolError
from bareoslab.net.framing import Connection
from bareoslab.net.handshake import Outbound, authenticate_outbound, start_outbound
from bareoslab.net.server import connect
from bareoslab.net.tls import TlsSettings, qualified_name
from bareoslab.net.trace import read_trace

pytestmark = pytest.mark.integration

DRIVERS = ["sqlite3", pytest.param("postgresql", marks=pytest.mark.postgresql)]


class Lab:
    """A running topology and handy ways to drive and inspect it."""

    def __init__(self, topology: LocalTopology) -> None:
        self.t = topology
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            self._console = Console.open(self.t.host, self.t.dir_port, password_key(self.t.console_password))
        return self._console

    def run(self, *lines: str) -> str:
        return self.console.run(*lines)

    def run_job(self, line: str, timeout: float = 120) -> int:
        """``run ... yes``, wait for it, return the JobId."""
        out = self.run(line)
        assert "Job queued. JobId=" in out, out
        jobid = int(out.split("JobId=")[1].split()[0])
        self.console.command(f"wait jobid={jobid}", timeout=timeout)
        return jobid

    def catalog(self) -> Any:
        c = self.t.catalog
        return open_catalog(c.driver, c.name, user=c.user, password=c.password or None,
                            address=c.address or None, port=c.port or None,
                            working_directory=str(self.t.working_dir(director_host(self.t))), create=False)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.catalog() as cat:
            return cat.query(sql, params)[1]

    def trace(self, kind: str) -> list[dict[str, Any]]:
        return read_trace(str(processes.daemon_processes(self.t)[kind].trace_file))

    def log(self, kind: str) -> str:
        return processes.daemon_processes(self.t)[kind].log_file.read_text()

    def stop_console(self) -> None:
        """Close the console connection (the next command opens a new one)."""
        if self._console is not None:
            with contextlib.suppress(OSError, ProtocolError):
                self._console.close()
            self._console = None

    def stop(self) -> None:
        self.stop_console()
        processes.stop(self.t)


def make_tree(root: Path) -> Path:
    """A data tree with every kind of file the FD must handle."""
    root.mkdir(parents=True)
    (root / "plain.txt").write_text("hello bareos\n")
    (root / "empty").write_bytes(b"")
    (root / "dir with spaces").mkdir()
    (root / "dir with spaces" / "Grüße ☃.txt").write_text("non-ascii name\n")
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "sub" / "deeper" / "random.bin").write_bytes(os.urandom(700_000))
    (root / "sub" / "hardlink-a").write_bytes(b"linked content\n" * 100)
    os.link(root / "sub" / "hardlink-a", root / "sub" / "hardlink-b")
    os.symlink("plain.txt", root / "symlink")
    with open(root / "sparse", "wb") as fh:
        fh.seek(3 * 1024 * 1024)
        fh.write(b"end of sparse file")
    os.chmod(root / "plain.txt", 0o640)
    os.utime(root / "plain.txt", (1_600_000_000, 1_600_000_000))
    return root


@pytest.fixture
def lab_factory(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    labs: list[Lab] = []

    def start(driver: str = "sqlite3", data: Path | None = None, configure: Any = None,
              debug: int = 1, **options: Any) -> Lab:
        base = tmp_path / f"lab{len(labs)}"
        catalog = CatalogSettings()
        if driver == "postgresql":
            server = request.getfixturevalue("pg_server")
            name = server.unique_name("lab")
            kw = server.catalog_kwargs()
            catalog = CatalogSettings(driver="postgresql", name=name, user=kw["user"],
                                      password=kw.get("password") or "",
                                      address=kw.get("socket") or kw.get("address") or "", port=kw["port"])
        t = LocalTopology(base, catalog=catalog, data_dir=data or make_tree(base / "data"), **options)
        if t.inventory is not None:  # an inventory's daemons on loopback ports
            place(t)
        render(t)
        if configure is not None:
            configure(t)
        if driver == "postgresql":
            created = subprocess.run(
                [sys.executable, "-m", "bareoslab.catalog.cli", "create", "-c", str(t.etc / director_host(t))],
                capture_output=True, text=True, timeout=60)
            assert created.returncode == 0, created.stderr
        lab = Lab(t)
        labs.append(lab)
        processes.start(t, debug=debug)
        return lab

    yield start
    for lab in labs:
        lab.stop()


@pytest.fixture(params=DRIVERS)
def lab(request: pytest.FixtureRequest, lab_factory: Any) -> Lab:
    return lab_factory(request.param)


def write_pool(t: LocalTopology, name: str, lines: str = "", label: bool = True) -> None:
    """A Pool resource ``name`` (``Label Format = "<name>-"`` unless ``label`` is false) with more
    directive ``lines``."""
    conf = t.etc / "dir" / "bareos-dir.d" / "pool" / f"{name}.conf"
    conf.write_text(f"Pool {{\n  Name = {name}\n  Pool Type = Backup\n"
                    + (f'  Label Format = "{name}-"\n' if label else "") + lines + "}\n")


def conformance(lab: Lab, jobid: int) -> tuple[str | None, list[Any]]:
    """The job's kind and how its trace differs from the reference sequence of that kind
    (``bareoslab trace --check``)."""
    from bareoslab.trace.conformance import REFERENCE, check, job_kind
    from bareoslab.trace.sequence import build_sequence, read_traces

    files = [str(p.trace_file) for p in processes.daemon_processes(lab.t).values()]
    arrows = build_sequence(read_traces(files), jobid=jobid)
    kind = job_kind(arrows)
    return kind, check(arrows, REFERENCE[kind]) if kind in REFERENCE else ["no reference sequence"]


def job_status(lab: Lab, jobid: int) -> str:
    return lab.query(f"SELECT JobStatus FROM Job WHERE JobId = {jobid}")[0][0]


def read_frame(sock: socket.socket) -> bytes | int:
    """One Bareos frame from a plain socket: the payload, a signal number, or b"" at EOF."""
    header = sock.recv(4, socket.MSG_WAITALL)
    if len(header) < 4:
        return b""
    (n,) = struct.unpack(">i", header)
    return n if n <= 0 else sock.recv(n, socket.MSG_WAITALL)


def after_second_of(root: Path) -> None:
    """Wait (bounded) until the clock is past the second the newest entry of ``root`` changed
    in: an entry changed in the second a Full starts counts as changed for the next
    Incremental (mtime/ctime >= since), as in Bareos."""
    newest = max(p.lstat().st_ctime for p in [root, *root.rglob("*")])
    assert wait_until(lambda: time.time() >= int(newest) + 1, timeout=5)


def wait_until(predicate: Any, timeout: float = 30.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


async def as_director(t: LocalTopology, peer: str) -> Connection:
    """A control connection to the lab's ``sd`` or ``fd`` as its Director opens one (TLS-PSK,
    hello, both ways authenticated), the daemon's hello answer read."""
    port, password = (t.sd_port, t.sd_password) if peer == "sd" else (t.fd_port, t.fd_password)
    conn = await connect(t.host, port, daemon=t.director, peer=peer)
    how = Outbound.for_resource(TlsSettings(), qualified_name("R_DIRECTOR", t.director), password_key(password),
                                t.host)
    await start_outbound(conn, how)
    await conn.send(hello_director(t.director))
    await authenticate_outbound(conn, f"R_DIRECTOR::{t.director}", how)
    answer = await conn.recv_text(timeout=10)
    assert answer.startswith(("3000 OK Hello", "2000 OK Hello")), answer
    return conn
