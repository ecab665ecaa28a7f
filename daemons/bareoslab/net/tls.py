"""TLS as Bareos negotiates it: policies, settings, contexts and one TLS channel per connection.

Bareos enables TLS-PSK on every connection unless a resource says ``TLS Enable = no``.
The PSK identity is the connecting side's *qualified name*, a resource type and a
name joined by the ASCII record separator (``R_DIRECTOR\\x1ebareos-dir``; job sessions
use ``R_JOB\\x1e<unique job name>``), and the key is the MD5 hex of the password (or
the job's authorization key) as ASCII. With ``TLS Certificate`` configured, the
certificate suites win the TLS 1.2 cipher choice over the PSK ones, as in Bareos.

TLS runs on memory BIOs (:class:`TlsChannel`) under :class:`~.framing.Connection`,
so a daemon can start it at any point of a conversation: before the hello (TLS
first), after the first bytes showed a ClientHello, or after CRAM-MD5 (the
cleartext-first fallback). Python 3.11's ``ssl`` module has no PSK callbacks;
``sslpsk3`` adds them to one ``SSL`` object at a time, which is what is needed here
(one binding per connection, removed once the handshake is over). Its PSK
callbacks work with TLS 1.2 only, so contexts are capped at TLS 1.2, as
python-bareos does with the same binding.
"""

from __future__ import annotations

import functools
import logging
import re
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, cast

from sslpsk3 import sslpsk3 as _psk

from .errors import ProtocolError

log = logging.getLogger(__name__)

RECORD_SEPARATOR = "\x1e"
DEFAULT_CIPHERS = "ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH"  # Bareos' default cipher list
TLS_HANDSHAKE_TIMEOUT = 180.0
_RECORD_SIZE = 16 * 1024  # the largest TLS record's plaintext: one SSL_read gives at most this


class TlsPolicy(IntEnum):
    """The ``ssl=`` values of CRAM-MD5 challenges and job commands (``tls_conf.h``)."""

    NONE = 0
    ENABLED = 1
    REQUIRED = 2
    AUTO = 4  # job commands: "the target's resource has TLS on, start it before the hello"
    DENY = 255


class TlsError(ProtocolError):
    """The TLS handshake failed or TLS was refused by policy."""


def qualified_name(rtype: str, name: str) -> str:
    """``R_DIRECTOR`` + RS + ``bareos-dir``: a PSK identity."""
    return f"{rtype}{RECORD_SEPARATOR}{name}"


def parse_qualified_name(identity: str) -> tuple[str, str]:
    rtype, sep, name = identity.partition(RECORD_SEPARATOR)
    return (rtype, name) if sep else ("", identity)


def readable_name(identity: str) -> str:
    """``R_DIRECTOR::bareos-dir``, as Bareos prints qualified names in logs."""
    rtype, name = parse_qualified_name(identity)
    return f"{rtype}::{name}" if rtype else name


_TLS_VERSIONS = {
    "tlsv1": ssl.TLSVersion.TLSv1,
    "tlsv1.1": ssl.TLSVersion.TLSv1_1,
    "tlsv1.2": ssl.TLSVersion.TLSv1_2,
    "tlsv1.3": ssl.TLSVersion.TLSv1_3,
}
_MAX_VERSION = ssl.TLSVersion.TLSv1_2  # the PSK binding's limit (see the module docstring)


