"""Protocol errors. Each carries the reply code a peer sees, where there is one."""

from __future__ import annotations


class ProtocolError(Exception):
    """A peer broke the Bareos protocol."""

    code = 0

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        if code is not None:
            self.code = code


class ConnectionClosed(ProtocolError):
    """The peer closed the connection (end of file)."""


class FrameTooLarge(ProtocolError):
    """A frame header announced more than the Bareos maximum packet size."""


class UnexpectedSignal(ProtocolError):
    """A signal arrived where a message was required."""


class AuthenticationError(ProtocolError):
    """CRAM-MD5 failed in either direction."""

    code = 1999


class BadHello(ProtocolError):
    """The first message of a connection is not a hello we know."""


class CommandError(ProtocolError):
    """A command could not be parsed or failed; ``code`` is the reply code sent."""


_BY_CODE: dict[int, type[ProtocolError]] = {1999: AuthenticationError}


def error_for_reply(line: str) -> ProtocolError:
    """Map a ``NNNN text`` error reply to an exception carrying its code."""
    head, _, text = line.partition(" ")
    try:
        code = int(head)
    except ValueError:
        return ProtocolError(line.strip())
    return _BY_CODE.get(code, CommandError)(text.strip(), code)
