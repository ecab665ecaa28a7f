"""Bareos framing ("bsock"): a 4-byte big-endian length, then the payload.

A negative length is a signal and carries no payload. Every message sent or
received goes through :class:`Connection`, which also writes the protocol trace.
"""

from __future__ import annotations

import asyncio
import ssl
import struct
import threading
from collections.abc import Callable
from enum import IntEnum
from typing import cast

from .bandwidth import BandwidthLimit
from .errors import ConnectionClosed, FrameTooLarge, ProtocolError, UnexpectedSignal
from .tls import TLS_HANDSHAKE_TIMEOUT, TlsChannel, TlsError, describe_ssl_error
from .trace import Tracer

MAX_PACKET = 1_000_000
#: the largest frame a peer may send before it has authenticated: hellos, CRAM-MD5
#: challenges and answers are a few hundred bytes
PREAUTH_MAX_PACKET = 16 * 1024
MAX_PAYLOAD = MAX_PACKET - 4
_HEADER = struct.Struct(">i")
_READ_SIZE = 256 * 1024  # bytes asked of the socket at a time
#: unread bytes above which a connection stops reading from its socket (TCP's window is behind
#: it); small until the peer has authenticated. Reading resumes below half of it.
READ_AHEAD = 512 * 1024
PREAUTH_READ_AHEAD = 128 * 1024
_OUT_FLUSH = 64 * 1024  # gathered small frames handed to the transport at this size
_DIRECT_PAYLOAD = 16 * 1024  # payloads this large go out without being copied
#: frames this large are copied out of the receive buffer through a memoryview (one copy, not
#: two); a smaller one is cheaper to slice twice than to view
_VIEW_COPY = 2048


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
_SIGNALS = {int(sig): sig for sig in Signal}  # a dict lookup takes a tenth of Signal(n)

KEEPALIVE = frozenset({Signal.HEARTBEAT, Signal.HB_RESPONSE})


def bash_spaces(text: str) -> str:
    """Replace blanks by 0x01, as Bareos does for names sent inside a command line."""
    return text.replace(" ", "\x01")


def unbash_spaces(text: str) -> str:
    return text.replace("\x01", " ")


def encode_frame(payload: bytes) -> bytes:
    return _HEADER.pack(len(payload)) + payload


class Frames:
    """Messages framed for the wire and not yet written.

    Small frames are gathered in buffers of up to ``_OUT_FLUSH`` bytes, so that a
    burst of them costs one write; a payload of ``_DIRECT_PAYLOAD`` bytes or more
    stays a piece of its own (it is not copied). A :class:`Connection` keeps one for
    what it has not flushed yet. A thread that produces a whole stream (the File
    daemon's backup reader) fills its own, away from the event loop, and the loop
    hands it over in one call (:meth:`Connection.write_frames`). With ``trace`` the
    start and size of every message are kept for the protocol trace.
    """

    __slots__ = ("_pieces", "_tail", "size", "messages", "trace")

    def __init__(self, trace: bool = False) -> None:
        self._pieces: list[bytes | bytearray | memoryview] = []
        self._tail = bytearray()
        self.size = 0  # bytes framed, headers included
        self.messages = 0
        self.trace: list[tuple[Message, int]] | None = [] if trace else None

    @property
    def payload_bytes(self) -> int:
        return self.size - 4 * self.messages

    def add(self, payload: bytes | bytearray | memoryview) -> None:
        """One message; a payload over ``MAX_PAYLOAD`` bytes becomes several, as Bareos splits it."""
        size = len(payload)
        if size > MAX_PAYLOAD:
            for start in range(0, size, MAX_PAYLOAD):
                self.add(payload[start : start + MAX_PAYLOAD])
            return
        tail = self._tail
        tail += _HEADER.pack(size)
        if size >= _DIRECT_PAYLOAD:
            self._pieces += (tail, payload)
            self._tail = bytearray()
        else:
            tail += payload
            if len(tail) >= _OUT_FLUSH:  # a write of this size at most, as a Connection flushes
                self._pieces.append(tail)
                self._tail = bytearray()
        self.size += size + 4
        self.messages += 1
        if self.trace is not None:
            self.trace.append((bytes(payload[:120]), size))

    def add_signal(self, sig: Signal) -> None:
        self._tail += _HEADER.pack(int(sig))
        self.size += 4
        self.messages += 1
        if self.trace is not None:
            self.trace.append((sig, 0))

    def take(self) -> list[bytes | bytearray | memoryview]:
        """The pieces to write, in order; this object is empty afterwards."""
        pieces = self._pieces
        if self._tail:
            pieces.append(self._tail)
        self._pieces, self._tail = [], bytearray()
        self.size = self.messages = 0
        return pieces


