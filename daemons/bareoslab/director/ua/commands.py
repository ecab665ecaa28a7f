"""The console session (``UserAgent``) and the command table.

``COMMANDS`` is the single dispatch table (name, handler, help, usage) in
Bareos' table order: the first word of a line is matched as a case-insensitive
prefix, the first hit wins (``mes`` -> ``messages``, ``ll`` -> ``llist``).
The handlers live in ``ua_*`` modules by subject; the session commands
(help, version, messages, wait, ...) are here.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
from typing import TYPE_CHECKING, Any

from ...catalog.errors import DatabaseError
from ...codes import JOB_STATUS_LONG, JobStatus
from ...config import Resource
from ...net.auth import DEFAULT_CONSOLE
from ...net.errors import ProtocolError
from ...net.framing import Connection, Signal, decode_text
from ...net.trace import redact
from ...version import VERSION, VERSION_DATE
from . import acl
from .args import Args, Command, CommandFailed, Handler, UsageError, arg, has, int_arg, parse_args
from .jobs import RERUN_USAGE, RUN_USAGE, cmd_cancel, cmd_rerun, cmd_run
from .keywords import (
    dot_actiononpurge,
    dot_catalogs,
    dot_consoles,
    dot_levels,
    dot_locations,
    dot_media,
    dot_mediatypes,
    dot_profiles,
    dot_schedule,
    dot_types,
    dot_users,
    dot_volstatus,
)
from .listing import (
    LIST_USAGE,
    cmd_list,
    cmd_llist,
    cmd_sqlquery,
    dot_clients,
    dot_filesets,
    dot_jobs,
    dot_pools,
    dot_sql,
    dot_storages,
)
from .misc import (
    cmd_automount,
    cmd_changer,
    cmd_create,
    cmd_gui,
    cmd_memory,
    cmd_resolve,
    cmd_setip,
    cmd_time,
    cmd_trace,
    cmd_use,
    cmd_var,
    dot_authorized,
    dot_defaults,
    dot_jobdefs,
    dot_jobstatus,
    dot_msgs,
    dot_noop,
)
from .restore import RESTORE_USAGE, cmd_restore
from .schedule import ENABLE_USAGE, cmd_disable, cmd_enable
from .status import cmd_status, dot_status
from .usage import (
    ADD_USAGE,
    CONFIGURE_USAGE,
    ESTIMATE_USAGE,
    MOUNT_USAGE,
    RELABEL_USAGE,
    RELEASE_USAGE,
    SETBANDWIDTH_USAGE,
    SHOW_USAGE,
    TRUNCATE_USAGE,
    UNMOUNT_USAGE,
    UPDATE_USAGE,
)

if TYPE_CHECKING:
    from ..daemon import Director

log = logging.getLogger(__name__)

ANSWER_TIMEOUT = 3600.0


class UserAgent:
    """One console session: API mode, the connection, the console's ACLs, pending errors."""

    def __init__(self, director: Director, conn: Connection, console: Resource | None) -> None:
        self.director = director
        self.conn = conn
        self.console = console
        self.acl = acl.Acl(director.cfg, console)
        self.api = 0
        self.compact = False
        self.autodisplay = False
        self.notified = False
        self.json_result: Any = {}
        self.errors: list[str] = []
        self.command: Command | None = None
        self.line = ""
        self.gui = False  # set by ``gui on``; kept for consoles that ask
        self.catalog_chosen = False
        self.catalog_open: set[bool] = set()  # which connections (private or shared) are open
        self.automount = True  # ``automount on|off``: mount after label

    @property
    def name(self) -> str:
        return self.console.name if self.console is not None else DEFAULT_CONSOLE

    # -- output ------------------------------------------------------------------
    async def send(self, text: str) -> None:
        """Text for the user; suppressed in api 2, where the JSON result says it all."""
        if self.api == 2:
            return
        await self.conn.send(text if text.endswith("\n") else text + "\n")

    async def raw(self, text: str) -> None:
        """Text passed on as it is (a daemon's answer); suppressed in api 2."""
        if self.api != 2 and text:
            await self.conn.send(text)

    async def lines(self, lines: list[str]) -> None:
        for line in lines:
            await self.send(line)

    async def error(self, text: str) -> None:
        """An error message: a text line (after ERROR_MSG in api 1), or part of the JSON error."""
        text = text if text.endswith("\n") else text + "\n"
        self.errors.append(text)
        if self.api == 1:
            await self.conn.signal(Signal.ERROR_MSG)
        if self.api != 2:
            await self.conn.send(text)

    async def ask(self, question: str) -> str:
        """Ask the console one question and return its answer (SUB_PROMPT)."""
        await self.conn.send(question)
        await self.conn.signal(Signal.SUB_PROMPT)
        while True:
            msg = await self.conn.recv(timeout=ANSWER_TIMEOUT)
            if isinstance(msg, Signal):
                if msg is Signal.TERMINATE:
                    raise ProtocolError("console closed the connection while asked a question")
                continue
            return decode_text(msg).strip()

    async def confirm(self, question: str) -> bool:
        """A yes/no question; api 2 (batch) means yes."""
        if self.api == 2:
            return True
        return (await self.ask(question)).lower() in ("yes", "y", "")

    # -- resources -----------------------------------------------------------------
    def res(self, rtype: str, name: str | None, *, required: bool = True) -> Resource | None:
        """The named resource if it exists and the console's ACL allows it."""
        if not name:
            if required:
                raise CommandFailed(f"No {rtype} specified.")
            return None
        found = self.director.cfg.get(rtype, name)
        if found is None:
            raise CommandFailed(f'{rtype} "{name}" not found.')
        if not self.acl.resource_ok(found):
            raise CommandFailed(
                f'{rtype} "{name}": access denied by the {acl.RESOURCE_ACL.get(rtype, acl.COMMAND)} '
                f'of console "{self.name}".'
            )
        return found

    def pick(self, args: Args, rtype: str, key: str) -> Resource:
        """The resource ``key=`` names, or the only one of its type the console may use."""
        name = arg(args, key)
        if name:
            res = self.res(rtype, name)
            assert res is not None
            return res
        allowed = self.acl.allowed(self.director.cfg.resources(rtype))
        if len(allowed) != 1:
            raise UsageError(f"Please give {key}=<name>.")
        return allowed[0]

    def check(self, kind: str, item: str) -> None:
        if not self.acl.ok(kind, item):
            raise CommandFailed(f'"{item}": access denied by the {kind} of console "{self.name}".')

    async def open_catalog(self, private: bool, args: Args | None = None) -> None:
        """What Bareos says when a console session first uses the catalog (``OpenClientDb``,
        ``OpenDb``): the Catalog chosen (silently when ``catalog=``, ``client=`` or ``job=``
        name one), and ``Using Catalog`` once for the shared and once for the private
        connection (api 0 only)."""
        if private in self.catalog_open:
            return
        self.catalog_open.add(private)
        name = self.director.catalog_res.name
        named = any(
            v and self.director.cfg.get(rtype, v) is not None
            for k, v in (args or [])[1:]
            for key, rtype in (("catalog", "Catalog"), ("client", "Client"), ("job", "Job"))
            if k == key
        )
        if named:
            self.catalog_chosen = True
        if self.api:
            return
        if not self.catalog_chosen:
            self.catalog_chosen = True
            await self.send(f"Automatically selected Catalog: {name}")
        await self.send(f'Using Catalog "{name}"')

    # -- the command loop ------------------------------------------------------------
    async def execute(self, line: str) -> bool:
        """Run one command line; False ends the session."""
        was_api = self.api
        self.json_result, self.errors = {}, []
        if not line:
            await self._finish(True, was_api)
            return True
        args = parse_args(line)
        self.line = line  # as typed, for commands that take free text (var)
        name = args[0][0]
        command = lookup(name)
        if command is None or not self.acl.ok(acl.COMMAND, command.name):
            if command is not None:
                log.warning(
                    'console "%s": command %s refused by its Command ACL', self.name, command.name
                )
            await self.error(f"{name}: is an invalid command.")
            await self._finish(False, was_api)
            return True
        if command.name in ("quit", "exit", ".quit"):
            return False
        if was_api:
            await self.conn.signal(Signal.CMD_BEGIN)
        self.command = command
        try:
            if command.name in CATALOG_COMMANDS:
                await self.open_catalog(CATALOG_COMMANDS[command.name], args)
            ok = await command.handler(self, args)
        except UsageError as exc:
            await self.error(
                f"{exc}\nUsage: {command.usage}" if str(exc) else f"Usage: {command.usage}"
            )
            ok = False
        except CommandFailed as exc:
            await self.error(str(exc))
            ok = False
        except ProtocolError:
            raise
        except DatabaseError as exc:  # the catalog refused: said, no traceback (nothing of ours broke)
            log.warning("console command %r: %s", redact(line), exc)
            await self.error(f"{command.name}: the catalog failed: {exc}")
            ok = False
        except Exception as exc:  # one bad command must not end the console session
            log.exception("console command %r failed", redact(line))
            await self.error(f"{command.name}: command failed: {exc}")
            ok = False
        await self._finish(ok and not self.errors, was_api)
        return True

    async def _finish(self, ok: bool, was_api: int) -> None:
        pending = bool(self.director.msgs.console_queue)
        if pending and self.autodisplay and self.api != 2:
            for text in self.director.msgs.take_console_messages():
                await self.send(text)  # as queued: a job report ends with a blank line
            pending = False
        if self.api == 0:
            if pending and not self.notified and was_api == 0:
                await self.conn.send("You have messages.\n")
                self.notified = True
            await self.conn.signal(Signal.EOD)
            return
        await self.conn.signal(Signal.CMD_OK if ok else Signal.CMD_FAILED)
        if self.api == 2:
            await self.conn.send(self.json_envelope(ok))
        if pending and not self.notified:
            await self.conn.signal(Signal.MSGS_PENDING)
            self.notified = True

    def json_envelope(self, ok: bool) -> str:
        if ok:
            body: dict[str, Any] = {"jsonrpc": "2.0", "id": None, "result": self.json_result}
        else:
            body = {
                "jsonrpc": "2.0",
                "id": None,
                "error": {
                    "code": 1,
                    "message": "failed",
                    "data": {"result": self.json_result, "messages": {"error": self.errors}},
                },
            }
        if self.compact:
            return json.dumps(body, separators=(",", ":"), default=str)
        return json.dumps(body, indent=2, default=str)


