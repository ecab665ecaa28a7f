"""TCP keepalive on an idle connection (Bareos' SetKeepalive): probes by the kernel, no protocol traffic."""

from __future__ import annotations

import asyncio
import socket

from bareoslab.net import server
from bareoslab.net.framing import Connection
from bareoslab.net.server import set_keepalive


def test_keepalive_is_set_with_the_heartbeat_interval() -> None:
    async def main() -> tuple[int, int]:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        set_keepalive(writer, 7.5)
        sock = writer.get_extra_info("socket")
        got = (sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
               sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE))
        writer.close()
        server.close()
        return got

    assert asyncio.run(main()) == (1, 7)


def _keepalive(sock: socket.socket) -> tuple[int, int, int, int, int]:
    return (sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
            sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
            sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
            sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
            sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT))


def test_every_connection_made_or_accepted_keeps_alive_with_the_daemons_heartbeat_interval() -> None:
    """Both ends of a daemon's connections: keepalive on; with the daemon's Heartbeat Interval
    a silent peer is found within interval * (1 + KEEPALIVE_PROBES); without, the kernel's timing."""
    with socket.socket() as fresh:
        kernel = _keepalive(fresh)[1:]

    async def ends(interval: float) -> list[tuple[int, int, int, int, int]]:
        accepted: asyncio.Queue[socket.socket] = asyncio.Queue()

        async def handler(conn: Connection) -> None:
            await accepted.put(conn.writer.get_extra_info("socket"))
            await conn.recv()  # until the client closes

        server.use_heartbeat_interval(interval)
        servers = await server.listen([("127.0.0.1", 0)], handler, daemon="test")
        port = servers[0].sockets[0].getsockname()[1]
        conn = await server.connect("127.0.0.1", port, daemon="test", peer="server")
        found = [_keepalive(conn.writer.get_extra_info("socket")), _keepalive(await accepted.get())]
        await conn.close()
        for s in servers:
            s.close()
        return found

    try:
        bound_ms = 4 * (1 + server.KEEPALIVE_PROBES) * 1000  # unacknowledged data: the writer's bound
        assert asyncio.run(ends(4)) == [(1, 4, 4, server.KEEPALIVE_PROBES, bound_ms)] * 2
        assert asyncio.run(ends(0)) == [(1, *kernel)] * 2
    finally:
        server.use_heartbeat_interval(0)
