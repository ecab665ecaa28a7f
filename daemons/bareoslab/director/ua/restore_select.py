"""How ``restore`` finds what to restore (Bareos' ``UserSelectJobidsOrFiles``): JobIds
from the command line, from the newest backups of a client before a date, or from the
numbered menu; or single files and directories looked up in the catalog."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from ...catalog.api import JobRow
from . import acl
from .args import Args, CommandFailed, arg, has
from .listing import run_sql
from .output import format_table
from .prompt import choose, get_cmd, get_date, parse_date

if TYPE_CHECKING:
    from .commands import UserAgent

P = ParamSpec("P")
T = TypeVar("T")

MENU = [
    "List last 20 Jobs run",
    "List Jobs where a given File is saved",
    "Enter list of comma separated JobIds to select",
    "Enter SQL list command",
    "Select the most recent backup for a client",
    "Select backup for a client before a specified time",
    "Enter a list of files to restore",
    "Enter a list of files to restore before a specified time",
    "Find the JobIds of the most recent backup for a client",
    "Find the JobIds for a backup for a client before a specified time",
    "Enter a list of directories to restore for found JobIds",
    "Select full restore to a specified Job date",
    "Cancel",
]
INTRO = (
    "\nFirst you select one or more JobIds that contain files\n"
    "to be restored. You will be presented several methods\n"
    "of specifying the JobIds. Then you will be allowed to\n"
    "select which files from those JobIds are to be restored.\n\n"
)
FILES_INTRO = (
    "Enter file names with paths, or < to enter a filename\n"
    "containing a list of file names with paths, and Terminate\n"
    "them with a blank line."
)
DIRS_INTRO = (
    "Enter full directory names or start the name\n"
    "with a < to indicate it is a filename containing a list\n"
    "of directories and Terminate them with a blank line."
)
#: Bareos' restore keywords; anything else is refused
KEYWORDS = frozenset(
    "jobid current before file directory select pool all fileregex client storage fileset "
    "where yes bootstrap done strip_prefix add_prefix add_suffix regexwhere restoreclient "
    "copies comment restorejob replace pluginoptions archive".split()
)
_MENU_LIMIT = 50  # menu rounds (listings go back to the menu)


@dataclass
class Selection:
    """What the user chose: JobIds to build a tree from, or files looked up one by one."""

    jobids: list[int] = field(default_factory=list)
    client: str | None = None
    files: dict[int, list[int]] = field(default_factory=dict)  # JobId -> FileIndexes
    by_file: bool = False
    jobs: dict[int, JobRow] = field(default_factory=dict)


#: Bareos' restore keywords the lab's restore does not carry out: refused, never ignored
NOT_AVAILABLE = {
    "regexwhere": "file relocation", "strip_prefix": "file relocation", "add_prefix": "file relocation",
    "add_suffix": "file relocation", "fileregex": "selecting files by regular expression",
    "pool": "choosing backups by pool", "copies": "restoring from copies", "archive": "restoring archives",
}  # fmt: skip


def check_keywords(args: Args) -> None:
    for key, value in args[1:]:
        if key not in KEYWORDS:
            raise CommandFailed(f"Unknown keyword: {key}")
        if key in NOT_AVAILABLE:
            raise CommandFailed(f"{key}: {NOT_AVAILABLE[key]} is not available in the lab's restore.")
        if value is None and key in ("jobid", "before", "file", "directory", "pool"):
            raise CommandFailed(f"Missing value for keyword: {key}")
    spelled = {k: (f"{k}={v}" if v is not None else k) for k, v in args[1:]}
    if "jobid" in spelled and ("current" in spelled or "before" in spelled):
        date = spelled.get("current") or spelled["before"]
        raise CommandFailed(
            f"A job was already explicitly chosen via '{spelled['jobid']}' which is "
            f"incompatible with choosing a job by date '{date}'"
        )
    if "current" in spelled and "before" in spelled:
        raise CommandFailed(
            f"A date was already chosen via '{spelled['current']}'. "
            f"Cannot choose another one via '{spelled['before']}'"
        )


class Selector:
    """One restore's choosing, with the console to ask and the catalog to look in."""

    def __init__(self, ua: UserAgent, args: Args) -> None:
        self.ua = ua
        self.args = args
        self.sel = Selection()
        self.now = time.time() + 1  # a job that ended in this second counts
        before = arg(args, "before")
        self.date = self.now
        if before:
            when = parse_date(before)
            if when is None:
                raise CommandFailed(f"Improper date format: {before}")
            self.date = when

    async def db(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await self.ua.director.db(fn, *args, **kwargs)

    # -- the client and its FileSet ------------------------------------------------
    async def client(self) -> str | None:
        """The client the backups were made of: ``client=`` or chosen from the catalog."""
        if self.sel.client:
            return self.sel.client
        name = arg(self.args, "client")
        if name:
            if await self.db(self.ua.director.catalog.client_id, name) is None:
                raise CommandFailed(f"invalid client argument: {name}")
            self.ua.check(acl.CLIENT, name)
            self.sel.client = name
            return name
        names = [
            n
            for n in await self.db(self.ua.director.catalog.client_names)
            if self.ua.acl.ok(acl.CLIENT, n)
        ]
        if not names:
            raise CommandFailed(
                "No clients defined. You must run a job before using this command."
            )
        picked = await choose(self.ua, "Defined Clients:\n", names, "Client", "Select the Client")
        if picked is None:
            return None
        self.sel.client = names[picked]
        return self.sel.client

    async def fileset(self, client_id: int, client: str) -> str | None:
        name = arg(self.args, "fileset")
        cat = self.ua.director.catalog
        if name:
            if not await self.db(cat.fileset_ids, name):
                raise CommandFailed(f'Error getting FileSet "{name}": no such FileSet in the catalog')
            self.ua.check(acl.FILESET, name)
            return name
        names = [
            n for n in await self.db(cat.client_filesets, client_id) if self.ua.acl.ok(acl.FILESET, n)
        ]
        picked = await choose(
            self.ua, "The defined FileSet resources are:\n", names, "FileSet", "Select FileSet resource"
        )
        if picked is None:
            await self.ua.error(f'No FileSet found for client "{client}".')
            return None
        return names[picked]

    # -- ways to find JobIds ---------------------------------------------------------
    async def backups_before(self, when: float) -> bool:
        """The newest Full of a client and FileSet before ``when``, the Differential and
        Incrementals after it (``SelectBackupsBeforeDate``); shows them."""
        cat = self.ua.director.catalog
        client = await self.client()
        if client is None:
            return False
        client_id = await self.db(cat.client_id, client) or 0
        fileset = await self.fileset(client_id, client)
        if fileset is None:
            return False
        jobs: list[JobRow] = []
        for fileset_id in await self.db(cat.fileset_ids, fileset):
            jobs = await self.db(cat.select_restore_jobs, client_id, fileset_id, when)
            if jobs:
                break
        if not jobs:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when))
            await self.ua.error(f"No Full backup before {stamp} found.")
            return False
        self.sel.jobids = [j.job_id for j in jobs]
        await self.show_jobs()
        return True

    async def show_jobs(self) -> None:
        columns, rows = await self.db(self.ua.director.catalog.jobs_by_ids, self.sel.jobids)
        await self.ua.lines(format_table(columns, rows))

    async def dependencies(self, jobids: list[int]) -> bool:
        """Each job with the Full, Differential and Incrementals it needs (``FindJobDependencies``)."""
        cat = self.ua.director.catalog
        found: list[int] = []
        for jobid in jobids:
            if jobid <= 0:
                await self.ua.error("0 is not a valid jobid")
                return False
            job = await self.db(cat.get_job, jobid)
            if job is None:
                await self.ua.error(f"Unable to get Job record for JobId={jobid}: ERR=no such job")
                return False
            started = job.start_time.timestamp() if job.start_time else self.now
            await self.ua.send(
                f"Selecting jobs to build the Full state at {job.start_time or ''}".rstrip()
            )
            chain: list[JobRow] = await self.db(
                cat.select_restore_jobs, job.client_id, job.fileset_id, started + 1
            )
            if not chain:
                await self.ua.error(
                    f"Could not determine the jobs to build the Full state at {job.start_time}"
                )
                return False
            found += [j.job_id for j in chain if j.job_id not in found]
        self.sel.jobids = found
        return True

    async def jobids_typed(self, prompt: str) -> bool:
        text = await get_cmd(self.ua, prompt)
        if not text:
            return False
        return self.take_jobids(text)

    def take_jobids(self, text: str) -> bool:
        try:
            ids = [int(p) for p in text.replace(" ", "").split(",") if p]
        except ValueError:
            raise CommandFailed("Invalid JobId in list.") from None
        self.sel.jobids += [i for i in ids if i not in self.sel.jobids]
        return bool(ids)

    # -- files and directories -------------------------------------------------------
    async def add_file(self, name: str) -> None:
        """The newest saved version of one file up to the restore's date (or among the JobIds)."""
        client = self.sel.client or ""
        path, _, base = name.rpartition("/")
        found = await self.db(
            self.ua.director.catalog.newest_saved_file,
            client,
            path + "/" if path or name.startswith("/") else "",
            base,
            self.date,
            self.sel.jobids or None,
        )
        if found is None:
            await self.ua.send(f"No database record found for: {name}")
            return
        self.sel.files.setdefault(found[0], []).append(found[1])

    async def add_directory(self, directory: str) -> None:
        if not self.sel.jobids:
            await self.ua.error("No JobId specified cannot continue.")
            return
        prefix = directory if directory.endswith("/") else directory + "/"
        cat = self.ua.director.catalog
        client_id = await self.db(cat.client_id, self.sel.client or "")
        jobs = [await self.db(cat.get_job, j) for j in self.sel.jobids]
        of_client = [j.job_id for j in jobs if j is not None and j.client_id == client_id]
        files = await self.db(lambda: list(cat.restore_files(of_client))) if of_client else []
        hits = [f for f in files if f.path.startswith(prefix)]
        if not hits:
            await self.ua.send(f"No database record found for: {directory}")
        for f in hits:
            self.sel.files.setdefault(f.job_id, []).append(f.file_index)

    async def add_table(self, table: str) -> None:
        """Every file of a restore list ``.bvfs_restore`` made."""
        found = await self.db(self.ua.director.catalog.bvfs_restore_list, table)
        if not found:
            await self.ua.error(f"No table found: {table}")
            return
        for job_id, file_index in found:
            self.sel.files.setdefault(job_id, []).append(file_index)

    async def insert(self, name: str, add: Callable[[str], Awaitable[None]]) -> None:
        """One name, ``<file`` naming a file of names, or ``?b2<n>`` naming a restore list
        (``InsertOneFileOrDir``)."""
        if name.startswith("?"):
            await self.add_table(name[1:].strip())
        elif name.startswith("<"):
            try:
                with open(name[1:], encoding="utf-8", errors="surrogateescape") as fh:
                    entries = [line.rstrip("\n") for line in fh if line.strip()]
            except OSError as exc:
                await self.ua.error(f"Cannot open file {name[1:]}: ERR={exc.strerror}")
                return
            for entry in entries:
                await add(entry)
        else:
            await add(name)

    async def read_names(
        self, intro: str, prompt: str, add: Callable[[str], Awaitable[None]]
    ) -> None:
        await self.ua.send(intro)
        for _ in range(100_000):
            name = await get_cmd(self.ua, prompt)
            if not name:
                return
            await self.insert(name, add)

    # -- the whole choice -------------------------------------------------------------
    async def run(self) -> Selection | None:
        """What to restore, or None when the user gave up or nothing was found."""
        args = self.args
        if arg(args, "jobid"):
            self.take_jobids(arg(args, "jobid") or "")
            if arg(args, "client"):
                await self.client()  # the client the files were saved from, as given
        files = [v for k, v in args[1:] if k == "file" and v]
        dirs = [v for k, v in args[1:] if k == "directory" and v]
        if files or dirs:
            return await self._by_names(files, dirs)
        if has(args, "select"):
            ok = (
                await self.dependencies(self.sel.jobids)
                if self.sel.jobids
                else await self.backups_before(self.date)
            )
            if not ok:
                return None
        elif not self.sel.jobids:
            await self.ua.send(INTRO)
            if not await self._menu():
                return None
        if self.sel.by_file:
            return self.sel
        return await self._allowed_jobs()

    async def _by_names(self, files: list[str], dirs: list[str]) -> Selection | None:
        if await self.client() is None:
            return None
        for name in files:
            await self.insert(name, self.add_file)
        for name in dirs:
            await self.insert(name, self.add_directory)
        return await self._files_allowed()

    async def _job_allowed(self, job: JobRow) -> bool:
        """The console may restore this job: its Job and its Client pass the ACLs."""
        ua, cat = self.ua, self.ua.director.catalog
        client = await self.db(cat.get_client, job.client_id) if job.client_id else None
        if ua.acl.ok(acl.JOB, job.name) and (client is None or ua.acl.ok(acl.CLIENT, client.name)):
            return True
        await ua.send(f'Access to JobId={job.job_id} (Job "{job.name}") not authorized. Not selected.')
        return False

    async def _files_allowed(self) -> Selection:
        """The files picked one by one, of the jobs the console may restore only."""
        cat = self.ua.director.catalog
        for jobid in list(self.sel.files):
            job = await self.db(cat.get_job, jobid)
            if job is None or not await self._job_allowed(job):
                del self.sel.files[jobid]
        self.sel.by_file = True
        return self.sel

    async def _menu(self) -> bool:
        """The numbered menu; True once JobIds or files are chosen."""
        ua = self.ua
        cat = ua.director.catalog
        for _ in range(_MENU_LIMIT):
            picked = await choose(
                ua,
                "To select the JobIds, you have the following choices:\n",
                MENU,
                "",
                "Select item: ",
            )
            if picked is None or picked == 12:
                return False
            if picked == 0:
                if not ua.acl.ok(acl.COMMAND, "sqlquery"):
                    raise CommandFailed("SQL query not authorized.")
                columns, rows = await self.db(cat.last_jobs)
                await ua.lines(format_table(columns, rows))
            elif picked == 1:
                client = await self.client()
                name = await get_cmd(ua, "Enter Filename (no path):") if client else None
                if client is None or name is None:
                    return False
                columns, rows = await self.db(cat.jobs_saving_file, client, name)
                await ua.lines(format_table(columns, rows))
            elif picked == 2:
                return await self.jobids_typed("Enter JobId(s), comma separated, to restore: ")
            elif picked == 3:
                if not ua.acl.ok(acl.COMMAND, "sqlquery"):
                    raise CommandFailed("SQL query not authorized.")
                sql = await get_cmd(ua, "Enter SQL list command: ")
                if sql is None:
                    return False
                columns, rows = await run_sql(ua, sql)
                await ua.lines(format_table(columns, rows))
            elif picked in (4, 8):
                if not await self.backups_before(self.now):
                    return False
                if picked == 4:
                    return True
            elif picked in (5, 9):
                when = await get_date(ua)
                if when is None or not await self.backups_before(when):
                    return False
                if picked == 5:
                    return True
            elif picked in (6, 7):
                when = await get_date(ua) if picked == 7 else self.now
                if when is None or await self.client() is None:
                    return False
                self.date = when
                await self.read_names(FILES_INTRO, "Enter full filename: ", self.add_file)
                await self._files_allowed()
                return True
            elif picked == 10:
                if self.sel.jobids:
                    ids = ",".join(map(str, self.sel.jobids))
                    await ua.send(f"You have already selected the following JobIds: {ids}")
                elif not await self.jobids_typed("Enter JobId(s), comma separated, to restore: "):
                    return False
                if await self.client() is None:
                    return False
                await self.read_names(DIRS_INTRO, "Enter directory name: ", self.add_directory)
                await self._files_allowed()
                return True
            elif picked == 11:
                text = await get_cmd(ua, "Enter JobId to get the state to restore: ")
                if not text or not text.isdigit():
                    return False
                return await self.dependencies([int(text)])
        return False

    async def _allowed_jobs(self) -> Selection | None:
        """The chosen jobs the console may restore (Job ACL), with their rows."""
        ua, cat = self.ua, self.ua.director.catalog
        allowed: list[int] = []
        for jobid in self.sel.jobids:
            job = await self.db(cat.get_job, jobid)
            if job is None:
                await ua.error(f"Unable to get Job record for JobId={jobid}: ERR=no such job")
                return None
            if not await self._job_allowed(job):
                continue
            allowed.append(jobid)
            self.sel.jobs[jobid] = job
        self.sel.jobids = allowed
        if not allowed:
            await ua.send("No Jobs selected.")
            return None
        ids = ",".join(map(str, allowed))
        await ua.send(f"You have selected the following JobId{'s' if len(allowed) > 1 else ''}: {ids}")
        return self.sel
