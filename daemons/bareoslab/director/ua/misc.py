"""The console's small commands (``ua_cmds.cc``, ``ua_dotcmds.cc``): ``time``, ``use``,
``resolve``, ``memory``, ``gui``, ``automount``, ``trace``, ``var``, ``setip``, ``create``,
``.``, ``.quit``, ``.authorized``, ``.defaults``, ``.jobdefs``, ``.jobstatus``, ``.msgs``,
and the autochanger commands (``import``, ``export``, ``move``) a disk lab has no changer for.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from typing import TYPE_CHECKING, Any

from ...codes import JOB_LEVEL_NAMES, JobLevel
from ...config import Resource
from ..sync import pool_row
from . import acl
from .args import Args, CommandFailed, arg
from .listing import resource_names
from .output import format_table, json_rows
from .prompt import get_cmd
from .run_prompt import select_resource
from .status import status_header

if TYPE_CHECKING:
    from .commands import UserAgent


async def cmd_time(ua: UserAgent, args: Args) -> bool:
    now = time.localtime()
    await ua.send(time.strftime("%a %d-%b-%Y %H:%M:%S", now))
    ua.json_result = {
        "time": {
            "full": time.strftime("%a %d-%b-%Y %H:%M:%S", now),
            **{k: time.strftime(f, now) for k, f in (("year", "%Y"), ("month", "%m"), ("day", "%d"),
                                                   ("hour", "%H"), ("minute", "%M"), ("second", "%S"))},
        }
    }  # fmt: skip
    return True


async def cmd_use(ua: UserAgent, args: Args) -> bool:
    """The lab's Director has one catalog; ``use`` names it as Bareos does."""
    name = arg(args, "catalog")
    catalog = ua.director.catalog_res
    if name and name != catalog.name:
        found = ua.res("Catalog", name)
        raise CommandFailed(f'Catalog "{found.name if found else name}": this Director uses only "{catalog.name}".')
    ua.check(acl.CATALOG, catalog.name)
    ua.catalog_open.clear()  # Bareos closes the session's connections and opens them again
    await ua.open_catalog(private=False)
    await ua.send(f"Using Catalog name={catalog.name} DB={catalog.db_name}")
    return True


async def _resolve(host: str) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    out = []
    for family, _, _, _, sockaddr in infos:
        text = f"host[{'ipv4' if family == socket.AF_INET else 'ipv6'};{sockaddr[0]}]"
        if text not in out:
            out.append(text)
    return out


async def cmd_resolve(ua: UserAgent, args: Args) -> bool:
    """Names as this Director resolves them (a client's or storage's own resolving is not asked)."""
    hosts = []
    for key, value in args[1:]:
        if key in ("client", "fd", "storage"):
            rtype = "Storage" if key == "storage" else "Client"
            if not value:
                raise CommandFailed(f"{rtype} name missing.")
            res = ua.res(rtype, value)
            assert res is not None
            hosts.append(str(res.address))
        else:
            hosts.append(key)
    for host in hosts:
        try:
            addresses = await _resolve(host)
        except OSError:
            raise CommandFailed(f"{ua.director.name} Failed to resolve {host}") from None
        await ua.send(f"{ua.director.name} resolves {host} to {' '.join(addresses)} ")
    return True


async def cmd_memory(ua: UserAgent, args: Args) -> bool:
    """Bareos prints its status header (with its heap figures); so does the lab."""
    ua.json_result = {"header": await status_header(ua)}
    return True


async def _on_off(ua: UserAgent, args: Args) -> bool | None:
    word = args[1][0] if len(args) == 2 else await get_cmd(ua, "Turn on or off? ")
    return None if word is None else word.lower() != "off"


async def cmd_gui(ua: UserAgent, args: Args) -> bool:
    setting = await _on_off(ua, args)
    if setting is not None:
        ua.gui = setting
    return True


async def cmd_automount(ua: UserAgent, args: Args) -> bool:
    setting = await _on_off(ua, args)
    if setting is not None:
        ua.automount = setting
    return True


async def cmd_trace(ua: UserAgent, args: Args) -> bool:
    """The lab always writes its protocol trace (``--trace``); on or off is accepted."""
    await _on_off(ua, args)
    return True


