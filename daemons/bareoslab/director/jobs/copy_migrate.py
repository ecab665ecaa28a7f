"""Copy and migrate jobs: a control job selects, one worker per selected job moves the data.

Three kinds of Job rows (codes.md §9): the *control* job (no ``jobid=``) only
selects JobIds and queues a worker for each; a *worker* (``jobid=<original>``)
talks to the Storage Daemon(s); the *new* job row it creates carries the copied
data. Local (read and write Storage on one SD): one SD session reads and writes
(protocol.md §7.3). Remote: the reading SD replicates to the writing SD, which
the Director has put into ``listen`` mode (§7.4).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...catalog.api import JobEnd, JobRow
from ...codes import JobLevel, JobStatus, JobType, MsgType
from ...config import Resource
from ...net.bandwidth import OK_BANDWIDTH, setbandwidth_line
from ...net.framing import decode_text
from ...net.tls import TlsSettings
from ..bsr import build_bootstrap
from ..jcr import JobControlRecord, create_unique_job_name
from ..messages import JMSG
from ..report import (
    action,
    already_done_message,
    chosen_message,
    control_report,
    kind_word,
    no_data_message,
    no_jobs_message,
    start_message,
    using_message,
    worker_report,
    worker_started_message,
)
from ..sd_cmd import (
    StorageError,
    StorageSession,
    announce_storage,
    connect_storage,
    open_storage,
)
from . import JobError, final_status

if TYPE_CHECKING:
    from ..daemon import Director

COPYABLE_TYPES = (JobType.BACKUP.value, JobType.JOB_COPY.value, JobType.ARCHIVE.value)


# -- pure helpers ---------------------------------------------------------------------


def same_storage_daemon(a: Resource, b: Resource) -> bool:
    """Read and write Storage on one SD: same address, port and password (Bareos IsSameStorageDaemon)."""
    return (str(a.address), int(a.port), str(a.password)) == (str(b.address), int(b.port), str(b.password))


def resolve_next_pool(director: Director, jcr: JobControlRecord, read_pool: Resource) -> Resource:
    """Write pool: ``nextpool=`` override, else the Job's Next Pool, else the read pool's."""
    if jcr.next_pool is not None:
        return jcr.next_pool
    for name in (getattr(jcr.job_res, "next_pool", None), getattr(read_pool, "next_pool", None)):
        if name:
            pool = director.cfg.get("Pool", str(name))
            if pool is None:
                raise JobError(f'Next Pool "{name}" not found.')
            return pool
    raise JobError(f'No Next Pool specification found in Pool "{read_pool.name}".')


def pool_storage(director: Director, pool: Resource) -> Resource | None:
    names = pool.storage or []
    return director.cfg.get("Storage", names[0]) if names else None


# -- per-worker state -------------------------------------------------------------------


@dataclass
class Migration:
    """What a worker knows about the job it copies and the job it creates."""

    prior: JobRow
    read_pool: Resource
    write_pool: Resource
    read_storage: Resource
    write_storage: Resource
    remote: bool
    client_name: str
    fileset_name: str
    fileset_md5: str
    write_pool_id: int = 0
    new_jobid: int = 0
    new_job: str = ""
    bootstrap: str = ""
    skip: str = ""
    writer_jcr: JobControlRecord | None = None
    ran: bool = False


@dataclass
class Control:
    """A control job's selection."""

    selected: list[int]
    workers: list[int]