def lookup(word: str) -> Command | None:
    """Exact name first, then the first command (in table order) the word is a prefix of."""
    word = word.lower()
    if word in COMMANDS:
        return COMMANDS[word]
    return next((c for c in TABLE if c.name.startswith(word)), None) if word else None


# -- session commands ----------------------------------------------------------------


async def cmd_help(ua: UserAgent, args: Args) -> bool:
    topic = args[1][0] if len(args) > 1 else ""
    if topic:
        command = lookup(topic)
        if command is None:
            raise CommandFailed(f"{topic}: is an invalid command.")
        await ua.send(
            f"  Command            Description\n  =======            ===========\n"
            f"  {command.name:<18} {command.help}\n\nArguments:\n\t{command.usage}"
        )
        ua.json_result = {
            "help": {
                command.name: {
                    "command": command.name,
                    "description": command.help,
                    "arguments": command.usage,
                }
            }
        }
        return True
    await ua.send("  Command            Description\n  =======            ===========")
    shown = {}
    for c in TABLE:
        if not c.name.startswith(".") and ua.acl.ok(acl.COMMAND, c.name):
            await ua.send(f"  {c.name:<18} {c.help}")
            shown[c.name] = {"command": c.name, "description": c.help, "arguments": c.usage}
    await ua.send("\nWhen at a prompt, entering a period (.) cancels the command.")
    ua.json_result = {"help": shown}
    return True


