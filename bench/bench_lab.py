"""One benchmark lab: a fresh local one-SD topology whose FileSet is a data set.

Each run gets its own lab (configuration, catalog, volumes, restores below one
directory), so every run starts from the same state; :meth:`BenchLab.close` stops
the daemons it started (by pid, through ``processes.stop``) and the caller deletes
the directory.

Jobs are timed from sending the console command (``run`` or ``restore``) to the
return of ``wait jobid=N``, which comes back once the Director has finished the
job: File rows written to the catalog, end record, report. The Director's own
report (Elapsed time, Rate) and the catalog's StartTime/EndTime are kept beside it.
"""

from __future__ import annotations

import functools
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench_cpu import CpuWindow
from bench_data import BenchError, Dataset
from bench_limits import check_restore

try:
    import bareoslab
    from bareoslab.console.client import Console
    from bareoslab.lab.local import processes
    from bareoslab.lab.local.render import CatalogSettings, LocalTopology, director_host, render
    from bareoslab.net.auth import password_key
    from bareoslab.net.errors import ProtocolError
except ImportError as exc:  # pragma: no cover - depends on how the script is started
    raise SystemExit(
        f"cannot import bareoslab ({exc}); run the benchmark with the project's venv, "
        f"e.g. .venv/bin/python bench/run_bench.py"
    ) from exc

TINY_FILESET = "BenchTiny"
DAEMON_KINDS = ("dir", "sd", "fd")
_JOBID = re.compile(r"Job queued\. JobId=(\d+)")
_STATUS = re.compile(r"JobStatus=(.*?) \((\w|\?)\)")
_REPORT_LINE = re.compile(r"^  ([A-Za-z][A-Za-z ()/-]*?):\s+(.*)$")

@functools.cache
def byte_compile() -> None:
    """Compile the daemons' modules (the ``bareoslab`` this process imports, which the daemons
    it starts import too) as an installation does: pip and distribution packages do. A daemon
    that finds no ``.pyc`` (``PYTHONDONTWRITEBYTECODE`` set, a tree it cannot write) compiles
    every module it imports at each start: ~2 MiB more RSS at start, ~0.4 MiB more peak for the
    Director during a job. Once per process."""
    package = Path(bareoslab.__file__).resolve().parent
    done = subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"compiling {package} failed: {(done.stdout + done.stderr).strip()[-2000:]}")


@dataclass
class JobResult:
    kind: str  # "backup" or "restore"
    jobid: int
    status: str  # the one-letter JobStatus
    seconds: float  # end to end: command sent -> wait jobid=N returned
    submit_seconds: float  # command sent -> "Job queued" (restore: includes building the tree)
    report: dict[str, str] = field(default_factory=dict)
    catalog: dict[str, str] = field(default_factory=dict)
    # CPU seconds (user+system) per daemon; other processes and kernel threads meanwhile
    cpu: dict[str, float | None] = field(default_factory=dict)
    other_cpu: float | None = None  # contention: what other processes used
    kernel_cpu: float | None = None  # writeback and other kernel threads

    @property
    def ok(self) -> bool:
        return self.status == "T"

    @property
    def other_share(self) -> float | None:
        """Contention as a share of one core, over at least 1 s: a few ms of someone else's work
        in a 0.1 s job is noise."""
        return None if self.other_cpu is None else self.other_cpu / max(self.seconds, 1.0)

    @property
    def director_elapsed(self) -> float | None:
        return parse_elapsed(self.report.get("Elapsed time", ""))

    @property
    def director_rate_mb_s(self) -> float | None:
        m = re.match(r"([\d.,]+) KB/s", self.report.get("Rate", ""))
        return float(m.group(1).replace(",", "")) / 1000 if m else None

    @property
    def catalog_elapsed(self) -> float | None:
        try:
            from datetime import datetime

            start = datetime.fromisoformat(self.catalog["starttime"])
            end = datetime.fromisoformat(self.catalog["endtime"])
        except (KeyError, ValueError):
            return None
        return (end - start).total_seconds()

    def as_dict(self) -> dict[str, object]:
        return {
            "jobid": self.jobid,
            "status": self.status,
            "seconds": round(self.seconds, 4),
            "submit_seconds": round(self.submit_seconds, 4),
            "director_elapsed_s": self.director_elapsed,
            "director_rate_mb_s": self.director_rate_mb_s,
            "catalog_elapsed_s": self.catalog_elapsed,
            "cpu_s": self.cpu,
            "other_cpu_s": self.other_cpu,
            "kernel_threads_cpu_s": self.kernel_cpu,
            "catalog": self.catalog,
            "report": self.report,
        }