async def prepare_worker(director: Director, jcr: JobControlRecord) -> Migration:
    """Resolve pools and storages, build the bootstrap and create the new job's row."""
    if jcr.copy_worker is not None:
        return jcr.copy_worker
    cat = director.catalog
    prior = await director.db(cat.get_job, jcr.migrate_jobid)
    if prior is None:
        raise JobError(f"JobId {jcr.migrate_jobid} not found in the catalog.")
    read_pool = jcr.pool
    if read_pool is None:
        raise JobError(f'Job "{jcr.name}" has no Pool to read from.')
    write_pool = resolve_next_pool(director, jcr, read_pool)
    write_storage = pool_storage(director, write_pool)
    if write_storage is None:
        raise JobError(f'No Storage specification found in Next Pool "{write_pool.name}".')
    read_storage = pool_storage(director, read_pool) or jcr.read_storage or jcr.storage
    if read_storage is None:
        raise JobError(f'No Storage to read JobId {prior.job_id} from (Pool "{read_pool.name}").')
    if read_storage.name == write_storage.name and not read_storage.auto_changer:
        raise JobError(f"JobId {prior.job_id} cannot {kind_word(jcr.job_type)} using the same read "
                       f"and write storage.")
    client = await director.db(cat.get_client, prior.client_id) if prior.client_id else None
    fileset = await director.db(cat.get_fileset, prior.fileset_id) if prior.fileset_id else None
    mig = Migration(
        prior=prior, read_pool=read_pool, write_pool=write_pool, read_storage=read_storage,
        write_storage=write_storage, remote=not same_storage_daemon(read_storage, write_storage),
        client_name=client.name if client else "**None**",
        fileset_name=fileset.fileset if fileset else "**None**",
        fileset_md5=fileset.md5 if fileset else "**Dummy**",
    )
    write_pool_id = await director.db(cat.pool_id, write_pool.name)
    mig.write_pool_id = write_pool_id or 0
    if prior.type not in COPYABLE_TYPES:
        mig.skip = already_done_message(jcr.job_type, prior.job_id)
    elif prior.job_status not in (JobStatus.TERMINATED.value, JobStatus.WARNINGS.value) or not prior.job_files:
        mig.skip = no_data_message(jcr.job_type)
    else:
        jobmedia = await director.db(cat.jobmedia_for_jobs, [prior.job_id])
        if not jobmedia:
            mig.skip = f"JobId {prior.job_id} has no JobMedia: nothing to read."
        else:
            mig.bootstrap = build_bootstrap(jobmedia, None, read_storage.name, read_storage.device[0])
            mig.new_job = create_unique_job_name(prior.name)
            mig.new_jobid = await director.db(
                cat.create_job, mig.new_job, prior.name, JobType.BACKUP.value, prior.level,
                JobStatus.CREATED.value, time.time(), prior.client_id, "",
                pool_id=mig.write_pool_id, fileset_id=prior.fileset_id, prior_job_id=prior.job_id,
            )
    jcr.copy_worker = mig
    return mig


def _configured_level(director: Director, prior: JobRow) -> JobLevel:
    """The Level of the original job's Job resource, else the level it ran at."""
    from ..job import RunError, resolve_level

    res = director.cfg.get("Job", prior.name)
    if res is not None and res.is_set("Level"):
        try:
            return resolve_level(str(res.level))
        except RunError:
            pass
    return JobLevel(prior.level)


# -- init / run / cleanup ----------------------------------------------------------------


async def init(director: Director, jcr: JobControlRecord) -> None:
    if jcr.pool is None:
        raise JobError(f'Job "{jcr.name}" has no Pool.')
    pool_id = await director.db(director.catalog.pool_id, jcr.pool.name)
    jcr.pool_id = pool_id or 0
    if not jcr.migrate_jobid:
        return
    mig = await prepare_worker(director, jcr)
    jcr.read_storage, jcr.storage = mig.read_storage, mig.write_storage
    jcr.pool_id = mig.write_pool_id
    jcr.client_id = mig.prior.client_id
    jcr.fileset_id = mig.prior.fileset_id
    jcr.level = _configured_level(director, mig.prior)
    jcr.expected_files = mig.prior.job_files


async def run(director: Director, jcr: JobControlRecord) -> None:
    if not jcr.migrate_jobid:
        await run_control(director, jcr)
    else:
        await run_worker(director, jcr)


