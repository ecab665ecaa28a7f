"""Console connections: authentication, the greeting, and the command loop.

Protocol 2 consoles (hello with ``calling version``) get the ``1000\\x1eOK:``
greeting and a ``1002`` info packet; older ones one ``1000 OK:`` line. Each
command's output ends with EOD (api 0) or CMD_OK/CMD_FAILED (+ JSON in api 2)
and MAIN_PROMPT.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ...net.auth import DEFAULT_CONSOLE, Hello
from ...net.errors import AuthenticationError, ProtocolError
from ...net.framing import Connection, Signal, decode_text
from ...net.tls import TlsSettings
from ...version import VERSION, VERSION_DATE
from .commands import UserAgent

if TYPE_CHECKING:
    from ..daemon import Director

log = logging.getLogger(__name__)

NOT_AUTHORIZED = "1999 You are not authorized.\n"


async def serve_console(director: Director, conn: Connection, hello: Hello) -> None:
    limit = int(director.res.maximum_console_connections)
    if director.console_connections >= limit:
        log.warning(
            'console "%s" from %s refused: Maximum Console Connections (%d) reached',
            hello.name,
            conn.peer,
            limit,
        )
        await conn.send(NOT_AUTHORIZED)
        return
    if hello.name == DEFAULT_CONSOLE:
        key, console = director.res.password, None
    else:
        console = director.cfg.get("Console", hello.name)
        if console is None:
            log.warning('console "%s" from %s is not configured', hello.name, conn.peer)
            await conn.send(NOT_AUTHORIZED)
            return
        key = console.password
    conn.peer = f"console {hello.name} at {conn.peer}"
    try:
        await director.inbound.authenticate(conn, key, f"R_DIRECTOR::{director.name}",
                                            TlsSettings.of(console or director.res))
    except AuthenticationError as exc:
        log.warning('console "%s" failed to authenticate: %s', hello.name, exc)
        return
    banner = f"{director.name} Version: {VERSION} ({VERSION_DATE})"
    if hello.version:
        await conn.send(f"1000\x1eOK: {banner}")
        who = (
            "You are connected using the default console"
            if console is None
            else f"You are logged in as: {hello.name}"
        )
        await conn.send(f"1002\x1e{director.name} Version: {VERSION} ({VERSION_DATE})\n{who}")
    else:
        await conn.send(f"1000 OK: {banner} --  Encryption: {conn.encryption}\n")
    director.console_connections += 1
    try:
        await command_loop(UserAgent(director, conn, console))
    except ProtocolError as exc:
        log.info("console %s: %s", hello.name, exc)
    finally:
        director.console_connections -= 1


async def command_loop(ua: UserAgent) -> None:
    """Run an authenticated console's commands until it quits or hangs up (ProtocolError)."""
    conn = ua.conn
    going = True
    while going:
        if ua.api:
            await conn.signal(Signal.MAIN_PROMPT)
        msg = await conn.recv()
        if isinstance(msg, Signal):
            going = msg is not Signal.TERMINATE
        else:
            going = await ua.execute(decode_text(msg).strip())