#: ``${name}`` variables ``var`` expands for a console session (Bareos' VariableExpansion):
#: the time, and the Director; what belongs to a job is empty outside one
_VARIABLES = {
    "Year": "%Y", "Month": "%m", "Day": "%d", "Hour": "%H", "Minute": "%M", "Second": "%S",
    "WeekDay": "%w",
}  # fmt: skip


async def cmd_var(ua: UserAgent, args: Args) -> bool:
    """The rest of the line with its ``${...}`` variables expanded (``%`` codes stay as they are)."""
    line = ua.line.strip().partition(" ")[2].strip()
    now = time.localtime()

    def expand(found: re.Match[str]) -> str:
        name = found.group(1)
        if name in _VARIABLES:
            return time.strftime(_VARIABLES[name], now)
        return ua.director.name if name == "Director" else ""

    await ua.send(re.sub(r"\$\{(\w+)\}", expand, line))
    return True


async def cmd_setip(ua: UserAgent, args: Args) -> bool:
    """Bareos lets a named console that is also a Client set that client's address to where
    it connects from; the lab's client addresses come from the configuration only."""
    name = ua.console.name if ua.console is not None else ""
    if not name:
        raise CommandFailed("No corresponding client found.")
    if ua.director.cfg.get("Client", name) is None:
        raise CommandFailed(f'Client "{name}" not found.')
    peer = ua.conn.writer.get_extra_info("peername") or ("?",)
    raise CommandFailed(
        f'Client "{name}" keeps its configured address: the lab does not change addresses at '
        f"run time (this console connects from {peer[0]})."
    )


async def cmd_create(ua: UserAgent, args: Args) -> bool:
    pool = ua.res("Pool", arg(args, "pool")) if arg(args, "pool") else await select_resource(ua, "Pool")
    if pool is None:
        return True
    cat = ua.director.catalog
    if await ua.director.db(cat.pool_id, pool.name) is not None:
        await ua.error(f"Error: Pool {pool.name} already exists.\nUse update to change it.")
    else:
        await ua.director.db(cat.sync_pool, pool_row(pool))
    await ua.send(f"Pool {pool.name} created.")
    return True


async def cmd_changer(ua: UserAgent, args: Args) -> bool:
    """``import``, ``export``, ``move``: slots of an autochanger; the lab's storages have none."""
    storage = ua.res("Storage", arg(args, "storage")) if arg(args, "storage") else None
    changers = [s for s in ua.acl.allowed(ua.director.cfg.resources("Storage")) if s.get("Auto Changer")]
    if storage is not None and not storage.get("Auto Changer"):
        raise CommandFailed(f'Storage "{storage.name}" is not an autochanger.')
    if not changers:
        raise CommandFailed("No autochanger Storage resources defined: there are no slots to move.")
    raise CommandFailed("The lab's Storage daemons have no autochanger to move volumes in.")


# -- dot commands ---------------------------------------------------------------------


async def dot_noop(ua: UserAgent, args: Args) -> bool:
    return True


_AUTHORIZED = {
    "job": acl.JOB, "client": acl.CLIENT, "storage": acl.STORAGE, "schedule": acl.SCHEDULE,
    "pool": acl.POOL, "cmd": acl.COMMAND, "fileset": acl.FILESET, "catalog": acl.CATALOG,
}  # fmt: skip


async def dot_authorized(ua: UserAgent, args: Args) -> bool:
    allowed = False
    for key, value in args[1:]:
        if key in _AUTHORIZED:
            allowed = bool(value) and ua.acl.ok(_AUTHORIZED[key], value or "")
    await ua.send("authorized" if allowed else "not authorized")
    ua.json_result = {".authorized": {"authorized": allowed}}
    return allowed