async def run_control(director: Director, jcr: JobControlRecord) -> None:
    """Select the jobs and queue one worker for each; do not wait for them."""
    from ..job import new_jcr, setup_job

    assert jcr.pool is not None
    res = jcr.job_res
    selection = str(res.selection_type or "")
    if not selection:
        raise JobError(f'Job "{jcr.name}": no Selection Type (and no jobid= given).')
    pool = jcr.pool
    try:
        ids = await director.db(
            director.catalog.select_copy_migrate_jobs, selection, jcr.pool_id, str(res.selection_pattern or ""),
            migration_time=int(pool.migration_time or 0), migration_high_bytes=int(pool.migration_high_bytes or 0),
            migration_low_bytes=int(pool.migration_low_bytes or 0),
        )
    except Exception as exc:  # a bad regex or SQL pattern is this job's error
        raise JobError(f"Selection of jobs to {action(jcr.job_type)} failed: {exc}") from exc
    ids = list(dict.fromkeys(ids))
    control = Control(selected=ids, workers=[])
    jcr.copy_control = control
    if not ids:
        await director.job_msg(jcr, MsgType.INFO, no_jobs_message(jcr.job_type))
        return
    await director.job_msg(jcr, MsgType.INFO, chosen_message(jcr.job_type, ids))
    limit = int(getattr(res, "max_concurrent_copies", 0) or 0) or len(ids)
    for prior_id in ids[:limit]:
        overrides: dict[str, object] = {"jobid": prior_id, "pool": pool.name}
        if jcr.next_pool is not None:
            overrides["nextpool"] = jcr.next_pool.name
        worker = new_jcr(director, res, **overrides)
        worker.pool_source = jcr.pool_source
        worker.triggered_by = jcr.triggered_by
        await setup_job(director, worker)
        try:  # the new job's row right after the worker's, as Bareos numbers them
            await prepare_worker(director, worker)
        except JobError:
            pass  # the worker's init reports it
        director.jobq.jobq_add(worker)
        control.workers.append(worker.jobid)
        await director.job_msg(jcr, MsgType.INFO, worker_started_message(jcr.job_type, worker.jobid))


async def run_worker(director: Director, jcr: JobControlRecord) -> None:
    mig = jcr.copy_worker
    assert mig is not None  # init prepared it
    prior = mig.prior
    await director.job_msg(jcr, MsgType.INFO, using_message(jcr.job_type, prior.job_id, prior.job))
    if mig.skip:
        await director.job_msg(jcr, MsgType.INFO, mig.skip)
        return
    await director.job_msg(jcr, MsgType.INFO, start_message(jcr.job_type, jcr.jobid, jcr.job))
    jcr.catalog_jobid = mig.new_jobid
    jcr.file_batch = director.catalog.file_batch(mig.new_jobid, flush_rows=10**9)
    mig.ran = True
    try:
        if mig.remote:
            await _run_remote(director, jcr, mig)
        else:
            await _run_local(director, jcr, mig)
    except StorageError as exc:
        raise JobError(str(exc)) from exc


async def _run_local(director: Director, jcr: JobControlRecord, mig: Migration) -> None:
    """protocol.md §7.3: one SD session, bootstrap, read and write reservations, ``run``."""
    sd: StorageSession | None = None
    try:
        sd = await connect_storage(director, jcr, mig.read_storage)
        await sd.start_job(jcr.job_type.code, jcr.level.code, job_name=jcr.name, client_name=mig.client_name,
                           fileset=mig.fileset_name, fileset_md5=mig.fileset_md5)
        await sd.send_bootstrap(mig.bootstrap)
        await sd.secure_erase()
        await director.update_job_start(jcr)
        await sd.reserve(mig.read_pool, append=False, storage=mig.read_storage)
        await sd.reserve(mig.write_pool, append=True, storage=mig.write_storage)
        await sd.run()
        await sd.finished()
    finally:
        if sd is not None:
            await sd.close()


class WriterSession(StorageSession):
    """The writing SD's channel in a remote copy: rows go to the new job, messages to the worker's log."""

    def __init__(self, director: Director, jcr: JobControlRecord, storage: Resource, conn: object,
                 worker: JobControlRecord) -> None:
        super().__init__(director, jcr, storage, conn)  # type: ignore[arg-type]
        self.worker = worker

    async def dispatch(self, msg: bytes) -> str | None:
        if msg.startswith(b"Jmsg "):
            match = JMSG.match(decode_text(msg))
            if match:
                await self.director.daemon_msg(self.worker, int(match.group(2)), int(match.group(3)), match.group(4))
                return None
        return await super().dispatch(msg)