async def dot_help(ua: UserAgent, args: Args) -> bool:
    """Parsable help (Bareos' ``DotHelpCmd``): ``item=<cmd>`` its arguments, ``all`` the
    command names (no dot commands), nothing: every command with its help and arguments;
    ``full`` includes what the console may not use."""
    full = has(args, "full")
    item = arg(args, "item")
    if item:
        command = COMMANDS.get(item)
        if command is not None:
            await ua.send(command.usage)
            ua.json_result = {command.name: {"command": command.name, "description": command.help,
                                             "arguments": command.usage,
                                             "permission": ua.acl.ok(acl.COMMAND, command.name)}}
        return True
    result: dict[str, Any] = {}
    for command in TABLE:
        allowed = ua.acl.ok(acl.COMMAND, command.name)
        if not (full or allowed) or (has(args, "all") and command.name.startswith(".")):
            continue
        await ua.send(command.name if has(args, "all") else f"{command.name} {command.help} -- {command.usage}")
        result[command.name] = {"command": command.name, "description": command.help,
                                "arguments": command.usage, "permission": allowed}
    ua.json_result = result
    return True


async def cmd_version(ua: UserAgent, args: Args) -> bool:
    await ua.send(f"{ua.director.name} Version: {VERSION} ({VERSION_DATE}) bareoslab")
    ua.json_result = {
        "version": {
            "name": ua.director.name,
            "type": "bareos-director",
            "version": VERSION,
            "bdate": VERSION_DATE,
            "operatingsystem": "Linux",
            "distname": "bareoslab",
            "distversion": "",
            "customversionid": "",
        }
    }
    return True


