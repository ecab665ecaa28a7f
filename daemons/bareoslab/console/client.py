"""A console session with the Director: authentication, commands, answers.

``ConsoleSession`` is asyncio; ``Console`` wraps it for synchronous callers
(scripts, tests) with a private event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from ..net.auth import DEFAULT_CONSOLE, hello_console
from ..net.errors import AuthenticationError, ProtocolError
from ..net.framing import Connection, Signal, decode_text
from ..net.handshake import Outbound, authenticate_outbound, start_outbound
from ..net.server import connect
from ..net.tls import DEFAULT_TLS, TlsSettings, qualified_name

_END_SIGNALS = frozenset({Signal.EOD, Signal.MAIN_PROMPT, Signal.SUB_PROMPT, Signal.TERMINATE})


@dataclass
class Reply:
    """What the Director printed for one command; ``prompt`` is True when it asks a question."""

    text: str
    prompt: bool = False
    closed: bool = False


class ConsoleSession:
    def __init__(self, conn: Connection, banner: str) -> None:
        self.conn = conn
        self.banner = banner
        self.asked = False  # the Director's last reply was a question

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        password_key: str,
        name: str = DEFAULT_CONSOLE,
        timeout: float = 30.0,
        tls: TlsSettings = DEFAULT_TLS,
    ) -> ConsoleSession:
        """Log in; with ``tls`` enabled (the Director or Console resource's settings) TLS-PSK
        starts first, identity ``R_CONSOLE`` + the console name, as bconsole does."""
        how = Outbound.for_resource(tls, qualified_name("R_CONSOLE", name), password_key, host)
        conn = await connect(host, port, daemon=name, peer="director", timeout=timeout)
        try:
            await start_outbound(conn, how)
            await conn.send(hello_console(name))
            await authenticate_outbound(conn, f"R_CONSOLE::{name}", how)
            first = decode_text(await conn.recv_msg(timeout=timeout))
            if not first.startswith("1000"):
                raise AuthenticationError(f"Director refused the console: {first.strip()}")
            banner = first[5:].strip()
            info = await conn.recv(timeout=timeout)  # the 1002 info packet of protocol 2
            if isinstance(info, bytes) and info.startswith(b"1002"):
                banner += "\n" + decode_text(info)[5:]
        except BaseException:
            await conn.close(terminate=False)
            raise
        return cls(conn, banner)

    async def _read_reply(self, on_text: Callable[[str], None] | None = None) -> Reply:
        parts: list[str] = []
        while True:
            try:
                msg = await self.conn.recv(timeout=None)
            except ProtocolError:
                return Reply("".join(parts), closed=True)
            if isinstance(msg, Signal):
                if msg in _END_SIGNALS:
                    return Reply(
                        "".join(parts),
                        prompt=msg is Signal.SUB_PROMPT,
                        closed=msg is Signal.TERMINATE,
                    )
                continue
            text = decode_text(msg)
            parts.append(text)
            if on_text is not None:
                on_text(text)

    async def command(self, line: str, on_text: Callable[[str], None] | None = None) -> Reply:
        """Send one line; the reply ends at EOD, the main prompt, a question or the end of the session.

        ``on_text`` sees each packet of output as it arrives (long ``wait``, ``restore``).
        """
        await self.conn.send(line)
        if not self.asked and line.strip().lower() in ("quit", "exit"):
            return Reply("", closed=True)
        reply = await self._read_reply(on_text)
        self.asked = reply.prompt  # "quit" answering a question is just an answer
        return reply

    async def close(self) -> None:
        await self.conn.close()


class Console:
    """Synchronous facade: ``Console.open(...).command("list jobs").text``."""

    def __init__(self, loop: asyncio.AbstractEventLoop, session: ConsoleSession) -> None:
        self._loop = loop
        self.session = session

    @classmethod
    def open(
        cls,
        host: str,
        port: int,
        password_key: str,
        name: str = DEFAULT_CONSOLE,
        timeout: float = 30.0,
        tls: TlsSettings = DEFAULT_TLS,
    ) -> Console:
        loop = asyncio.new_event_loop()
        try:
            session = loop.run_until_complete(
                ConsoleSession.open(host, port, password_key, name, timeout, tls)
            )
        except BaseException:
            loop.close()
            raise
        return cls(loop, session)

    @property
    def banner(self) -> str:
        return self.session.banner

    @property
    def encryption(self) -> str:
        """The cipher of the connection (``None`` in cleartext), as bconsole prints it."""
        return self.session.conn.encryption

    def command(
        self, line: str, timeout: float | None = 600, on_text: Callable[[str], None] | None = None
    ) -> Reply:
        return self._loop.run_until_complete(
            asyncio.wait_for(self.session.command(line, on_text), timeout)
        )

    def run(self, *lines: str) -> str:
        """Send each line (answers to questions included); return all output."""
        return "".join(self.command(line).text for line in lines)

    def close(self) -> None:
        try:
            self._loop.run_until_complete(self.session.close())
        finally:
            self._loop.close()

    def __enter__(self) -> Console:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