def _writer_jcr(jcr: JobControlRecord, mig: Migration) -> JobControlRecord:
    """The new job as the writing SD sees it (protocol.md §7.4 "job_w")."""
    return JobControlRecord(
        jobid=mig.new_jobid, job=mig.new_job, name=mig.prior.name, job_res=jcr.job_res,
        job_type=JobType.BACKUP, level=JobLevel(mig.prior.level), priority=jcr.priority,
        pool=mig.write_pool, storage=mig.write_storage, messages=jcr.messages,
        start_time=jcr.start_time, client_id=mig.prior.client_id, fileset_id=mig.prior.fileset_id,
        fileset_md5=mig.fileset_md5, catalog_jobid=mig.new_jobid, file_batch=jcr.file_batch,
    )


async def _run_remote(director: Director, jcr: JobControlRecord, mig: Migration) -> None:
    """protocol.md §7.4: reading SD (bootstrap, read reservation), writing SD (``listen``), ``replicate``."""
    wjcr = _writer_jcr(jcr, mig)
    mig.writer_jcr = wjcr
    sr: StorageSession | None = None
    sw: WriterSession | None = None
    try:
        sr = await connect_storage(director, jcr, mig.read_storage)
        wconn = await open_storage(director, mig.write_storage, wjcr.job, wjcr.jobid)
        await announce_storage(director, jcr, mig.write_storage, wconn)
        sw = WriterSession(director, wjcr, mig.write_storage, wconn, jcr)
        await sr.start_job(jcr.job_type.code, jcr.level.code, job_name=jcr.name, client_name=mig.client_name,
                           fileset=mig.fileset_name, fileset_md5=mig.fileset_md5)
        await sr.send_bootstrap(mig.bootstrap)
        await sr.secure_erase()
        await director.update_job_start(jcr)
        await sr.reserve(mig.read_pool, append=False, storage=mig.read_storage)
        await sw.start_job(JobType.BACKUP.code, ord(mig.prior.level), job_name=mig.prior.name,
                           client_name=mig.client_name, fileset=mig.fileset_name, fileset_md5=mig.fileset_md5)
        await sw.secure_erase()
        await sw.reserve(mig.write_pool, append=True, storage=mig.write_storage)
        # the reading SD limits what it replicates: the Job's limit, else the writing, else
        # the reading Storage's
        jcr.max_bandwidth = (jcr.job_res.maximum_bandwidth or mig.write_storage.maximum_bandwidth_per_job
                             or mig.read_storage.maximum_bandwidth_per_job or 0)
        if jcr.max_bandwidth:
            await sr.command(setbandwidth_line(jcr.max_bandwidth, jcr.job), OK_BANDWIDTH)
        await sw.listen()
        await sr.command(
            f"replicate JobId={wjcr.jobid} Job={wjcr.job} address={mig.write_storage.address} "
            f"port={mig.write_storage.port} ssl={int(TlsSettings.of(mig.write_storage).job_policy)} "
            f"Authorization={wjcr.sd_auth}\n", "3000 OK replicate")
        await sr.run()
        await sr.finished()
        try:
            async with asyncio.timeout(60):
                await sw.finished()
        except TimeoutError:
            await director.job_msg(jcr, MsgType.FATAL,
                                   f'Storage daemon "{mig.write_storage.name}" did not end the new job.')
    finally:
        for session in (sw, sr):
            if session is not None:
                await session.close()


# -- the end -------------------------------------------------------------------------------


def _final_status(jcr: JobControlRecord, statuses: list[JobStatus | None]) -> JobStatus:
    return final_status(jcr, required=statuses, problems=jcr.job_errors + jcr.sd_errors)


async def _check_complete(director: Director, jcr: JobControlRecord, mig: Migration) -> str:
    """Why the new data is not complete in the catalog, or "" when it is."""
    cat = director.catalog
    if (jcr.sd_job_files, jcr.sd_job_bytes) == (0, 0) and mig.prior.job_files:
        return "the Storage daemon reported no data written"
    if jcr.sd_job_files != mig.prior.job_files:
        return f"{jcr.sd_job_files} files written, {mig.prior.job_files} expected"
    jobmedia = await director.db(cat.jobmedia_for_jobs, [mig.new_jobid])
    if not jobmedia:
        return "no JobMedia rows for the new job"
    if not mig.prior.purged_files:
        files = await director.db(cat.count_files, mig.new_jobid)
        expected = await director.db(cat.count_files, mig.prior.job_id)
        if files != expected:
            return f"{files} File rows for the new job, {expected} for the original"
    return ""


