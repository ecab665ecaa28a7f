"""Two connected :class:`~bareoslab.net.framing.Connection` objects over a socket pair (no network)."""

from __future__ import annotations

import asyncio
import socket

from bareoslab.net.framing import Connection


async def connection_pair(left: str = "left", right: str = "right") -> tuple[Connection, Connection]:
    """``(left's, right's)``: each names itself the daemon and the other the peer."""
    a, b = socket.socketpair()
    ra, wa = await asyncio.open_connection(sock=a)
    rb, wb = await asyncio.open_connection(sock=b)
    return Connection(ra, wa, daemon=left, peer=right), Connection(rb, wb, daemon=right, peer=left)
