"""TCP keepalive on an idle connection (Bareos' SetKeepalive): probes by the kernel, no protocol traffic."""

from __future__ import annotations

import asyncio
import socket

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
