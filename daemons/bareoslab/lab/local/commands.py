"""``bareoslab local``: the loopback lab's directory, its daemons and its demo.

``up`` renders the configuration and starts whatever daemon is not running, ``status``
says which run and listen, ``down`` stops them by their pid files and keeps the data,
``demo`` runs a Full, an Incremental and a restore and compares the restored tree.
"""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import socket
import stat
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ...codes import JOB_LEVEL_NAMES, JOB_STATUS_LONG, JOB_TYPE_NAMES, JobLevel, JobStatus, JobType
from ...console.client import Console
from ...net.auth import password_key
from ...net.errors import ProtocolError
from ...topology import TopologyError
from ...trace.render import write_diagrams
from ...trace.sequence import human_size, read_traces
from ..errors import LabError
from ..sample import make_tree
from ..table import text_table
from . import processes, state
from .render import (
    LocalTopology,
    backup_jobs,
    daemon_names,
    director_host,
    free_port,
    place,
    placement_notes,
    port_of,
    render,
    set_port,
    started_here,
)

DEFAULT_DIR = "lab"
FILESET = "LabData"
DAEMON_NAMES = {"dir": "Director", "sd": "Storage Daemon", "fd": "File Daemon"}
SHOW_ORDER = ("dir", "sd", "fd")


class StartFailed(LabError):
    """A daemon did not start."""

    exit_code = 5


class BadInventory(LabError):
    """The inventory does not describe a topology the lab can run."""

    exit_code = 11


class DemoFailed(LabError):
    """The demo failed."""

    exit_code = 6



# -- the lab directory -------------------------------------------------------------------


def sample_data(root: Path) -> None:
    """The lab's sample tree (:mod:`bareoslab.lab.sample`) in ``root``."""
    make_tree(str(root), "bareoslab")


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _labels(t: LocalTopology) -> dict[str, str]:
    """host -> ``Director`` (the lab's own daemons) or ``Director lab-dir`` (an inventory's), in
    display order: the Director, the Storage daemons, the File daemons."""
    shown = sorted(started_here(t).items(), key=lambda hd: SHOW_ORDER.index(hd[1]))
    return {h: DAEMON_NAMES[d] if t.inventory is None else f"{DAEMON_NAMES[d]} {h}" for h, d in shown}


def _column(labels: dict[str, str]) -> dict[str, str]:
    """The labels padded to one width, for a column."""
    width = max([15, *map(len, labels.values())])
    return {h: label.ljust(width) for h, label in labels.items()}


def _catalog_location(t: LocalTopology) -> str:
    c = t.catalog
    if c.driver.startswith("sqlite"):
        name = Path(c.name)
        return f"SQLite {name if name.is_absolute() else t.working_dir(director_host(t)) / f'{c.name}.db'}"
    return f"{c.driver} {c.name}@{c.address or 'local socket'}{':' + str(c.port) if c.port else ''}"


def open_lab(base: Path, port_base: int | None = None,
             inventory: Path | None = None) -> tuple[LocalTopology, bool]:
    """The lab in ``base``: loaded from ``lab.json``, or a new one (saved) — the lab's own
    topology, or an inventory's placed on loopback. True if new."""
    created = not state.exists(base)
    if created:
        t = LocalTopology(base, inventory=inventory.resolve() if inventory else None)
        if t.inventory is not None:
            try:
                place(t)
            except TopologyError as exc:
                raise BadInventory(f"{inventory}: {exc}") from exc
    else:
        t = state.load(base)
        if inventory is not None and inventory.resolve() != t.inventory:
            raise LabError(f"the lab in {base} was made {f'from {t.inventory}' if t.inventory else 'without an inventory'}"
                           f"; use another --dir for {inventory}")
    if port_base is not None and t.inventory is None:
        t.dir_port, t.fd_port, t.sd_port = port_base, port_base + 1, port_base + 2
    elif port_base is not None:  # the Director, the Storage daemons, the File daemons
        for offset, host in enumerate(_labels(t)):
            set_port(t, host, port_base + offset)
    if created or port_base is not None:
        state.save(t)
    return t, created