def protocol_versions(spec: str) -> tuple[ssl.TLSVersion, ssl.TLSVersion]:
    """The (minimum, maximum) TLS versions an OpenSSL ``Protocol`` command allows.

    ``TLS Protocol`` takes OpenSSL's syntax: ``ALL``, version names, ``-`` to remove
    one (``ALL,-TLSv1,-TLSv1.1``, ``TLSv1.2``). Raises ``ValueError`` on other words.
    """
    order = list(_TLS_VERSIONS.values())
    allowed: set[ssl.TLSVersion] = set()
    for word in re.split(r"[\s,]+", spec.strip()):
        if not word:
            continue
        remove = word.startswith("-")
        key = word.lstrip("+-").lower()
        versions = order if key == "all" else [_TLS_VERSIONS.get(key)]
        if None in versions:
            raise ValueError(f"unknown TLS protocol {word!r}")
        for version in versions:
            assert version is not None
            (allowed.discard if remove else allowed.add)(version)
    usable = [v for v in order if v in allowed and v <= _MAX_VERSION]
    if not usable:
        raise ValueError(f"TLS Protocol {spec!r} leaves no version bareoslab can use (TLS 1.0 to 1.2)")
    return usable[0], usable[-1]


@dataclass(frozen=True)
class TlsSettings:
    """A resource's TLS directives (Bareos' ``TlsResource``); hashable, so contexts are cached."""

    enable: bool = True
    require: bool = True
    cipher_list: str = ""
    protocol: str = ""
    certificate: str = ""
    key: str = ""
    ca_file: str = ""
    ca_dir: str = ""
    crl: str = ""
    dh_file: str = ""
    verify_peer: bool = False
    allowed_cn: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, resource: Any) -> TlsSettings:
        """Read the TLS directives of a configuration resource (anything with ``get``)."""

        def get(directive: str, default: Any) -> Any:
            value = resource.get(directive, default)
            return default if value is None else value

        return cls(
            enable=bool(get("TLS Enable", True)),
            require=bool(get("TLS Require", True)),
            cipher_list=get("TLS Cipher List", ""),
            protocol=get("TLS Protocol", ""),
            certificate=get("TLS Certificate", ""),
            key=get("TLS Key", ""),
            ca_file=get("TLS CA Certificate File", ""),
            ca_dir=get("TLS CA Certificate Dir", ""),
            crl=get("TLS Certificate Revocation List", ""),
            dh_file=get("TLS DH File", ""),
            verify_peer=bool(get("TLS Verify Peer", False)),
            allowed_cn=tuple(get("TLS Allowed CN", ()) or ()),
        )

    @property
    def policy(self) -> TlsPolicy:
        if not self.enable:
            return TlsPolicy.NONE
        return TlsPolicy.REQUIRED if self.require else TlsPolicy.ENABLED

    @property
    def job_policy(self) -> TlsPolicy:
        """The ``ssl=`` a Director puts in a job command for a peer of this resource."""
        return TlsPolicy.AUTO if self.enable else TlsPolicy.NONE

    def select(self, remote: TlsPolicy) -> TlsPolicy:
        """Bareos' ``SelectTlsPolicy``: what to do after CRAM-MD5 given the peer's ``ssl=``."""
        if remote is TlsPolicy.AUTO:
            return TlsPolicy.AUTO
        local = self.policy
        if TlsPolicy.NONE in (local, remote):
            if TlsPolicy.REQUIRED in (local, remote):
                return TlsPolicy.DENY
            return TlsPolicy.NONE
        return TlsPolicy.ENABLED


DEFAULT_TLS = TlsSettings()  # a resource without TLS directives: TLS-PSK on and required
NO_TLS = TlsSettings(enable=False, require=False)


def _base_context(settings: TlsSettings, purpose: int) -> ssl.SSLContext:
    ctx = ssl.SSLContext(purpose)
    if purpose == ssl.PROTOCOL_TLS_CLIENT:
        ctx.check_hostname = False  # set per connection when the peer is verified by host name
    ctx.set_ciphers(settings.cipher_list or DEFAULT_CIPHERS)
    if settings.protocol:
        ctx.minimum_version, ctx.maximum_version = protocol_versions(settings.protocol)
    else:
        ctx.maximum_version = _MAX_VERSION
    if settings.certificate:
        ctx.load_cert_chain(settings.certificate, settings.key or None)
    if settings.ca_file or settings.ca_dir:
        ctx.load_verify_locations(settings.ca_file or None, settings.ca_dir or None)
    if settings.crl:
        ctx.load_verify_locations(settings.crl)
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    if settings.dh_file:
        ctx.load_dh_params(settings.dh_file)
    ctx.verify_mode = ssl.CERT_REQUIRED if settings.verify_peer else ssl.CERT_NONE
    return ctx