def parse_elapsed(text: str) -> float | None:
    """Bareos' ``Elapsed time`` (``1 hour 2 mins 3 secs``) in seconds."""
    if not text:
        return None
    total = 0.0
    found = False
    for number, unit in re.findall(r"(\d+)\s*(day|hour|min|sec)", text):
        total += int(number) * {"day": 86400, "hour": 3600, "min": 60, "sec": 1}[unit]
        found = True
    return total if found else None


def parse_report(text: str, jobid: int) -> dict[str, str]:
    """The ``Label: value`` lines of the Director's job report for ``jobid`` (empty if absent)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = _REPORT_LINE.match(line)
        if m and m.group(1) == "JobId" and m.group(2).strip() == str(jobid):
            start = i - 1 if i > 0 and _REPORT_LINE.match(lines[i - 1]) else i
            report: dict[str, str] = {}
            for other in lines[start:]:
                mm = _REPORT_LINE.match(other)
                if not mm:
                    break
                report[mm.group(1)] = mm.group(2).strip()
                if mm.group(1) == "Termination":
                    break
            return report
    return {}


def parse_table(text: str) -> list[dict[str, str]]:
    """Rows of a ``+---+`` console table as dicts, keyed by lower-case column name."""
    rows = [line for line in text.splitlines() if line.startswith("|")]
    if not rows:
        return []
    cells = [[c.strip() for c in row.strip().strip("|").split("|")] for row in rows]
    header, body = cells[0], cells[1:]
    return [dict(zip([h.lower() for h in header], r)) for r in body]


def read_status_kib(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


class BenchLab:
    """Render, start, drive and stop one lab whose FileSet is ``data_dir``."""

    def __init__(
        self,
        base: Path,
        data_dir: Path,
        tiny_file: Path,
        catalog: str | CatalogSettings = "sqlite3",
        trace: bool = False,
        debug: int = 1,
        tls: str = "psk",
        catalog_pid: int | None = None,
    ) -> None:
        """``catalog_pid``: the catalog server's main process (PostgreSQL's postmaster), whose
        CPU with its workers' is reported beside the daemons' (``catalog``), not as contention."""
        self.base = base
        settings = catalog if isinstance(catalog, CatalogSettings) else CatalogSettings(driver=catalog)
        self.topology = LocalTopology(base, data_dir=data_dir, catalog=settings, tls=tls)
        self.tiny_file = tiny_file
        self.trace = trace
        self.debug = debug
        self.console: Console | None = None
        self.pids: dict[str, int] = {}
        self.catalog_pid = catalog_pid
        self.messages: list[str] = []  # everything ``messages`` returned, for the log on failure

    # -- life cycle -----------------------------------------------------------------
    def start(self) -> None:
        t = self.topology
        render(t)
        (t.etc / "dir" / "bareos-dir.d" / "fileset" / f"{TINY_FILESET}.conf").write_text(
            f'FileSet {{\n  Name = "{TINY_FILESET}"\n  Include {{\n    Options {{\n'
            f'      Signature = {t.signature}\n    }}\n    File = "{self.tiny_file}"\n  }}\n}}\n'
        )
        self.configure()
        byte_compile()
        if t.catalog.driver == "postgresql":  # its database and schema, as bareoslab-catalog makes them
            created = subprocess.run(
                [sys.executable, "-m", "bareoslab.catalog.cli", "create", "-c", str(t.etc / director_host(t))],
                capture_output=True, text=True, timeout=120)
            if created.returncode != 0:
                raise BenchError(f"bareoslab-catalog create failed: {created.stderr.strip()}")
        try:
            try:
                procs = processes.start(t, trace=self.trace, debug=self.debug)
            except RuntimeError as exc:  # a daemon did not come up: its log is in the message
                raise BenchError(str(exc)) from exc
            for kind, proc in procs.items():
                pid = proc.pid()
                if pid is None:
                    raise BenchError(f"bareoslab-{kind} is not running; see {proc.log_file}")
                self.pids[kind] = pid
            self.console = Console.open(t.host, t.dir_port, password_key(t.console_password))
        except BaseException:
            self.close()
            raise

    def configure(self) -> None:
        """More configuration between rendering and starting the daemons (subclasses)."""

    def close(self) -> None:
        """Close the console and stop the daemons this lab started (by pid); reap them."""
        if self.console is not None:
            try:
                self.console.close()
            except Exception:  # the Director may already be gone
                pass
            self.console = None
        known = dict(self.pids)
        for kind, proc in processes.daemon_processes(self.topology).items():
            pid = proc.pid()
            if pid is not None:
                known.setdefault(kind, pid)
        processes.stop(self.topology)
        for pid in known.values():
            _reap(pid)

    def __enter__(self) -> BenchLab:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def log_files(self) -> list[Path]:
        run = self.base / "run"
        return sorted(run.glob("*.log")) + sorted((self.base / "work" / "dir").glob("*.log"))

    # -- measurements ---------------------------------------------------------------
    def peak_rss_kib(self) -> dict[str, int | None]:
        """VmHWM of each daemon: its peak resident set since it started."""
        return {kind: read_status_kib(pid, "VmHWM") for kind, pid in self.pids.items()}

    def _command(self, line: str, timeout: float = 120) -> str:
        if self.console is None:
            raise BenchError("the console is not connected")
        try:
            reply = self.console.command(line, timeout=timeout)
        except TimeoutError as exc:
            raise BenchError(f"no answer to {line!r} within {timeout:.0f} s") from exc
        except (OSError, EOFError, ProtocolError) as exc:
            raise BenchError(f"console connection lost during {line!r}: {exc}") from exc
        if reply.closed:
            raise BenchError(
                f"the Director closed the console during {line!r}: {reply.text.strip()[-500:]}"
            )
        return reply.text

    def _catalog_row(self, jobid: int) -> dict[str, str]:
        sql = (
            "SELECT JobId, JobStatus, StartTime, EndTime, JobFiles, JobBytes, ReadBytes "
            f"FROM Job WHERE JobId = {int(jobid)};"
        )
        try:
            self._command("sqlquery")
            text = self._command(sql)
        finally:
            self._command("")
        rows = parse_table(text)
        return rows[0] if rows else {}

    def _job(self, kind: str, line: str, timeout: float) -> JobResult:
        window = CpuWindow(self.pids, {"catalog": self.catalog_pid} if self.catalog_pid else None)
        t0 = time.monotonic()
        reply = self._command(line, timeout=timeout)
        t_queued = time.monotonic()
        m = _JOBID.search(reply)
        if not m:
            raise BenchError(f"{kind}: the Director did not queue the job:\n{reply.strip()}")
        jobid = int(m.group(1))
        reply = self._command(f"wait jobid={jobid} timeout={int(timeout)}", timeout=timeout + 60)
        t1 = time.monotonic()
        use = window.stop()
        sm = _STATUS.search(reply)
        status = sm.group(2) if sm else "?"
        if status in ("R", "C", "?") and "JobStatus=" in reply:
            raise BenchError(
                f"{kind} JobId {jobid} did not finish within {timeout:.0f} s ({reply.strip()})"
            )
        text = self._command("messages")
        self.messages.append(text)
        result = JobResult(
            kind=kind,
            jobid=jobid,
            status=status,
            seconds=t1 - t0,
            submit_seconds=t_queued - t0,
            report=parse_report(text, jobid),
            cpu=use.daemons,
            other_cpu=use.other,
            kernel_cpu=use.kernel,
        )
        try:
            result.catalog = self._catalog_row(jobid)
        except BenchError:
            result.catalog = {}
        return result

    def backup(self, fileset: str | None = None, timeout: float = 3600) -> JobResult:
        extra = f" fileset={fileset}" if fileset else ""
        return self._job("backup", f"run job=backup level=Full{extra} yes", timeout)

    def restore(self, jobid: int, where: Path, timeout: float = 3600) -> JobResult:
        return self._job("restore", f'restore jobid={jobid} where="{where}" all done yes', timeout)

    def backup_and_restore(self, ds: Dataset, where: Path, label: str, sync: bool = False,
                           before_restore: Callable[[], object] | None = None) -> tuple[JobResult, JobResult]:
        """A Full backup of the data set and its restore into ``where``, checked byte for byte
        (``sync`` first, each time: one job's dirty pages do not slow the next; ``before_restore``
        between the two jobs, to measure a limit); BenchError saying ``label`` and what went
        wrong otherwise."""
        if sync:
            subprocess.run(["sync"], check=False)
        backup = self.backup()
        if not backup.ok:
            raise BenchError(f"{label}: backup JobId {backup.jobid} ended {backup.status}")
        if sync:
            subprocess.run(["sync"], check=False)
        if before_restore is not None:
            before_restore()
        restore = self.restore(backup.jobid, where)
        if not restore.ok:
            raise BenchError(f"{label}: restore JobId {restore.jobid} ended {restore.status}")
        check = check_restore(ds, where)
        if not check.identical:
            raise BenchError(f"{label}: restore differs: {check.summary()}")
        return backup, restore


def _reap(pid: int, timeout: float = 10.0) -> None:
    """Collect an exited child so it does not stay a zombie; kill it if it outlives ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return  # not our child (or already collected)
        if done:
            return
        if time.monotonic() >= deadline:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            return
        time.sleep(0.05)
