"""``restore``: choose the backups, mark the files, write the bootstrap, queue the Restore job.

Forms: ``restore client=C [fileset=F] [where=/p] [before=T] select all done [yes]``,
``restore jobid=N[,M] all done``, with ``file=<path>`` / ``directory=<dir>`` to
mark only some files and ``restoreclient=`` to restore to another client.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...catalog.api import JobMediaRow, RestoreFile
from ...config import Resource
from ..bsr import build_bootstrap
from ..job import RunError, new_jcr, run_job
from . import acl
from .args import Args, CommandFailed, UsageError, arg, has, int_list_arg
from .jobs import check_jcr_acl

if TYPE_CHECKING:
    from .commands import UserAgent

RESTORE_USAGE = (
    "restore client=<client> [fileset=<fileset>] [where=<path>] [before=<YYYY-MM-DD HH:MM:SS>] "
    "[file=<path>]... [directory=<dir>]... [restoreclient=<client>] [restorejob=<job>] "
    "[storage=<storage>] [replace=always|ifnewer|ifolder|never] select all done [yes] "
    "| restore jobid=<id>[,<id>...] all done [yes]"
)
REPLACE = {"always": "a", "ifnewer": "w", "ifolder": "o", "never": "n"}
REPLACE_NAMES = {"a": "Always", "w": "IfNewer", "o": "IfOlder", "n": "Never"}
_bsr_counter = 0


def _restore_job(ua: UserAgent, args: Args) -> Resource:
    name = arg(args, "restorejob")
    if name:
        res = ua.res("Job", name)
        assert res is not None
        if str(res.type).lower() != "restore":
            raise CommandFailed(f'Job "{name}" is not a Restore job.')
        return res
    jobs = [
        j
        for j in ua.acl.allowed(ua.director.cfg.resources("Job"))
        if str(j.type).lower() == "restore"
    ]
    if not jobs:
        raise CommandFailed(
            "No Restore Job resource found in bareos-dir.conf (or none allowed to this console)."
        )
    return jobs[0]


async def _select_jobids(
    ua: UserAgent, args: Args, job_res: Resource
) -> tuple[list[int], Resource]:
    """The JobIds to restore from and the client they backed up."""
    director, cfg, cat = ua.director, ua.director.cfg, ua.director.catalog
    if arg(args, "jobid"):
        jobids = int_list_arg(args, "jobid")
        if not jobids:
            raise UsageError("")
        first = await director.db(cat.get_job, jobids[0])
        if first is None:
            raise CommandFailed(f"No Job found for JobId {jobids[0]}.")
        ua.check(acl.JOB, first.name)
        client_row = await director.db(cat.get_client, first.client_id)
        client = cfg.get("Client", client_row.name) if client_row else None
        if client is None:
            raise CommandFailed(f"The Client of JobId {jobids[0]} is not in the configuration.")
        ua.check(acl.CLIENT, client.name)
        return jobids, client
    if not arg(args, "client"):
        raise UsageError("")
    client = ua.res("Client", arg(args, "client"))
    assert client is not None
    fileset_name = arg(args, "fileset") or job_res.fileset
    if fileset_name:
        ua.res("FileSet", fileset_name)
    before = None
    if arg(args, "before"):
        try:
            before = time.mktime(time.strptime(arg(args, "before") or "", "%Y-%m-%d %H:%M:%S"))
        except ValueError:
            raise CommandFailed(f"Invalid before= time: {arg(args, 'before')}") from None
    client_id = await director.db(cat.client_id, client.name)
    for fileset_id in await director.db(cat.fileset_ids, fileset_name):
        jobs = await director.db(cat.select_restore_jobs, client_id or 0, fileset_id, before)
        if jobs:
            return [j.job_id for j in jobs], client
    raise CommandFailed(
        f"No Full backup before {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(before))} "
        f'found for Client "{client.name}" and FileSet "{fileset_name}".'
    )


def _mark(files: list[RestoreFile], args: Args) -> list[RestoreFile]:
    """All files, or those named by ``file=`` / under ``directory=``."""
    names = [v for k, v in args[1:] if k == "file" and v]
    dirs = [v if v.endswith("/") else v + "/" for k, v in args[1:] if k == "directory" and v]
    if not names and not dirs:
        return files
    wanted = set(names)
    return [
        f for f in files if f.path + f.name in wanted or any(f.path.startswith(d) for d in dirs)
    ]


def _write_bsr(ua: UserAgent, text: str) -> str:
    global _bsr_counter
    _bsr_counter += 1
    path = (
        Path(ua.director.res.working_directory) / f"{ua.director.name}.restore.{_bsr_counter}.bsr"
    )
    try:
        path.write_text(text)
    except OSError as exc:
        raise CommandFailed(f"Cannot write bootstrap {path}: {exc}") from exc
    return str(path)


def _volume_storage(ua: UserAgent, jobmedia: list[JobMediaRow]) -> str | None:
    """The Storage holding the volumes to read (the catalog's Media.StorageId), as Bareos
    reads a migrated or copied job from where it was written, not from the Job's storage."""
    names = sorted({jm.storage for jm in jobmedia if jm.storage})
    if len(names) > 1:
        raise CommandFailed(
            f"The selected files are on volumes of {len(names)} storages ({', '.join(names)}); "
            "restore the jobs of one storage at a time, or name one with storage=."
        )
    if names and ua.director.cfg.get("Storage", names[0]) is not None:
        return names[0]
    return None


async def cmd_restore(ua: UserAgent, args: Args) -> bool:
    director, cat = ua.director, ua.director.catalog
    job_res = _restore_job(ua, args)
    where = arg(args, "where")
    ua.check(acl.WHERE, where or "")
    jobids, client = await _select_jobids(ua, args, job_res)
    ids = ",".join(map(str, jobids))
    await ua.send(f"You have selected the following JobId{'s' if len(jobids) > 1 else ''}: {ids}")
    await ua.send(f"\nBuilding directory tree for JobId(s) {ids} ...")
    files: list[RestoreFile] = await director.db(lambda: list(cat.restore_files(jobids)))
    await ua.send(
        f"{len(files)} files inserted into the tree{'' if has(args, 'file') else ' and marked for extraction'}."
    )
    files = _mark(files, args)
    if not files:
        raise CommandFailed("No files selected to be restored.")
    wanted: dict[int, list[int]] = {}
    for f in files:
        wanted.setdefault(f.job_id, []).append(f.file_index)
    jobmedia = await director.db(cat.jobmedia_for_jobs, list(wanted))
    overrides: dict[str, Any] = {"client": client.name}
    if arg(args, "storage"):
        overrides["storage"] = ua.res("Storage", arg(args, "storage")).name  # type: ignore[union-attr]
    elif storage := _volume_storage(ua, [jm for jm in jobmedia if jm.job_id in wanted]):
        overrides["storage"] = storage
    try:
        jcr = new_jcr(director, job_res, **overrides)
    except RunError as exc:
        raise CommandFailed(str(exc)) from exc
    if jcr.storage is None:
        raise CommandFailed("No Storage to restore from.")
    restore_client = (
        ua.res("Client", arg(args, "restoreclient")) if arg(args, "restoreclient") else None
    )
    jcr.restore_client = restore_client or client
    check_jcr_acl(ua, jcr)
    jcr.bootstrap = build_bootstrap(jobmedia, wanted, jcr.storage.name, jcr.storage.device[0])
    jcr.expected_files = len(files)
    jcr.where = where if where is not None else (job_res.where or "")
    replace = (arg(args, "replace") or str(job_res.replace)).lower()
    if replace not in REPLACE:
        raise CommandFailed(f"Invalid replace option: {replace}")
    jcr.replace = REPLACE[replace]
    bsr = _write_bsr(ua, jcr.bootstrap)
    await ua.send(f"Bootstrap records written to {bsr}\n")
    volumes = sorted({jm.volume_name for jm in jobmedia if jm.job_id in wanted})
    await ua.send(
        "The job will require the following\n"
        "   Volume(s)                 Storage(s)                SD Device(s)\n"
        "===========================================================================\n"
    )
    for volume in volumes:
        await ua.send(f"    {volume:<25} {jcr.storage.name:<25} {jcr.storage.device[0]}")
    await ua.send('\nVolumes marked with "*" are online.\n\n')
    await ua.send(f"{len(files)} file{'s' if len(files) != 1 else ''} selected to be restored.\n")
    if not has(args, "yes") and ua.api != 2:
        await ua.send(
            "\n".join(
                [
                    "Run Restore job",
                    f"JobName:         {jcr.name}",
                    f"Bootstrap:       {bsr}",
                    f"Where:           {jcr.where}",
                    f"Replace:         {REPLACE_NAMES[jcr.replace]}",
                    f"FileSet:         {jcr.fileset.name if jcr.fileset else ''}",
                    f"Backup Client:   {client.name}",
                    f"Restore Client:  {jcr.restore_client.name}",
                    "Format:          Native",
                    f"Storage:         {jcr.storage.name}",
                    f"When:            {time.strftime('%Y-%m-%d %H:%M:%S')}",
                    f"Catalog:         {director.catalog_res.name}",
                    f"Priority:        {jcr.priority}",
                    "Plugin Options:  *None*",
                ]
            )
        )
        if not await ua.confirm("OK to run? (yes/mod/no): "):
            await ua.send("Job not run.")
            return True
    jobid = await run_job(director, jcr)
    await ua.send(f"Job queued. JobId={jobid}")
    ua.json_result = {"run": {"jobid": str(jobid)}}
    return True
