"""Console ACLs: which commands and resources a named console may use.

Each ACL is a list of entries: a name, ``*all*``, ``!name`` (deny), or a
regular expression that must match the whole item (case-insensitive). The
first entry that matches decides; the console's own list is read before the
lists of its Profiles, in their order. Nothing matching means no access, so
a named console without ACLs can run nothing. The default console has no
restrictions. An empty ``Where ACL`` allows restores to the job's Where.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from ...config import Config, Resource

#: the ACL kinds, as directive names
COMMAND, JOB, CLIENT, STORAGE, SCHEDULE, POOL, FILESET, CATALOG, WHERE = (
    "Command ACL",
    "Job ACL",
    "Client ACL",
    "Storage ACL",
    "Schedule ACL",
    "Pool ACL",
    "FileSet ACL",
    "Catalog ACL",
    "Where ACL",
)
#: resource type -> the ACL that guards it
RESOURCE_ACL = {
    "Job": JOB,
    "JobDefs": JOB,
    "Client": CLIENT,
    "Storage": STORAGE,
    "Schedule": SCHEDULE,
    "Pool": POOL,
    "FileSet": FILESET,
    "Catalog": CATALOG,
}
#: session commands every console may use (python-bareos sends them when it logs in)
ALWAYS_ALLOWED = frozenset({"quit", "exit", ".api", "autodisplay", "whoami", ".help"})
_REGEX_CHARS = frozenset(".()[]|^$+?*")


@lru_cache(maxsize=512)
def _pattern(entry: str) -> re.Pattern[str] | None:
    if not _REGEX_CHARS & set(entry):
        return None
    try:
        return re.compile(entry, re.IGNORECASE)
    except re.error:
        return None


def _matches(entry: str, item: str) -> bool:
    if entry.lower() == item.lower():
        return True
    pattern = _pattern(entry)
    return pattern is not None and pattern.fullmatch(item) is not None


def acl_decision(entries: Sequence[str], item: str) -> bool | None:
    """True (allowed), False (denied) or None (no entry matches) for ``item``."""
    for raw in entries:
        entry = raw.strip()
        if entry.startswith("!"):
            if _matches(entry[1:], item):
                return False
        elif entry.lower() == "*all*" or _matches(entry, item):
            return True
    return None


def acl_lists(console: Resource, profiles: Iterable[Resource], kind: str) -> list[list[str]]:
    """The console's list of ``kind`` then its profiles' lists, in order."""
    return [list(console.get(kind) or []), *(list(p.get(kind) or []) for p in profiles)]


class Acl:
    """The ACLs of one console session; ``Acl(cfg, None)`` is the unrestricted default console."""

    def __init__(self, cfg: Config, console: Resource | None) -> None:
        self.console = console
        self.profiles: list[Resource] = []
        if console is not None:
            for name in console.get("Profile") or []:
                profile = cfg.get("Profile", name)
                if profile is not None:
                    self.profiles.append(profile)

    @property
    def unrestricted(self) -> bool:
        return self.console is None

    def ok(self, kind: str, item: str) -> bool:
        if self.console is None:
            return True
        if kind == COMMAND and item in ALWAYS_ALLOWED:
            return True
        lists = acl_lists(self.console, self.profiles, kind)
        if kind == WHERE:
            if not item and not any(lists):
                return True
            # the path the File daemon will write to: /srv/../etc is /etc
            item = posixpath.normpath(item) if item else item
        for entries in lists:
            decision = acl_decision(entries, item)
            if decision is not None:
                return decision
        return False

    def restricted(self, kind: str) -> bool:
        """The console may not see everything of ``kind`` (Bareos' ``AclHasRestrictions``):
        no ``*all*`` in its lists, or a negated entry before it."""
        if self.console is None:
            return False
        for entries in acl_lists(self.console, self.profiles, kind):
            for raw in entries:
                entry = raw.strip()
                if entry.startswith("!"):
                    return True
                if entry.lower() == "*all*":
                    return False
        return True

    def resource_ok(self, res: Resource) -> bool:
        kind = RESOURCE_ACL.get(res.rtype)
        if kind is None:  # Messages, Director, Console, ...: only consoles that may configure
            return self.ok(COMMAND, "configure")
        return self.ok(kind, res.name)

    def allowed(self, resources: Iterable[Resource]) -> list[Resource]:
        return [r for r in resources if self.resource_ok(r)]
