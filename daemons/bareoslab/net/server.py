"""Opening and accepting Bareos connections."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable

from .framing import Connection
from .trace import Tracer

log = logging.getLogger(__name__)

# How far a connection reads ahead of its reader, small until the peer has authenticated, is
# the Connection's (framing.READ_AHEAD): it reads its socket itself once it exists.
#: connections a daemon keeps open at once before their peers have authenticated (each may
#: hold a hello's worth of buffer and a handshake's worth of time); a new one beyond them
#: closes the one that has waited longest, so a peer that authenticates at once gets in
MAX_UNAUTHENTICATED = 64


#: unanswered keepalive probes before the kernel ends a connection (Linux: 9)
KEEPALIVE_PROBES = 3
#: this process's Heartbeat Interval (the daemon's own Director, Storage or Client resource):
#: the TCP keepalive timing of every connection it makes or accepts; 0: the kernel's (Bareos')
_heartbeat_interval = 0.0


def use_heartbeat_interval(seconds: float | None) -> None:
    """The daemon's Heartbeat Interval, for the connections it makes or accepts from now on."""
    global _heartbeat_interval
    _heartbeat_interval = float(seconds or 0)


def _tune(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        set_keepalive(writer, _heartbeat_interval)
    transport = writer.transport
    if hasattr(transport, "set_write_buffer_limits"):
        # drain() waits above this: what a connection holds unsent (TCP's buffer is behind it)
        transport.set_write_buffer_limits(high=512 * 1024)


def set_keepalive(writer: asyncio.StreamWriter, idle: float) -> None:
    """TCP keepalive on, as Bareos has it on every connection. With ``idle`` (the Heartbeat
    Interval) a peer gone silent is found within ``idle * (1 + KEEPALIVE_PROBES)`` seconds:
    a reader by keepalive (probes after ``idle`` seconds of silence, every ``idle`` seconds,
    :data:`KEEPALIVE_PROBES` unanswered ones end the connection), a writer by ``TCP_USER_TIMEOUT``
    (data unacknowledged that long ends it; keepalive does not probe while data is in flight).
    Beyond Bareos: a peer that reads nothing for that long (a Storage daemon waiting for a volume
    in the middle of a job) loses the connection too. Nothing is sent in the protocol."""
    sock = writer.get_extra_info("socket")
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    if idle <= 0:
        return
    seconds = max(1, int(idle))
    for option, value in (("TCP_KEEPIDLE", seconds), ("TCP_KEEPINTVL", seconds), ("TCP_KEEPCNT", KEEPALIVE_PROBES),
                          ("TCP_USER_TIMEOUT", seconds * (1 + KEEPALIVE_PROBES) * 1000)):
        if hasattr(socket, option):
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), value)


async def connect(
    host: str,
    port: int,
    *,
    daemon: str,
    peer: str,
    tracer: Tracer | None = None,
    timeout: float = 30.0,
    retry_interval: float = 0.5,
    job: str = "",
) -> Connection:
    """Connect to a Bareos daemon, retrying until ``timeout`` seconds have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last_error: OSError | None = None
    while True:
        try:
            async with asyncio.timeout(max(0.1, deadline - loop.time())):
                reader, writer = await asyncio.open_connection(host, port)
            break
        except (OSError, TimeoutError) as exc:
            last_error = exc if isinstance(exc, OSError) else OSError(str(exc) or "timed out")
            if loop.time() + retry_interval >= deadline:
                raise ConnectionError(
                    f"cannot connect to {peer} at {host}:{port}: {last_error.strerror or last_error}"
                ) from exc
            await asyncio.sleep(retry_interval)
    _tune(writer)
    if tracer:
        tracer.event("connect", peer=peer, address=f"{host}:{port}", job=job)
    return Connection(reader, writer, daemon=daemon, peer=peer, tracer=tracer, job=job)


Handler = Callable[[Connection], Awaitable[None]]


async def listen(
    addresses: list[tuple[str, int]],
    handler: Handler,
    *,
    daemon: str,
    tracer: Tracer | None = None,
    max_unauthenticated: int = MAX_UNAUTHENTICATED,
) -> list[asyncio.Server]:
    """Serve ``handler`` for every accepted connection on each address.

    Until its peer has authenticated, a connection may send only small frames and is read
    little ahead; of more than ``max_unauthenticated`` such connections, the one that has
    waited longest is closed.
    """
    waiting: dict[Connection, str] = {}  # oldest first

    async def on_accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peername = writer.get_extra_info("peername")
        label = f"{peername[0]}:{peername[1]}" if peername else "peer"
        if len(waiting) >= max_unauthenticated:
            oldest, oldest_label = next(iter(waiting.items()))
            del waiting[oldest]
            log.warning("connection from %s dropped: %d connections are waiting to authenticate, "
                        "the oldest makes room for %s", oldest_label, max_unauthenticated, label)
            oldest.writer.transport.abort()
        _tune(writer)
        conn = Connection(reader, writer, daemon=daemon, peer=label, tracer=tracer)
        waiting[conn] = label

        def authenticated() -> None:
            waiting.pop(conn, None)

        conn.await_authentication(authenticated)
        if tracer:
            tracer.event("accept", peer=label)
        try:
            await handler(conn)
        except asyncio.CancelledError:  # the daemon stops: the connection ends with it
            log.debug("connection from %s ends with the daemon", label)
        except Exception:  # a handler bug must not kill the daemon
            log.exception("connection from %s failed", label)
        finally:
            waiting.pop(conn, None)
            await conn.close()

    return [await asyncio.start_server(on_accept, host, port, reuse_address=True) for host, port in addresses]


def bound_port(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])
