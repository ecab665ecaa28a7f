"""``OK to run? (yes/mod/no)``: the question ``run`` and ``restore`` ask before a job is
queued, and what ``mod`` lets the user change (Bareos' ``DoRunCmd`` and
``ModifyJobParameters``). The job is rebuilt from its request after every change, so
what is shown is always what will run."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...codes import JobLevel, JobType
from ...config import Resource
from ..jcr import JobControlRecord
from ..job import RunError, new_jcr
from . import acl
from .args import Args, CommandFailed, parse_args
from .prompt import MAX_ANSWERS, choose, get_cmd, parse_date

if TYPE_CHECKING:
    from .commands import UserAgent

_PROMPT_FOR = {
    "Storage": ("The defined Storage resources are:\n", "Select Storage resource"),
    "FileSet": ("The defined FileSet resources are:\n", "Select FileSet resource"),
    "Job": ("The defined Job resources are:\n", "Select Job resource"),
    "Client": ("The defined Client resources are:\n", "Select Client (File daemon) resource"),
    "Pool": ("The defined Pool resources are:\n", "Select Pool resource"),
}
REPLACE_OPTIONS = [("always", "a"), ("ifnewer", "w"), ("ifolder", "o"), ("never", "n")]
BACKUP_LEVELS = [
    ("Full", JobLevel.FULL),
    ("Incremental", JobLevel.INCREMENTAL),
    ("Differential", JobLevel.DIFFERENTIAL),
    ("Since", JobLevel.SINCE),
    ("VirtualFull", JobLevel.VIRTUAL_FULL),
]


async def select_resource(
    ua: UserAgent, rtype: str, keep: Callable[[Resource], bool] = lambda r: True
) -> Resource | None:
    """A resource the console may use, picked from a numbered list (``select_*_resource``)."""
    found = sorted(
        (r for r in ua.acl.allowed(ua.director.cfg.resources(rtype)) if keep(r)),
        key=lambda r: r.name.lower(),
    )
    header, question = _PROMPT_FOR[rtype]
    picked = await choose(ua, header, [r.name for r in found], rtype, question)
    return None if picked is None else found[picked]


@dataclass
class RunRequest:
    """What the user asked to run; ``build`` turns it into the job to queue."""

    job: Resource
    overrides: dict[str, str] = field(default_factory=dict)
    when: float | None = None
    plugin_options: str | None = None
    backup_format: str = "Native"
    # restore only
    where: str = ""
    replace: str = "a"
    restore_client: Resource | None = None
    bootstrap: str = ""  # the bootstrap's text
    bootstrap_file: str = ""
    finish: Callable[[JobControlRecord], None] = lambda jcr: None

    def build(self, ua: UserAgent) -> JobControlRecord:
        try:
            jcr = new_jcr(ua.director, self.job, **self.overrides)
        except RunError as exc:
            raise CommandFailed(str(exc)) from exc
        if self.when is not None:
            jcr.sched_time = self.when
        if jcr.job_type is JobType.RESTORE:
            jcr.where = self.where
            jcr.replace = self.replace
            jcr.restore_client = self.restore_client or jcr.client
            jcr.bootstrap = self.bootstrap
        self.finish(jcr)
        return jcr


Modifier = Callable[["UserAgent", RunRequest, JobControlRecord], Awaitable[None]]


async def _level(ua: UserAgent, req: RunRequest, jcr: JobControlRecord) -> None:
    if jcr.job_type is not JobType.BACKUP:
        return
    picked = await choose(ua, "Levels:\n", [n for n, _ in BACKUP_LEVELS], "", "Select level")
    if picked is not None:
        req.overrides["level"] = BACKUP_LEVELS[picked][0]


def _pick_override(rtype: str, key: str) -> Modifier:
    async def modify(ua: UserAgent, req: RunRequest, jcr: JobControlRecord) -> None:
        res = await select_resource(ua, rtype)
        if res is not None:
            req.overrides[key] = res.name

    return modify


async def _job(ua: UserAgent, req: RunRequest, jcr: JobControlRecord) -> None:
    # only jobs of the same type: a Backup job cannot take over a restore's bootstrap
    res = await select_resource(ua, "Job", lambda r: str(r.type).lower() == str(req.job.type).lower())
    if res is not None:
        req.job = res


async def _restore_client(ua: UserAgent, req: RunRequest, jcr: JobControlRecord) -> None:
    res = await select_resource(ua, "Client")
    if res is not None:
        req.restore_client = res


async def _backup_format(ua: UserAgent, req: RunRequest, jcr: JobControlRecord) -> None:
    text = await get_cmd(ua, "Please enter Backup Format: ")
    if text is not None:
        req.backup_format = text


async def _when(ua: UserAgent, req: RunRequest, jcr: JobControlRecord) -> None:
    for _ in range(MAX_ANSWERS):
        text = await get_cmd(ua, "Please enter desired start time as YYYY-MM-DD HH:MM:SS (return for now): ")
        if text is None:
            return
        when = time.time() if text == "" else parse_date(text)
        if when is not None:
            req.when = when
            return
        await ua.send("Invalid time specification.")


async def _priority(ua: UserAgent, req: RunRequest, jcr: JobControlRecord) -> None:
    for _ in range(MAX_ANSWERS):
        text = await get_cmd(ua, "Enter new Priority: ")
        if text is None:
            return
        if not text.isdigit():
            await ua.send(f"Expected a positive integer, got: {text}")
            continue
        if int(text) == 0:
            await ua.send("Priority must be a positive integer.")
        else:
            req.overrides["priority"] = text
        return


async def _plugin_options(ua: UserAgent, req: RunRequest, jcr: JobControlRecord) -> None:
    text = await get_cmd(ua, "Please enter Plugin Options string: ")
    if text is not None:
        req.plugin_options = text or None


async def _bootstrap(ua: UserAgent, req: RunRequest, jcr: JobControlRecord) -> None:
    name = await get_cmd(ua, "Please enter the Bootstrap file name: ")
    if not name:
        return
    try:
        with open(name, encoding="utf-8", errors="surrogateescape") as fh:
            text = fh.read()
    except OSError as exc:
        await ua.send(f"Warning cannot open {name}: ERR={exc.strerror}")
        return
    req.bootstrap, req.bootstrap_file = text, name


async def _where(ua: UserAgent, req: RunRequest, jcr: JobControlRecord) -> None:
    text = await get_cmd(ua, "Please enter the full path prefix for restore (/ for none): ")
    if text is None:
        return
    if not ua.acl.ok(acl.WHERE, text):
        await ua.send('No authorization for "where" specification.')
        return
    req.where = "" if text == "/" else text


async def _relocation(ua: UserAgent, req: RunRequest, jcr: JobControlRecord) -> None:
    await ua.send(
        "File relocation (regexwhere) is not available: the lab's File daemon restores "
        "with where= only."
    )


async def _replace(ua: UserAgent, req: RunRequest, jcr: JobControlRecord) -> None:
    names = [n for n, _ in REPLACE_OPTIONS]
    picked = await choose(ua, "Replace:\n", names, "", "Select replace option")
    if picked is not None:
        req.replace = REPLACE_OPTIONS[picked][1]


async def _jobid(ua: UserAgent, req: RunRequest, jcr: JobControlRecord) -> None:
    if req.bootstrap:
        await ua.send("You must set the bootstrap file to NULL to be able to specify a JobId.")


def parameters(jcr: JobControlRecord) -> list[tuple[str, Modifier]]:
    """The parameters ``mod`` offers for this job, in Bareos' order."""
    restore = jcr.job_type is JobType.RESTORE
    params: list[tuple[str, Modifier]] = [
        ("Level", _level),
        ("Storage", _pick_override("Storage", "storage")),
        ("Job", _job),
        ("FileSet", _pick_override("FileSet", "fileset")),
        ("Restore Client", _restore_client) if restore else ("Client", _pick_override("Client", "client")),
        ("Backup Format", _backup_format),
        ("When", _when),
        ("Priority", _priority),
    ]
    if restore:
        return params + [
            ("Bootstrap", _bootstrap),
            ("Where", _where),
            ("File Relocation", _relocation),
            ("Replace", _replace),
            ("JobId", _jobid),
            ("Plugin Options", _plugin_options),
        ]
    if jcr.job_type in (JobType.BACKUP, JobType.COPY, JobType.MIGRATE, JobType.VERIFY):
        params.append(("Pool", _pick_override("Pool", "pool")))
        if jcr.job_type in (JobType.COPY, JobType.MIGRATE) or jcr.level is JobLevel.VIRTUAL_FULL:
            params.append(("NextPool", _pick_override("Pool", "nextpool")))
        if jcr.job_type is JobType.BACKUP:
            params.append(("Plugin Options", _plugin_options))
    return params


