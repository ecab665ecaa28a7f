"""``restore``: choose the backups, mark the files, write the bootstrap, queue the Restore job.

As Bareos' ``RestoreCmd``: the JobIds come from the command line (``jobid=``, ``select``
with ``client=``/``fileset=``/``before=``) or from the numbered menu
(:mod:`.restore_select`); the files are marked in the file tree (:mod:`.tree`) unless
``done`` is given (``all`` marks everything), or named one by one with ``file=`` /
``directory=``; ``OK to run? (yes/mod/no)`` lets the user change the job before it is
queued (:mod:`.run_prompt`).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ...catalog.api import JobMediaRow, RestoreFile
from ...config import Resource
from ..bsr import FileSelection, build_bootstrap
from ..jcr import JobControlRecord
from ..job import run_job
from . import acl
from .args import Args, CommandFailed, arg, has
from .jobs import check_jcr_acl
from .prompt import choose, get_cmd
from .restore_select import Selection, Selector, check_keywords
from .run_prompt import REPLACE_OPTIONS, RunRequest, confirm_run
from .tree import RestoreTree, mark_all, select_files

if TYPE_CHECKING:
    from .commands import UserAgent

RESTORE_USAGE = (
    "restore [client=<client>] [fileset=<fileset>] [where=<path>] [before=<YYYY-MM-DD HH:MM:SS>] "
    "[jobid=<id>[,<id>...]] [file=<path>]... [directory=<dir>]... [restoreclient=<client>] "
    "[restorejob=<job>] [storage=<storage>] [replace=always|ifnewer|ifolder|never] "
    "[select] [current] [all] [done] [yes]"
)
REPLACE = dict(REPLACE_OPTIONS)
REPLACE_NAMES = {"a": "Always", "w": "IfNewer", "o": "IfOlder", "n": "Never"}
NOT_ONLINE = (
    "\n\nFor one or more of the JobIds selected, no files were found,\n"
    "so file selection is not possible.\n"
    "Most likely your retention policy pruned the files.\n"
)
_bsr_counter = 0


async def _restore_job(ua: UserAgent, args: Args) -> Resource | None:
    """``restorejob=``, the only Restore job, or one the user picks."""
    name = arg(args, "restorejob")
    if name:
        res = ua.res("Job", name)
        assert res is not None
        if str(res.type).lower() != "restore":
            raise CommandFailed(f'Job "{name}" is not a Restore job.')
        return res
    jobs = sorted(
        (j for j in ua.acl.allowed(ua.director.cfg.resources("Job")) if str(j.type).lower() == "restore"),
        key=lambda j: j.name.lower(),
    )
    if not jobs:
        raise CommandFailed(
            "No Restore Job Resource found in bareos-dir.conf.\n"
            "You must create at least one before running this command."
        )
    if len(jobs) == 1:
        return jobs[0]  # Bareos takes the only Restore job without saying so
    picked = await choose(
        ua, "The defined Restore Job resources are:\n", [j.name for j in jobs], "Job", "Select Restore Job"
    )
    return None if picked is None else jobs[picked]


async def _files_from_tree(ua: UserAgent, args: Args, sel: Selection) -> FileSelection | None:
    """Build the tree of the chosen jobs and let the user mark files (``BuildDirectoryTree``).

    With ``all done`` there is nothing to walk: the catalog's rows are marked as they stream
    by (:func:`~.tree.mark_all`), without a tree in memory."""
    director, cat = ua.director, ua.director.catalog
    ids = ",".join(map(str, sel.jobids))
    await ua.raw(f"\nBuilding directory tree for JobId(s) {ids} ...  ")
    files: list[RestoreFile] = []
    if any(job.purged_files for job in sel.jobs.values()):
        pass  # no File rows to build from
    elif has(args, "all") and has(args, "done"):
        marked = await director.db(
            mark_all, lambda ordered: cat.restore_files(sel.jobids, ordered), len(sel.jobids)
        )
        if marked.entries:
            await ua.send(f"\n{marked.inserted:,} files inserted into the tree and marked for extraction.")
            return marked.selection
    else:
        files = await director.db(lambda: list(cat.restore_files(sel.jobids)))
    if not files:
        await ua.send(NOT_ONLINE)
        if not has(args, "all"):
            answer = await get_cmd(ua, "\nDo you want to restore all the files? (yes|no): ")
            if (answer or "").lower() not in ("yes", "y"):
                return None
        return FileSelection.of({jobid: () for jobid in sel.jobids})  # every file of each job
    tree = await asyncio.to_thread(RestoreTree.build, files, has(args, "all"))  # the loop serves on
    if has(args, "all"):
        await ua.send(f"\n{tree.file_count:,} files inserted into the tree and marked for extraction.")
    else:
        await ua.send(f"\n{tree.entries:,} files inserted into the tree.")
    if not has(args, "done") and not await select_files(ua, tree):
        return None
    return tree.selection()


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


def _restore_summary(jcr: JobControlRecord, req: RunRequest) -> str:
    return "\n".join(
        [
            "Run Restore job",
            f"JobName:         {jcr.name}",
            f"Bootstrap:       {req.bootstrap_file}",
            f"Where:           {jcr.where}",
            f"Replace:         {REPLACE_NAMES[jcr.replace]}",
            f"FileSet:         {jcr.fileset.name if jcr.fileset else ''}",
            f"Backup Client:   {jcr.client.name if jcr.client else ''}",
            f"Restore Client:  {jcr.restore_client.name if jcr.restore_client else ''}",
            f"Format:          {req.backup_format}",
            f"Storage:         {jcr.storage.name if jcr.storage else ''}",
            f"When:            {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(jcr.sched_time))}",
            f"Catalog:         {jcr.job_res.get('Catalog') or 'MyCatalog'}",
            f"Priority:        {jcr.priority}",
            f"Plugin Options:  {req.plugin_options or '*None*'}",
        ]
    )


async def _backup_client(ua: UserAgent, sel: Selection) -> Resource:
    """The client the chosen files were saved from."""
    name = sel.client
    if name is None:
        first = sel.jobs.get(sel.jobids[0]) if sel.jobids else None
        if first is None:
            first = await ua.director.db(ua.director.catalog.get_job, next(iter(sel.files)))
        row = await ua.director.db(ua.director.catalog.get_client, first.client_id) if first else None
        name = row.name if row else None
    client = ua.director.cfg.get("Client", name) if name else None
    if client is None:
        raise CommandFailed(f'The Client "{name or ""}" of the chosen jobs is not in the configuration.')
    ua.check(acl.CLIENT, client.name)
    return client


async def cmd_restore(ua: UserAgent, args: Args) -> bool:
    director, cat = ua.director, ua.director.catalog
    check_keywords(args)
    where = arg(args, "where")
    if where is not None and not ua.acl.ok(acl.WHERE, where):
        raise CommandFailed('"where" specification not authorized.')
    replace = (arg(args, "replace") or "").lower()
    if replace and replace not in REPLACE:
        raise CommandFailed(f"Invalid replace option: {replace}")
    sel = await Selector(ua, args).run()
    if sel is None:
        return False
    if sel.by_file:
        wanted = FileSelection.of(sel.files)
    else:
        chosen = await _files_from_tree(ua, args, sel)
        if chosen is None:
            await ua.send("Restore not done.")
            return False
        wanted = chosen
    if not wanted:
        await ua.send("No files selected to be restored.")
        return False
    job_res = await _restore_job(ua, args)
    if job_res is None:
        return False
    jobmedia = await director.db(cat.jobmedia_for_jobs, wanted.jobs())
    for jobid in wanted.jobs():
        if not wanted.has_files(jobid):  # the whole job: every FileIndex its JobMedia covers
            rows = [jm for jm in jobmedia if jm.job_id == jobid]
            if rows:
                wanted.add_range(jobid, min(r.first_index for r in rows), max(r.last_index for r in rows))
    client = await _backup_client(ua, sel)
    req = RunRequest(job_res, {"client": client.name}, where=where if where is not None else (job_res.where or ""))
    req.replace = REPLACE[replace or str(job_res.replace).lower()]
    if arg(args, "storage"):
        req.overrides["storage"] = ua.res("Storage", arg(args, "storage")).name  # type: ignore[union-attr]
    elif storage := _volume_storage(ua, [jm for jm in jobmedia if jm.job_id in wanted]):
        req.overrides["storage"] = storage
    if arg(args, "restoreclient"):
        req.restore_client = ua.res("Client", arg(args, "restoreclient"))
    if arg(args, "comment"):
        req.overrides["comment"] = arg(args, "comment") or ""
    if arg(args, "pluginoptions"):
        req.plugin_options = arg(args, "pluginoptions")
    jcr = req.build(ua)
    if jcr.storage is None:
        raise CommandFailed("No Storage to restore from.")
    req.bootstrap = build_bootstrap(jobmedia, wanted, jcr.storage.name, jcr.storage.device[0])
    selected = wanted.count()
    req.finish = lambda j: setattr(j, "expected_files", selected)
    req.bootstrap_file = _write_bsr(ua, req.bootstrap)
    await ua.send(f"Bootstrap records written to {req.bootstrap_file}\n")
    volumes = list(dict.fromkeys(jm.volume_name for jm in jobmedia if jm.job_id in wanted))
    await ua.send(
        "\nThe job will require the following\n"
        "   Volume(s)                 Storage(s)                SD Device(s)\n"
        "===========================================================================\n"
        "   "
    )
    for volume in volumes:
        await ua.send(f"    {volume:<25} {jcr.storage.name:<25} {jcr.storage.device[0]:<25}")
    await ua.send('\nVolumes marked with "*" are online.\n\n')
    await ua.send(f"\n{selected:,} file{'s' if selected != 1 else ''} selected to be restored.\n\n")
    jcr = req.build(ua)
    check_jcr_acl(ua, jcr)
    if not has(args, "yes") and ua.api != 2:
        confirmed = await confirm_run(ua, req, _restore_summary)
        if confirmed is None:
            await ua.send("Job not run.")
            return True
        jcr = confirmed
        check_jcr_acl(ua, jcr)
    if not jcr.bootstrap or jcr.storage is None:
        raise CommandFailed("No bootstrap and storage to restore from.")
    jobid = await run_job(director, jcr)
    await ua.send(f"Job queued. JobId={jobid}")
    ua.json_result = {"run": {"jobid": str(jobid)}}
    return True