def local_up(base: Path, out: TextIO, port_base: int | None = None, verbose: bool = True,
             inventory: Path | None = None) -> LocalTopology:
    """Render the configuration and start whatever daemon is not running."""
    t, created = open_lab(base, port_base, inventory)
    procs = processes.daemon_processes(t)
    labels = _labels(t)
    running = {k: p.pid() for k, p in procs.items()}
    if created and any(running.values()):
        pids = ", ".join(f"{labels[k]} pid {pid}" for k, pid in running.items() if pid)
        state.state_path(base).unlink()
        raise StartFailed(f"daemons of an earlier lab still run in {base} without its {state.STATE_FILE}: {pids}; "
                          "stop them first")
    stopped = [k for k in labels if running[k] is None]
    busy = [k for k in stopped if not _port_free(t.host, port_of(t, k))]
    if busy:
        if len(stopped) < len(procs) or port_base is not None:
            ports = ", ".join(f"{labels[k]} {t.host}:{port_of(t, k)}" for k in busy)
            raise StartFailed(f"port in use by another program: {ports}; "
                              f"run `bareoslab local down --dir {base}` and `up` again, or `up --port-base N`")
        for k in busy:  # nothing of ours runs: move to free ports
            old = port_of(t, k)
            set_port(t, k, free_port(t.host))
            print(f"note: {t.host}:{old} is in use; {labels[k]} moves to port {port_of(t, k)}", file=out)
        state.save(t)
    if not t.fileset_dir.exists():
        sample_data(t.fileset_dir)
        print(f"created sample data in {t.fileset_dir}", file=out)
    render(t)
    if stopped:
        try:
            processes.start(t)
        except RuntimeError as exc:
            raise StartFailed(f"{exc}\n(the daemons that did start keep running: "
                              f"`bareoslab local down --dir {base}`)") from exc
    if verbose:
        word = "created" if created else "started" if stopped else "already running"
        print(f"bareoslab lab {word} in {base}", file=out)
        names = daemon_names(t)
        if t.inventory is not None:
            print(f"  topology        {t.inventory}", file=out)
            for note in placement_notes(t):
                print(f"  {'':<15} {note}", file=out)
        for k, label in _column(labels).items():
            pid = procs[k].pid()
            note = "started" if k in stopped else "was running"
            print(f"  {label} {names[k]:<10} {t.host}:{port_of(t, k):<6} pid {pid}  ({note})", file=out)
        hosts = ",".join(labels)
        print(f"  configuration   {t.etc}/{{{hosts}}}", file=out)
        print(f"  catalog         {_catalog_location(t)}", file=out)
        print(f"  {'FileSet ' + FILESET:<15} {t.fileset_dir}", file=out)
        print(f"  volumes         {t.storage_dir}", file=out)
        print(f"  logs, traces    {t.base / 'run'}/{{{hosts}}}.{{log,trace.jsonl}}", file=out)
        print(f"  state           {state.state_path(base)}", file=out)
        print(f"Connect with the console (configuration {t.etc / 'bconsole.conf'}):", file=out)
        print(f"  bareoslab-console -c {t.etc / 'bconsole.conf'}", file=out)
        print(f"Then, for example:  run job={backup_jobs(t)[t.client]} level=Full yes   wait   messages   list jobs", file=out)
        print(f"Or: bareoslab local demo --dir {base}   |   bareoslab local down --dir {base}", file=out)
    return t


def local_status(base: Path, out: TextIO) -> int:
    t = state.load(base)
    procs = processes.daemon_processes(t)
    ok = True
    print(f"bareoslab lab in {base}", file=out)
    for k, label in _column(_labels(t)).items():
        p = procs[k]
        pid = p.pid()
        port = port_of(t, k)
        reachable = _reachable(t.host, port)
        if pid is not None:
            run = f"running (pid {pid})"
        elif p.pid_file.exists():
            run = "not running (stale pid file)"
        else:
            run = "not running"
        ok = ok and pid is not None and reachable
        print(f"  {label} {run:<28} {t.host}:{port} "
              f"{'reachable' if reachable else 'not reachable'}", file=out)
    if not ok:
        print(f"start it with: bareoslab local up --dir {base}", file=out)
    return 0 if ok else 1


def local_down(base: Path, out: TextIO) -> int:
    t = state.load(base)
    procs = processes.daemon_processes(t)
    pids = {k: p.pid() for k, p in procs.items()}
    processes.stop(t)
    labels = _labels(t)
    for k, label in _column(labels).items():
        p = procs[k]
        if pids[k] is None:
            stale = p.pid_file.exists()
            p.pid_file.unlink(missing_ok=True)  # its pid is not (any more) one of our daemons
            print(f"  {label} was not running{' (removed a stale pid file)' if stale else ''}",
                  file=out)
        else:
            print(f"  {label} stopped (pid {pids[k]})", file=out)
    left = [k for k in labels if procs[k].pid() is not None]
    if left:
        raise LabError("still running: " + ", ".join(f"{labels[k]} (pid {procs[k].pid()})" for k in left))
    print(f"data kept in {base}; `bareoslab local up --dir {base}` starts the same lab again", file=out)
    return 0


