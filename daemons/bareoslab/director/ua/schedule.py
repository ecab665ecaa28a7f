"""The scheduler on the console: ``status scheduler``, the Scheduled Jobs of ``status dir``,
``enable`` and ``disable`` (Bareos' ``ua_status.cc`` and ``ua_cmds.cc``)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ...codes import JOB_LEVEL_NAMES, JobType
from ...config import Resource
from ...edit import short_date
from ..job import JOB_LEVELS, JOB_TYPES
from .args import Args, arg, has, int_arg

if TYPE_CHECKING:
    from .commands import UserAgent

STATUS_SCHEDULER_DAYS = 7  # Bareos' DEFAULT_STATUS_SCHED_DAYS
ENABLE_USAGE = "job=<job-name> client=<client-name> schedule=<schedule-name>"
_PREVIEW_NAMES = {"level": "Level", "priority": "Priority", "spool_data": "Spool Data", "accurate": "Accurate",
                  "pool": "Pool", "storage": "Storage", "messages": "Messages"}


def _level_name(text: str) -> str:
    level = JOB_LEVELS.get(text.lower())
    return JOB_LEVEL_NAMES.get(level, text) if level else text


# -- enable / disable ------------------------------------------------------------------------


async def _en_disable(ua: UserAgent, args: Args, setting: bool) -> bool:
    action = "enable" if setting else "disable"
    # schedule=, else client=, else job= (asked when more than one could be meant)
    key, rtype = next(((k, t) for k, t in (("schedule", "Schedule"), ("client", "Client")) if has(args, k)),
                      ("job", "Job"))
    name = arg(args, key)
    res = ua.res(rtype, name) if name else ua.pick(args, rtype, key)
    assert res is not None
    ua.director.enabled[(res.rtype, res.name)] = setting
    await ua.send(f'{rtype} "{res.name}" {action}d')
    ua.json_result = {action: {f"{key}s": [res.name]}}
    await ua.send(f"{'En' if setting else 'Dis'}abling is a temporary operation until the director reloads.\n"
                  'For a permanent setting, please set the value of the "Enabled"\n'
                  "directive in the relevant configuration resource file.")
    return True


async def cmd_enable(ua: UserAgent, args: Args) -> bool:
    return await _en_disable(ua, args, True)


async def cmd_disable(ua: UserAgent, args: Args) -> bool:
    return await _en_disable(ua, args, False)


# -- status scheduler --------------------------------------------------------------------------


async def status_scheduler(ua: UserAgent, args: Args) -> bool:
    director, cfg = ua.director, ua.director.cfg
    days = int_arg(args, "days")
    if days is None:
        days = STATUS_SCHEDULER_DAYS
    elif not -366 < days < 366:
        await ua.send("Ignoring invalid value for days. Allowed is -366 < days < 366.")
        days = STATUS_SCHEDULER_DAYS
    only_schedule = arg(args, "schedule")
    client = ua.res("Client", arg(args, "client")) if arg(args, "client") else None
    job = ua.res("Job", arg(args, "job")) if arg(args, "job") else None

    lines = ["Scheduler Jobs:", "", "Schedule               Jobs Triggered",
             "==========================================================="]
    schedules = [s for s in ua.acl.allowed(cfg.resources("Schedule")) if director.is_enabled(s)
                 and (not only_schedule or s.name == only_schedule)]
    jobs = [j for j in ua.acl.allowed(cfg.resources("Job")) if (job is None or j is job)
            and (client is None or j.client == client.name)]
    for schedule in schedules:
        triggered = [j for j in jobs if j.schedule == schedule.name]
        if not triggered:
            continue
        lines.append(schedule.name)
        for j in triggered:
            client_res = cfg.get("Client", j.client) if j.client else None
            off = not director.is_enabled(j) or (client_res is not None and not director.is_enabled(client_res))
            lines.append(f"                       {j.name}{' (disabled)' if off else ''}")
        lines.append("")
    now = director.scheduler.clock.now()
    start, stop = (now, now + days * 86400) if days > 0 else (now + days * 86400, now)
    if job is not None or client is not None:
        previewed = {j.schedule for j in jobs if j.schedule and director.is_enabled(j)}
        schedules = [s for s in schedules if s.name in previewed]
    rows = []
    for schedule in schedules:
        for run in director.scheduler.runs(schedule):
            for runtime in run.next_runs(start, stop):
                overrides = []
                for attr, name in _PREVIEW_NAMES.items():
                    value = getattr(run, attr)
                    if value is not None:
                        shown = int(value) if isinstance(value, bool) else value
                        overrides.append(f"{name}={_level_name(str(shown)) if attr == 'level' else shown}")
                rows.append((runtime, schedule.name, " ".join(overrides)))
    rows.sort(key=lambda r: r[0])
    width = max([len(_weekday_stamp(r[0])) for r in rows] or [0])
    lines += ["====", "", f"Scheduler Preview for {days} days:", "",
              f"{'Date':<{width}}  {'Schedule':<22}  Overrides",
              "=============================================================="]
    lines += [f"{_weekday_stamp(t):<{width}}  {name[:22]:<22}  {over}" for t, name, over in rows]
    lines.append("====")
    await ua.lines(lines)
    ua.json_result = {"schedules": [{"name": s.name, "jobs": [j.name for j in jobs if j.schedule == s.name]}
                                    for s in schedules],
                      "preview": [{"date": _weekday_stamp(t), "schedule": n, "overrides": o} for t, n, o in rows]}
    return True


def _weekday_stamp(when: float) -> str:
    return time.strftime("%a %d-%b-%Y %H:%M", time.localtime(when))


# -- the Scheduled Jobs of status dir -----------------------------------------------------------


def scheduled_jobs_lines(ua: UserAgent, days: int = 1) -> list[str]:
    """Bareos' ListScheduledJobs: the next start of every Run line within ``days``."""
    director = ua.director
    now = director.scheduler.clock.now()
    rows = []
    for job, schedule in director.scheduler.scheduled_jobs():
        if not ua.acl.ok("Job ACL", job.name):
            continue
        for run in director.scheduler.runs(schedule):
            upcoming = run.next_runs(now, now + days * 86400)
            if upcoming:
                rows.append((upcoming[0], run.priority or job.priority, job, run.level))
    rows.sort(key=lambda r: (r[0], r[1]))
    if not rows:  # Bareos prints the heading with the first job only
        return ["No Scheduled Jobs.", "===="]
    lines = ["", "Scheduled Jobs:",
             "Level          Type     Pri  Scheduled          Name               Volume",
             "==================================================================================="]
    for runtime, priority, job, level in rows:
        lines.append(f"{_level(job, level):<14} {_type(job):<8} {priority:>3}  {short_date(runtime):<18} "
                     f"{job.name:<18} *unknown*")
    lines.append("====")
    return lines


def _level(job: Resource, level: str | None) -> str:
    if JOB_TYPES.get(str(job.type).lower()) in (JobType.RESTORE, JobType.ADMIN, JobType.ARCHIVE):
        return " "
    return _level_name(level or (str(job.level) if job.is_set("Level") else "Incremental"))


def _type(job: Resource) -> str:
    return str(job.type).capitalize()
