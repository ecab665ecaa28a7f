"""``list nextvol``: the volume each scheduled run of a job in the next days would append
to (Bareos' ``ListNextvol``), looked up without creating, recycling or pruning anything."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...config import Resource
from ...config.schedule import RunSpec
from .args import Args, CommandFailed, arg
from .run_prompt import select_resource

if TYPE_CHECKING:
    from .commands import UserAgent

MAX_DAYS = 50
_LEVELS = {"full": "Full", "incremental": "Incremental", "differential": "Differential"}


def _run_pool(job: Resource, run: RunSpec) -> tuple[str | None, str]:
    """The pool a run writes to and its level's name (the run's and the Job's level pools)."""
    level = _LEVELS.get((run.level or str(job.get("Level") or "Incremental")).lower(), run.level or "")
    by_level = {
        "Full": (run.full_pool, "Full Backup Pool"),
        "Incremental": (run.incremental_pool, "Incremental Backup Pool"),
        "Differential": (run.differential_pool, "Differential Backup Pool"),
    }.get(level)
    pool = run.pool
    if pool is None and by_level is not None:
        pool = by_level[0] or job.get(by_level[1])
    return pool or job.get("Pool"), level


async def list_nextvol(ua: UserAgent, args: Args) -> bool:
    director = ua.director
    cat = director.catalog
    days = 1
    if arg(args, "days"):
        value = arg(args, "days") or ""
        if value.lstrip("-").isdigit() and 0 <= int(value) <= MAX_DAYS:
            days = int(value)
        else:
            await ua.send(f"Ignoring invalid value for days. Max is {MAX_DAYS}.")
    job = ua.res("Job", arg(args, "job")) if arg(args, "job") else await select_resource(ua, "Job")
    if job is None:
        return False
    found = False
    schedule = director.cfg.get("Schedule", job.schedule) if job.get("Schedule") else None
    now = director.scheduler.clock.now()
    for run in director.scheduler.runs(schedule) if schedule is not None else []:
        if not run.next_runs(now, now + days * 86400):
            continue
        pool_name, level = _run_pool(job, run)
        pool = director.cfg.get("Pool", pool_name) if pool_name else None
        pool_id = await director.db(cat.pool_id, pool.name) if pool is not None else None
        if pool is None or pool_id is None:
            await ua.error(f"Could not find Pool for Job {job.name}")
            continue
        storages = [run.storage] if run.storage else (job.storage or pool.storage or [])
        storage_name = storages[0] if storages else None
        storage = director.cfg.get("Storage", storage_name) if storage_name else None
        media_type = str(storage.get("Media Type")) if storage is not None else ""
        media = await director.db(cat.find_next_volume, pool_id, media_type, recycle=False)
        if media is None:
            await ua.error(f"Could not find next Volume for Job {job.name} (Pool={pool.name}, Level={level}).")
            continue
        await ua.send(
            f'The next Volume to be used by Job "{job.name}" (Pool={pool.name}, Level={level}) '
            f"will be {media.volume_name}"
        )
        found = True
    if not found:
        raise CommandFailed(f"Could not find next Volume for Job {job.name}.")
    return True
