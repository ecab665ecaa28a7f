"""Job and daemon messages: the console queue, the catalog Log table and log files.

Every message goes to the destinations of a Messages resource whose type
list accepts it (``Console = all, !skipped``, ``Catalog = all``, ``Append =
"/path" = all``, ...).
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ..catalog.errors import CatalogError
from ..codes import MsgType
from ..config import Resource

if TYPE_CHECKING:
    from .jcr import JobControlRecord

log = logging.getLogger(__name__)

#: a daemon's job message: ``Jmsg Job=<job> type=<MsgType> level=<time> <text>``
JMSG = re.compile(r"^Jmsg Job=(\S+) type=(\d+) level=(\d+) (.*)$", re.S)

TYPE_NAMES = {
    "abort": MsgType.ABORT, "debug": MsgType.DEBUG, "fatal": MsgType.FATAL, "error": MsgType.ERROR,
    "warning": MsgType.WARNING, "info": MsgType.INFO, "saved": MsgType.SAVED,
    "notsaved": MsgType.NOTSAVED, "skipped": MsgType.SKIPPED, "mount": MsgType.MOUNT,
    "terminate": MsgType.TERM, "restored": MsgType.RESTORED, "security": MsgType.SECURITY,
    "alert": MsgType.ALERT, "volmgmt": MsgType.VOLMGMT, "audit": MsgType.AUDIT,
    "errorterm": MsgType.ERROR_TERM, "configerror": MsgType.CONFIG_ERROR,
}
_ALL_EXCEPT_DEBUG = frozenset(MsgType) - {MsgType.DEBUG}


def accepted_types(types: list[str]) -> frozenset[MsgType]:
    """The message types a destination's type list selects (``all, !skipped``)."""
    chosen: set[MsgType] = set()
    for raw in types:
        word = raw.strip().lower()
        negate = word.startswith("!")
        word = word.lstrip("!")
        selected = _ALL_EXCEPT_DEBUG if word == "all" else {TYPE_NAMES[word]} if word in TYPE_NAMES else set()
        chosen = chosen - selected if negate else chosen | selected
    return frozenset(chosen)


def console_stamp(when: float) -> str:
    return time.strftime("%d-%b %H:%M", time.localtime(when))


class MessageRouter:
    """Delivers messages to the destinations of Messages resources."""

    def __init__(self, director_name: str, log_to_catalog: Callable[[int, float, str], Awaitable[None]]) -> None:
        self.director_name = director_name
        self.console_queue: list[str] = []
        self._log_to_catalog = log_to_catalog
        self._cache: dict[str, list[tuple[str, str | None, frozenset[MsgType]]]] = {}

    def _destinations(self, res: Resource | None) -> list[tuple[str, str | None, frozenset[MsgType]]]:
        if res is None:
            return [("console", None, _ALL_EXCEPT_DEBUG)]
        cached = self._cache.get(res.name)
        if cached is None:
            cached = [
                (d.dest.lower().replace(" ", ""), d.address, accepted_types(d.types))
                for d in res.destinations
            ]
            self._cache[res.name] = cached
        return cached

    async def job_message(self, jcr: JobControlRecord | None, res: Resource | None, mtype: MsgType,
                          text: str, when: float | None = None) -> None:
        """``text`` already carries its ``<daemon> JobId N: `` prefix."""
        when = when or time.time()
        if not text.endswith("\n"):
            text += "\n"
        for dest, address, types in self._destinations(res):
            if mtype not in types:
                continue
            if dest == "console":
                self.console_queue.append(f"{console_stamp(when)} {text}")
            elif dest == "catalog" and jcr is not None and jcr.jobid:
                try:
                    await self._log_to_catalog(jcr.jobid, when, text)
                except CatalogError as exc:  # the catalog went away: the message still reaches the log
                    log.warning("JobId %d: job message not stored in the catalog (%s): %s", jcr.jobid, exc,
                                text.rstrip())
            elif dest in ("append", "file") and address:
                try:
                    with open(address, "a", encoding="utf-8") as fh:
                        fh.write(f"{console_stamp(when)} {text}")
                except OSError as exc:
                    log.warning("cannot write message file %s: %s", address, exc)
            elif dest == "stdout":
                sys.stdout.write(text)
            elif dest == "stderr":
                sys.stderr.write(text)

    def take_console_messages(self) -> list[str]:
        out, self.console_queue = self.console_queue, []
        return out