async def cmd_quit(ua: UserAgent, args: Args) -> bool:
    return True


async def cmd_whoami(ua: UserAgent, args: Args) -> bool:
    who = "root" if ua.console is None else ua.console.name
    await ua.send(who)
    ua.json_result = {"whoami": who}
    return True


async def cmd_api(ua: UserAgent, args: Args) -> bool:
    modes = {"0": 0, "off": 0, "1": 1, "on": 1, "2": 2, "json": 2}
    mode = args[1][0] if len(args) > 1 and args[1][1] is None else "on"
    if mode not in modes:
        raise UsageError(f"Invalid API mode {mode}.")
    ua.api = modes[mode]
    compact = arg(args, "compact")
    if compact is not None:
        ua.compact = compact.lower() in ("yes", "1", "true")
    await ua.send(f"api: {ua.api}")  # Bareos says the mode it switched to
    ua.json_result = {"api": ua.api}
    return True


async def cmd_autodisplay(ua: UserAgent, args: Args) -> bool:
    word = args[1][0] if len(args) > 1 else ""
    if word not in ("on", "off"):
        raise UsageError("")
    ua.autodisplay = word == "on"
    return True


async def cmd_messages(ua: UserAgent, args: Args) -> bool:
    lines = ua.director.msgs.take_console_messages()
    ua.notified = False
    if not lines and ua.command is not None and ua.command.name == "messages":
        await ua.send("You have no messages.")
    for text in lines:
        await ua.send(text)  # as queued: a job report ends with a blank line
    ua.json_result = {"messages": [t.rstrip("\n") for t in lines]} if ua.api == 2 else {}
    return True


def _exit_status(status: JobStatus | None) -> int:
    if status is None:
        return 3
    if status.ok:
        return 0
    if status is JobStatus.ERROR:
        return 1
    return 2


async def cmd_wait(ua: UserAgent, args: Args) -> bool:
    director = ua.director
    jobid = int_arg(args, "jobid")
    timeout = float(arg(args, "timeout") or 0) or None
    job_name = arg(args, "job") or arg(args, "ujobid")
    if job_name and jobid is None:
        jcr = next((j for j in director.jobs.values() if job_name in (j.name, j.job)), None)
        jobid = jcr.jobid if jcr else None
        if jobid is None:
            row = await director.db(director.catalog.get_job_by_name, job_name)
            jobid = row.job_id if row else 0
    if jobid is not None:
        jcr = director.jobs.get(jobid)
        status: JobStatus | None = None
        if jcr is not None:
            try:
                await asyncio.wait_for(jcr.done.wait(), timeout)
            except TimeoutError:
                pass
            status = jcr.status
        else:
            row = await director.db(director.catalog.get_job, jobid)
            status = JobStatus(row.job_status) if row else None
        long = JOB_STATUS_LONG.get(status, "Unknown term code") if status else "Unknown"
        await ua.send(f"JobId={jobid}\nJobStatus={long} ({status.value if status else '?'})")
        ua.json_result = {
            "job": {
                "jobid": jobid,
                "jobstatuslong": long,
                "jobstatus": status.value if status else "?",
                "exitstatus": _exit_status(status),
            }
        }
        return True
    try:
        async with asyncio.timeout(timeout):
            while pending := [j.done.wait() for j in director.jobq.unfinished()]:
                await asyncio.gather(*pending)
                await asyncio.sleep(0)
    except TimeoutError:
        pass
    return True