def _defaults(ua: UserAgent, key: str, res: Resource) -> list[tuple[str, Any]]:
    cfg = ua.director.cfg
    if key == "job":
        storage = (res.storage or [None])[0]
        pool = cfg.get("Pool", res.pool) if res.get("Pool") else None
        if storage is None and pool is not None and pool.storage:
            storage = pool.storage[0]
        client = cfg.get("Client", res.client) if res.get("Client") else None
        level = JobLevel(res.level) if res.get("Level") and res.level in JobLevel._value2member_map_ else None
        items: list[tuple[str, Any]] = [
            ("job", res.name), ("pool", res.get("Pool") or ""), ("messages", res.get("Messages") or ""),
            ("client", client.name if client else "*None*"), ("storage", storage or "*None*"),
            ("where", res.get("Where") or ""),
        ]  # fmt: skip
        if str(res.type).lower() == "restore":
            items.append(("replace", str(res.replace).lower()))
        items += [
            ("level", JOB_LEVEL_NAMES.get(level, "") if level else str(res.get("Level") or "")),
            ("type", str(res.type)), ("fileset", res.get("FileSet") or "*None*"),
            ("enabled", int(ua.director.is_enabled(res))),
            ("catalog", (client.get("Catalog") if client else None) or ua.director.catalog_res.name),
        ]  # fmt: skip
        return items
    if key == "client":
        return [
            ("client", res.name), ("address", res.address), ("port", res.port),
            ("file_retention", res.get("File Retention")), ("job_retention", res.get("Job Retention")),
            ("autoprune", int(bool(res.get("Auto Prune")))), ("enabled", int(ua.director.is_enabled(res))),
            ("catalog", res.get("Catalog") or ua.director.catalog_res.name),
        ]  # fmt: skip
    if key == "storage":
        return [
            ("storage", res.name), ("address", res.address), ("port", res.port),
            ("enabled", int(ua.director.is_enabled(res))), ("media_type", res.get("Media Type")),
            ("device", ",".join(res.device)),
        ]  # fmt: skip
    return [
        ("pool", res.name), ("pool_type", res.pool_type), ("label_format", res.label_format or ""),
        ("purge_oldest_volume=", int(bool(res.get("Purge Oldest Volume")))),
        ("recycle_oldest_volume", int(bool(res.get("Recycle Oldest Volume")))),
        ("max_volumes", res.maximum_volumes), ("vol_retention", res.volume_retention),
        ("vol_use_duration", res.volume_use_duration), ("max_vol_jobs", res.maximum_volume_jobs),
        ("max_vol_files", res.maximum_volume_files), ("max_vol_bytes", res.maximum_volume_bytes),
        ("auto_prune", int(res.autoprune)), ("recycle", int(res.recycle)),
        ("file_retention", res.get("File Retention") or 0), ("job_retention", res.get("Job Retention") or 0),
    ]  # fmt: skip


async def dot_defaults(ua: UserAgent, args: Args) -> bool:
    """A resource's defaults as ``key=value`` lines, as BAT and the WebUI read them."""
    for key, rtype in (("job", "Job"), ("client", "Client"), ("storage", "Storage"), ("pool", "Pool")):
        name = arg(args, key)
        if name:
            res = ua.director.cfg.get(rtype, name)
            if res is None or not ua.acl.resource_ok(res):
                return True  # Bareos answers an unknown name with nothing
            items = _defaults(ua, key, res)
            await ua.lines([f"{k}={'' if v is None else v}" for k, v in items])
            ua.json_result = {"defaults": {k: v for k, v in items}}
            return True
    raise CommandFailed(".defaults command requires a parameter.")


async def dot_jobdefs(ua: UserAgent, args: Args) -> bool:
    return await resource_names(ua, "JobDefs", "jobdefs")


async def dot_msgs(ua: UserAgent, args: Args) -> bool:
    names = [m.name for m in ua.director.cfg.resources("Messages")]
    await ua.lines(names)
    ua.json_result = {"messages": [{"text": n} for n in names]}
    return True


async def dot_jobstatus(ua: UserAgent, args: Args) -> bool:
    """The job status codes with their texts (``.jobstatus [=<code>]``)."""
    code = args[0][1]
    if code is not None and len(code) != 1:
        raise CommandFailed(f"Unknown JobStatus '{code}'. JobStatus must be a single character.")
    columns, rows = await ua.director.db(ua.director.catalog.job_status_details, code)
    await ua.lines(format_table(columns, rows))
    ua.json_result = {"jobstatus": json_rows(columns, rows)}
    return True