# -- demo ----------------------------------------------------------------------------------


@dataclass
class JobResult:
    jobid: int
    status: str
    seconds: float
    log: str

    @property
    def ok(self) -> bool:
        return self.status in (JobStatus.TERMINATED.value, JobStatus.WARNINGS.value)


def run_job(console: Console, line: str, timeout: float) -> JobResult:
    """Queue a job with ``line``, wait for it, collect its messages."""
    start = time.monotonic()
    reply = console.command(line)
    if reply.prompt:
        console.command("no")
        raise DemoFailed(f"`{line}` asked a question instead of running:\n{reply.text}")
    queued = re.search(r"Job queued\. JobId=(\d+)", reply.text)
    if not queued:
        raise DemoFailed(f"`{line}` did not queue a job:\n{reply.text}")
    jobid = int(queued.group(1))
    waited = console.command(f"wait jobid={jobid} timeout={int(timeout)}", timeout=timeout + 30).text
    seconds = time.monotonic() - start
    status = re.search(r"JobStatus=.*\((\w)\)", waited)
    log = console.command("messages").text
    return JobResult(jobid, status.group(1) if status else "?", seconds, log)


def compare_trees(source: Path, restored: Path) -> tuple[int, list[str]]:
    """Entries compared and the differences: type, mode bits, bytes, link targets."""
    def entries(root: Path) -> dict[Path, Path]:
        found: dict[Path, Path] = {Path("."): root}
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                p = Path(dirpath) / name
                found[p.relative_to(root)] = p
        return found

    if not restored.is_dir():
        return 0, [f"{restored}: not restored"]
    a, b = entries(source), entries(restored)
    problems = [f"missing: {rel}" for rel in sorted(a.keys() - b.keys())]
    problems += [f"not in the source: {rel}" for rel in sorted(b.keys() - a.keys())]
    for rel in sorted(a.keys() & b.keys()):
        sa, sb = os.lstat(a[rel]), os.lstat(b[rel])
        if stat.S_IFMT(sa.st_mode) != stat.S_IFMT(sb.st_mode):
            problems.append(f"{rel}: type {stat.filemode(sa.st_mode)[0]} became {stat.filemode(sb.st_mode)[0]}")
        elif stat.S_ISLNK(sa.st_mode):
            if os.readlink(a[rel]) != os.readlink(b[rel]):
                problems.append(f"{rel}: link target {os.readlink(a[rel])!r} became {os.readlink(b[rel])!r}")
        elif stat.S_IMODE(sa.st_mode) != stat.S_IMODE(sb.st_mode):
            problems.append(f"{rel}: mode {stat.filemode(sa.st_mode)} became {stat.filemode(sb.st_mode)}")
        elif stat.S_ISREG(sa.st_mode) and not filecmp.cmp(a[rel], b[rel], shallow=False):
            problems.append(f"{rel}: content differs ({sa.st_size} -> {sb.st_size} bytes)")
    return len(a), problems


def parse_table(text: str) -> list[dict[str, str]]:
    """Rows of a console table (``| a | b |`` lines under a header row)."""
    rows = [line for line in text.splitlines() if line.startswith("|")]
    if not rows:
        return []
    header = [c.strip() for c in rows[0].strip().strip("|").split("|")]
    return [dict(zip(header, (c.strip() for c in row.strip().strip("|").split("|")))) for row in rows[1:]]


def _name(names: Mapping[Any, str], enum: Callable[[str], Any], code: str) -> str:
    try:
        return names[enum(code)]
    except (ValueError, KeyError):
        return code


def _number(text: str) -> int:
    """A console number such as ``101,367``."""
    digits = text.replace(",", "").strip()
    return int(digits) if digits.isdigit() else 0


def job_table(rows: Sequence[dict[str, str]], seconds: dict[int, float]) -> str:
    """JobId, Type, Level, Files, Bytes, Status, Duration (wall clock seen by the console)."""
    head = ("JobId", "Type", "Level", "Files", "Bytes", "Status", "Duration")
    body = []
    for r in rows:
        jobid = _number(r.get("jobid", ""))
        status = r.get("jobstatus", "")
        body.append((
            str(jobid),
            _name(JOB_TYPE_NAMES, JobType, r.get("type", "")),
            _name(JOB_LEVEL_NAMES, JobLevel, r.get("level", "") or " ") or "-",
            r.get("jobfiles", "").replace(",", ""),
            human_size(_number(r.get("jobbytes", ""))),
            f"{status} {_name(JOB_STATUS_LONG, JobStatus, status)}".strip(),
            f"{seconds[jobid]:.2f}s" if jobid in seconds else "",
        ))
    return text_table(head, body, right={0, 3, 4, 6})