_scratch = threading.local()


def _scratch_buffer() -> memoryview:
    """This thread's receive buffer: its event loop reads one socket at a time and each read
    is taken out of it (appended or decrypted) before the next, so every connection shares it."""
    view: memoryview | None = getattr(_scratch, "view", None)
    if view is None:
        view = _scratch.view = memoryview(bytearray(_READ_SIZE))
    return view


class _Receiver(asyncio.BufferedProtocol):
    """The protocol of a Connection's transport once the Connection exists: the socket is read
    into a buffer (``recv_into``) and handed to the Connection, which appends or decrypts it
    into its own. Through a ``StreamReader`` every byte was copied three times more (a new
    ``bytes`` per read, the reader's buffer, a ``bytes`` out of it). Writing is unchanged: flow
    control and the end of the connection also go on to the ``StreamReaderProtocol`` that the
    ``StreamWriter`` waits on."""

    def __init__(self, conn: Connection, previous: asyncio.BaseProtocol) -> None:
        self._conn = conn
        self._previous = previous
        self._view = _scratch_buffer()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._view

    def buffer_updated(self, nbytes: int) -> None:
        self._conn._received(self._view[:nbytes])

    def eof_received(self) -> bool | None:
        self._conn._ended(None)
        return cast(asyncio.Protocol, self._previous).eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._conn._ended(exc)
        self._previous.connection_lost(exc)

    def pause_writing(self) -> None:
        self._previous.pause_writing()

    def resume_writing(self) -> None:
        self._previous.resume_writing()


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
        self._in = bytearray()
        self._pos = 0
        self._out = Frames()
        self.tls: TlsChannel | None = None
        self.bandwidth: BandwidthLimit | None = None
        self._unmetered = 0  # bytes handed to the transport since the limit last saw them
        #: how the connection started, as Bareos' Director reports it: "Immediate TLS" (TLS
        #: before the hello) or "Cleartext" (hello and CRAM-MD5 first); set by net.handshake
        self.handshake = "Cleartext"
        #: frames longer than this end the connection (small until the peer authenticated)
        self.max_frame = MAX_PACKET
        self._on_authenticated: Callable[[], None] | None = None
        # receiving (see _Receiver): what ended the stream, who waits for bytes
        self._read_ahead = READ_AHEAD
        self._paused = False
        self._eof = False  # the peer shut its side down (or TLS's close_notify came)
        self._lost: BaseException | None = None  # the connection broke
        self._failure: Exception | None = None  # undecryptable bytes came (TLS)
        self._arrived = 0  # bytes read since the bandwidth limit last saw them
        self._waiter: asyncio.Future[None] | None = None
        self._need = 0  # unread bytes the reader waits for (a frame larger than the read-ahead)
        self._take_over()

    def _take_over(self) -> None:
        """Read the socket through :class:`_Receiver` from now on; what the stream reader holds
        already (a peer that spoke or hung up first) is taken from it."""
        transport = cast(asyncio.Transport, self.writer.transport)  # a socket's: it reads too
        self._transport = transport
        transport.set_protocol(_Receiver(self, transport.get_protocol()))
        # asyncio has no public way to take a StreamReader's buffer or EOF flag (3.4-3.13)
        held = self.reader._buffer  # type: ignore[attr-defined]
        if held:
            self._received(memoryview(held))
            held.clear()
        failed = self.reader.exception()
        if failed is not None:
            self._ended(failed)
        elif self.reader._eof:  # type: ignore[attr-defined]
            self._ended(None)

    def _received(self, data: memoryview) -> None:
        """Bytes from the socket (valid during the call only)."""
        self._arrived += len(data)
        if self.tls is None:
            self._in += data
        elif self._failure is None:
            try:
                if self.tls.decrypt_into(data, self._in):
                    self._eof = True
            except ssl.SSLError as exc:
                self._failure = TlsError(f"TLS error from {self.peer}: {describe_ssl_error(exc)}")
        if not self._paused and len(self._in) - self._pos > max(self._read_ahead, self._need):
            self._paused = True
            self._transport.pause_reading()
        self._wake()

    def _ended(self, exc: BaseException | None) -> None:
        if exc is None:
            self._eof = True
        elif self._lost is None:
            self._lost = exc
        self._wake()

    def _closed_by(self, exc: BaseException) -> ConnectionClosed:
        """What a broken connection is to our callers, read or write: a reset, or lost and why
        (keepalive unanswered, no route to the peer)."""
        if isinstance(exc, (ConnectionResetError, BrokenPipeError)):
            return ConnectionClosed(f"{self.peer} reset the connection")
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        return ConnectionClosed(f"connection to {self.peer} lost: {reason}")

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _resume_reading(self, now: bool = False) -> None:
        if self._paused and (now or len(self._in) - self._pos <= self._read_ahead // 2):
            self._paused = False
            if not self._transport.is_closing():
                self._transport.resume_reading()

    # -- TLS ---------------------------------------------------------------
    @property
    def encryption(self) -> str:
        """What Bareos prints after ``encryption:`` for this connection."""
        return self.tls.cipher if self.tls else "None"

    async def peek(self, size: int, timeout: float) -> bytes:
        """Up to ``size`` unread bytes, without consuming them (fewer if the peer stops sending)."""
        try:
            async with asyncio.timeout(timeout):
                await self._fill(size)
        except ConnectionClosed:
            pass
        except TimeoutError as exc:
            if len(self._in) == self._pos:
                raise ConnectionClosed(f"{self.peer} sent nothing for {timeout} s") from exc
        return bytes(self._in[self._pos : self._pos + size])

    async def start_tls(self, channel: TlsChannel, timeout: float = TLS_HANDSHAKE_TIMEOUT) -> None:
        """Run the TLS handshake on this connection; every later byte goes through ``channel``.

        Bytes already buffered but not read (a peeked ClientHello) go to TLS first.
        Raises :class:`TlsError` with OpenSSL's reason when the handshake fails.
        """
        assert self.tls is None and not self._out.size, "TLS starts on a quiet, cleartext connection"
        if self._pos < len(self._in):
            channel.incoming.write(bytes(self._in[self._pos :]))
        self._in.clear()
        self._pos = 0
        try:
            async with asyncio.timeout(timeout):
                while True:
                    done = channel.handshake_step()
                    out = channel.take_output()
                    if out:
                        self.writer.write(out)
                        await self.writer.drain()
                    if done:
                        break
                    try:
                        await self._fill(1)
                    except ConnectionClosed as exc:
                        raise TlsError(f"{self.peer} closed the connection during the TLS handshake") from exc
                    channel.incoming.write(self._in)
                    self._in.clear()
            channel.verify_peer_name()
        except TimeoutError as exc:
            raise TlsError(f"TLS handshake with {self.peer} timed out after {timeout} s") from exc
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as exc:
            alert = channel.take_output()  # tell the peer why, as OpenSSL would on a socket
            if alert and not self.writer.is_closing():
                self.writer.write(alert)
            raise TlsError(f"TLS handshake with {self.peer} failed: {channel.failure_reason(exc)}") from exc
        finally:
            channel.unbind()
        self.tls = channel
        # records that came with the peer's last handshake flight, or after it
        raw, self._in = self._in, bytearray()
        if channel.decrypt_into(raw, self._in):
            self._eof = True
        if self.tracer:
            self.tracer.event("tls", peer=self.peer, job=self.job, cipher=channel.cipher)

    # -- receiving ---------------------------------------------------------
    async def recv(self, timeout: float | None = None) -> Message:
        """Next message or signal. Raises :class:`ConnectionClosed` at end of file."""
        msg = self._buffered_frame()  # one read brings many frames: most need no wait, no timer
        if msg is None:
            timeout = self.read_timeout if timeout is None else timeout
            if timeout is None:
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

    def poll(self) -> Message | None:
        """The next message if it is whole in the buffer already, else None; never waits. A
        loop that takes many messages in a row (a data stream) saves a coroutine per message."""
        msg = self._buffered_frame()
        if msg is not None and self.tracer:
            self.tracer.message(self, "recv", msg)
        return msg

    async def _fill(self, need: int) -> None:
        """Wait until at least ``need`` unread bytes are buffered (one read usually brings many
        frames); bytes first, then whatever ended the stream."""
        while len(self._in) - self._pos < need:
            if self._pos and self._pos >= len(self._in) // 2:
                del self._in[: self._pos]
                self._pos = 0
            if self._failure is not None:
                raise self._failure
            if self._lost is not None:
                raise self._closed_by(self._lost) from self._lost
            if self._eof:
                what = "the TLS connection" if self.tls is not None else "the connection"
                raise ConnectionClosed(f"{self.peer} closed {what}")
            self._need = need
            self._resume_reading(now=True)  # paused or not, more must come
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter, self._need = None, 0
            if self.bandwidth is not None and self._arrived:
                arrived, self._arrived = self._arrived, 0
                await _pause(self.bandwidth.pause_for(arrived))

    def _buffered_frame(self) -> Message | None:
        """The next frame if it is whole in the buffer already."""
        available = len(self._in) - self._pos
        if available < 4:
            return None
        (length,) = _HEADER.unpack_from(self._in, self._pos)
        if 0 < length <= self.max_frame and available < 4 + length:
            return None
        return self._take(length)

    async def _read_frame(self) -> Message:
        if len(self._in) - self._pos < 4:
            await self._fill(4)
        (length,) = _HEADER.unpack_from(self._in, self._pos)
        if 0 < length <= self.max_frame and len(self._in) - self._pos < 4 + length:
            await self._fill(4 + length)
        return self._take(length)

    def _take(self, length: int) -> Message:
        """The frame at the read position, whose header says ``length``; it is whole in the
        buffer unless it is too large."""
        if length > 0:
            if length > self.max_frame:
                raise FrameTooLarge(f"{self.peer} sent a frame of {length} bytes (max {self.max_frame})")
            start = self._pos + 4
            end = self._pos = start + length
            if length < _VIEW_COPY:
                frame = bytes(self._in[start:end])
            else:
                with memoryview(self._in) as buffered:  # one copy (a bytearray slice is one more)
                    frame = bytes(buffered[start:end])
            if end > 2 * self._read_ahead:  # a reader that never waits (see _fill) drops it here
                del self._in[:end]
                self._pos = 0
            if self._paused:
                self._resume_reading()
            return frame
        self._pos += 4
        if length == 0:
            return b""
        sig = _SIGNALS.get(length)
        if sig is None:
            raise ProtocolError(f"unknown signal {length} from {self.peer}")
        if sig is Signal.TERMINATE:
            self.peer_terminated = True
        return sig

    def await_authentication(self, on_authenticated: Callable[[], None]) -> None:
        """An accepted connection: small frames only, until :meth:`authenticated`."""
        self.max_frame = PREAUTH_MAX_PACKET
        self._read_ahead = PREAUTH_READ_AHEAD
        self._on_authenticated = on_authenticated

    def authenticated(self) -> None:
        """The peer proved its key: full-sized frames from now on."""
        self.max_frame = MAX_PACKET
        self._read_ahead = READ_AHEAD
        self._resume_reading()
        callback, self._on_authenticated = self._on_authenticated, None
        if callback is not None:
            callback()

    def at_eof(self) -> bool:
        """The peer hung up and every frame it sent has been read."""
        return self._pos >= len(self._in) and (self._eof or self._lost is not None)

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
        """Queue one message without waiting; :meth:`drain` (or :meth:`send`) hands it over.

        Small frames are gathered in one buffer so that a burst of them costs one
        system call; a large payload is passed on at once, without copying.
        """
        if isinstance(payload, str):
            payload = payload.encode("utf-8", "surrogateescape")
        size = len(payload)
        if size > MAX_PAYLOAD:  # several messages, each traced
            for start in range(0, size, MAX_PAYLOAD):
                self.write(payload[start : start + MAX_PAYLOAD])
            return
        out = self._out
        out.add(payload)
        if size >= _DIRECT_PAYLOAD or out.size >= _OUT_FLUSH:
            self._flush()
        if self.tracer:
            self.tracer.message(self, "send", bytes(payload[:120]), size)

    def write_signal(self, sig: Signal) -> None:
        self._out.add_signal(sig)
        if self.tracer:
            self.tracer.message(self, "send", sig)

    def write_frames(self, frames: Frames) -> None:
        """Queue messages framed elsewhere (see :class:`Frames`), after those queued here."""
        self._flush()
        self._write_pieces(frames)
        if self.tracer and frames.trace:
            for msg, size in frames.trace:
                self.tracer.message(self, "send", msg, size)

    def _encrypt(self, data: bytes | bytearray | memoryview) -> bytes:
        assert self.tls is not None
        try:
            return self.tls.encrypt(data)
        except ssl.SSLError as exc:  # the TLS session was shut down (the peer went away)
            raise ConnectionClosed(f"{self.peer}: {describe_ssl_error(exc)}") from exc

    def _flush(self) -> None:
        if self._out.size:
            self._write_pieces(self._out)

    def _write_pieces(self, frames: Frames) -> None:
        write = self.writer.write
        for piece in frames.take():
            write(self._encrypt(piece) if self.tls else piece)
            self._unmetered += len(piece)

    async def drain(self) -> None:
        self._flush()
        try:
            await self.writer.drain()
        except OSError as exc:
            raise self._closed_by(exc) from exc
        if self.bandwidth is not None:
            sent, self._unmetered = self._unmetered, 0
            await _pause(self.bandwidth.pause_for(sent))

    def limit_bandwidth(self, rate: int, bursting: bool = False) -> None:
        """Hold this connection to ``rate`` bytes per second both ways (0: no limit)."""
        self._unmetered = 0
        self.bandwidth = BandwidthLimit(rate, bursting) if rate > 0 else None

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
            if not self.writer.is_closing():
                self._flush()
                if self.tls is not None:
                    self.writer.write(self.tls.close_notify())
                await asyncio.wait_for(self.writer.drain(), 5)
        except (OSError, TimeoutError, ConnectionError, ProtocolError):
            pass  # a peer gone, a TLS session broken: the socket is closed all the same
        self.writer.close()
        try:
            await asyncio.wait_for(self.writer.wait_closed(), 5)
        except (OSError, TimeoutError, ConnectionError):
            pass


async def _pause(seconds: float) -> None:
    if seconds > 0:
        await asyncio.sleep(seconds)


def decode_text(msg: bytes) -> str:
    """Message bytes as text, without the trailing NUL a C peer may send."""
    return msg.rstrip(b"\0").decode("utf-8", "surrogateescape")