@functools.lru_cache(maxsize=64)
def client_context(settings: TlsSettings) -> ssl.SSLContext:
    """The context for connections this side opens (certificates and CAs read once)."""
    return _base_context(settings, ssl.PROTOCOL_TLS_CLIENT)


@functools.lru_cache(maxsize=16)
def server_context(settings: TlsSettings) -> ssl.SSLContext:
    """The context for connections this side accepts, from the daemon's own resource."""
    return _base_context(settings, ssl.PROTOCOL_TLS_SERVER)


class _PskBinding:
    """What ``sslpsk3`` calls back for one SSL object (it looks bindings up by SSL id)."""

    def __init__(
        self,
        client: Callable[[str | None], tuple[str, bytes]] | None = None,
        server: Callable[[str | None], bytes] | None = None,
    ) -> None:
        self.psk_client_callback = client
        self.psk_server_callback = server


PskLookup = Callable[[str], "str | None"]
"""Server side: the key for a PSK identity (a qualified name), or None if unknown."""


class TlsChannel:
    """One TLS session on memory BIOs: bytes from the socket in, plaintext out, and back.

    The connecting side passes ``psk=(identity, key)``; the accepting side passes
    ``psk_lookup``. After the handshake ``psk_identity`` tells which identity the
    accepting side took the key for (None when a certificate suite was chosen).
    """

    def __init__(
        self,
        settings: TlsSettings,
        *,
        server_side: bool,
        psk: tuple[str, str] | None = None,
        psk_lookup: PskLookup | None = None,
        server_hostname: str | None = None,
    ) -> None:
        self.settings = settings
        self.server_side = server_side
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        verify_host = not server_side and settings.verify_peer and not settings.allowed_cn
        try:
            if server_side:
                ctx = server_context(settings)
            else:
                ctx = _hostname_checking(settings) if verify_host and server_hostname else client_context(settings)
        except (OSError, ssl.SSLError, ValueError) as exc:  # unreadable certificate or key, bad protocol
            files = [f for f in (settings.certificate, settings.key, settings.ca_file, settings.ca_dir,
                                 settings.crl, settings.dh_file) if f]
            raise TlsError(f"TLS cannot start: {describe_ssl_error(exc)} (files: {', '.join(files) or 'none'})") from exc
        self.obj = ctx.wrap_bio(self.incoming, self.outgoing, server_side=server_side,
                                server_hostname=server_hostname if verify_host else None)
        self.psk_identity: str | None = None
        self._ssl_id: int | None = None
        self._scratch = bytearray(_RECORD_SIZE)
        self._scratch_view = memoryview(self._scratch)
        sslsock = _psk.get_ssl_socket(self.obj)
        if server_side and psk_lookup is not None:
            self._ssl_id = _psk._sslpsk3.sslpsk3_set_psk_server_callback(sslsock)
            _psk.psk_contexts[self._ssl_id] = _PskBinding(server=self._server_key(psk_lookup))
        elif not server_side and psk is not None:
            identity, key = psk
            self._ssl_id = _psk._sslpsk3.sslpsk3_set_psk_client_callback(sslsock)
            _psk.psk_contexts[self._ssl_id] = _PskBinding(
                client=lambda _hint: (identity, key.encode("ascii"))
            )
            self.psk_identity = identity

    def _server_key(self, lookup: PskLookup) -> Callable[[str | None], bytes]:
        def key_for(identity: str | None) -> bytes:
            try:
                key = lookup(identity or "")
            except Exception:  # an exception must not escape into OpenSSL's callback
                log.exception("PSK lookup for %r failed", identity)
                key = None
            if key is None:
                log.warning("TLS-PSK: no key for identity %s", readable_name(identity or ""))
                return b""
            self.psk_identity = identity
            return key.encode("ascii")

        return key_for

    def unbind(self) -> None:
        """Forget the PSK callbacks once the handshake is over (or failed)."""
        if self._ssl_id is not None:
            _psk.psk_contexts.pop(self._ssl_id, None)
            self._ssl_id = None

    def handshake_step(self) -> bool:
        """Advance the handshake with what ``incoming`` holds; True once it is complete."""
        try:
            self.obj.do_handshake()
        except ssl.SSLWantReadError:
            return False
        return True

    def verify_peer_name(self) -> None:
        """``TLS Allowed CN``: the peer certificate's commonName must be in the list."""
        if not (self.settings.verify_peer and self.settings.allowed_cn):
            return
        cert = self.obj.getpeercert()
        if not cert:
            raise TlsError("Peer failed to present a TLS certificate")
        subject = cast("tuple[tuple[tuple[str, str], ...], ...]", cert.get("subject", ()))
        names = [value for rdn in subject for key, value in rdn if key == "commonName"]
        if not any(name in self.settings.allowed_cn for name in names):
            raise TlsError(
                "TLS certificate verification failed. Peer certificate did not match a "
                f"required commonName (got {', '.join(names) or 'none'}, allowed "
                f"{', '.join(self.settings.allowed_cn)})"
            )

    def failure_reason(self, exc: BaseException) -> str:
        """Why the handshake failed, with the likely cause when both sides used TLS-PSK."""
        reason = describe_ssl_error(exc)
        psk_mismatch = any(word in reason.lower() for word in ("decrypt", "bad record mac", "bad_record_mac"))
        if self.psk_identity is not None and psk_mismatch:
            reason += f" (TLS-PSK key of {readable_name(self.psk_identity)} rejected: wrong password?)"
        return reason

    def take_output(self) -> bytes:
        return self.outgoing.read()

    def decrypt_into(self, data: bytes | bytearray | memoryview, out: bytearray) -> bool:
        """Feed socket bytes; append the plaintext now readable to ``out`` (one copy, through a
        reused record-sized buffer); True once the peer has closed TLS."""
        if data:
            self.incoming.write(data)
        scratch, view = self._scratch, self._scratch_view
        while True:
            try:
                size = cast(int, self.obj.read(len(scratch), scratch))  # with a buffer: a count
            except ssl.SSLWantReadError:
                return False
            except ssl.SSLZeroReturnError:
                return True
            if not size:
                return True
            out += view[:size]

    def encrypt(self, data: bytes | bytearray | memoryview) -> bytes:
        self.obj.write(data)
        return self.outgoing.read()

    def close_notify(self) -> bytes:
        try:
            self.obj.unwrap()
        except ssl.SSLError:
            pass
        return self.outgoing.read()

    @property
    def cipher(self) -> str:
        """``<cipher> <protocol>`` as Bareos prints it (``TlsCipherGetName``)."""
        found = self.obj.cipher()
        return f"{found[0]} {found[1]}" if found else "Unknown"


@functools.lru_cache(maxsize=16)
def _hostname_checking(settings: TlsSettings) -> ssl.SSLContext:
    ctx = _base_context(settings, ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = True
    return ctx


def describe_ssl_error(exc: BaseException) -> str:
    """A one-line reason for a failed handshake (OpenSSL's reason, not a traceback)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verification failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    return str(exc) or type(exc).__name__


def policy_name(policy: TlsPolicy) -> str:
    return {TlsPolicy.NONE: "none", TlsPolicy.ENABLED: "enabled", TlsPolicy.REQUIRED: "required"}.get(
        policy, policy.name.lower()
    )


RESOURCE_TYPES: Mapping[str, str] = {
    # hello kind -> the qualified-name type the peer's PSK identity must carry
    "console": "R_CONSOLE",
    "director": "R_DIRECTOR",
    "client": "R_CLIENT",
    "job": "R_JOB",
    "replicate": "R_JOB",
    "storage_job": "R_JOB",
}
