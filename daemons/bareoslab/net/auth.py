"""Mutual CRAM-MD5 authentication and the hello lines daemons send.

The side that accepted the TCP connection challenges first; the connecting
side answers, then challenges back. The key is the 32-character MD5 hex of the
configured password (or a job's Authorization key, used verbatim).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import platform
import re
import time
from dataclasses import dataclass

from ..version import VERSION, VERSION_DATE
from .bareos64 import bin_to_base64
from .errors import AuthenticationError, BadHello
from .framing import Connection, Signal, bash_spaces, decode_text, unbash_spaces
from .tls import TlsPolicy

log = logging.getLogger(__name__)

DEFAULT_CONSOLE = "*UserAgent*"  # the console name of a bconsole without a Console resource
OK_AUTH = "1000 OK auth\n"
AUTH_FAILED = "1999 Authorization failed.\n"
AUTH_READ_TIMEOUT = 180.0
AUTH_TOTAL_TIMEOUT = 600.0



def os_info() -> str:
    """The operating system as Bareos names it in its version lines (``Debian GNU/Linux 12 (bookworm)``)."""
    try:
        return platform.freedesktop_os_release()["PRETTY_NAME"]
    except (OSError, KeyError):
        return platform.system()


def platform_name() -> str:
    """The platform Bareos' packages name after ``,`` in a File daemon's version (``debian``)."""
    try:
        return platform.freedesktop_os_release()["ID"]
    except (OSError, KeyError):
        return platform.system().lower()


def version_line() -> str:
    """What a daemon says of itself at a job's start: ``Version: 25.0.0 (25 November 2026) <os>``."""
    return f"Version: {VERSION} ({VERSION_DATE}) {os_info()}"
FD_PROTOCOL_VERSION = 54
_VERSION_TAG = f'Version="{VERSION}"'

_CHALLENGE_RE = re.compile(r"^auth cram-md5(c?) (<\d+\.\d+@[^>\s]*>)(?: ssl=(\d+))?")


def password_key(clear: str) -> str:
    """The CRAM-MD5/PSK key of a configured clear-text password."""
    return hashlib.md5(clear.encode("utf-8")).hexdigest()


def cram_digest(key: str, challenge: str, compat: bool = False) -> str:
    mac = hmac.new(key.encode("utf-8"), challenge.encode("utf-8"), "md5").digest()
    return bin_to_base64(mac, compat=compat)


async def _challenge(conn: Connection, key: str, own_qname: str, tls_policy: int) -> None:
    token = f"<{int.from_bytes(os.urandom(4), 'big')}.{int(time.time())}@{bash_spaces(own_qname)}>"
    await conn.send(f"auth cram-md5 {token} ssl={tls_policy}\n")
    answer = decode_text(await conn.recv_msg(AUTH_READ_TIMEOUT)).strip()
    expected = (cram_digest(key, token), cram_digest(key, token, compat=True))
    if not any(hmac.compare_digest(answer, e) for e in expected):
        await conn.send(AUTH_FAILED)
        raise AuthenticationError(f"{conn.peer} failed CRAM-MD5 (wrong password?)")
    await conn.send(OK_AUTH)


async def _respond(conn: Connection, key: str, own_qname: str) -> TlsPolicy:
    """Answer the peer's challenge; return the TLS policy its ``ssl=`` announced."""
    msg = await conn.recv(AUTH_READ_TIMEOUT)
    if isinstance(msg, Signal):
        raise AuthenticationError(f"{conn.peer} sent {msg.name} instead of a challenge")
    text = decode_text(msg)
    match = _CHALLENGE_RE.match(text)
    if not match:
        raise AuthenticationError(f"{conn.peer} sent no CRAM-MD5 challenge: {text.strip()[:80]!r}")
    compat, token = match.group(1) == "c", match.group(2)
    try:
        remote_policy = TlsPolicy(int(match.group(3) or 0))
    except ValueError:
        remote_policy = TlsPolicy.NONE
    name = unbash_spaces(token.split("@", 1)[1].rstrip(">"))
    if name == own_qname and "R_STORAGE" not in name:
        await conn.send(AUTH_FAILED)
        raise AuthenticationError(f"{conn.peer} replayed our own challenge name")
    await conn.send(cram_digest(key, token, compat=compat).encode("ascii") + b"\0")
    verdict = decode_text(await conn.recv_msg(AUTH_READ_TIMEOUT))
    if verdict != OK_AUTH:
        raise AuthenticationError(f"{conn.peer} refused our answer: {verdict.strip()}")
    return remote_policy