async def cmd_setdebug(ua: UserAgent, args: Args) -> bool:
    """Accepted for scripts that call it; the lab's debug level is set with ``-d``."""
    level = int_arg(args, "level")
    if level is None:
        raise UsageError("")
    await ua.send(f"level={level} trace=0 hangup=0 blowup=0 timestamp=0 tracefilename=")
    return True


LATER: list[tuple[str, str]] = []  # (module, handler) of the commands imported when first run


def _later(module: str, name: str) -> Handler:
    """The handler ``name`` of ``ua.<module>``, imported when the command first runs: the
    Director does not hold the modules of commands a session never uses (bvfs, configure,
    label, update, ...); their usage lines are in :mod:`.usage`."""
    LATER.append((module, name))

    async def handler(ua: UserAgent, args: Args) -> bool:
        command: Handler = getattr(importlib.import_module(f".{module}", __package__), name)
        return await command(ua, args)

    handler.__name__ = handler.__qualname__ = name
    return handler


TABLE: list[Command] = [
    Command(".", dot_noop, "no op", "."),
    Command(".actiononpurge", dot_actiononpurge, "List possible actions on purge", ".actiononpurge"),
    Command(
        ".api",
        cmd_api,
        "Switch between different API modes",
        ".api [0|1|2|off|on|json] [compact=yes|no]",
    ),
    Command(
        ".authorized",
        dot_authorized,
        "Check for authorization",
        ".authorized job=<job-name> | client=<client-name> | storage=<storage-name> | schedule=<schedule-name> "
        "| pool=<pool-name> | cmd=<command> | fileset=<fileset-name> | catalog=<catalog>",
    ),
    Command(".catalogs", dot_catalogs, "List all catalog resources", ".catalogs"),
    Command(".clients", dot_clients, "List all client resources", ".clients"),
    Command(".consoles", dot_consoles, "List all console resources", ".consoles"),
    Command(".users", dot_users, "List all user resources", ".users"),
    Command(
        ".defaults",
        dot_defaults,
        "Get default settings",
        ".defaults job=<job-name> | client=<client-name> | storage=<storage-name> | pool=<pool-name>",
    ),
    Command(".filesets", dot_filesets, "List all filesets", ".filesets"),
    Command(
        ".help",
        dot_help,
        "Print parsable information about a command",
        ".help [all] [item=<cmd>] [full]",
    ),
    Command(".jobdefs", dot_jobdefs, "List all job defaults resources", ".jobdefs"),
    Command(".jobs", dot_jobs, "List all job resources", ".jobs [type=<jobtype>]"),
    Command(".jobstatus", dot_jobstatus, "List jobstatus information", ".jobstatus [=<jobstatus>]"),
    Command(".levels", dot_levels, "List all backup levels", ".levels [<jobtype>]"),
    Command(".locations", dot_locations, "List all locations", ".locations"),
    Command(".messages", cmd_messages, "Display pending messages", ".messages"),
    Command(".media", dot_media, "List all medias", ".media"),
    Command(".mediatypes", dot_mediatypes, "List all media types", ".mediatypes"),
    Command(".msgs", dot_msgs, "List all message resources", ".msgs"),
    Command(".pools", dot_pools, "List all pool resources", ".pools [type=<pooltype>]"),
    Command(".profiles", dot_profiles, "List all profile resources", ".profiles"),
    Command(".quit", cmd_quit, "Close connection", ".quit"),
    Command(".sql", dot_sql, "Send an arbitrary SQL command", '.sql query="<sqlquery>"'),
    Command(".schedule", dot_schedule, "List all schedule resources", ".schedule [enabled | disabled]"),
    Command(".status", dot_status, "Report status", ".status dir (running|terminated)"),
    Command(".storages", dot_storages, "List all storage resources", ".storages"),
    Command(".types", dot_types, "List all job types", ".types"),
    Command(".volstatus", dot_volstatus, "List all volume status", ".volstatus"),
    Command(
        ".bvfs_lsdirs",
        _later("bvfs", "dot_bvfs_lsdirs"),
        "List directories using BVFS",
        ".bvfs_lsdirs jobid=<jobid> path=<path> | pathid=<pathid> [limit=<limit>] [offset=<offset>]",
    ),
    Command(
        ".bvfs_lsfiles",
        _later("bvfs", "dot_bvfs_lsfiles"),
        "List files using BVFS",
        ".bvfs_lsfiles jobid=<jobid> path=<path> | pathid=<pathid> [limit=<limit>] [offset=<offset>]",
    ),
    Command(".bvfs_update", _later("bvfs", "dot_bvfs_update"), "Update BVFS cache", ".bvfs_update [jobid=<jobid>]"),
    Command(
        ".bvfs_get_jobids",
        _later("bvfs", "dot_bvfs_get_jobids"),
        "Get jobids required for a restore",
        ".bvfs_get_jobids jobid=<jobid> | ujobid=<unique-jobid> [all]",
    ),
    Command(
        ".bvfs_versions",
        _later("bvfs", "dot_bvfs_versions"),
        "List versions of a file",
        ".bvfs_versions jobid=0 client=<client-name> pathid=<path-id> filename=<file-name> "
        "[copies] [versions]",
    ),
    Command(
        ".bvfs_restore",
        _later("bvfs", "dot_bvfs_restore"),
        "Mark BVFS files/directories for restore. Stored in handle.",
        ".bvfs_restore path=<handle> jobid=<jobid> [fileid=<file-id>] [dirid=<dirid>] "
        "[hardlink=<hardlink>]",
    ),
    Command(
        ".bvfs_cleanup",
        _later("bvfs", "dot_bvfs_cleanup"),
        "Cleanup BVFS cache for a certain handle",
        ".bvfs_cleanup path=<handle>",
    ),
    Command(".bvfs_clear_cache", _later("bvfs", "dot_bvfs_clear_cache"), "Clear BVFS cache", ".bvfs_clear_cache yes"),
    Command("add", _later("label", "cmd_add"), "Add media to a pool", ADD_USAGE),
    Command("autodisplay", cmd_autodisplay, "Autodisplay console messages", "autodisplay on|off"),
    Command("automount", cmd_automount, "Automount after label", "automount on|off"),
    Command(
        "cancel",
        cmd_cancel,
        "Cancel a job",
        "cancel jobid=<number> | job=<job-name> | ujobid=<unique-job-name> | all [yes]",
    ),
    Command("configure", _later("configure", "cmd_configure"), "Configure director resources", CONFIGURE_USAGE),
    Command("create", cmd_create, "Create DB Pool from resource", "create pool=<pool-name>"),
    Command(
        "delete",
        _later("update", "cmd_delete"),
        "Delete volume, pool or job",
        "delete volume=<volume-name> [yes] | jobid=<jobid>[,...]",
    ),
    Command("disable", cmd_disable, "Disable a job/client/schedule", ENABLE_USAGE),
    Command("enable", cmd_enable, "Enable a job/client/schedule", ENABLE_USAGE),
    Command("estimate", _later("estimate", "cmd_estimate"), "Performs FileSet estimate, listing gives full listing", ESTIMATE_USAGE),
    Command("exit", cmd_quit, "Terminate Bconsole session", "exit"),
    Command(
        "export",
        cmd_changer,
        "Export volumes from normal slots to import/export slots",
        "export storage=<storage-name> srcslots=<slot-selection> [dstslots=<slot-selection> volume=<volume-name> scan]",
    ),
    Command(
        "gui",
        cmd_gui,
        "Switch between interactive (gui off) and non-interactive (gui on) mode",
        "gui on|off",
    ),
    Command("help", cmd_help, "Print help on specific command", "help [<command>]"),
    Command(
        "import",
        cmd_changer,
        "Import volumes from import/export slots to normal slots",
        "import storage=<storage-name> [srcslots=<slot-selection> dstslots=<slot-selection> volume=<volume-name> scan]",
    ),
    Command(
        "label",
        _later("label", "cmd_label"),
        "Label a tape",
        "label volume=<volume-name> storage=<storage> pool=<pool> [slot=<slot>] [yes]",
    ),
    Command("list", cmd_list, "List objects from catalog", LIST_USAGE),
    Command("llist", cmd_llist, "Full or long list like list command", LIST_USAGE),
    Command("messages", cmd_messages, "Display pending messages", "messages"),
    Command("memory", cmd_memory, "Print current memory usage", "memory"),
    Command("mount", _later("devices", "cmd_mount"), "Mount storage", MOUNT_USAGE),
    Command(
        "move",
        cmd_changer,
        "Move slots in an autochanger",
        "move storage=<storage-name> srcslots=<slot-selection> dstslots=<slot-selection>",
    ),
    Command(
        "prune",
        _later("update", "cmd_prune"),
        "Prune records from catalog",
        "prune volume=<volume-name> [yes] | jobs|files [client=<client>] [pool=<pool>] [yes]",
    ),
    Command(
        "purge",
        _later("update", "cmd_purge"),
        "Purge records from catalog",
        "purge volume=<volume-name> [action=truncate] [storage=<storage>] [yes] | jobid=<jobid>[,...] [yes]",
    ),
    Command("quit", cmd_quit, "Terminate Bconsole session", "quit"),
    Command("query", _later("query", "cmd_query"), "Query catalog", "query"),
    Command("restore", cmd_restore, "Restore files", RESTORE_USAGE),
    Command("relabel", _later("label", "cmd_relabel"), "Relabel a tape", RELABEL_USAGE),
    Command("release", _later("devices", "cmd_release"), "Release storage", RELEASE_USAGE),
    Command("reload", _later("show", "cmd_reload"), "Reload conf file", "reload"),
    Command("rerun", cmd_rerun, "Rerun a job", RERUN_USAGE),
    Command(
        "resolve",
        cmd_resolve,
        "Resolve a hostname",
        "resolve client=<client-name> | storage=<storage-name> <host-name>",
    ),
    Command("run", cmd_run, "Run a job", RUN_USAGE),
    Command(
        "status",
        cmd_status,
        "Report status",
        "status [dir|director] | storage=<storage> | client=<client>",
    ),
    Command("setbandwidth", _later("bandwidth", "cmd_setbandwidth"), "Sets bandwidth", SETBANDWIDTH_USAGE),
    Command(
        "setdebug",
        cmd_setdebug,
        "Sets debug level",
        "setdebug level=<nn> [trace=0/1] [dir|client=<client>|storage=<storage>]",
    ),
    Command("setip", cmd_setip, "Sets new client address -- if authorized", "setip"),
    Command("show", _later("show", "cmd_show"), "Show resource records", SHOW_USAGE),
    Command("sqlquery", cmd_sqlquery, "Use SQL to query catalog", "sqlquery"),
    Command("time", cmd_time, "Print current time", "time"),
    Command("trace", cmd_trace, "Turn on/off trace to file", "trace on|off"),
    Command("truncate", _later("update", "cmd_truncate"), "Truncate purged volumes", TRUNCATE_USAGE),
    Command("unmount", _later("devices", "cmd_unmount"), "Unmount storage", UNMOUNT_USAGE),
    Command("umount", _later("devices", "cmd_unmount"), "Umount - for old-time Unix guys, see unmount", UNMOUNT_USAGE),
    Command("update", _later("update", "cmd_update"), "Update volume, pool or stats", UPDATE_USAGE),
    Command("use", cmd_use, "Use specific catalog", "use catalog=<catalog>"),
    Command("var", cmd_var, "Does variable expansion", "var <text>"),
    Command("version", cmd_version, "Print Director version", "version"),
    Command(
        "wait",
        cmd_wait,
        "Wait until no jobs are running",
        "wait [jobid=<jobid>] [job=<job-name>] [ujobid=<unique-job-name>] [timeout=<s>]",
    ),
    Command("whoami", cmd_whoami, "Print the user name associated with this console", "whoami"),
]
COMMANDS: dict[str, Command] = {c.name: c for c in TABLE}
#: commands that open the catalog, and whether on the session's private connection (True)
#: or the shared one (Bareos' ``OpenClientDb(ua, use_private)`` in each command)
CATALOG_COMMANDS = {
    **dict.fromkeys(("add", "create", "var", "mount", "unmount", "umount", "release", "run", "rerun",
                     "label", "relabel", "update", "truncate", ".jobstatus", ".mediatypes", ".media", ".locations"), False),
    **dict.fromkeys(("delete", "list", "llist", "prune", "purge", "query", "sqlquery", "restore", ".sql",
                     ".bvfs_update", ".bvfs_clear_cache", ".bvfs_lsdirs", ".bvfs_lsfiles", ".bvfs_versions",
                     ".bvfs_restore", ".bvfs_cleanup", ".bvfs_get_jobids"), True),
}  # fmt: skip
