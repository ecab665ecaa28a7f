"""Who used the CPUs during a measurement: the daemons, the benchmark, the kernel, everyone else.

On the 2-core lab machine other sessions' test suites run at any time; a job that
shares the cores with them measures low. :class:`CpuWindow` takes the machine's busy
time (``/proc/stat``: user, nice and system) before and after, and subtracts the
daemons (``/proc/<pid>/stat``), the benchmark and its waited-for children (``tar``,
``md5sum``: ``getrusage``) and the kernel's own threads (writeback and the like, which
serve us); what remains is contention.
"""

from __future__ import annotations

import collections
import contextlib
import os
import resource
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PF_KTHREAD = 0x00200000
_TICK = os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float | None:
    """CPU time all processes got since boot (interrupts, softirqs and steal left out)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
        user, nice, system = (int(x) for x in fields[1:4])
    except (OSError, ValueError, IndexError):
        return None
    return (user + nice + system) / _TICK


def _stat_fields(pid: int | str) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def process_cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process, all its threads."""
    fields = _stat_fields(pid)
    try:
        return (int(fields[11]) + int(fields[12])) / _TICK if fields else None
    except (ValueError, IndexError):
        return None


def _processes() -> Iterator[tuple[int, list[str]]]:
    """Every process's pid and ``/proc/<pid>/stat`` fields (from the state on)."""
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat_fields(entry.name)
            if fields and len(fields) > 14:
                yield int(entry.name), fields


def kernel_threads() -> dict[int, float]:
    """CPU seconds of each kernel thread (by pid)."""
    out: dict[int, float] = {}
    for pid, fields in _processes():
        with contextlib.suppress(ValueError):
            if int(fields[6]) & PF_KTHREAD:
                out[pid] = (int(fields[11]) + int(fields[12])) / _TICK
    return out


def tree_cpu_seconds(root: int) -> float | None:
    """CPU time of a process and of every process below it, alive or already reaped (a server
    whose workers come and go: PostgreSQL's postmaster and its backends)."""
    parents: dict[int, int] = {}
    spent: dict[int, float] = {}
    for pid, fields in _processes():
        with contextlib.suppress(ValueError):
            parents[pid] = int(fields[1])
            spent[pid] = sum(int(x) for x in fields[11:15]) / _TICK  # its own and its reaped children's
    if root not in spent:
        return None
    below, total = [root], 0.0
    while below:
        pid = below.pop()
        total += spent[pid]
        below += [child for child, parent in parents.items() if parent == pid]
    return total


