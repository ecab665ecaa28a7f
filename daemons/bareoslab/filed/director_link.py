"""Client-initiated connections: the File Daemon connects to its Director and waits for jobs.

For a Director resource with ``Connection From Client To Director = yes`` (and
``Address``/``Port``) the FD keeps one idle, authenticated connection open:
``Hello Client <name> FdProtocolVersion=54 calling``, CRAM-MD5 (the Director
challenges first), ``1000 OK: <dir> Version: ...``. While idle it sends nothing, as
Bareos' FD (a Bareos Director drops a parked connection that has data waiting); TCP
keepalive after the heartbeat interval finds a dead Director. When the Director sends the first command (``JobId=``
or ``status``) the connection belongs to that job: the FD serves it like any
Director connection and at once opens a new idle one. A connection that fails
or drops is retried after the retry interval.

The intervals come from the FD's Client resource: ``Heartbeat Interval`` when
set (Bareos' default otherwise, 60 s) is both the keepalive time of the idle connection and
the retry interval, bounded to ``MAX_RETRY_INTERVAL``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

from ..config import Resource
from ..net.auth import hello_client
from ..net.errors import AuthenticationError, ProtocolError
from ..net.framing import KEEPALIVE, Connection, Message, Signal
from ..net.handshake import Outbound, authenticate_outbound, start_outbound
from ..net.server import connect, set_keepalive
from ..net.tls import TlsSettings, qualified_name
from .dir_cmd import DirectorSession

if TYPE_CHECKING:
    from .daemon import FileDaemon

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 60.0
MAX_RETRY_INTERVAL = 60.0
MIN_INTERVAL = 0.2
HELLO_REPLY_TIMEOUT = 180.0

_OK_HELLO = re.compile(r"^1000 OK: (\S+) Version: (\S+)")


def link_intervals(heartbeat_interval: float) -> tuple[float, float]:
    """``(heartbeat, retry)`` seconds from the Client's Heartbeat Interval (0 = Bareos' 60 s)."""
    heartbeat = float(heartbeat_interval) if heartbeat_interval and heartbeat_interval > 0 else DEFAULT_INTERVAL
    heartbeat = max(heartbeat, MIN_INTERVAL)
    return heartbeat, min(heartbeat, MAX_RETRY_INTERVAL)


def wants_link(director: Resource) -> bool:
    return bool(director.connection_from_client_to_director)


class DirectorLink:
    """Keeps one idle client-initiated connection to one Director."""

    def __init__(self, fd: FileDaemon, director: Resource) -> None:
        self.fd = fd
        self.director = director
        self.address = director.address or ""
        self.port = int(director.port)
        self.heartbeat, self.retry_interval = link_intervals(float(fd.client.heartbeat_interval or 0))

    async def run(self) -> None:
        """Connect, idle, hand over, reconnect; forever (until the daemon stops)."""
        while True:
            try:
                conn = await self.open()
            except (OSError, ProtocolError, TimeoutError) as exc:
                log.warning('client-initiated connection to Director "%s" at %s:%d failed: %s; '
                            "retrying in %g s", self.director.name, self.address, self.port, exc,
                            self.retry_interval)
                await asyncio.sleep(self.retry_interval)
                continue
            try:
                first = await self.idle(conn)
            except ProtocolError as exc:
                log.warning('client-initiated connection to Director "%s" dropped: %s; reconnecting in %g s',
                            self.director.name, exc, self.retry_interval)
                await conn.close()
                await asyncio.sleep(self.retry_interval)
                continue
            # the Director took this connection for a job: serve it, and open a new idle one
            self.fd.tasks.spawn(self.serve(conn, first), f"director-link-{self.director.name}")

    async def open(self) -> Connection:
        """Connect, ``Hello Client``, CRAM-MD5 (the Director challenges first), ``1000 OK:``."""
        conn = await connect(self.address, self.port, daemon=self.fd.name, peer=self.director.name,
                             tracer=self.fd.tracer, timeout=self.retry_interval,
                             retry_interval=min(1.0, self.retry_interval))
        try:
            how = Outbound.for_resource(TlsSettings.of(self.director), qualified_name("R_CLIENT", self.fd.name),
                                        self.director.password, self.address)
            await start_outbound(conn, how)
            await conn.send(hello_client(self.fd.name))
            await authenticate_outbound(conn, f"R_CLIENT::{self.fd.name}", how)
            answer = await conn.recv_text(timeout=HELLO_REPLY_TIMEOUT)
            if not _OK_HELLO.match(answer):
                raise AuthenticationError(f"Director refused the connection: {answer.strip()}")
        except BaseException:
            await conn.close()
            raise
        log.info('connected to Director "%s" at %s:%d (client-initiated), encryption: %s; waiting for jobs',
                 self.director.name, self.address, self.port, conn.encryption)
        return conn

    async def idle(self, conn: Connection) -> bytes:
        """Wait, silent, until the Director sends its first command, which is returned."""
        set_keepalive(conn.writer, self.heartbeat)
        while True:
            msg = await conn.recv()
            if isinstance(msg, Signal):
                if msg in KEEPALIVE or msg in (Signal.EOD, Signal.POLL, Signal.EOD_POLL):
                    continue
                raise ProtocolError(f"Director sent {msg.name} while the connection was idle")
            return msg

    async def serve(self, conn: Connection, first: bytes) -> None:
        """Serve the Director's commands on ``conn``, starting with ``first`` (already read)."""
        replay: list[Message] = [first]
        receive = conn.recv

        async def recv(timeout: float | None = None) -> Message:
            return replay.pop() if replay else await receive(timeout)

        conn.recv = recv  # type: ignore[method-assign]  # the session re-reads the first command
        try:
            await DirectorSession(self.fd, conn, self.director).serve()
        finally:
            await conn.close()
