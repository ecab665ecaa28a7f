"""Opening the Director's control connections to Storage and File daemons."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from ..config import Resource
from ..net.auth import hello_director
from ..net.errors import ProtocolError
from ..net.framing import Connection
from ..net.handshake import Outbound, authenticate_outbound, start_outbound
from ..net.server import connect
from ..net.tls import TlsError, TlsSettings, qualified_name

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
    tls_first: bool | None = None,
) -> Connection:
    """Connect to the daemon ``res`` describes, authenticate both ways, expect ``ok_hello``.

    TLS starts first when ``res`` has TLS on (identity ``R_DIRECTOR`` + our name, the
    resource's password as key). ``what`` names the peer in messages (``Storage
    daemon "File"``); failures raise ``error`` with the address, so job logs say
    where the Director tried. ``tls_first=False`` is the cleartext-first protocol of
    clients older than Bareos 18.2 (hello and CRAM-MD5 before TLS).
    """
    how = Outbound.for_resource(TlsSettings.of(res), qualified_name("R_DIRECTOR", director.name),
                                res.password, res.address)
    if tls_first is not None:
        how = dataclasses.replace(how, tls_first=tls_first)
    try:
        conn = await connect(res.address, int(res.port), daemon=director.name, peer=res.name,
                             tracer=director.tracer, timeout=timeout, job=job)
        conn.jobid = jobid
        try:
            await start_outbound(conn, how)
            await conn.send(hello_director(director.name))
            await authenticate_outbound(conn, f"R_DIRECTOR::{director.name}", how)
            answer = await conn.recv_text(timeout=180)
        except BaseException:
            await conn.close(terminate=False)
            raise
    except TlsError as exc:
        raise error(f"TLS negotiation with {what} at {res.address}:{res.port} failed: {exc}") from exc
    except (OSError, ProtocolError) as exc:
        raise error(f"Failed to connect to {what} at {res.address}:{res.port}: {exc}") from exc
    if not answer.startswith(ok_hello):
        await conn.close()
        raise error(f"{what} refused the Director: {answer.strip()}")
    return conn
