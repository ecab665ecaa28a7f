"""Passive clients: the Storage Daemon connects to the File Daemon instead of the other way round.

With ``Passive = yes`` on the Client resource the Director does not send the FD
``storage address=...``; it tells the SD ``passive client address=<fd> port=<fd port> ssl=0``.
The SD connects to the FD (``Hello Storage calling Start Job``, the FD challenges
first with the job's Authorization key) and answers ``2000 OK passive client``.
For a restore the FD first gets the key of the SD session with ``setauthorization``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Resource
from ..net.framing import bash_spaces
from ..net.tls import TlsSettings
from .sd_cmd import StorageError

if TYPE_CHECKING:
    from .fd_cmd import ClientSession
    from .sd_cmd import StorageSession

OK_PASSIVE = "2000 OK passive client"
OK_AUTHORIZATION = "2000 OK Authorization"


def client_address(client: Resource) -> tuple[str, int]:
    """Where the SD reaches the FD: the Client's ``Lan Address`` if set, else its ``Address``."""
    return (client.lan_address or client.address), int(client.port)


def passive_client_line(client: Resource) -> str:
    address, port = client_address(client)
    ssl = int(TlsSettings.of(client).job_policy)
    return f"passive client address={bash_spaces(address)} port={port} ssl={ssl}\n"


async def send_passive_client(sd: StorageSession, client: Resource) -> None:
    """``passive client ...`` to the SD; it connects to the FD before it answers."""
    address, port = client_address(client)
    try:
        await sd.command(passive_client_line(client), OK_PASSIVE)
    except StorageError as exc:
        raise StorageError(
            f'Storage daemon "{sd.storage.name}" could not connect to passive Client "{client.name}" '
            f"at {address}:{port}: {exc}") from exc


async def send_authorization(fd: ClientSession) -> None:
    """``setauthorization``: the key of the current SD session, for the SD's passive hello."""
    await fd.command(f"setauthorization Authorization={fd.jcr.sd_auth}\n", OK_AUTHORIZATION)
