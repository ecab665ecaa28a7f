"""A second Storage Daemon and the copy/migrate resources, added to a rendered one-SD topology.

``render_copy_migrate(t)`` runs after :func:`bareoslab.lab.local.render.render`. It adds

* on the first SD a second device ``FileCopyStorage`` (its own directory) and in the
  Director a Storage ``FileCopy`` for it: same SD, so copies to it are *local*;
* a second SD (``etc/sd2``: own port, password, storage directory, device
  ``FileStorage2``) and the Director's Storage ``File2`` for it: copies to it are
  *remote* (SD to SD replication);
* pools ``LocalCopy`` (Storage ``FileCopy``) and ``FullCopy`` (Storage ``File2``);
  ``Full`` gets ``Storage = File`` and ``Next Pool = FullCopy``;
* Copy/Migrate Job resources ``copy-local``, ``migrate-local``, ``copy-remote``,
  ``migrate-remote`` selecting jobs named ``backup`` in pool ``Full``.

``render_second_client(t)`` adds a second FD (``etc/fd2``) and a Job ``backup2`` for it.
``start_sd2``/``start_fd2`` run them as background processes like
:mod:`bareoslab.lab.local.processes` does for the others.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .processes import DaemonProcess, wait_for_port
from .render import (
    LocalTopology,
    _write,
    free_port,
    render_file_daemon,
    render_storage_daemon,
    write_client,
    write_device,
)


@dataclass
class SecondStorage:
    """Where the second SD listens and keeps its volumes."""

    name: str = "bareos-sd2"
    port: int = field(default_factory=free_port)
    password: str = field(default_factory=lambda: secrets.token_hex(12))


def copy_storage_dir(t: LocalTopology) -> Path:
    return t.base / "storage-copy"


def sd2_storage_dir(t: LocalTopology) -> Path:
    return t.base / "storage2"


def _job(name: str, kind: str, next_pool: str, selection: str = "Job", pattern: str = "^backup$",
         extra: str = "") -> str:
    return f"""Job {{
  Name = "{name}"
  Type = {kind}
  Pool = Full
  Next Pool = {next_pool}
  Storage = File
  Selection Type = {selection}
  Selection Pattern = "{pattern}"
  Messages = Standard
  Priority = 10
  Maximum Concurrent Jobs = 10
{extra}}}
"""


def render_copy_migrate(t: LocalTopology, sd2: SecondStorage | None = None) -> SecondStorage:
    """Add the copy/migrate resources and the second SD's configuration; returns the SD2 settings."""
    sd2 = sd2 or SecondStorage()
    d = t.etc / "dir" / "bareos-dir.d"
    copy_storage_dir(t).mkdir(parents=True, exist_ok=True)
    sd2_storage_dir(t).mkdir(parents=True, exist_ok=True)
    (t.base / "work" / "sd2").mkdir(parents=True, exist_ok=True)
    full = d / "pool" / "Full.conf"
    text = full.read_text()
    if "Next Pool" not in text:
        full.write_text(text.rstrip().rstrip("}") + "  Storage = File\n  Next Pool = FullCopy\n}\n")
    _write(d / "storage" / "FileCopy.conf", f"""Storage {{
  Name = FileCopy
  Address = {t.host}
  Port = {t.sd_port}
  Password = "{t.sd_password}"
  Device = FileCopyStorage
  Media Type = File
  Maximum Concurrent Jobs = 5
{t.tls_lines}}}
""")
    _write(d / "storage" / "File2.conf", f"""Storage {{
  Name = File2
  Address = {t.host}
  Port = {sd2.port}
  Password = "{sd2.password}"
  Device = FileStorage2
  Media Type = File
  Maximum Concurrent Jobs = 5
{t.tls_lines}}}
""")
    for pool, storage in (("LocalCopy", "FileCopy"), ("FullCopy", "File2")):
        _write(d / "pool" / f"{pool}.conf", f"""Pool {{
  Name = {pool}
  Pool Type = Backup
  Storage = {storage}
  Label Format = "{pool}-"
  Volume Retention = 365 days
}}
""")
    _write(d / "job" / "copy-local.conf", _job("copy-local", "Copy", "LocalCopy"))
    _write(d / "job" / "migrate-local.conf", _job("migrate-local", "Migrate", "LocalCopy"))
    _write(d / "job" / "copy-remote.conf", _job("copy-remote", "Copy", "FullCopy"))
    _write(d / "job" / "migrate-remote.conf", _job("migrate-remote", "Migrate", "FullCopy"))
    write_device(t.etc / "sd", "FileCopyStorage", "File", copy_storage_dir(t))
    render_storage_daemon(t, t.etc / "sd2", sd2.name, sd2.port, sd2.password, t.base / "work" / "sd2")
    write_device(t.etc / "sd2", "FileStorage2", "File", sd2_storage_dir(t))
    return sd2


