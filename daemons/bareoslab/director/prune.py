"""Pruning jobs and files by their retention at the end of a job (Bareos' ``DoAutoprune``).

With the Client's ``AutoPrune`` (or the Job's ``Prune Jobs`` / ``Prune Files``), a
finished job prunes its client's jobs in its pool older than the ``Job Retention`` (the
pool's, else the client's) and the File rows of those older than the ``File Retention``.
As in Bareos (``ua_prune.cc``) the jobs a restore of the latest state needs — the last
Full of each FileSet with the Differential and Incrementals after it — are kept, and
running jobs are never touched. Volumes are pruned elsewhere, when a job needs one
(:mod:`.next_vol`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ..catalog.api import JobRow
from ..codes import JobStatus, JobType, MsgType
from ..config import Resource
from ..config.types import edit_utime

if TYPE_CHECKING:
    from .daemon import Director
    from .jcr import JobControlRecord


def retention(pool: Resource | None, client: Resource, key: str) -> int:
    """A Job or File Retention: the pool's when it sets one, else the client's."""
    value = int(getattr(pool, key, 0) or 0) if pool is not None else 0
    return value if value > 0 else int(getattr(client, key) or 0)


#: where pruning reports go: the job log, or the console
Say = Callable[[str], Awaitable[None]]


async def do_autoprune(director: Director, jcr: JobControlRecord) -> None:
    client = jcr.client
    if client is None:
        return

    async def say(text: str) -> None:
        await director.job_msg(jcr, MsgType.INFO, text)

    job = jcr.job_res
    pruned = False
    if job.prune_jobs or client.autoprune:
        await prune_jobs(director, client, jcr.pool, say)
        pruned = True
    if job.prune_files or client.autoprune:
        await prune_files(director, client, jcr.pool, say)
        pruned = True
    if pruned:
        await say("End auto prune.\n")


async def _candidates(director: Director, client: Resource, pool: Resource | None,
                      period: int) -> list[JobRow]:
    db, cat = director.db, director.catalog
    client_id = await db(cat.client_id, client.name)
    if client_id is None:
        return []
    pool_id = await db(cat.pool_id, pool.name) if pool is not None else None
    running = set(director.jobq.running)
    return [j for j in await db(cat.jobs_older_than, int(time.time()) - period, client_id=client_id,
                                pool_id=pool_id)
            if j.job_id not in running]


async def prune_jobs(director: Director, client: Resource, pool: Resource | None, say: Say) -> int:
    """Purge the client's jobs past their Job Retention, keeping each FileSet's restore chain."""
    period = retention(pool, client, "job_retention")
    await say(f"Begin pruning Jobs older than {edit_utime(period)}.")
    candidates = await _candidates(director, client, pool, period)
    needed: set[int] = set()
    ok = (JobStatus.TERMINATED.value, JobStatus.WARNINGS.value)
    for fileset_id in {j.fileset_id for j in candidates if j.type == JobType.BACKUP.value and j.job_status in ok}:
        chain = await director.db(director.catalog.select_restore_jobs, candidates[0].client_id, fileset_id)
        needed |= {j.job_id for j in chain if j.job_files}
    doomed = [j.job_id for j in candidates if j.job_id not in needed]
    if doomed:
        await director.db(director.catalog.purge_jobs, doomed)
        await say(f"Pruned {len(doomed)} {'Job' if len(doomed) == 1 else 'Jobs'} for client {client.name} "
                  "from catalog.")
    else:
        await say("No Jobs found to prune.")
    return len(doomed)


async def prune_files(director: Director, client: Resource, pool: Resource | None, say: Say) -> int:
    """Delete the File rows of the client's jobs past their File Retention."""
    period = retention(pool, client, "file_retention")
    await say("Begin pruning Files.")
    jobs = [j for j in await _candidates(director, client, pool, period) if not j.purged_files]
    for job in jobs:
        await director.db(director.catalog.purge_files, job.job_id)
    if jobs:
        await say(f"Pruned Files from {len(jobs)} Jobs for client {client.name} from catalog.")
    else:
        await say("No Files found to prune.")
    return len(jobs)
