"""The schema's building block, :class:`Directive`, and directives shared by daemons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bareoslab.config.blocks import MessageDestinationType
from bareoslab.config.types import (
    BOOL,
    DIRECTORY,
    NAME,
    STRING,
    STRING_LIST,
    ValueType,
    snake,
)


@dataclass(frozen=True)
class Directive:
    """One directive of a resource type.

    :param name: Bareos' spelling, words separated by blanks (``Maximum Concurrent Jobs``);
        its snake case (``maximum_concurrent_jobs``) is the attribute on a resource
    :param type: how the value is read and what it becomes
    :param required: a resource without it is an error
    :param default: value when not set (None: the type's zero value, see :attr:`default_value`)
    :param aliases: other accepted spellings (``SdPort`` for ``Port``)
    :param deprecated: Bareos still accepts it but plans to drop it
    :param doc: one line for humans and generated argument specs
    :param effect: bareoslab acts upon it (False: accepted for Bareos' configurations, and
        ``-t`` says it has no effect)
    """

    name: str
    type: ValueType
    required: bool = False
    default: Any = None
    aliases: tuple[str, ...] = ()
    deprecated: bool = False
    doc: str = ""
    effect: bool = True

    @property
    def key(self) -> str:
        """The attribute the value is stored under."""
        return self.type.store_key or snake(self.name)

    @property
    def default_value(self) -> Any:
        """The value of the directive when it is not set (a fresh list for list types)."""
        value = self.default if self.default is not None else self.type.zero()
        if isinstance(value, (list, tuple)):
            return list(value)
        return value


def name_directive(what: str = "resource") -> Directive:
    return Directive("Name", NAME, required=True, doc=f"The name of the {what}.")


def description_directive() -> Directive:
    return Directive("Description", STRING, doc="Free text for humans.")


def tls_directives() -> list[Directive]:
    """The TLS directives every network resource takes (Bareos: TLS Enable/Require default yes)."""
    return [
        Directive(
            "TLS Authenticate",
            BOOL,
            default=False,
            deprecated=True,
            doc="Use TLS only to authenticate, not for encryption.",
            effect=False,
        ),
        Directive("TLS Enable", BOOL, default=True, doc="Enable TLS support."),
        Directive(
            "TLS Require",
            BOOL,
            default=True,
            doc="Refuse connections without TLS (no: fall back to cleartext).",
        ),
        Directive("TLS Cipher List", STRING, doc="OpenSSL cipher list for TLS <= 1.2."),
        # bareoslab negotiates TLS 1.2 (the PSK binding's limit), so TLS 1.3 suites never apply
        Directive("TLS Cipher Suites", STRING, doc="OpenSSL cipher suites for TLS 1.3.", effect=False),
        Directive("TLS DH File", DIRECTORY, doc="PEM Diffie-Hellman parameter file."),
        Directive("TLS Protocol", STRING, doc="OpenSSL protocol configuration."),
        Directive("TLS Verify Peer", BOOL, default=False, doc="Check the peer's certificate CN."),
        Directive("TLS CA Certificate File", DIRECTORY, doc="PEM file of trusted CA certificates."),
        Directive("TLS CA Certificate Dir", DIRECTORY, doc="Directory of trusted CA certificates."),
        Directive(
            "TLS Certificate Revocation List", DIRECTORY, doc="Certificate revocation list file."
        ),
        Directive("TLS Certificate", DIRECTORY, doc="PEM certificate of this daemon."),
        Directive("TLS Key", DIRECTORY, doc="PEM private key for TLS Certificate."),
        Directive("TLS Allowed CN", STRING_LIST, doc="Common names allowed as peers."),
    ]


def messages_directives() -> list[Directive]:
    """The Messages resource, the same in every daemon."""

    def dest(name: str, address: str, doc: str) -> Directive:
        return Directive(name, MessageDestinationType(name.replace(" ", ""), address), doc=doc)

    return [
        name_directive("Messages resource"),
        description_directive(),
        Directive("Mail Command", STRING, doc="Command that sends mail (%r recipients)."),
        Directive("Operator Command", STRING, doc="Command that sends operator mail."),
        Directive("Timestamp Format", STRING, doc="strftime format of message time stamps."),
        dest("Syslog", "optional", "Send to syslog: [facility =] types."),
        dest("Mail", "list", "Mail the job report: addresses = types."),
        dest("Mail On Error", "list", "Mail when the job failed: addresses = types."),
        dest("Mail On Success", "list", "Mail when the job succeeded: addresses = types."),
        dest("File", "file", 'Write to a file (truncated): "file" = types.'),
        dest("Append", "file", 'Append to a file: "file" = types.'),
        dest("Stdout", "none", "Write to standard output."),
        dest("Stderr", "none", "Write to standard error."),
        dest("Director", "list", "Forward to a director (SD, FD): director name = types."),
        dest("Console", "none", "Queue for the console 'messages' command."),
        dest("Operator", "list", "Mail the operator right away: addresses = types."),
        dest("Catalog", "none", "Store in the catalog Log table."),
    ]
