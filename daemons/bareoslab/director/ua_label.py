"""``label`` and ``run``: the commands that make volumes and jobs."""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import TYPE_CHECKING

from ..catalog.api import MediaRow
from ..codes import JOB_LEVEL_NAMES, JobLevel, JobType
from ..net.framing import bash_spaces, decode_text
from . import ua_acl
from .jcr import JobControlRecord
from .job import RunError, new_jcr, run_job, setup_job
from .sd_cmd import StorageError, open_storage
from .ua_args import Args, CommandFailed, UsageError, arg, has, int_arg

if TYPE_CHECKING:
    from .ua_cmds import UserAgent

RUN_USAGE = (
    "run job=<job-name> [level=<level>] [client=<client>] [fileset=<fileset>] [pool=<pool>] "
    "[storage=<storage>] [when=<YYYY-MM-DD HH:MM:SS>] [priority=<n>] [comment=<text>] [yes]"
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
                f'{ua_acl.RESOURCE_ACL[res.rtype]} of console "{ua.name}".'
            )


def run_summary(jcr: JobControlRecord) -> str:
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
            "Format:   Native",
            f"FileSet:  {jcr.fileset.name if jcr.fileset else ''}",
            f"Pool:     {pool} (From {pool_source})",
            f"Storage:  {jcr.storage.name if jcr.storage else ''} (From {jcr.storage_source})",
            f"When:     {when}",
            f"Priority: {jcr.priority}",
        ]
    )


def _when(text: str) -> float:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return time.mktime(time.strptime(text, fmt))
        except ValueError:
            continue
    raise CommandFailed(f'Invalid time "{text}", use YYYY-MM-DD HH:MM:SS.')


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
    try:
        jcr = new_jcr(director, job_res, **overrides)
    except RunError as exc:
        raise CommandFailed(str(exc)) from exc
    if jcr.job_type is JobType.RESTORE:
        raise CommandFailed("Use the restore command to run a restore job.")
    check_jcr_acl(ua, jcr)
    if arg(args, "when"):
        jcr.sched_time = _when(arg(args, "when") or "")
    if not has(args, "yes") and ua.api != 2:
        await ua.send(run_summary(jcr))
        if not await ua.confirm("OK to run? (yes/mod/no): "):
            await ua.send("Job not run.")
            ua.json_result = {}
            return True
    if jcr.sched_time > time.time() + 1:  # set up now (status C), queued at its time
        await setup_job(director, jcr)
        director.jobq.add_at(jcr)
        jobid = jcr.jobid
    else:
        jobid = await run_job(director, jcr)
    await ua.send(f"Job queued. JobId={jobid}")
    ua.json_result = {"run": {"jobid": str(jobid)}}
    return True


async def cmd_label(ua: UserAgent, args: Args) -> bool:
    director = ua.director
    cfg, cat = director.cfg, director.catalog
    volume = arg(args, "volume") or arg(args, "volumename")
    if not volume:
        raise UsageError("")
    storages = ua.acl.allowed(cfg.resources("Storage"))
    storage = (
        ua.res("Storage", arg(args, "storage"))
        if arg(args, "storage")
        else (storages[0] if len(storages) == 1 else None)
    )
    pool = ua.res("Pool", arg(args, "pool") or "Default")
    if not volume or storage is None or pool is None:
        raise UsageError("")
    if not re.fullmatch(r"[A-Za-z0-9:._\-]{1,127}", volume):
        raise CommandFailed(f'Illegal character in Volume name "{volume}".')
    if await director.db(cat.get_media, volume) is not None:
        raise CommandFailed(f'Media record for new Volume "{volume}" already exists.')
    await ua.send(
        f"Connecting to Storage daemon {storage.name} at {storage.address}:{storage.port} ..."
    )
    try:
        conn = await open_storage(director, storage)
    except StorageError as exc:
        raise CommandFailed(str(exc)) from exc
    ok_line = ""
    # the SD's lines go out in one packet after a line of ours: a packet starting with
    # "3000 OK ..." ends python-bareos' reply early (its "dddd OK" rule, console.md A.7)
    sd_lines = [f'Sending label command for Volume "{volume}" Slot 0 ...']
    try:
        await conn.send(
            f"label {bash_spaces(storage.device[0])} VolumeName={bash_spaces(volume)} "
            f"PoolName={bash_spaces(pool.name)} MediaType={bash_spaces(storage.media_type)} "
            f"Slot=0 drive=0 MinBlocksize=0 MaxBlocksize=0"
        )
        for msg in await conn.recv_until_eod():
            text = decode_text(msg).rstrip("\n")
            sd_lines.append(text)
            if text.startswith("3000 OK label."):
                ok_line = text
    finally:
        await conn.close()
    if not ok_line:
        await ua.send("\n".join(sd_lines))
        raise CommandFailed(f"Label command failed for Volume {volume}.")
    found = re.search(r"VolBytes=(\d+)", ok_line)
    vol_bytes = int(found.group(1)) if found else 0
    pool_id = await director.db(cat.pool_id, pool.name)
    await director.db(
        cat.create_media,
        MediaRow(
            volume_name=volume,
            pool_id=pool_id or 0,
            media_type=storage.media_type,
            storage_id=director.storage_ids.get(storage.name, 0),
            vol_bytes=vol_bytes,
            vol_blocks=1,
            vol_status="Append" if vol_bytes else "Unlabeled",
            label_date=datetime.now().replace(microsecond=0),
        ),
    )
    created = f'Catalog record for Volume "{volume}", Slot 0 successfully created.'
    await ua.send("\n".join([*sd_lines, created]))
    return True