def own_cpu_seconds() -> float:
    """This process and its waited-for children (tar, md5sum, ...)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass
class CpuUse:
    wall: float
    daemons: dict[str, float | None]  # CPU seconds per daemon
    own: float  # the benchmark and its children
    kernel: float  # kernel threads
    other: float | None  # everything else: contention

    @property
    def other_share(self) -> float | None:
        """Contention as a share of one core over the window (at least 1 s: shorter is noise)."""
        return None if self.other is None else self.other / max(self.wall, 1.0)


class CpuWindow:
    """``w = CpuWindow(pids)`` ... ``use = w.stop()``. ``trees``: servers the lab uses (its
    PostgreSQL catalog), counted with their workers beside the daemons, not as contention."""

    def __init__(self, pids: dict[str, int] | None = None, trees: dict[str, int] | None = None) -> None:
        self.pids = dict(pids or {})
        self.trees = dict(trees or {})
        self._daemons = self._cpu()
        self._busy = machine_busy_seconds()
        self._own = own_cpu_seconds()
        self._kernel = kernel_threads()
        self._t0 = time.monotonic()

    def stop(self) -> CpuUse:
        wall = time.monotonic() - self._t0
        daemons_now = self._cpu()
        busy, own, kernel = machine_busy_seconds(), own_cpu_seconds(), kernel_threads()
        daemons = {
            k: None if v is None or daemons_now.get(k) is None else round(daemons_now[k] - v, 3)  # type: ignore[operator]
            for k, v in self._daemons.items()
        }
        # threads that ended during the window take their time with them; new ones count whole
        kernel_used = sum(t - self._kernel.get(pid, 0.0) for pid, t in kernel.items())
        other = None
        if (
            busy is not None
            and self._busy is not None
            and all(v is not None for v in daemons.values())
        ):
            used = (
                sum(v for v in daemons.values() if v is not None) + (own - self._own) + kernel_used
            )
            other = round(max(0.0, busy - self._busy - used), 3)
        return CpuUse(
            wall=wall,
            daemons=daemons,
            own=round(own - self._own, 3),
            kernel=round(kernel_used, 3),
            other=other,
        )

    def _cpu(self) -> dict[str, float | None]:
        cpu = {k: process_cpu_seconds(p) for k, p in self.pids.items()}
        cpu.update((k, tree_cpu_seconds(p)) for k, p in self.trees.items())
        return cpu


def others_cpu_share(seconds: float = 2.0) -> float | None:
    """Share of one core other processes used over the next ``seconds``."""
    window = CpuWindow()
    time.sleep(seconds)
    return window.stop().other_share


class ThreadStates:
    """Every daemon thread's CPU time and run state, read from ``/proc/<pid>/task`` every
    ``interval`` seconds by a thread of its own (``start()`` ... ``stop()``, then ``report()``).

    CPU time says how much each thread ran; the share of samples in which it was runnable
    (state R: running or waiting for a core) says how much it wanted to. A thread runnable far
    more often than its CPU time allows waited for a core; the histogram of runnable threads
    per sample, against the cores, shows whether the cores or a chain of waits set the pace.
    """

    def __init__(self, pids: dict[str, int], interval: float = 0.01) -> None:
        self.pids = dict(pids)
        self.interval = interval
        self._first: dict[tuple[str, int], tuple[float, float]] = {}
        self._last: dict[tuple[str, int], tuple[float, float]] = {}
        self._states: dict[tuple[str, int], collections.Counter[str]] = {}
        self._runnable: collections.Counter[int] = collections.Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="thread-states", daemon=True)

    def start(self) -> ThreadStates:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            runnable = 0
            for kind, pid in self.pids.items():
                with contextlib.suppress(OSError):
                    for tid in os.listdir(f"/proc/{pid}/task"):
                        fields = _stat_fields(f"{pid}/task/{tid}")
                        if not fields or len(fields) < 13:
                            continue
                        key = (kind, int(tid))
                        cpu = (int(fields[11]) / _TICK, int(fields[12]) / _TICK)
                        self._first.setdefault(key, cpu)
                        self._last[key] = cpu
                        self._states.setdefault(key, collections.Counter())[fields[0]] += 1
                        runnable += fields[0] == "R"
            self._runnable[runnable] += 1

    def report(self, min_cpu: float = 0.05) -> list[str]:
        """A line per thread that used at least ``min_cpu`` seconds, then the histogram."""
        lines = ["  threads: CPU seconds (user/system), share of samples runnable"]
        for (kind, tid), (user, system) in sorted(self._last.items()):
            user0, system0 = self._first[(kind, tid)]
            cpu = user - user0 + system - system0
            if cpu < min_cpu:
                continue
            states = self._states[(kind, tid)]
            name = "main" if tid == self.pids[kind] else f"thread {tid}"
            lines.append(f"    {kind} {name:<13} {cpu:6.2f} ({user - user0:.2f}/{system - system0:.2f})"
                         f"  runnable {states['R'] / sum(states.values()) * 100:3.0f} %")
        total = sum(self._runnable.values()) or 1
        lines.append(f"  runnable threads per sample ({os.cpu_count()} cores), % of {total} samples: "
                     + ", ".join(f"{n}: {c / total * 100:.0f}" for n, c in sorted(self._runnable.items())))
        return lines
