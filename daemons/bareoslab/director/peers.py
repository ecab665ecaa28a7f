"""Opening the Director's control connections to Storage and File daemons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Resource
from ..net.auth import authenticate_connector, hello_director
from ..net.errors import ProtocolError
from ..net.framing import Connection
from ..net.server import connect

if TYPE_CHECKING:
    from .daemon import Director


async def open_daemon(
    director: Director,
    res: Resource,
    *,
    what: str,
    ok_hello: str,
    timeout: float,
    error: type[Exception],
    job: str = "",
    jobid: int = 0,
) -> Connection:
    """Connect to the daemon ``res`` describes, authenticate both ways, expect ``ok_hello``.

    ``what`` names the peer in messages (``Storage daemon "File"``); failures
    raise ``error`` with the address, so job logs say where the Director tried.
    """
    try:
        conn = await connect(res.address, int(res.port), daemon=director.name, peer=res.name,
                             tracer=director.tracer, timeout=timeout, job=job)
        conn.jobid = jobid
        await conn.send(hello_director(director.name))
        await authenticate_connector(conn, res.password, f"R_DIRECTOR::{director.name}")
        answer = await conn.recv_text(timeout=180)
    except (OSError, ProtocolError) as exc:
        raise error(f"Failed to connect to {what} at {res.address}:{res.port}: {exc}") from exc
    if not answer.startswith(ok_hello):
        await conn.close()
        raise error(f"{what} refused the Director: {answer.strip()}")
    return conn
