"""Job set-up and the job queue, named as in Bareos' job execution documentation.

``run_job`` -> ``setup_job`` (unique name, Job row with status C) -> ``jobq_add``
and ``jobq_server`` (:mod:`.jobq`: priority and Maximum Concurrent Jobs) ->
``job_thread`` (duplicates, status R, type-specific run, end record, report).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from ..catalog.errors import CatalogError
from ..codes import JobLevel, JobStatus, JobType, MsgType
from ..config import Resource
from ..net.auth import version_line
from .jcr import JobControlRecord, create_unique_job_name
from .jobs import JOB_KINDS, JobError
from .prune import do_autoprune
from .runscript import run_scripts

if TYPE_CHECKING:
    from .daemon import Director

log = logging.getLogger(__name__)

JOB_TYPES = {"backup": JobType.BACKUP, "restore": JobType.RESTORE, "copy": JobType.COPY,
             "migrate": JobType.MIGRATE, "admin": JobType.ADMIN, "verify": JobType.VERIFY,
             "archive": JobType.ARCHIVE, "consolidate": JobType.CONSOLIDATE}
JOB_LEVELS = {"full": JobLevel.FULL, "incremental": JobLevel.INCREMENTAL,
              "differential": JobLevel.DIFFERENTIAL, "base": JobLevel.BASE,
              "virtualfull": JobLevel.VIRTUAL_FULL, "since": JobLevel.SINCE}


class RunError(Exception):
    """A job could not be created (bad arguments, disabled resource, ...)."""


async def run_job(director: Director, jcr: JobControlRecord) -> int:
    """Set the job up and queue it; returns its JobId."""
    await setup_job(director, jcr)
    director.jobq.jobq_add(jcr)
    return jcr.jobid


async def setup_job(director: Director, jcr: JobControlRecord) -> None:
    """Unique name, catalog rows for client/fileset, the Job row with status C."""
    cat = director.catalog
    jcr.job = create_unique_job_name(jcr.name)
    if jcr.client is not None:
        jcr.client_id = await director.db(cat.get_or_create_client, jcr.client.name)
    jcr.jobid = await director.db(
        cat.create_job, jcr.job, jcr.name, jcr.job_type.value, jcr.level.value,
        JobStatus.CREATED.value, jcr.sched_time, jcr.client_id, jcr.comment,
    )
    director.jobs[jcr.jobid] = jcr


async def job_thread(director: Director, jcr: JobControlRecord) -> None:
    """Run one job: status R, the kind's init/run/cleanup, end record, report."""
    kind = JOB_KINDS.get(jcr.job_type)
    jcr.start_time = time.time()
    jcr.status = JobStatus.RUNNING
    await director.job_msg(jcr, MsgType.INFO, version_line())  # Bareos' JobThread says it first
    try:
        if kind is None:
            raise JobError(f"Job type {jcr.job_type.name} is not implemented by this Director")
        await allow_duplicate_job(director, jcr)
        await kind.init(director, jcr)
        await director.update_job_start(jcr)
        await run_scripts(director, jcr, "BeforeJob")
        if jcr.status is JobStatus.RUNNING:  # a failed BeforeJob script with Fail Job On Error: no job
            # started again after the script, so what it wrote is not saved twice (as Bareos)
            jcr.start_time = time.time()
            await director.update_job_start(jcr)
            await kind.run(director, jcr)
    except JobError as exc:
        await director.job_msg(jcr, MsgType.FATAL, str(exc))
    except asyncio.CancelledError:
        jcr.set_status(JobStatus.CANCELED)
        raise
    except Exception as exc:  # a bug in one job must not take the director down
        log.exception("job %s failed", jcr.job)
        await director.job_msg(jcr, MsgType.FATAL, f"Internal error: {exc!r}")
    finally:
        jcr.end_time = time.time()
        try:
            if kind is not None:
                await asyncio.shield(kind.cleanup(director, jcr))
            else:
                await asyncio.shield(director.end_job_without_kind(jcr))
        except CatalogError as exc:  # the catalog went away: the end is recorded once it is back
            director.record_end_later(jcr, exc)
            return
        except Exception as exc:  # a bug at the job's end must not leave its Job row running
            log.exception("job %s failed at its end", jcr.job)
            await asyncio.shield(end_after_internal_error(director, jcr, exc))
            return
    await run_scripts(director, jcr, "AfterJob")  # after the report, as in Bareos
    if jcr.job_type is JobType.BACKUP and jcr.status.ok and not jcr.canceled:
        try:
            await do_autoprune(director, jcr)  # after the report, as Bareos does
        except Exception:  # pruning is housekeeping: the job itself is done
            log.exception("auto prune after job %s failed", jcr.job)


