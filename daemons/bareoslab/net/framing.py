"""Bareos framing ("bsock"): a 4-byte big-endian length, then the payload.

A negative length is a signal and carries no payload. Every message sent or
received goes through :class:`Connection`, which also writes the protocol trace.
"""

from __future__ import annotations

import asyncio
import struct
from enum import IntEnum

from .errors import ConnectionClosed, FrameTooLarge, ProtocolError, UnexpectedSignal
from .trace import Tracer

MAX_PACKET = 1_000_000
MAX_PAYLOAD = MAX_PACKET - 4
_HEADER = struct.Struct(">i")


class Signal(IntEnum):
    """Negative frame lengths (``bnet_protocol_signals.h``); values are pinned by a test."""

    EOD = -1
    EOD_POLL = -2
    STATUS = -3
    TERMINATE = -4
    POLL = -5
    HEARTBEAT = -6
    HB_RESPONSE = -7
    RETIRED_PROMPT = -8  # formerly BNET_xxxxxxPROMPT; slot kept
    BTIME = -9
    BREAK = -10
    START_SELECT = -11
    END_SELECT = -12
    INVALID_CMD = -13
    CMD_FAILED = -14
    CMD_OK = -15
    CMD_BEGIN = -16
    MSGS_PENDING = -17
    MAIN_PROMPT = -18
    SELECT_INPUT = -19
    WARNING_MSG = -20
    ERROR_MSG = -21
    INFO_MSG = -22
    RUN_CMD = -23
    YESNO = -24
    START_RTREE = -25
    END_RTREE = -26
    SUB_PROMPT = -27
    TEXT_INPUT = -28


Message = bytes | Signal

KEEPALIVE = frozenset({Signal.HEARTBEAT, Signal.HB_RESPONSE})


def bash_spaces(text: str) -> str:
    """Replace blanks by 0x01, as Bareos does for names sent inside a command line."""
    return text.replace(" ", "\x01")


def unbash_spaces(text: str) -> str:
    return text.replace("\x01", " ")


def encode_frame(payload: bytes) -> bytes:
    return _HEADER.pack(len(payload)) + payload


class Connection:
    """One Bareos conversation over an asyncio stream pair.

    ``daemon`` is our own name, ``peer`` a label for the other side (used in
    logs and the trace); ``job`` is the unique job name once known.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        daemon: str,
        peer: str,
        tracer: Tracer | None = None,
        job: str = "",
        read_timeout: float | None = None,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.daemon = daemon
        self.peer = peer
        self.tracer = tracer
        self.job = job
        self.jobid = 0
        self.read_timeout = read_timeout
        self.closed = False
        self.peer_terminated = False

    # -- receiving ---------------------------------------------------------
    async def recv(self, timeout: float | None = None) -> Message:
        """Next message or signal. Raises :class:`ConnectionClosed` at end of file."""
        timeout = self.read_timeout if timeout is None else timeout
        if timeout is None:  # the data path: no timer per message
            msg = await self._read_frame()
        else:
            try:
                async with asyncio.timeout(timeout):
                    msg = await self._read_frame()
            except TimeoutError as exc:
                raise ConnectionClosed(f"{self.peer} sent nothing for {timeout} s") from exc
        if self.tracer:
            self.tracer.message(self, "recv", msg)
        return msg

    async def _read_frame(self) -> Message:
        try:
            header = await self.reader.readexactly(4)
            (length,) = _HEADER.unpack(header)
            if length > 0:
                if length > MAX_PACKET:
                    raise FrameTooLarge(f"{self.peer} sent a frame of {length} bytes (max {MAX_PACKET})")
                return await self.reader.readexactly(length)
        except asyncio.IncompleteReadError as exc:
            raise ConnectionClosed(f"{self.peer} closed the connection") from exc
        except (ConnectionResetError, BrokenPipeError) as exc:
            raise ConnectionClosed(f"{self.peer} reset the connection") from exc
        if length == 0:
            return b""
        try:
            sig = Signal(length)
        except ValueError:
            raise ProtocolError(f"unknown signal {length} from {self.peer}") from None
        if sig is Signal.TERMINATE:
            self.peer_terminated = True
        return sig

    async def recv_msg(self, timeout: float | None = None) -> bytes:
        """Next message, skipping keepalives; any other signal is an error."""
        while True:
            msg = await self.recv(timeout)
            if isinstance(msg, Signal):
                if msg in KEEPALIVE:
                    continue
                raise UnexpectedSignal(f"{self.peer} sent {msg.name} where a message was expected")
            return msg

    async def recv_text(self, timeout: float | None = None) -> str:
        return decode_text(await self.recv_msg(timeout))

    async def recv_until_eod(self) -> list[bytes]:
        """Messages up to the next EOD (keepalives skipped)."""
        out: list[bytes] = []
        while True:
            msg = await self.recv()
            if msg is Signal.EOD:
                return out
            if isinstance(msg, Signal):
                if msg in KEEPALIVE:
                    continue
                raise UnexpectedSignal(f"{self.peer} sent {msg.name} before EOD")
            out.append(msg)

    # -- sending -----------------------------------------------------------
    def write(self, payload: bytes | bytearray | memoryview | str) -> None:
        """Queue one message without waiting; call :meth:`drain` now and then."""
        if isinstance(payload, str):
            payload = payload.encode("utf-8", "surrogateescape")
        if len(payload) > MAX_PAYLOAD:
            for start in range(0, len(payload), MAX_PAYLOAD):
                self.write(payload[start : start + MAX_PAYLOAD])
            return
        self.writer.write(_HEADER.pack(len(payload)))
        self.writer.write(payload)
        if self.tracer:
            self.tracer.message(self, "send", bytes(payload[:120]) if len(payload) > 120 else bytes(payload), len(payload))

    def write_signal(self, sig: Signal) -> None:
        self.writer.write(_HEADER.pack(int(sig)))
        if self.tracer:
            self.tracer.message(self, "send", sig)

    async def drain(self) -> None:
        try:
            await self.writer.drain()
        except (ConnectionResetError, BrokenPipeError) as exc:
            raise ConnectionClosed(f"{self.peer} reset the connection") from exc

    async def send(self, payload: bytes | bytearray | memoryview | str) -> None:
        self.write(payload)
        await self.drain()

    async def signal(self, sig: Signal) -> None:
        self.write_signal(sig)
        await self.drain()

    async def close(self, terminate: bool = True) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            if terminate and not self.peer_terminated and not self.writer.is_closing():
                self.write_signal(Signal.TERMINATE)
                await asyncio.wait_for(self.writer.drain(), 5)
        except (OSError, TimeoutError, ConnectionError):
            pass
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 5)
        except (OSError, TimeoutError, ConnectionError):
            pass


def decode_text(msg: bytes) -> str:
    """Message bytes as text, without the trailing NUL a C peer may send."""
    return msg.rstrip(b"\0").decode("utf-8", "surrogateescape")
