"""Client-initiated connections: File Daemons that connect to the Director and wait for jobs.

An FD whose Director resource says ``Connection From Client To Director = yes``
connects, sends ``Hello Client <name> FdProtocolVersion=54 calling``, answers the
Director's CRAM-MD5 challenge (the Director challenges first, it accepted the
connection), challenges back and gets ``1000 OK: <dir> Version: ...``. The
Director then *parks* the connection per client. A job for that client takes a
parked connection and goes on directly with ``JobId=...``, as if it had just
connected and authenticated itself.

Which way a job gets its control connection follows the Client resource
(:func:`connection_plan`): a parked connection first, then an outbound one,
then waiting for the client to connect, bounded by ``FD Connect Timeout``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..config import Resource
from ..net.auth import Hello
from ..net.errors import AuthenticationError, ProtocolError
from ..net.framing import KEEPALIVE, Connection
from ..net.tls import TlsSettings
from ..version import VERSION, VERSION_DATE

if TYPE_CHECKING:
    from .daemon import Director

log = logging.getLogger(__name__)

NOT_AUTHORIZED = "1999 You are not authorized.\n"
PARKED = "parked"
OUTBOUND = "outbound"
WAIT = "wait"
#: how long an outbound attempt may take when the client may also connect by itself
OUTBOUND_TRY_WHEN_BOTH = 5.0


def ok_hello(director: str) -> str:
    """The Director's answer to an authenticated client-initiated connection."""
    return f"1000 OK: {director} Version: {VERSION} ({VERSION_DATE})\n"


def connection_plan(from_director: bool, from_client: bool) -> list[str]:
    """The ways to try, in order, for a job's control connection to a client.

    Parked (client-initiated) connections first, then connecting out, then waiting
    for the client to connect; an empty plan means the client cannot be reached.
    """
    plan = []
    if from_client:
        plan.append(PARKED)
    if from_director:
        plan.append(OUTBOUND)
    if from_client:
        plan.append(WAIT)
    return plan


class NoClientConnection(Exception):
    """No control connection to the client could be had."""


@dataclass
class WaitingClient:
    """One parked, authenticated connection of a client."""

    client: str
    conn: Connection
    fd_protocol: int
    connect_time: float = field(default_factory=time.time)
    watcher: asyncio.Task[None] | None = None