_RESOURCE_KEYS = {"client": "Client", "fileset": "FileSet", "pool": "Pool", "nextpool": "Pool", "storage": "Storage"}


def _modify_from_args(ua: UserAgent, req: RunRequest, args: Args) -> None:
    """``mod key=value ...``: the same keywords ``run`` and ``restore`` take, applied at once."""
    for key, value in args[1:]:
        if value is None:
            raise CommandFailed(f'Missing value for keyword "{key}".')
        if key in _RESOURCE_KEYS:
            res = ua.res(_RESOURCE_KEYS[key], value)
            assert res is not None
            req.overrides[key] = res.name
        elif key == "level":
            req.overrides[key] = value
        elif key == "priority":
            if not value.isdigit() or int(value) == 0:
                raise CommandFailed("Priority must be a positive integer.")
            req.overrides[key] = value
        elif key == "job":
            res = ua.res("Job", value)
            assert res is not None
            if str(res.type).lower() != str(req.job.type).lower():
                raise CommandFailed(f'Job "{res.name}" is a {res.type} job, not a {req.job.type} job.')
            req.job = res
        elif key == "when":
            when = parse_date(value)
            if when is None:
                raise CommandFailed("Invalid time specification.")
            req.when = when
        elif key == "where":
            if not ua.acl.ok(acl.WHERE, value):
                raise CommandFailed('No authorization for "where" specification.')
            req.where = "" if value == "/" else value
        elif key == "replace":
            codes = dict(REPLACE_OPTIONS)
            if value.lower() not in codes:
                raise CommandFailed(f"Invalid replace option: {value}")
            req.replace = codes[value.lower()]
        elif key == "restoreclient":
            req.restore_client = ua.res("Client", value)
        elif key == "pluginoptions":
            req.plugin_options = value
        else:
            raise CommandFailed(f"Invalid keyword: {key}")


