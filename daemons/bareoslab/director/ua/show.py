"""``show`` (resources printed back in configuration syntax) and ``reload``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ...config import Resource
from ...config.export import destination_text
from ...config.schema import SCHEMAS
from ...config.types import edit_utime
from ..errors import ReloadError
from .args import Args, CommandFailed, UsageError, keyword
from .usage import SHOW_USAGE

if TYPE_CHECKING:
    from .commands import UserAgent

log = logging.getLogger(__name__)

#: ``show`` keyword -> resource type
SHOW_TYPES = {
    "directors": "Director",
    "director": "Director",
    "jobs": "Job",
    "job": "Job",
    "jobdefs": "JobDefs",
    "clients": "Client",
    "client": "Client",
    "storages": "Storage",
    "storage": "Storage",
    "pools": "Pool",
    "pool": "Pool",
    "filesets": "FileSet",
    "fileset": "FileSet",
    "schedules": "Schedule",
    "schedule": "Schedule",
    "messages": "Messages",
    "catalogs": "Catalog",
    "catalog": "Catalog",
    "consoles": "Console",
    "console": "Console",
    "profiles": "Profile",
    "profile": "Profile",
}
_ORDER = [
    "Director",
    "Client",
    "Job",
    "JobDefs",
    "Storage",
    "Catalog",
    "Schedule",
    "FileSet",
    "Pool",
    "Messages",
    "Console",
    "Profile",
]


def _value_text(value: Any, kind: str = "") -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind == "duration" and isinstance(value, int):
        return edit_utime(value)
    if isinstance(value, int) or kind == "enum":
        return str(value)
    if isinstance(value, list):
        return ", ".join(_value_text(v, kind) for v in value)
    return f'"{value}"'


def resource_text(res: Resource, hide_secrets: bool) -> list[str]:
    """The resource in configuration syntax, with the directives that were set."""
    if res.rtype == "FileSet" and hasattr(res, "fileset_text"):
        return [line.rstrip() for line in res.fileset_text().splitlines()]
    out = [f"{res.rtype} {{"]
    shared: set[str] = set()  # directives stored together: a Messages resource's destinations
    for directive in SCHEMAS["dir"].get(res.rtype, []):
        if not res.is_set(directive.name) or directive.key in shared:
            continue
        value = res.get(directive.name)
        kind = getattr(directive.type, "name", "")
        if directive.type.store_key:
            shared.add(directive.key)
        if kind == "messages_destination":
            out += [f"  {dest.dest} = {destination_text(dest)}" for dest in value]
            continue
        if kind in ("password", "clear_password"):
            shown = "****" if hide_secrets else f"[md5]{value}" if kind == "password" else value
            out.append(f'  {directive.name} = "{shown}"')
            continue
        if isinstance(value, list) and value and not isinstance(value[0], str | int | bool):
            for item in value:
                out.append(f"  {directive.name} = {item}")
            continue
        out.append(f"  {directive.name} = {_value_text(value, kind)}")
    out.append("}")
    return out


async def cmd_show(ua: UserAgent, args: Args) -> bool:
    cfg = ua.director.cfg
    word = keyword(args)
    if not word:
        raise UsageError("")
    hide = not ua.acl.ok("Command ACL", "configure")
    wanted: list[tuple[str, str | None]]
    if word == "all":
        wanted = [(rtype, None) for rtype in _ORDER]
    elif word in SHOW_TYPES:
        wanted = [(SHOW_TYPES[word], args[1][1])]
    else:
        raise UsageError(f"Keywords for the show command are: {SHOW_USAGE}")
    shown: dict[str, Any] = {}
    for rtype, name in wanted:
        resources = [r for r in ua.acl.allowed(cfg.resources(rtype)) if not name or r.name == name]
        if name and not resources:
            raise CommandFailed(f'{rtype} "{name}" not found.')
        for res in resources:
            lines = resource_text(res, hide)
            await ua.lines([*lines, ""])
            shown.setdefault(rtype.lower(), {})[res.name] = {
                k: (
                    v
                    if isinstance(v, str | int | bool | type(None))
                    or (isinstance(v, list) and all(isinstance(x, str) for x in v))
                    else str(v)
                )
                for k, v in res.items()
                if res.is_set(k) and "password" not in k
            }
    ua.json_result = shown
    return True


async def cmd_reload(ua: UserAgent, args: Args) -> bool:
    try:
        await ua.director.reload()
    except ReloadError as exc:
        raise CommandFailed(str(exc)) from exc
    log.info("configuration reloaded by console %s", ua.name)
    ua.json_result = {"reload": {"success": True}}
    return True