async def authenticate_acceptor(
    conn: Connection, key: str, own_qname: str, tls_policy: int = 0
) -> TlsPolicy:
    """We accepted the connection: challenge first, then answer the peer's challenge.

    ``tls_policy`` is what our ``ssl=`` announces; the peer's is returned.
    """
    async with asyncio.timeout(AUTH_TOTAL_TIMEOUT):
        await _challenge(conn, key, own_qname, tls_policy)
        return await _respond(conn, key, own_qname)


async def authenticate_connector(
    conn: Connection, key: str, own_qname: str, tls_policy: int = 0
) -> TlsPolicy:
    """We connected: answer the peer's challenge first, then challenge it."""
    async with asyncio.timeout(AUTH_TOTAL_TIMEOUT):
        remote = await _respond(conn, key, own_qname)
        await _challenge(conn, key, own_qname, tls_policy)
        return remote


# -- hellos ---------------------------------------------------------------------


def hello_director(director: str) -> str:
    return f"Hello Director {bash_spaces(director)} calling {_VERSION_TAG}\n"


def hello_start_job(job: str) -> str:
    return f"Hello Start Job {job} {_VERSION_TAG}\n"


def hello_storage_calling(job: str) -> str:
    return f"Hello Storage calling Start Job {job} {_VERSION_TAG}\n"


def hello_start_storage_job(job: str) -> str:
    return f"Hello Start Storage Job {job} {_VERSION_TAG}\n"


def hello_client(client: str) -> str:
    return f"Hello Client {bash_spaces(client)} FdProtocolVersion={FD_PROTOCOL_VERSION} calling {_VERSION_TAG}\n"


def hello_console(name: str) -> str:
    return f"Hello {bash_spaces(name)} calling version {VERSION} {_VERSION_TAG}\n"


@dataclass(frozen=True)
class Hello:
    """What the first message of a connection says about the peer.

    ``kind`` is one of ``director``, ``job`` (FD/SD data sessions), ``storage_job``
    (passive client: the SD calls the FD), ``replicate`` (SD to SD), ``client``
    (client-initiated FD) and ``console``.
    """

    kind: str
    name: str
    version: str = ""
    fd_protocol: int = 0


_HELLO_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("storage_job", re.compile(r"^Hello Storage calling Start Job (\S+)")),
    ("replicate", re.compile(r"^Hello Start Storage Job (\S+)")),
    ("job", re.compile(r"^Hello Start Job (\S+)")),
    ("director", re.compile(r"^Hello Director (\S+) calling")),
    ("client", re.compile(r"^Hello Client (\S+) FdProtocolVersion=(\d+) calling")),
    ("console", re.compile(r"^Hello (\S+) calling(?: version (\S+))?")),
]


def parse_hello(msg: bytes) -> Hello:
    text = decode_text(msg)
    if not 15 <= len(text) <= 500:
        raise BadHello(f"hello of {len(text)} bytes is out of bounds")
    for kind, pattern in _HELLO_PATTERNS:
        match = pattern.match(text)
        if match:
            name = unbash_spaces(match.group(1))
            if kind == "client":
                return Hello(kind, name, fd_protocol=int(match.group(2)))
            if kind == "console":
                return Hello(kind, name, version=match.group(2) or "")
            return Hello(kind, name)
    raise BadHello(f"not a Bareos hello: {text.strip()[:80]!r}")