def _step(out: TextIO, text: str) -> None:
    print(text, end="", file=out, flush=True)


def _job_done(out: TextIO, r: JobResult, console: Console) -> None:
    long = _name(JOB_STATUS_LONG, JobStatus, r.status)
    print(f" JobId {r.jobid}: {long} ({r.seconds:.2f}s)", file=out, flush=True)
    if not r.ok:
        joblog = console.command(f"list joblog jobid={r.jobid}").text
        ended = "ended with" if JobStatus.has_finished(r.status) else "is still"
        raise DemoFailed(f"JobId {r.jobid} {ended} status {r.status} ({long}).\n"
                         f"--- messages ---\n{r.log.rstrip()}\n--- job log ---\n{joblog.rstrip()}")


def local_demo(base: Path, out: TextIO, timeout: float = 300.0, inventory: Path | None = None) -> int:
    t = local_up(base, out, verbose=False, inventory=inventory)
    try:
        return _demo(t, base, out, timeout)
    except (OSError, ProtocolError, TimeoutError) as exc:
        logs = ", ".join(str(p.log_file) for p in processes.daemon_processes(t).values())
        raise DemoFailed(f"lost the Director: {exc.__class__.__name__}: {exc} (daemon logs: {logs})") from exc


def _demo(t: LocalTopology, base: Path, out: TextIO, timeout: float) -> int:
    shown = ", ".join(f"{label} {t.host}:{port_of(t, k)}" for k, label in _labels(t).items())
    print(f"lab up in {base}: {shown}", file=out, flush=True)
    source = t.fileset_dir
    results: list[JobResult] = []
    jobs = backup_jobs(t)
    job = jobs[t.client]
    with Console.open(t.host, t.dir_port, password_key(t.console_password)) as console:
        for client, full in jobs.items():  # each client, in its connection mode
            _step(out, f"[1/4] Full backup of {source} by {client} ...")
            results.append(run_job(console, f"run job={full} level=Full yes", timeout))
            _job_done(out, results[-1], console)

        touched = source / "hello.txt"
        with open(touched, "a", encoding="utf-8") as fh:
            fh.write(f"touched by bareoslab local demo at {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        # the catalog's JobTDate has whole seconds, and a restore takes an Incremental only
        # when it is newer than the Full: let the Full's second pass (as Bareos needs too)
        time.sleep(1.05 - time.time() % 1)
        _step(out, f"[2/4] Incremental backup after touching {touched.name} ...")
        results.append(run_job(console, f"run job={job} level=Incremental yes", timeout))
        _job_done(out, results[-1], console)

        restored = t.restore_dir / str(source).lstrip(os.sep)
        if restored.exists():
            shutil.rmtree(restored)  # compare with this restore only
        _step(out, f"[3/4] Restore into {t.restore_dir} ...")
        results.append(run_job(console, f"restore client={t.client} fileset={FILESET} where={t.restore_dir} "
                                        "select all done yes", timeout))
        _job_done(out, results[-1], console)

        _step(out, "[4/4] Compare the restored tree with the source ...")
        count, problems = compare_trees(source, restored)
        if problems:
            print(" differences:", file=out)
            for p in problems:
                print(f"    {p}", file=out)
            raise DemoFailed(f"the restore in {restored} differs from {source}")
        print(f" {count} entries identical (bytes, modes, link targets)", file=out, flush=True)

        rows = parse_table(console.command("list jobs").text)
    ids = {r.jobid: r.seconds for r in results}
    print("\nJobs:", file=out)
    print(job_table([r for r in rows if r.get("jobid", "").isdigit() and int(r["jobid"]) in ids], ids), file=out)

    run_dir = t.base / "run"
    records = read_traces(sorted(run_dir.glob("*.trace.jsonl")))
    written, why = write_diagrams(records, [((r.jobid,), f"job-{r.jobid}") for r in results], t.base / "diagrams")
    if written:
        print(f"\nSequence diagrams: {', '.join(str(p) for p in written)}", file=out)
        if why:
            print(f"  (PlantUML text only: {why})", file=out)
        print(f"  redraw one: bareoslab trace --jobid {results[0].jobid} {run_dir} -o job.png", file=out)
    print(f"The lab keeps running: bareoslab-console -c {t.etc / 'bconsole.conf'}   |   "
          f"bareoslab local down --dir {base}", file=out)
    return 0


# -- trace -----------------------------------------------------------------------------------


