"""The command loop every daemon runs on an incoming control connection.

A peer sends one command per message; the first word (up to a blank or ``=``)
selects the handler from one explicit table. An unknown command gets the
daemon's refusal line and ends the conversation, as Bareos' FD and SD end it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping

from .framing import Connection, Signal, decode_text

log = logging.getLogger(__name__)

Handler = Callable[[str], Awaitable[bool]]
"""Handles one command line; returns False to end the conversation."""

_WORD = re.compile(r"[ =]")


def command_word(line: str) -> str:
    return _WORD.split(line.strip(), maxsplit=1)[0]


async def serve_commands(
    conn: Connection,
    commands: Mapping[str, Handler],
    *,
    bad_command: Callable[[str], str],
    poll_reply: str,
) -> None:
    """Dispatch commands until the peer terminates, a handler ends the session or an unknown
    command arrives (answered with ``bad_command(line)``). Connection errors propagate
    (ProtocolError)."""
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
            log.warning("unknown command from %s: %r; ending the session", conn.peer, line[:80])
            await conn.send(bad_command(line))
            return
        if not await handler(line):
            return
