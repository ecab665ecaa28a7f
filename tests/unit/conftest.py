import asyncio
import socket

import pytest
from bareoslab.net.framing import Connection


@pytest.fixture
def pair():
    """Two connected Connections over a socket pair (no network): ``await pair()``."""

    async def make():
        a, b = socket.socketpair()
        ra, wa = await asyncio.open_connection(sock=a)
        rb, wb = await asyncio.open_connection(sock=b)
        return (
            Connection(ra, wa, daemon="left", peer="right"),
            Connection(rb, wb, daemon="right", peer="left"),
        )

    return make
