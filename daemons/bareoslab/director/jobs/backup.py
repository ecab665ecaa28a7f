"""The simple backup job: the Director sets up the SD, then the FD; the FD sends its data to the SD."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ...codes import JOB_LEVEL_NAMES, JobLevel, JobStatus, JobType, MsgType
from ...net.bandwidth import OK_BANDWIDTH, setbandwidth_line
from ...scripts import expand_codes, feed_command
from ..accurate import send_accurate_files
from ..bsr import job_bootstrap
from ..fd_cmd import ClientError, ClientSession, connect_client
from ..fileset import FileSetDefinition, fileset_definition
from ..passive_client import send_passive_client
from ..report import backup_report
from ..runscript import job_codes
from ..sd_cmd import StorageError, StorageSession, connect_storage
from . import JobError, final_status

if TYPE_CHECKING:
    from ..daemon import Director
    from ..jcr import JobControlRecord

LEVEL_POOLS = {JobLevel.FULL: "full_backup_pool", JobLevel.INCREMENTAL: "incremental_backup_pool",
               JobLevel.DIFFERENTIAL: "differential_backup_pool"}
LEVEL_POOL_WORDS = {JobLevel.FULL: "FullPool", JobLevel.INCREMENTAL: "IncPool", JobLevel.DIFFERENTIAL: "DiffPool"}


async def init(director: Director, jcr: JobControlRecord) -> None:
    """FileSet record, level upgrade and since-time, pool by level."""
    cat = director.catalog
    if jcr.client is None or jcr.fileset is None:
        raise JobError(f'Job "{jcr.name}" needs a Client and a FileSet.')
    jcr.accurate = bool(jcr.job_res.accurate) if jcr.accurate_override is None else jcr.accurate_override

    async def say(text: str) -> None:
        await director.job_msg(jcr, MsgType.INFO, text)

    definition = await fileset_and_since(director, jcr, say)
    row = await director.db(cat.get_fileset, jcr.fileset_id)
    if row is not None and row.create_time is not None:
        jcr.fileset_create_time = row.create_time.strftime("%Y-%m-%d %H:%M:%S")
    # the pool for the level: a Run line's Full/Inc/DiffPool=, else the Job's
    run_pool = jcr.run_level_pools.get(jcr.level)
    override = run_pool or (getattr(jcr.job_res, LEVEL_POOLS[jcr.level], None) if jcr.level in LEVEL_POOLS else None)
    if override and jcr.pool_source != "Command input":
        jcr.pool = director.cfg.get("Pool", override)
        jcr.pool_source = f"{'Run' if run_pool else 'Job'} {LEVEL_POOL_WORDS[jcr.level]} override"
    if jcr.pool is None:
        raise JobError(f'Job "{jcr.name}" has no Pool.')
    if jcr.storage is None:
        raise JobError(f'No Storage specified for Job "{jcr.name}" nor its Pool "{jcr.pool.name}".')
    pool_id = await director.db(cat.pool_id, jcr.pool.name)
    jcr.pool_id = pool_id or 0
    jcr.fileset_lines = definition.lines


async def fileset_and_since(director: Director, jcr: JobControlRecord,
                            say: Callable[[str], Awaitable[None]]) -> FileSetDefinition:
    """The job's FileSet record and, for an Incremental or Differential, its since-time
    (Bareos' GetLevelSinceTime): with no prior job to refer to, the job becomes a Full."""
    assert jcr.fileset is not None
    cat = director.catalog
    definition = fileset_definition(director, jcr.fileset)
    jcr.fileset_md5 = definition.md5
    jcr.fileset_id = await director.db(cat.get_or_create_fileset, jcr.fileset.name, definition.md5,
                                       definition.text)
    if jcr.level in (JobLevel.INCREMENTAL, JobLevel.DIFFERENTIAL):
        prior = await director.db(cat.find_since_job, jcr.name, jcr.client_id, jcr.fileset_id, jcr.level)
        if prior is None:
            await say("No prior Full backup Job record found.")
            await say("No prior or suitable Full backup found in catalog. Doing FULL backup.")
            jcr.level = JobLevel.FULL
        else:
            jcr.since = prior.start_time.timestamp() if prior.start_time else 0
            jcr.prev_job = prior.job
            await say(f"Since time={jcr.since_text}")
    return definition


async def run(director: Director, jcr: JobControlRecord) -> None:
    assert jcr.client is not None and jcr.storage is not None and jcr.pool is not None
    await director.job_msg(jcr, MsgType.INFO, f"Start Backup JobId {jcr.jobid}, Job={jcr.job}")
    sd: StorageSession | None = None
    fd: ClientSession | None = None
    jcr.file_batch = director.catalog.file_batch(jcr.jobid, flush_rows=10**9)
    try:
        sd = await connect_storage(director, jcr, jcr.storage)
        await sd.start_job(JobType.BACKUP.code, jcr.level.code, no_attr=not jcr.pool.catalog_files)
        await sd.secure_erase()
        await director.update_job_start(jcr)
        fd = await connect_client(director, jcr, jcr.client)
        await fd.start_job()
        await director.db(director.catalog.update_client_uname, jcr.client_id, fd.uname)
        jcr.client_uname = fd.uname
        await fd.send_level()
        await fd.send_fileset(jcr.fileset_lines)
        await fd.secure_erase()
        jcr.max_bandwidth = jcr.job_res.maximum_bandwidth or jcr.client.maximum_bandwidth_per_job or 0
        if jcr.max_bandwidth:
            await fd.command(setbandwidth_line(jcr.max_bandwidth, jcr.job), OK_BANDWIDTH)
        await fd.send_runscripts()
        await send_accurate_files(director, jcr, fd.conn)
        await sd.reserve(jcr.pool, append=True)
        if jcr.client.passive:  # the SD connects to the FD
            await send_passive_client(sd, jcr.client)
        else:
            await fd.send_storage(jcr.storage)
        await sd.run()
        await fd.command("backup FileIndex=0\n", "2000 OK backup")
        await fd.wait_for_termination()
        await sd.finished()
    except (StorageError, ClientError) as exc:
        raise JobError(str(exc)) from exc
    finally:
        for session in (fd, sd):
            if session is not None:
                await session.close()


async def cleanup(director: Director, jcr: JobControlRecord) -> None:
    """Write the File rows, compute the final status, end record and report."""
    if jcr.file_batch is not None and jcr.jobid:
        await director.db(jcr.file_batch.flush)
    jcr.status = final_status(jcr, required=[jcr.fd_status], optional=[jcr.sd_status],
                              problems=jcr.job_errors + jcr.sd_errors + jcr.job_warnings)
    await director.update_job_end(jcr)
    await update_bootstrap_file(director, jcr)
    await director.job_report(jcr, backup_report(director, jcr))


async def update_bootstrap_file(director: Director, jcr: JobControlRecord) -> None:
    """After a backup that ended OK with data, the Job's ``Write Bootstrap`` file (its ``%``
    codes expanded) gets the job's bootstrap: rewritten by a Full, appended to by the other
    levels; ``|command`` pipes it into a command (Bareos' UpdateBootstrapFile)."""
    target = str(jcr.job_res.write_bootstrap or "")
    if not (target and jcr.status.ok and jcr.job_bytes):
        return
    name = expand_codes(target, job_codes(director, jcr))
    rows = await director.db(director.catalog.jobmedia_for_jobs, [jcr.jobid])

    async def error(text: str) -> None:
        await director.job_msg(jcr, MsgType.ERROR, text)
        jcr.set_status(JobStatus.ERROR_TERMINATED)

    if not rows:
        await director.job_msg(jcr, MsgType.ERROR, "Could not get Job Volume Parameters to update Bootstrap file. "
                                                   "ERR=no JobMedia records for the job")
        if jcr.sd_job_files:
            jcr.set_status(JobStatus.ERROR_TERMINATED)
    text = job_bootstrap(rows, jcr.job, JOB_LEVEL_NAMES.get(jcr.level, ""), jcr.since_text, time.time())
    if name.startswith("|"):
        status = await feed_command(name[1:], text)
        if status:
            await error(f"Error running program when updating bootstrap file: {name}: ERR={status}")
        return
    try:
        with open(name, "w" if jcr.level is JobLevel.FULL else "a", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        await error(f"Could not open WriteBootstrap file:\n{name}: ERR={exc.strerror}")
