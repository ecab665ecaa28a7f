"""Dot commands that list keywords and names for programs (Bareos' ``ua_dotcmds.cc``):
``.types``, ``.levels [type]``, ``.volstatus``, ``.actiononpurge``, ``.catalogs``,
``.consoles``, ``.profiles``, ``.users``, ``.schedule [enabled|disabled]``, ``.media``,
``.mediatypes``, ``.locations``. Text: one name a line; api 2: Bareos' JSON shapes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .args import Args, keyword
from .listing import resource_names, send_objects

if TYPE_CHECKING:
    from .commands import UserAgent

# Bareos' dird_conf.cc tables, in their order
JOB_TYPES = ("Backup", "Admin", "Archive", "Verify", "Restore", "Migrate", "Copy", "Consolidate")
_TYPE_CODES = {"Backup": "B", "Admin": "D", "Archive": "A", "Verify": "V", "Restore": "R", "Migrate": "M",
               "Copy": "C", "Consolidate": "O"}
#: (level name, level code, job type code); Admin, Archive, Restore, Consolidate have none
JOB_LEVELS = (
    ("Full", "F", "B"), ("Base", "B", "B"), ("Incremental", "I", "B"), ("Differential", "D", "B"),
    ("Since", "S", "B"), ("VirtualFull", "f", "B"), ("Catalog", "C", "V"), ("InitCatalog", "V", "V"),
    ("VolumeToCatalog", "O", "V"), ("DiskToCatalog", "d", "V"), ("Data", "A", "V"),
    ("Full", "F", "C"), ("Incremental", "I", "C"), ("Differential", "D", "C"),
    ("Full", "F", "M"), ("Incremental", "I", "M"), ("Differential", "D", "M"),
)
VOLUME_STATUSES = ("Unlabeled", "Append", "Full", "Used", "Recycle", "Purged", "Cleaning", "Error", "Archive",
                   "Disabled")
ACTIONS_ON_PURGE = ("None", "Truncate")


async def dot_types(ua: UserAgent, args: Args) -> bool:
    return await send_objects(ua, "jobtypes", [{"name": name} for name in JOB_TYPES])


async def dot_levels(ua: UserAgent, args: Args) -> bool:
    """Every level, or the levels of the job type named (an unknown one has none)."""
    wanted = keyword(args) if len(args) > 1 else ""
    type_code = next((_TYPE_CODES[t] for t in JOB_TYPES if t.lower() == wanted.lower()), "") if wanted else None
    levels = [{"name": name, "level": ord(level), "jobtype": ord(jobtype)}
              for name, level, jobtype in JOB_LEVELS if type_code is None or jobtype == type_code]
    return await send_objects(ua, "levels", levels)


async def dot_volstatus(ua: UserAgent, args: Args) -> bool:
    return await send_objects(ua, "volstatus", [{"name": s} for s in VOLUME_STATUSES])


async def dot_actiononpurge(ua: UserAgent, args: Args) -> bool:
    return await send_objects(ua, "actiononpurge", [{"name": a} for a in ACTIONS_ON_PURGE])


async def dot_catalogs(ua: UserAgent, args: Args) -> bool:
    return await resource_names(ua, "Catalog", "catalogs")


async def dot_consoles(ua: UserAgent, args: Args) -> bool:
    return await resource_names(ua, "Console", "consoles", acl=False)


async def dot_profiles(ua: UserAgent, args: Args) -> bool:
    return await resource_names(ua, "Profile", "profiles", acl=False)


async def dot_users(ua: UserAgent, args: Args) -> bool:
    return await resource_names(ua, "User", "users", acl=False)


async def dot_schedule(ua: UserAgent, args: Args) -> bool:
    """Schedules with whether they are enabled (``enabled``/``disabled`` keep only those)."""
    words = {a[0].lower() for a in args[1:]}
    schedules = []
    for res in ua.acl.allowed(ua.director.cfg.resources("Schedule")):
        on = ua.director.is_enabled(res)
        if ("enabled" in words and not on) or ("disabled" in words and on):
            continue
        schedules.append({"name": res.name, "enabled": on})
    return await send_objects(ua, "schedules", schedules)


async def _catalog_names(ua: UserAgent, kind: str) -> bool:
    names = await ua.director.db(ua.director.catalog.distinct_names, kind)
    return await send_objects(ua, kind, [{"name": n} for n in names])


async def dot_media(ua: UserAgent, args: Args) -> bool:
    return await _catalog_names(ua, "media")


async def dot_mediatypes(ua: UserAgent, args: Args) -> bool:
    return await _catalog_names(ua, "mediatypes")


async def dot_locations(ua: UserAgent, args: Args) -> bool:
    return await _catalog_names(ua, "locations")