async def end_after_internal_error(director: Director, jcr: JobControlRecord, exc: Exception) -> None:
    """The job's end broke: it ends a fatal error all the same, with a job log line saying why."""
    jcr.set_status(JobStatus.FATAL_ERROR)
    try:
        await director.job_msg(jcr, MsgType.FATAL, f"Internal error at the job's end: {exc!r}")
        await director.update_job_end(jcr)
    except CatalogError as why:
        director.record_end_later(jcr, why)


async def allow_duplicate_job(director: Director, jcr: JobControlRecord) -> None:
    """``Allow Duplicate Jobs = no``: this job or the other one of the same name is canceled."""
    verdict, other = director.jobq.duplicate_verdict(jcr)
    if other is None:
        return
    if verdict == "cancel me":
        jcr.set_status(JobStatus.CANCELED)
        raise JobError(f"JobId {other.jobid} already running. Duplicate job not allowed.")
    await director.job_msg(jcr, MsgType.INFO, f"Cancelling duplicate JobId={other.jobid}.")
    await director.jobq.cancel(other)


def resolve_level(text: str) -> JobLevel:
    try:
        return JOB_LEVELS[text.strip().lower()]
    except KeyError:
        raise RunError(f"Level {text} not valid.") from None


def _priority(value: object) -> int:
    try:
        priority = int(str(value))
    except ValueError:
        raise RunError(f"Priority must be a positive integer, not {value}.") from None
    if priority <= 0:
        raise RunError("Priority must be a positive integer.")
    return priority


def new_jcr(director: Director, job_res: Resource, **overrides: object) -> JobControlRecord:
    """A JCR from a Job resource, with console overrides (level, client, fileset, pool, storage...)."""
    cfg = director.cfg
    job_type = JOB_TYPES.get(str(job_res.type).lower())
    if job_type is None:
        raise RunError(f"Job type {job_res.type} not valid.")
    level_text = overrides.get("level") or (job_res.level if job_res.is_set("Level") else None)
    if job_type is JobType.BACKUP:
        level = resolve_level(str(level_text)) if level_text else JobLevel.INCREMENTAL
    elif job_type in (JobType.COPY, JobType.MIGRATE):
        level = resolve_level(str(level_text)) if level_text else JobLevel.FULL
    else:
        level = JobLevel.NONE

    def pick(rtype: str, key: str) -> Resource | None:
        name = overrides.get(key) or getattr(job_res, key, None)
        if isinstance(name, list):
            name = name[0] if name else None
        if not name:
            return None
        res = cfg.get(rtype, str(name))
        if res is None:
            raise RunError(f'{rtype} "{name}" not found.')
        return res

    jcr = JobControlRecord(
        jobid=0, job="", name=job_res.name, job_res=job_res, job_type=job_type, level=level,
        priority=_priority(overrides.get("priority") or job_res.priority),
        client=pick("Client", "client"), fileset=pick("FileSet", "fileset"),
        pool=pick("Pool", "pool"), messages=pick("Messages", "messages"),
        comment=str(overrides.get("comment") or ""),
    )
    if overrides.get("pool"):
        jcr.pool_source = "Command input"
    storage = pick("Storage", "storage")
    if storage is None and jcr.pool is not None and jcr.pool.storage:
        storage = cfg.get("Storage", jcr.pool.storage[0])
        jcr.storage_source = "Pool resource"
    elif overrides.get("storage"):
        jcr.storage_source = "Command input"
    jcr.storage = storage
    if job_type in (JobType.COPY, JobType.MIGRATE):
        jcr.migrate_jobid = int(str(overrides.get("jobid") or 0))
        jcr.next_pool = pick("Pool", "nextpool") if overrides.get("nextpool") else None
    if jcr.client is not None and not director.is_enabled(jcr.client):
        raise RunError(f'Client "{jcr.client.name}" is disabled.')
    if not director.is_enabled(job_res):
        raise RunError(f'Job "{job_res.name}" is disabled.')
    return jcr
