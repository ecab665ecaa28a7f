"""Who starts TLS, and when: the order of events of Bareos' connection set-up.

Connecting side (``BareosSocket::DoTlsHandshake`` with ``kBnetTlsAuto``): when the
resource it connects with has TLS on, it starts TLS right after the TCP connect,
with its own qualified name as PSK identity, then sends its hello inside TLS.

Accepting side (``TryTlsHandshakeAsAServer``): it looks at the first bytes. A TLS
record starts the TLS handshake with the daemon's own resource, the key found by
the peer's PSK identity; the hello that follows must name the resource whose key
was used. A cleartext ``Hello`` is served in cleartext only if this side's
resource for the peer has TLS off (a client-initiated File daemon also when TLS
is merely enabled); otherwise the connection is refused.

Both sides then run CRAM-MD5 with their ``ssl=`` policy; a connection still in
cleartext afterwards starts TLS if both policies allow it, or is refused if one
side requires TLS and the other has it off (``TwoWayAuthenticate``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from .auth import Hello, authenticate_acceptor, authenticate_connector, parse_hello
from .errors import AuthenticationError, ConnectionClosed
from .framing import Connection
from .tls import (
    RESOURCE_TYPES,
    PskLookup,
    TlsChannel,
    TlsError,
    TlsPolicy,
    TlsSettings,
    parse_qualified_name,
    policy_name,
    qualified_name,
    readable_name,
)

log = logging.getLogger(__name__)

IMMEDIATE_TLS = "Immediate TLS"  # Connection.handshake when TLS came before the hello
_TLS_RECORD_HANDSHAKE = 0x16
_CONSOLE_TLS_SINCE = (18, 2)  # consoles older than Bareos 18.2 cannot start TLS first


# -- connecting side --------------------------------------------------------------


@dataclass(frozen=True)
class Outbound:
    """How this side opens one connection: the resource's TLS settings and the PSK.

    ``identity`` is our qualified name (``R_DIRECTOR\\x1ename``, ``R_JOB\\x1ejob``),
    ``key`` the password's MD5 hex or the job's authorization key; ``tls_first``
    says whether TLS starts before the hello (resource TLS on, or ``ssl=4`` in a
    job command); ``host`` is checked against the certificate with Verify Peer.
    """

    settings: TlsSettings
    identity: str
    key: str = field(repr=False)  # a secret: never in a log line or a traceback's locals
    tls_first: bool = True
    host: str | None = None

    @classmethod
    def for_resource(cls, settings: TlsSettings, identity: str, key: str, host: str | None = None) -> Outbound:
        """A control connection: TLS first exactly when the resource has TLS on."""
        return cls(settings, identity, key, settings.enable, host)

    def channel(self) -> TlsChannel:
        return TlsChannel(self.settings, server_side=False, psk=(self.identity, self.key),
                          server_hostname=self.host)


def job_outbound(own: TlsSettings, job: str, auth_key: str, ssl: int, host: str | None = None) -> Outbound:
    """A job session (FD->SD, SD->SD, SD->FD): identity ``R_JOB`` + the job, the job's key,
    TLS first when the Director's command said ``ssl=4``; our own resource's settings."""
    return Outbound(own, qualified_name("R_JOB", job), auth_key, ssl == TlsPolicy.AUTO, host)


def connected_info(who: str, host: str, port: int | str, conn: Connection) -> str:
    """``Connected Storage daemon at sd:9103, encryption: <cipher> TLSv1.2`` (Bareos'
    ``TlsLogConninfo``), the job message of the side that opened a connection."""
    return f"Connected {who} at {host}:{port}, encryption: {conn.encryption}"


async def start_outbound(conn: Connection, how: Outbound) -> None:
    """TLS first, before the hello, when ``how`` says so."""
    if how.tls_first:
        await conn.start_tls(how.channel())
        conn.handshake = IMMEDIATE_TLS


async def authenticate_outbound(conn: Connection, own_qname: str, how: Outbound) -> None:
    """CRAM-MD5 as the connecting side, then TLS if still in cleartext and both sides want it."""
    remote = await authenticate_connector(conn, how.key, own_qname, how.settings.policy)
    await _after_cram(conn, how.settings, remote, how.channel)


# -- accepting side ---------------------------------------------------------------

PolicyLookup = Callable[[Hello], "tuple[TlsPolicy, str] | None"]
"""The TLS policy of this side's resource for the peer a hello names, and that
resource's description (``Director "bareos-dir"``); None if there is none."""