class ClientConnections:
    """The parked client-initiated connections, per client name, oldest first."""

    def __init__(self) -> None:
        self._waiting: dict[str, list[WaitingClient]] = {}
        self._changed = asyncio.Condition()

    def waiting(self) -> list[WaitingClient]:
        return [w for entries in self._waiting.values() for w in entries]

    def count(self, client: str) -> int:
        return len(self._waiting.get(client, []))

    async def park(self, entry: WaitingClient) -> None:
        self._waiting.setdefault(entry.client, []).append(entry)
        entry.watcher = asyncio.ensure_future(self._watch(entry))
        async with self._changed:
            self._changed.notify_all()

    def _remove(self, entry: WaitingClient) -> bool:
        entries = self._waiting.get(entry.client, [])
        if entry not in entries:
            return False
        entries.remove(entry)
        if not entries:
            self._waiting.pop(entry.client, None)
        return True

    async def _watch(self, entry: WaitingClient) -> None:
        """Read keepalives while parked; a hang-up (or anything else) unparks the connection."""
        reason = "closed"
        try:
            while True:
                msg = await entry.conn.recv()
                if msg in KEEPALIVE:
                    continue
                reason = f"sent {msg!r:.40} while waiting for a job"
                break
        except ProtocolError as exc:
            reason = str(exc)
        if self._remove(entry):
            log.info('client-initiated connection of Client "%s" ended: %s', entry.client, reason)
            await entry.conn.close()

    async def take(self, client: str) -> WaitingClient | None:
        """The oldest parked connection of ``client``, no longer watched, or None."""
        while self._waiting.get(client):
            entry = self._waiting[client][0]
            self._remove(entry)
            if entry.watcher is not None:
                entry.watcher.cancel()
                with suppress(asyncio.CancelledError):
                    await entry.watcher
            if not entry.conn.closed and not entry.conn.at_eof():
                return entry
            await entry.conn.close()  # hung up just now: its handler may return
        return None

    async def wait_for(self, client: str, timeout: float) -> WaitingClient | None:
        """Take a parked connection of ``client``, waiting up to ``timeout`` seconds for one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            entry = await self.take(client)
            if entry is not None:
                return entry
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            async with self._changed:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)

    def status_lines(self) -> list[str]:
        """Rows of the ``Client Initiated Connections (waiting for jobs)`` table of ``status dir``."""
        return [
            f"{time.strftime('%d-%b-%y %H:%M:%S', time.localtime(w.connect_time)):<19} "
            f"{w.fd_protocol:<19} {1:<19} {w.client}"
            for w in self.waiting()
        ]

    def status_json(self) -> list[dict[str, object]]:
        return [{"connect_time": int(w.connect_time), "protocol_version": w.fd_protocol,
                 "authenticated": True, "name": w.client} for w in self.waiting()]


async def serve_client_connection(director: Director, conn: Connection, hello: Hello) -> None:
    """``Hello Client``: authenticate the FD, answer ``1000 OK:``, park the connection.

    Returns only once the connection has ended: while parked, or after a job
    (or a console command) that took it has closed it.
    """
    client = director.cfg.get("Client", hello.name)
    if client is None:
        log.warning('Client "%s" at %s tries to connect, but no matching Client resource is defined; refused',
                    hello.name, conn.peer)
        await conn.send(NOT_AUTHORIZED)
        return
    if not client.connection_from_client_to_director:
        log.warning('Connection from Client "%s" at %s refused: its Client resource does not allow '
                    "client-initiated connections (Connection From Client To Director = no)",
                    hello.name, conn.peer)
        await conn.send(NOT_AUTHORIZED)
        return
    address = conn.peer
    try:
        await director.inbound.authenticate(conn, client.password, f"R_DIRECTOR::{director.name}",
                                            TlsSettings.of(client))
    except (AuthenticationError, ProtocolError, TimeoutError) as exc:
        why = "wrong password?" if isinstance(exc, AuthenticationError) else "connection lost"
        log.warning('Unable to authenticate Client "%s" at %s (%s): %s; refused',
                    hello.name, address, why, exc)
        with suppress(ProtocolError):
            await conn.send(NOT_AUTHORIZED)
        return
    conn.peer = client.name
    await conn.send(ok_hello(director.name))
    log.info('Client "%s" connected from %s (client-initiated, protocol %d), encryption: %s; '
             "waiting for jobs", client.name, address, hello.fd_protocol, conn.encryption)
    await director.waiting_clients.park(WaitingClient(client.name, conn, hello.fd_protocol))
    # the listener closes the connection when we return: wait until whoever holds it is done
    with suppress(OSError, ConnectionError):
        await conn.writer.wait_closed()


async def acquire_client_connection(
    director: Director,
    client: Resource,
    outbound: Callable[[float], Awaitable[Connection]],
    *,
    job: str = "",
    jobid: int = 0,
    on_wait: Callable[[], Awaitable[None]] | None = None,
) -> tuple[Connection, bool]:
    """A control connection to ``client``, and whether it is a client-initiated one.

    ``outbound(timeout)`` connects to the FD and authenticates; its errors
    propagate unless the client may also connect by itself.
    """
    timeout = float(director.res.fd_connect_timeout)
    plan = connection_plan(bool(client.connection_from_director_to_client),
                           bool(client.connection_from_client_to_director))
    if not plan:
        raise NoClientConnection(
            f'Client "{client.name}" allows neither Connection From Director To Client nor '
            "Connection From Client To Director.")
    pool = director.waiting_clients
    for step in plan:
        if step == PARKED:
            entry = await pool.take(client.name)
            if entry is not None:
                return _claim(entry, job, jobid), True
        elif step == OUTBOUND:
            if WAIT not in plan:
                return await outbound(timeout), False
            try:
                return await outbound(min(timeout, OUTBOUND_TRY_WHEN_BOTH)), False
            except Exception as exc:  # the client may still connect by itself
                log.info('outbound connection to Client "%s" failed: %s', client.name, exc)
        elif step == WAIT:
            if on_wait is not None:
                await on_wait()
            entry = await pool.wait_for(client.name, timeout)
            if entry is not None:
                return _claim(entry, job, jobid), True
    raise NoClientConnection(
        f'Client "{client.name}" did not connect to the Director within {timeout:g} s '
        "(client-initiated connection; FD Connect Timeout). Is its File daemon running and "
        "configured with Connection From Client To Director = yes?")


def _claim(entry: WaitingClient, job: str, jobid: int) -> Connection:
    conn = entry.conn
    conn.job, conn.jobid = job, jobid
    return conn