async def cleanup(director: Director, jcr: JobControlRecord) -> None:
    if jcr.copy_worker is not None:
        await _cleanup_worker(director, jcr, jcr.copy_worker)
    else:
        await _cleanup_control(director, jcr)


async def _cleanup_control(director: Director, jcr: JobControlRecord) -> None:
    jcr.status = _final_status(jcr, [])
    await director.update_job_end(jcr)
    control = jcr.copy_control
    await director.job_report(jcr, control_report(director, jcr, control.selected if control else [],
                                                  control.workers if control else []))


async def _cleanup_worker(director: Director, jcr: JobControlRecord, mig: Migration) -> None:
    cat = director.catalog
    if jcr.file_batch is not None:
        await director.db(jcr.file_batch.flush)
    wjcr = mig.writer_jcr
    if wjcr is not None:  # remote: the new job's figures come from the writing SD
        jcr.sd_job_files, jcr.sd_job_bytes = wjcr.sd_job_files, wjcr.sd_job_bytes
        jcr.sd_errors += wjcr.sd_errors
        jcr.volumes = wjcr.volumes or jcr.volumes
        jcr.last_volume_bytes = wjcr.last_volume_bytes or jcr.last_volume_bytes
        if wjcr.status.priority >= 9:
            jcr.set_status(wjcr.status)
    if not mig.ran:
        jcr.status = _final_status(jcr, [])
    else:
        statuses = [jcr.sd_status] + ([wjcr.sd_status] if wjcr is not None else [])
        jcr.status = _final_status(jcr, statuses)
        if jcr.status.ok:
            problem = await _check_complete(director, jcr, mig)
            if problem:
                await director.job_msg(jcr, MsgType.ERROR,
                                       f"The new data of JobId {mig.prior.job_id} is incomplete: {problem}.")
                jcr.status = JobStatus.ERROR_TERMINATED
    jcr.job_files, jcr.job_bytes = jcr.sd_job_files, jcr.sd_job_bytes
    ok = jcr.status.ok
    if mig.new_jobid:
        vol_id = wjcr.vol_session_id if wjcr is not None else jcr.vol_session_id
        vol_time = wjcr.vol_session_time if wjcr is not None else jcr.vol_session_time
        new_status = jcr.status if mig.ran else JobStatus.ERROR_TERMINATED
        await director.db(cat.update_job_end, mig.new_jobid, JobEnd(
            new_status, mig.prior.level, jcr.end_time or time.time(), job_files=jcr.job_files,
            job_bytes=jcr.job_bytes, job_errors=jcr.job_errors, vol_session_id=vol_id, vol_session_time=vol_time,
            pool_id=mig.write_pool_id, fileset_id=mig.prior.fileset_id, prior_job_id=mig.prior.job_id,
            client_id=mig.prior.client_id))
        if ok and mig.ran:
            await director.db(cat.copy_job_times, mig.new_jobid, mig.prior.job_id)
            if jcr.job_type is JobType.COPY:
                await director.db(cat.set_job_type, mig.new_jobid, JobType.JOB_COPY.value)
                await director.db(cat.copy_log, mig.prior.job_id, mig.new_jobid)
            else:
                await director.db(cat.set_job_type, mig.prior.job_id, JobType.MIGRATED_JOB.value)
                await director.db(cat.move_log, mig.prior.job_id, mig.new_jobid)
                if getattr(jcr.job_res, "purge_migration_job", False):
                    await director.db(cat.purge_jobs, [mig.prior.job_id])
                else:
                    await director.db(cat.purge_files, mig.prior.job_id)
    await director.update_job_end(jcr)
    if mig.new_jobid:
        await director.db(cat.set_prior_job_id, jcr.jobid, mig.new_jobid)
    await director.job_report(jcr, worker_report(director, jcr, mig))
