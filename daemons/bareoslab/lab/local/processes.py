"""Starting and stopping the lab's daemons as background processes with pid files."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .render import LocalTopology, port_of, started_here

MODULES = {"dir": "bareoslab.director.main", "sd": "bareoslab.storage.main", "fd": "bareoslab.filed.main"}


@dataclass
class DaemonProcess:
    kind: str
    pid_file: Path
    log_file: Path
    trace_file: Path

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) and runs_with(pid, self.pid_file) is not False else None


def runs_with(pid: int, pid_file: Path) -> bool | None:
    """Whether process ``pid`` was started with ``pid_file`` on its command line.

    Guards against a stale pid file whose number now belongs to another process
    (which must never be signalled). None when it cannot be told (no ``/proc``).
    """
    if not os.path.exists("/proc/self/cmdline"):
        return None
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            args = [a.decode("utf-8", "surrogateescape") for a in fh.read().split(b"\0") if a]
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:  # gone, or another user's process: not one of ours
        return False
    target = os.path.realpath(pid_file)
    return any(os.path.realpath(os.path.join(cwd, a)) == target for a in args if a.endswith(pid_file.name))


def _alive(pid: int) -> bool:
    """True for a running process; a zombie (killed, not yet reaped) counts as dead."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def process_files(t: LocalTopology, host: str) -> DaemonProcess:
    """The process files of a host's daemon: ``run/<host>.pid``, ``.log``, ``.trace.jsonl``."""
    run = t.base / "run"
    return DaemonProcess(host, run / f"{host}.pid", run / f"{host}.log", run / f"{host}.trace.jsonl")


def daemon_processes(t: LocalTopology) -> dict[str, DaemonProcess]:
    """host -> its daemon's process files, for the daemons the lab starts."""
    return {h: process_files(t, h) for h in started_here(t)}


def wait_for_port(host: str, port: int, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def start(t: LocalTopology, trace: bool = True, debug: int = 1) -> dict[str, DaemonProcess]:
    """Start every daemon of the lab that does not run, in order; wait until each listens."""
    for host, daemon in started_here(t).items():
        launch(t, host, daemon, port_of(t, host), trace, debug)
    return daemon_processes(t)


def launch(t: LocalTopology, host: str, daemon: str, port: int, trace: bool = True,
           debug: int = 1) -> DaemonProcess:
    """Start the ``daemon`` (``dir``, ``sd``, ``fd``) configured in ``etc/<host>`` in the
    background, unless it runs; wait until it says it listens on ``port`` and the port answers."""
    p = process_files(t, host)
    p.pid_file.parent.mkdir(parents=True, exist_ok=True)
    if p.pid() is not None:
        return p
    cmd = [sys.executable, "-m", MODULES[daemon],
           "-c", str(t.etc / host), "-f", "-d", str(debug), "-p", str(p.pid_file),
           "--log-file", str(p.log_file)]
    if trace:
        cmd += ["--trace", str(p.trace_file)]
    if daemon == "dir" and t.clock_file is not None:
        cmd += ["--clock", str(t.clock_file)]
    offset = p.log_file.stat().st_size if p.log_file.exists() else 0
    with open(p.log_file, "a", opener=lambda path, flags: os.open(path, flags, 0o640)) as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=log, start_new_session=True)
    if not _listening(proc, p.log_file, offset, t.host, port):
        raise RuntimeError(f"bareoslab-{daemon} of {host} did not start listening on {t.host}:{port}; "
                           f"see {p.log_file}:\n{p.log_file.read_text()[-2000:]}")
    return p


def _listening(proc: subprocess.Popen[bytes], log_file: Path, offset: int, host: str, port: int,
               timeout: float = 20.0) -> bool:
    """Our daemon says it listens and the port answers (not some other process that took it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        with open(log_file, "rb") as fh:
            fh.seek(offset)
            said = b"listening on" in fh.read()
        if said and wait_for_port(host, port, 1.0):
            return True
        time.sleep(0.05)
    return False


def stop(t: LocalTopology, timeout: float = 10.0) -> None:
    for p in daemon_processes(t).values():
        stop_process(p, signal.SIGTERM, timeout)


def stop_process(p: DaemonProcess, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Send ``sig`` (``SIGKILL`` to simulate a crash) to the daemon of a pid file, if it runs;
    ``SIGKILL`` after ``timeout`` seconds if it is still there; the pid file goes."""
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
