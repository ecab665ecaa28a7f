"""``run`` and ``cancel``: the console commands that start and stop jobs (through the job queue)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ...codes import JOB_LEVEL_NAMES, JobLevel, JobType
from ..jcr import JobControlRecord
from ..job import run_job, setup_job
from . import acl
from .args import Args, CommandFailed, UsageError, arg, has, int_arg, int_list_arg, yesno
from .prompt import parse_date
from .run_prompt import RunRequest, confirm_run

if TYPE_CHECKING:
    from .commands import UserAgent

RUN_USAGE = (
    "run job=<job-name> [level=<level>] [client=<client>] [fileset=<fileset>] [pool=<pool>] "
    "[storage=<storage>] [when=<YYYY-MM-DD HH:MM:SS>] [priority=<n>] [accurate=<yes|no>] [comment=<text>] [yes]"
)
RUN_OVERRIDES = (
    "level",
    "client",
    "fileset",
    "pool",
    "storage",
    "priority",
    "comment",
    "jobid",
    "nextpool",
)
_OVERRIDE_TYPES = {
    "client": "Client",
    "fileset": "FileSet",
    "pool": "Pool",
    "storage": "Storage",
    "nextpool": "Pool",
}


def check_jcr_acl(ua: UserAgent, jcr: JobControlRecord) -> None:
    """Every resource the job will use must be allowed to the console."""
    for res in (jcr.job_res, jcr.client, jcr.fileset, jcr.pool, jcr.storage, jcr.restore_client):
        if res is not None and not ua.acl.resource_ok(res):
            raise CommandFailed(
                f'{res.rtype} "{res.name}": access denied by the '
                f'{acl.RESOURCE_ACL[res.rtype]} of console "{ua.name}".'
            )


def run_summary(jcr: JobControlRecord, req: RunRequest | None = None) -> str:
    """The job as Bareos shows it before ``OK to run?``."""
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(jcr.sched_time))
    if jcr.job_type in (JobType.COPY, JobType.MIGRATE):
        next_pool = jcr.pool.get("Next Pool") if jcr.pool else None
        store = jcr.storage.name if jcr.storage else ""
        return "\n".join(
            [
                f"Run {'Copy' if jcr.job_type is JobType.COPY else 'Migration'} job",
                f"JobName:       {jcr.name}",
                "Bootstrap:     *None*",
                f"Read Storage:  {store} (From {jcr.storage_source})",
                f"Pool:          {jcr.pool.name if jcr.pool else ''} (From {jcr.pool_source})",
                f"Write Storage: {store} (From {jcr.storage_source})",
                f"NextPool:      {next_pool or '*None*'} (From Job Pool's NextPool resource)",
                "JobId:         *None*",
                f"When:          {when}",
                f"Catalog:       {jcr.job_res.get('Catalog') or 'MyCatalog'}",
                f"Priority:      {jcr.priority}",
            ]
        )
    kind = {JobType.BACKUP: "Backup"}.get(jcr.job_type, jcr.job_type.name.capitalize())
    pool, pool_source = (jcr.pool.name if jcr.pool else ""), jcr.pool_source
    level_pool = {
        JobLevel.FULL: ("Full Backup Pool", "FullPool"),
        JobLevel.INCREMENTAL: ("Incremental Backup Pool", "IncPool"),
        JobLevel.DIFFERENTIAL: ("Differential Backup Pool", "DiffPool"),
    }.get(jcr.level)
    if (
        jcr.job_type is JobType.BACKUP
        and level_pool
        and pool_source == "Job resource"
        and jcr.job_res.get(level_pool[0])
    ):
        pool, pool_source = jcr.job_res.get(level_pool[0]), f"Job {level_pool[1]} override"
    return "\n".join(
        [
            f"Run {kind} job",
            f"JobName:  {jcr.name}",
            f"Level:    {JOB_LEVEL_NAMES.get(jcr.level, '')}",
            f"Client:   {jcr.client.name if jcr.client else ''}",
            f"Format:   {req.backup_format if req else 'Native'}",
            f"FileSet:  {jcr.fileset.name if jcr.fileset else ''}",
            f"Pool:     {pool} (From {pool_source})",
            f"Storage:  {jcr.storage.name if jcr.storage else ''} (From {jcr.storage_source})",
            f"When:     {when}",
            f"Priority: {jcr.priority}",
            *([f"Plugin Options: {req.plugin_options}"] if req and req.plugin_options else []),
        ]
    )


def _when(text: str) -> float:
    when = parse_date(text)
    if when is None:
        raise CommandFailed(f'Invalid time "{text}", use YYYY-MM-DD HH:MM:SS.')
    return when


async def cmd_run(ua: UserAgent, args: Args) -> bool:
    director = ua.director
    job_name = arg(args, "job")
    if not job_name and len(args) > 1 and args[1][1] is None and args[1][0] != "yes":
        job_name = args[1][0]
    if not job_name:
        raise UsageError("")
    job_res = ua.res("Job", job_name)
    assert job_res is not None
    overrides = {k: v for k, v in args[1:] if v and k in RUN_OVERRIDES}
    for key, rtype in _OVERRIDE_TYPES.items():
        if key in overrides:
            ua.res(rtype, overrides[key])
    if "priority" in overrides:
        if int_arg(args, "priority") is None or int(overrides["priority"]) <= 0:
            raise CommandFailed("Priority must be a positive integer.")
    req = RunRequest(job_res, overrides)
    if arg(args, "when"):
        req.when = _when(arg(args, "when") or "")
    if arg(args, "accurate"):  # accurate=yes|no overrides the Job's Accurate, as in Bareos
        accurate = yesno(arg(args, "accurate") or "")
        if accurate is None:
            raise CommandFailed(f"Invalid accurate value: {arg(args, 'accurate')}")
        req.finish = lambda jcr: setattr(jcr, "accurate_override", accurate)
    jcr = req.build(ua)
    if jcr.job_type is JobType.RESTORE:
        raise CommandFailed("Use the restore command to run a restore job.")
    check_jcr_acl(ua, jcr)
    if not has(args, "yes") and ua.api != 2:
        confirmed = await confirm_run(ua, req, run_summary)
        if confirmed is None:
            await ua.send("Job not run.")
            ua.json_result = {}
            return True
        jcr = confirmed
        check_jcr_acl(ua, jcr)
    if jcr.sched_time > time.time() + 1:  # set up now (status C), queued at its time
        await setup_job(director, jcr)
        director.jobq.add_at(jcr)
        jobid = jcr.jobid
    else:
        jobid = await run_job(director, jcr)
    await ua.send(f"Job queued. JobId={jobid}")
    ua.json_result = {"run": {"jobid": str(jobid)}}
    return True


async def select_running_jobs(ua: UserAgent, args: Args) -> list[JobControlRecord]:
    """The unfinished jobs ``jobid=``, ``job=``, ``ujobid=`` or ``all`` name (Bareos' select_jobs);
    says so and gives none when nothing matches."""
    unfinished = [j for j in ua.director.jobs.values() if not j.done.is_set()]
    if has(args, "all"):
        chosen = unfinished
    elif arg(args, "jobid"):
        ids = set(int_list_arg(args, "jobid"))
        chosen = [j for j in unfinished if j.jobid in ids]
    elif arg(args, "job") or arg(args, "ujobid"):
        name = arg(args, "job") or arg(args, "ujobid")
        chosen = [j for j in unfinished if name in (j.job, j.name)]
    else:
        raise UsageError("")
    chosen = [j for j in chosen if ua.acl.ok("Job ACL", j.name)]
    if not chosen:
        await ua.send(
            "No Jobs running." if not unfinished else "None of the given Jobs is running."
        )
    return chosen


async def cmd_cancel(ua: UserAgent, args: Args) -> bool:
    director = ua.director
    chosen = await select_running_jobs(ua, args)
    if not chosen:
        ua.json_result = {}
        return True
    if (
        has(args, "all")
        and not has(args, "yes")
        and not await ua.confirm(f"Cancel {len(chosen)} Jobs? (yes/no): ")
    ):
        return True
    for jcr in chosen:
        await director.jobq.cancel(jcr, show=ua.send)
        await ua.send(f"JobId {jcr.jobid}, Job {jcr.job} marked to be canceled.")
    ua.json_result = {"cancel": [{"jobid": j.jobid, "job": j.job} for j in chosen]}
    return True


RERUN_USAGE = (
    "rerun jobid=<jobid> | since_jobid=<jobid> [until_jobid=<jobid>] | days=<nr_days> "
    "| hours=<nr_hours> [yes]"
)


async def _rerun_job(ua: UserAgent, jobid: int, yes: bool) -> bool:
    """Run a job again with the job, level, client, pool and FileSet of its catalog record."""
    cat = ua.director.catalog
    await ua.send(f"rerunning jobid {jobid}")
    job = await ua.director.db(cat.get_job, jobid)
    if job is None:
        raise CommandFailed(f"Error getting Job record for Job rerun: ERR=JobId {jobid} not found")
    if job.type not in (JobType.BACKUP.value, JobType.COPY.value, JobType.MIGRATE.value):
        return True  # only backups, copies and migrations are run again
    line: Args = [("run", None), ("job", job.name)]
    level = JobLevel(job.level) if job.level in JobLevel._value2member_map_ else JobLevel.NONE
    if level is not JobLevel.NONE:
        line.append(("level", JOB_LEVEL_NAMES.get(level, "")))
    if job.client_id:
        client = await ua.director.db(cat.get_client, job.client_id)
        if client is not None:
            line.append(("client", client.name))
    if job.pool_id:
        pool = await ua.director.db(cat.get_pool, job.pool_id)
        job_res = ua.director.cfg.get("Job", job.name)
        if job.type in (JobType.COPY.value, JobType.MIGRATE.value) or level is JobLevel.VIRTUAL_FULL:
            if job_res is not None and job_res.get("Pool"):
                line.append(("pool", str(job_res.get("Pool"))))
            if pool is not None:
                line.append(("nextpool", pool.name))
        elif pool is not None:
            line.append(("pool", pool.name))
    if job.fileset_id:
        fileset = await ua.director.db(cat.get_fileset, job.fileset_id)
        if fileset is not None:
            line.append(("fileset", fileset.fileset))
    line.append(("when", time.strftime("%Y-%m-%d %H:%M:%S")))
    if yes:
        line.append(("yes", None))
    return await cmd_run(ua, line)


async def cmd_rerun(ua: UserAgent, args: Args) -> bool:
    """Bareos' ``reRunCmd``: the given JobIds, or the failed (``f``) jobs of a time frame or
    from ``since_jobid`` on."""
    since, until = int_arg(args, "since_jobid") or 0, int_arg(args, "until_jobid") or 0
    days, hours = int_arg(args, "days") or 0, int_arg(args, "hours") or 0
    yes = has(args, "yes")
    if arg(args, "jobid") is None and not (days or hours or since):
        raise CommandFailed("Please specify jobid, since_jobid, hours or days")
    jobids: list[int] = []
    if arg(args, "jobid") is not None:
        for word in (arg(args, "jobid") or "").split(","):
            if not word.isdigit():
                raise CommandFailed(f'Specified jobid "{word}" is not valid')
            jobids.append(int(word))
        if since:
            raise CommandFailed("Please specify either jobid or since_jobid (and optionally until_jobid)")
        if days or hours:
            raise CommandFailed("Please specify either jobid or a timeframe")
    else:
        after = time.time() - days * 86400 - hours * 3600
        jobids = await ua.director.db(ua.director.catalog.failed_jobids, since, until, after)
        if not jobids:
            await ua.send("No jobids with the specified options were found.")
            return True
        await ua.send("The following ids were selected for rerun:\n" + ",".join(map(str, jobids)))
        if not yes and not await ua.confirm("rerun these jobids? (yes/no): "):
            return False
    for jobid in jobids:
        if not await _rerun_job(ua, jobid, yes):
            return False
    return True