@dataclass
class SecondClient:
    """A second File daemon of the loopback lab and its Job ``backup2``."""

    name: str = "bareos-fd2"
    port: int = field(default_factory=free_port)
    password: str = field(default_factory=lambda: secrets.token_hex(12))


def render_second_client(t: LocalTopology, fd2: SecondClient | None = None) -> SecondClient:
    """Add a second FD (``etc/fd2``), its Client resource and a Job ``backup2`` for it."""
    fd2 = fd2 or SecondClient()
    write_client(t, fd2.name, fd2.port, fd2.password)
    render_file_daemon(t, t.etc / "fd2", fd2.name, fd2.port, fd2.password, t.base / "work" / "fd2")
    _write(t.etc / "dir" / "bareos-dir.d" / "job" / "backup2.conf", f"""Job {{
  Name = "backup2"
  JobDefs = "DefaultJob"
  Client = {fd2.name}
}}
""")
    return fd2


SECOND_DEVICE = "FileStorage-B"


def render_concurrency(t: LocalTopology, fd2: SecondClient, device_jobs: int = 5, job_jobs: int = 10) -> None:
    """Many jobs at once: Storage ``File`` gets a second device on the same directory (so two
    pools are written at the same time), every job ``job_jobs`` at once, and a second FD
    (:func:`render_second_client`) joins."""
    d = t.etc / "dir" / "bareos-dir.d"
    storage = d / "storage" / "File.conf"
    storage.write_text(storage.read_text()
                       .replace("  Device = FileStorage\n", f"  Device = FileStorage\n  Device = {SECOND_DEVICE}\n")
                       .replace("Maximum Concurrent Jobs = 5", f"Maximum Concurrent Jobs = {2 * device_jobs}"))
    for name in ("FileStorage", SECOND_DEVICE):
        write_device(t.etc / "sd", name, "File", t.storage_dir, max_jobs=device_jobs)
    jobdefs = d / "jobdefs" / "DefaultJob.conf"
    jobdefs.write_text(jobdefs.read_text().replace(
        "  Priority = 10\n", f"  Priority = 10\n  Maximum Concurrent Jobs = {job_jobs}\n"))
    render_second_client(t, fd2)
    for client in (d / "client").glob("*.conf"):
        client.write_text(client.read_text().replace("Maximum Concurrent Jobs = 5",
                                                     f"Maximum Concurrent Jobs = {job_jobs}"))
    director = d / "director" / f"{t.director}.conf"
    director.write_text(director.read_text().replace("Maximum Concurrent Jobs = 10",
                                                     f"Maximum Concurrent Jobs = {max(10, 2 * job_jobs)}"))


def extra_process(t: LocalTopology, kind: str) -> DaemonProcess:
    run = t.base / "run"
    return DaemonProcess(kind, run / f"{kind}.pid", run / f"{kind}.log", run / f"{kind}.trace.jsonl")


def sd2_process(t: LocalTopology) -> DaemonProcess:
    return extra_process(t, "sd2")


def start_extra(t: LocalTopology, kind: str, module: str, port: int, trace: bool = True,
                debug: int = 1) -> DaemonProcess:
    """Start a daemon configured in ``etc/<kind>`` in the background (no-op when it runs)."""
    p = extra_process(t, kind)
    p.pid_file.parent.mkdir(parents=True, exist_ok=True)
    if p.pid() is not None:
        return p
    cmd = [sys.executable, "-m", module, "-c", str(t.etc / kind), "-f", "-d", str(debug),
           "-p", str(p.pid_file), "--log-file", str(p.log_file)]
    if trace:
        cmd += ["--trace", str(p.trace_file)]
    with open(p.log_file, "a") as err:
        subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                         start_new_session=True)
    if not wait_for_port(t.host, port):
        raise RuntimeError(f"{kind} did not start listening on {t.host}:{port}; see {p.log_file}")
    return p


def stop_extra(t: LocalTopology, kind: str, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Stop a daemon started by :func:`start_extra` (``SIGKILL`` to simulate a crash)."""
    p = extra_process(t, kind)
    pid = p.pid()
    if pid is None:
        return
    os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and p.pid() is not None:
        time.sleep(0.05)
    if p.pid() is not None:
        os.kill(pid, signal.SIGKILL)
    p.pid_file.unlink(missing_ok=True)


def start_sd2(t: LocalTopology, sd2: SecondStorage, trace: bool = True, debug: int = 1) -> DaemonProcess:
    """Start the second SD in the background (no-op when it runs) and wait for its port."""
    return start_extra(t, "sd2", "bareoslab.storage.main", sd2.port, trace, debug)


def stop_sd2(t: LocalTopology, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Stop the second SD (``SIGKILL`` to simulate a crash)."""
    stop_extra(t, "sd2", sig, timeout)


def start_fd2(t: LocalTopology, fd2: SecondClient, trace: bool = True, debug: int = 1) -> DaemonProcess:
    """Start the second FD in the background (no-op when it runs) and wait for its port."""
    return start_extra(t, "fd2", "bareoslab.filed.main", fd2.port, trace, debug)
