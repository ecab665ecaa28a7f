"""The Director's job queue, as Bareos' ``jobq.cc`` runs it.

Jobs come in set up (status C) and wait in priority order; ``jobq_server``
starts those the limits allow and each waiting job says why it waits, with
Bareos' status codes (``status dir`` shows their texts):

* priority: while jobs run, only jobs of the running jobs' priority start —
  or, when every running job and the waiting one ``Allow Mixed Priority``, a
  job of higher priority (lower number); with nothing running, the first
  waiting job's priority is the one that starts (``p``);
* ``Maximum Concurrent Jobs`` of the Director (``d``), the read and write
  Storage (``s``), the Client (``c``) and the Job (``j``) — copy/migrate jobs
  are not counted against their client, their control jobs not against storage.

Jobs run with a future ``when=`` wait here too (``scheduled``) until their time.
Cancelling goes through the queue: a waiting job ends at once, a running one
is told to its daemons and given a grace period.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ..codes import JobStatus, JobType
from ..config import Resource
from ..net.errors import ProtocolError
from ..net.framing import bash_spaces, decode_text
from .fd_cmd import ClientError, open_client
from .jcr import JobControlRecord
from .sd_cmd import StorageError, open_storage

if TYPE_CHECKING:
    from .daemon import Director

log = logging.getLogger(__name__)

CANCEL_GRACE = 5.0  # a canceled running job that does not end by then has its task cancelled
WAIT_STATES = (
    JobStatus.CREATED, JobStatus.WAIT_JOB_RES, JobStatus.WAIT_CLIENT_RES, JobStatus.WAIT_STORE_RES,
    JobStatus.WAIT_PRIORITY, JobStatus.WAIT_MAX_JOBS, JobStatus.WAIT_START_TIME,
)  # fmt: skip

DAEMON_TIMEOUT = 60.0

#: where the daemons' answers to ``cancel`` go (the console shows them)
Show = Callable[[str], Awaitable[None]]


async def tell_peer_to_cancel(director: Director, jobs: list[str], res: Resource,
                              show: Show | None = None) -> None:
    """``cancel Job=<job>`` for each of ``jobs`` to one daemon, on one connection; ``show``
    gets its answer lines."""
    try:
        conn = await (open_storage(director, res) if res.rtype == "Storage" else open_client(director, res))
        try:
            for job in jobs:
                await conn.send(f"cancel Job={bash_spaces(job)}")
                for msg in await asyncio.wait_for(conn.recv_until_eod(), DAEMON_TIMEOUT):
                    text = decode_text(msg).rstrip("\n")
                    if show is not None:
                        await show(text)
                    else:
                        log.info("cancel of %s: %s %s: %s", job, res.rtype, res.name, text)
        finally:
            await conn.close()
    except (StorageError, ClientError, ProtocolError, TimeoutError) as exc:
        log.info("cancel of %s: %s %s: %s", ", ".join(jobs), res.rtype, res.name, exc)


class JobQueue:
    """Waiting jobs ordered by priority, then by arrival; ``jobq_server`` starts them."""

    def __init__(self, director: Director) -> None:
        self.director = director
        self.waiting: list[JobControlRecord] = []
        self.running: dict[int, JobControlRecord] = {}
        self.scheduled: dict[int, JobControlRecord] = {}
        self.changed = asyncio.Event()
        self._server: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._server = self.director.tasks.spawn(self.jobq_server(), "jobq_server")

    async def stop(self) -> None:
        if self._server:
            self._server.cancel()
            await asyncio.gather(self._server, return_exceptions=True)
        for jcr in list(self.running.values()):
            jcr.canceled = True

    def unfinished(self) -> list[JobControlRecord]:
        """Running, waiting, and scheduled (``when=``) jobs."""
        return [*self.running.values(), *self.waiting,
                *(j for j in self.scheduled.values() if not j.done.is_set())]

    # -- adding -------------------------------------------------------------------------
    def jobq_add(self, jcr: JobControlRecord) -> None:
        # stable: equal priorities keep their order
        index = next((i for i, w in enumerate(self.waiting) if w.priority > jcr.priority), len(self.waiting))
        self.waiting.insert(index, jcr)
        self.changed.set()

    def add_at(self, jcr: JobControlRecord) -> None:
        """Queue a set-up job at its ``sched_time`` (``run ... when=``)."""
        jcr.status = JobStatus.WAIT_START_TIME
        self.scheduled[jcr.jobid] = jcr

        async def queue_at_start_time() -> None:
            try:
                await asyncio.sleep(max(0.0, jcr.sched_time - time.time()))
            finally:
                queued = self.scheduled.pop(jcr.jobid, None)
            if queued is not None:  # not canceled meanwhile
                jcr.status = JobStatus.CREATED
                self.jobq_add(jcr)

        self.director.tasks.spawn(queue_at_start_time(), f"when-{jcr.jobid}")

    # -- starting ---------------------------------------------------------------------
    async def jobq_server(self) -> None:
        while True:
            await self.changed.wait()
            self.changed.clear()
            try:
                self._start_runnable()
            except Exception:  # keep serving the queue; the job that broke it is logged
                log.exception("job queue error")

    def _start_runnable(self) -> None:
        """Start the waiting jobs the priority rule and the limits allow; mark why the others wait."""
        for jcr in [j for j in self.waiting if j.canceled]:
            self.waiting.remove(jcr)
            self.director.tasks.spawn(self.director.cancel_waiting(jcr), f"cancel-{jcr.jobid}")
        if not self.waiting:
            return
        counts = self._counts()
        if self.running:
            first_running = next(iter(self.running.values()))
            priority = first_running.priority
            running_mix = all(r.job_res.allow_mixed_priority for r in self.running.values())
        else:
            priority, running_mix = self.waiting[0].priority, False
        for jcr in list(self.waiting):
            mixes = jcr.priority < priority and jcr.job_res.allow_mixed_priority and running_mix
            if jcr.priority != priority and not mixes:
                for later in self.waiting[self.waiting.index(jcr):]:
                    later.status = JobStatus.WAIT_PRIORITY
                break
            blocker = self._blocker(jcr, counts)
            if blocker is not None:
                jcr.status = blocker
                continue
            self.waiting.remove(jcr)
            self.running[jcr.jobid] = jcr
            self._count(jcr, counts)
            self.director.tasks.spawn(self._run(jcr), f"job-{jcr.jobid}")

    @staticmethod
    def _counted_storages(jcr: JobControlRecord) -> list[Resource]:
        if jcr.job_type in (JobType.COPY, JobType.MIGRATE) and not jcr.migrate_jobid:
            return []  # a selecting control job touches no storage
        stores = [s for s in (jcr.read_storage, jcr.storage) if s is not None]
        return [s for i, s in enumerate(stores) if all(s is not t for t in stores[:i])]

    @staticmethod
    def _counted_client(jcr: JobControlRecord) -> Resource | None:
        if jcr.job_type in (JobType.COPY, JobType.MIGRATE, JobType.CONSOLIDATE):
            return None  # they never touch the client
        return jcr.client

    def _count(self, jcr: JobControlRecord, counts: Counter[str]) -> None:
        counts["director"] += 1
        counts[f"job:{jcr.name}"] += 1
        client = self._counted_client(jcr)
        if client is not None:
            counts[f"client:{client.name}"] += 1
        for store in self._counted_storages(jcr):
            counts[f"storage:{store.name}"] += 1

    def _counts(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for r in self.running.values():
            self._count(r, counts)
        return counts

    def _blocker(self, jcr: JobControlRecord, counts: Counter[str]) -> JobStatus | None:
        """The wait status of the first limit ``jcr`` would exceed (Bareos' order), or None."""
        if counts["director"] >= int(self.director.res.maximum_concurrent_jobs):
            return JobStatus.WAIT_MAX_JOBS
        for store in self._counted_storages(jcr):
            if counts[f"storage:{store.name}"] >= int(store.maximum_concurrent_jobs):
                return JobStatus.WAIT_STORE_RES
        client = self._counted_client(jcr)
        if client is not None and counts[f"client:{client.name}"] >= int(client.maximum_concurrent_jobs):
            return JobStatus.WAIT_CLIENT_RES
        if counts[f"job:{jcr.name}"] >= int(jcr.job_res.maximum_concurrent_jobs):
            return JobStatus.WAIT_JOB_RES
        return None

    async def _run(self, jcr: JobControlRecord) -> None:
        from .job import job_thread

        try:
            await job_thread(self.director, jcr)
        finally:
            self.running.pop(jcr.jobid, None)
            self.director.jobs.pop(jcr.jobid, None)  # kept by whoever waits on it; else forgotten
            self.director.jobs_run += 1
            jcr.done.set()
            self.changed.set()

    # -- cancelling ---------------------------------------------------------------------
    async def cancel(self, jcr: JobControlRecord, show: Show | None = None) -> None:
        """Cancel ``jcr``: a queued or scheduled job ends now, a running one is told to its daemons."""
        jcr.canceled = True
        jcr.set_status(JobStatus.CANCELED)
        if self.scheduled.pop(jcr.jobid, None) is not None:  # waiting for its when= time
            self.director.tasks.spawn(self.director.cancel_waiting(jcr), f"cancel-{jcr.jobid}")
        elif jcr in self.waiting or not jcr.start_time:
            self.changed.set()  # the queue ends waiting jobs that are marked canceled
        else:
            peers: list[Resource] = []
            for res in (jcr.storage, jcr.read_storage, jcr.client):
                if res is not None and all(res is not p for p in peers):
                    peers.append(res)
            for res in peers:
                await tell_peer_to_cancel(self.director, [jcr.job], res, show)
            self.director.tasks.spawn(self._stop_after_grace(jcr), f"cancel-watch-{jcr.jobid}")

    @staticmethod
    async def _stop_after_grace(jcr: JobControlRecord) -> None:
        """A job that does not wind down after the daemons were told gets its task cancelled."""
        try:
            await asyncio.wait_for(jcr.done.wait(), CANCEL_GRACE)
            return
        except TimeoutError:
            pass
        for task in asyncio.all_tasks():
            if task.get_name() == f"job-{jcr.jobid}":
                log.warning("job %s did not stop after cancel; cancelling its task", jcr.job)
                task.cancel()

    # -- duplicates --------------------------------------------------------------------
    def duplicate_verdict(self, jcr: JobControlRecord) -> tuple[str, JobControlRecord | None]:
        """Bareos' AllowDuplicateJob: ("ok"|"cancel me"|"cancel dup", the other job)."""
        job = jcr.job_res
        if job.allow_duplicate_jobs:
            return "ok", None
        for other in self.unfinished():
            if other is jcr or other.name != jcr.name or other.canceled:
                continue
            proximity = int(job.duplicate_job_proximity or 0)
            if proximity > 0 and other.start_time and time.time() - other.start_time > proximity:
                continue  # not really a duplicate
            cancel_dup = False
            if job.cancel_lower_level_duplicates and other.job_type is jcr.job_type is JobType.BACKUP:
                mine, theirs = jcr.level.value, other.level.value
                if mine == "F" and theirs in "DI":
                    cancel_dup = True
                elif mine == "D" and theirs == "I":
                    cancel_dup = True
                elif (mine == "D" and theirs == "F") or (mine == "I" and theirs in "FD"):
                    return "cancel me", other
            if job.cancel_queued_duplicates and other.status in WAIT_STATES:
                cancel_dup = True
            if cancel_dup or job.cancel_running_duplicates:
                return "cancel dup", other
            return "cancel me", other
        return "ok", None