@dataclass
class Inbound:
    """What a daemon knows to accept connections: its own TLS settings and two lookups."""

    own: TlsSettings
    psk_lookup: PskLookup
    policy_for: PolicyLookup

    def channel(self) -> TlsChannel:
        return TlsChannel(self.own, server_side=True, psk_lookup=self.psk_lookup)

    async def accept_hello(self, conn: Connection, timeout: float) -> Hello:
        """Start TLS if the peer did, read its hello and decide whether to go on.

        ``timeout`` bounds the whole of it: keepalives do not renew it. Raises
        :class:`TlsError` (the connection should be dropped) with a reason naming the
        resource and what to change.
        """
        try:
            async with asyncio.timeout(timeout):
                return await self._read_hello(conn, timeout)
        except TimeoutError as exc:
            raise ConnectionClosed(f"{conn.peer} sent no hello within {timeout} s") from exc

    async def _read_hello(self, conn: Connection, timeout: float) -> Hello:
        head = await conn.peek(1, timeout)
        if head == bytes([_TLS_RECORD_HANDSHAKE]):  # a frame never starts so: its length is < 2**24
            await conn.start_tls(self.channel(), timeout=timeout)
            conn.handshake = IMMEDIATE_TLS
            hello = parse_hello(await conn.recv_msg(timeout))
            self._check_identity(conn, hello)
            return hello
        hello = parse_hello(await conn.recv_msg(timeout))
        found = self.policy_for(hello)
        if found is not None:
            policy, resource = found
            if not _cleartext_allowed(hello, policy):
                raise TlsError(
                    f"cleartext connection from {resource} at {conn.peer} refused: TLS is "
                    f"{policy_name(policy)} for {resource} here; turn TLS on at the peer, or set "
                    f"TLS Enable = no in this {resource.split()[0]} resource"
                )
        return hello

    def _check_identity(self, conn: Connection, hello: Hello) -> None:
        """The hello must name the resource (or job) whose key the TLS-PSK handshake used."""
        assert conn.tls is not None
        identity = conn.tls.psk_identity
        if identity is None:  # a certificate suite: nothing to compare
            return
        rtype, name = parse_qualified_name(identity)
        expected = RESOURCE_TYPES.get(hello.kind)
        if rtype != expected or name != hello.name:
            raise TlsError(
                f"connection from {conn.peer} refused: tried authenticating as "
                f"'{expected}::{hello.name}' but used psk for '{readable_name(identity)}'"
            )
        found = self.policy_for(hello)
        if found is not None and found[0] is TlsPolicy.NONE:
            log.info("%s at %s connected with TLS although TLS Enable = no here; accepted, as Bareos does",
                     found[1], conn.peer)

    async def authenticate(
        self, conn: Connection, key: str, own_qname: str, peer_settings: TlsSettings
    ) -> None:
        """CRAM-MD5 as the accepting side, then TLS if still in cleartext and both want it."""
        remote = await authenticate_acceptor(conn, key, own_qname, peer_settings.policy)
        await _after_cram(conn, peer_settings, remote, self.channel)
        conn.authenticated()


def _cleartext_allowed(hello: Hello, policy: TlsPolicy) -> bool:
    """Bareos' ``GetHandshakeMode`` for a cleartext hello."""
    if hello.kind == "client":
        return policy is not TlsPolicy.REQUIRED
    if hello.kind == "console" and _version(hello.version) < _CONSOLE_TLS_SINCE:
        return True
    return policy is TlsPolicy.NONE


def _version(text: str) -> tuple[int, int]:
    parts = text.split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return (0, 0)


async def _after_cram(
    conn: Connection, settings: TlsSettings, remote: TlsPolicy, channel: Callable[[], TlsChannel]
) -> None:
    if conn.tls is not None:
        return
    chosen = settings.select(remote)
    if chosen is TlsPolicy.DENY:
        raise AuthenticationError(
            f"TLS negotiation with {conn.peer} failed: TLS is {policy_name(settings.policy)} here "
            f"and {policy_name(remote)} at the peer; turn TLS on at the side that has it off"
        )
    if chosen is not TlsPolicy.NONE:
        await conn.start_tls(channel())