async def _answer(ua: UserAgent, req: RunRequest) -> str | None:
    """yes, mod or no (any prefix; an empty line is yes), or ``changed`` after ``mod
    key=value ...``; None when the user gave up."""
    for _ in range(MAX_ANSWERS):
        text = await get_cmd(ua, "OK to run? (yes/mod/no): ")
        if text is None:
            return None
        word = text.strip().lower()
        if word.startswith(("mod ", ".mod ")):
            try:
                _modify_from_args(ua, req, parse_args(text.strip()))
            except CommandFailed as exc:
                await ua.send(str(exc))
                continue
            return "changed"
        for answer in ("yes", "mod", "no"):
            if answer.startswith(word) and (word or answer == "yes"):
                return answer
        await ua.send(f"Illegal response {text}")
    return None


async def confirm_run(
    ua: UserAgent, req: RunRequest, summary: Callable[[JobControlRecord, RunRequest], str]
) -> JobControlRecord | None:
    """Show the job, ask, let ``mod`` change it; the job to queue, or None for no."""
    jcr = req.build(ua)
    for _ in range(MAX_ANSWERS):
        await ua.send(summary(jcr, req))
        answer = await _answer(ua, req)
        if answer == "yes":
            return jcr
        if answer == "changed":
            jcr = req.build(ua)
            continue
        if answer != "mod":
            return None
        params = parameters(jcr)
        picked = await choose(
            ua, "Parameters to modify:\n", [n for n, _ in params], "", "Select parameter to modify"
        )
        if picked is None:
            return None
        await params[picked][1](ua, req, jcr)
        jcr = req.build(ua)
    return None
