"""The command loop every daemon runs on an incoming control connection.

A peer sends one command per message; the first word (up to a blank or ``=``)
selects the handler from one explicit table. Unknown commands get the
daemon's refusal line; after ``max_unknown`` of them the peer is dropped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping

from .framing import Connection, Signal, decode_text

log = logging.getLogger(__name__)

Handler = Callable[[str], Awaitable[bool]]
"""Handles one command line; returns False to end the conversation."""

MAX_UNKNOWN_COMMANDS = 10
_WORD = re.compile(r"[ =]")


def command_word(line: str) -> str:
    return _WORD.split(line.strip(), maxsplit=1)[0]


async def serve_commands(
    conn: Connection,
    commands: Mapping[str, Handler],
    *,
    bad_command: str,
    poll_reply: str,
    max_unknown: int = MAX_UNKNOWN_COMMANDS,
) -> None:
    """Dispatch commands until the peer terminates, a handler ends the session or
    too many unknown commands arrive. Connection errors propagate (ProtocolError)."""
    unknown = 0
    while True:
        msg = await conn.recv()
        if isinstance(msg, Signal):
            if msg is Signal.TERMINATE:
                return
            if msg in (Signal.EOD_POLL, Signal.POLL):
                await conn.send(poll_reply)
            continue
        line = decode_text(msg)
        handler = commands.get(command_word(line))
        if handler is None:
            unknown += 1
            log.warning("unknown command from %s: %r", conn.peer, line[:80])
            await conn.send(bad_command)
            if unknown >= max_unknown:
                log.warning("dropping %s after %d unknown commands", conn.peer, unknown)
                return
            continue
        if not await handler(line):
            return
