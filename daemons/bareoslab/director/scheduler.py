"""The scheduler: jobs started by the Run lines of their Schedule (Bareos' ``scheduler.cc``).

A job is scheduled when it has a ``Schedule`` and the schedule, the job and its client
are enabled. Each Run line fires at its minute of every hour its date-time mask allows
(:mod:`bareoslab.config.schedule`); the scheduler starts the job then, with the line's
overrides (level, pools, storage, messages, priority, accurate), triggered by
"Scheduler". As in Bareos, a run more than 59 seconds late is dropped (the Director
was down, or the clock jumped), and a Run line does not start twice within 61 seconds.

The time comes from a :class:`Clock`: the system's, or for a lab that wants to see next
week's schedule now, a file holding the time (``bareoslab-dir --clock FILE``); tests set
it instead of waiting.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from ..codes import JobLevel
from ..config import Resource
from ..config.schedule import RunSpec, parse_run
from .job import RunError, new_jcr, run_job

if TYPE_CHECKING:
    from .daemon import Director

log = logging.getLogger(__name__)

WAIT = 60.0  # the longest the scheduler sleeps before looking again (Bareos: one minute)
LATE = 59.0  # a run later than this is dropped
AGAIN = 61.0  # a Run line does not fire twice within this


class Clock(Protocol):
    def now(self) -> float: ...

    async def wait(self, until: float) -> None:
        """Return at ``until``, or earlier (at most :data:`WAIT` of real time) if the clock may
        have been set."""


class SystemClock:
    def now(self) -> float:
        return time.time()

    async def wait(self, until: float) -> None:
        await asyncio.sleep(min(max(0.0, until - time.time()), WAIT))


class FileClock:
    """The time written in a file (epoch seconds, or ``YYYY-MM-DD HH:MM:SS`` local time); the
    system's while the file does not exist. It moves only when the file is written. An empty
    file is one caught between being truncated and written again (``echo``, ``write_text``):
    the time stays what the file said last."""

    POLL = 0.1

    def __init__(self, path: str) -> None:
        self.path = path
        self._last: float | None = None

    def now(self) -> float:
        try:
            with open(self.path, encoding="ascii") as f:
                text = f.read().strip()
        except (OSError, UnicodeDecodeError):
            return time.time()
        if not text and self._last is not None:
            return self._last
        try:
            self._last = float(text)
            return self._last
        except ValueError:
            pass
        try:
            self._last = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").timestamp()
            return self._last
        except ValueError:
            log.warning("clock file %s: %r is no time; using the system's", self.path, text[:40])
            return time.time()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    async def wait(self, until: float) -> None:
        before = self._stamp()
        for _ in range(int(WAIT / self.POLL)):
            if self.now() >= until or self._stamp() != before:
                return
            await asyncio.sleep(self.POLL)


@dataclass(frozen=True)
class Planned:
    """A job a Run line starts at ``runtime``."""

    job: Resource
    schedule: Resource
    run: RunSpec
    index: int  # which Run line of the schedule
    runtime: float


class Scheduler:
    def __init__(self, director: Director, clock: Clock) -> None:
        self.director = director
        self.clock = clock
        self.last: dict[tuple[str, str, int], float] = {}  # (job, schedule, line) -> last start
        self._runs: dict[str, list[RunSpec]] = {}

    def runs(self, schedule: Resource) -> list[RunSpec]:
        if schedule.name not in self._runs:
            self._runs[schedule.name] = [parse_run(text) for text in schedule.run]
        return self._runs[schedule.name]

    def reload(self) -> None:
        self._runs.clear()

    # -- which jobs, when -------------------------------------------------------------
    def scheduled_jobs(self) -> list[tuple[Resource, Resource]]:
        """(job, schedule) of every job the scheduler starts (Bareos IsAutomaticSchedulerJob)."""
        director, cfg = self.director, self.director.cfg
        out = []
        for job in cfg.resources("Job"):
            schedule = cfg.get("Schedule", job.schedule) if job.schedule else None
            client = cfg.get("Client", job.client) if job.client else None
            if schedule is None or not director.is_enabled(schedule) or not director.is_enabled(job):
                continue
            if client is not None and not director.is_enabled(client):
                continue
            out.append((job, schedule))
        return out

    def planned(self, start: float, end: float) -> list[Planned]:
        """Every start in [start, end), by time then priority."""
        out = []
        for job, schedule in self.scheduled_jobs():
            for index, run in enumerate(self.runs(schedule)):
                out += [Planned(job, schedule, run, index, t) for t in run.next_runs(start, end)]
        return sorted(out, key=lambda p: (p.runtime, p.run.priority or p.job.priority))

    def due(self, now: float) -> list[Planned]:
        """What starts now: runs of this or the last minute not started yet."""
        due = []
        for p in self.planned(now - LATE, now + 1):
            key = (p.job.name, p.schedule.name, p.index)
            if p.runtime <= now and p.runtime - self.last.get(key, 0.0) >= AGAIN:
                due.append(p)
        return due

    def next_time(self, now: float) -> float:
        upcoming = self.planned(now + 1, now + 2 * 3600)
        return min(upcoming[0].runtime if upcoming else now + WAIT, now + WAIT)

    # -- running ----------------------------------------------------------------------
    async def serve(self) -> None:
        while True:
            now = self.clock.now()
            for p in self.due(now):
                self.last[(p.job.name, p.schedule.name, p.index)] = p.runtime
                try:
                    await self.start(p)
                except Exception:  # one job that cannot start must not stop the scheduler
                    log.exception('Schedule "%s": starting job "%s" failed', p.schedule.name, p.job.name)
            await self.clock.wait(self.next_time(now))

    async def start(self, p: Planned) -> int | None:
        run = p.run
        overrides: dict[str, object] = {}
        for key in ("level", "pool", "storage", "messages", "priority"):
            value = getattr(run, key)
            if value is not None:
                overrides[key] = value
        try:
            jcr = new_jcr(self.director, p.job, **overrides)
        except RunError as exc:
            log.warning('Schedule "%s": job "%s" not started: %s', p.schedule.name, p.job.name, exc)
            return None
        jcr.triggered_by = "Scheduler"
        jcr.sched_time = p.runtime
        if run.pool:
            jcr.pool_source = "Run Pool override"
        if run.storage:
            jcr.storage_source = "run override"
        for level, pool in ((JobLevel.FULL, run.full_pool), (JobLevel.INCREMENTAL, run.incremental_pool),
                            (JobLevel.DIFFERENTIAL, run.differential_pool)):
            if pool:
                jcr.run_level_pools[level] = pool
        if run.next_pool:
            jcr.next_pool = self.director.cfg.get("Pool", run.next_pool)
        if run.accurate is not None:
            jcr.accurate_override = run.accurate
        jobid = await run_job(self.director, jcr)
        log.info('Schedule "%s" started job %s (JobId %d)', p.schedule.name, jcr.name, jobid)
        return jobid
