import asyncio
import io
import socket
import struct

import pytest
from bareoslab.net.errors import ConnectionClosed, FrameTooLarge, UnexpectedSignal
from bareoslab.net.framing import (
    MAX_PAYLOAD,
    READ_AHEAD,
    Connection,
    Frames,
    Signal,
    bash_spaces,
    encode_frame,
    unbash_spaces,
)
from bareoslab.net.trace import Tracer, summarize


def test_signal_values_are_pinned():
    # wire values from bnet_protocol_signals.h; changing one breaks every peer
    expected = {
        "EOD": -1, "EOD_POLL": -2, "STATUS": -3, "TERMINATE": -4, "POLL": -5,
        "HEARTBEAT": -6, "HB_RESPONSE": -7, "RETIRED_PROMPT": -8, "BTIME": -9,
        "BREAK": -10, "START_SELECT": -11, "END_SELECT": -12, "INVALID_CMD": -13,
        "CMD_FAILED": -14, "CMD_OK": -15, "CMD_BEGIN": -16, "MSGS_PENDING": -17,
        "MAIN_PROMPT": -18, "SELECT_INPUT": -19, "WARNING_MSG": -20, "ERROR_MSG": -21,
        "INFO_MSG": -22, "RUN_CMD": -23, "YESNO": -24, "START_RTREE": -25,
        "END_RTREE": -26, "SUB_PROMPT": -27, "TEXT_INPUT": -28,
    }
    assert {s.name: s.value for s in Signal} == expected


def test_framing_roundtrip_messages_and_signals(pair):
    async def run():
        a, b = await pair()
        await a.send("JobId=1 job=x\n")
        await a.send(b"")
        await a.signal(Signal.EOD)
        assert await b.recv() == b"JobId=1 job=x\n"
        assert await b.recv() == b""
        assert await b.recv() is Signal.EOD
        await a.close()
        await b.close()

    asyncio.run(run())


def test_framing_splits_oversized_payload(pair):
    async def run():
        a, b = await pair()
        a.write(b"x" * (MAX_PAYLOAD + 10))

        async def read_two():
            return await b.recv(), await b.recv()

        _, (first, second) = await asyncio.gather(a.drain(), read_two())
        assert (len(first), len(second)) == (MAX_PAYLOAD, 10)

    asyncio.run(run())


def test_framing_rejects_frame_over_limit(pair):
    async def run():
        a, b = await pair()
        a.writer.write(struct.pack(">i", 1_000_001))
        await a.writer.drain()
        with pytest.raises(FrameTooLarge):
            await b.recv()

    asyncio.run(run())


def test_framing_eof_mid_frame_is_connection_closed(pair):
    async def run():
        a, b = await pair()
        a.writer.write(struct.pack(">i", 100) + b"short")
        await a.writer.drain()
        a.writer.close()
        with pytest.raises(ConnectionClosed):
            await b.recv()

    asyncio.run(run())


def test_a_connection_the_kernel_gave_up_on_is_connection_closed_naming_why(pair):
    """Keepalive probes unanswered (ETIMEDOUT), no route to the peer: a closed connection with
    the reason, as a reset is, never an error of another kind."""
    async def run():
        a, b = await pair()
        # what the transport reports when a read fails so (its protocol: the connection's receiver)
        b.writer.transport.get_protocol().connection_lost(TimeoutError(110, "Connection timed out"))
        with pytest.raises(ConnectionClosed, match="connection to left lost: Connection timed out"):
            await b.recv()

    asyncio.run(run())


def test_recv_msg_skips_heartbeats_but_not_other_signals(pair):
    async def run():
        a, b = await pair()
        a.write_signal(Signal.HEARTBEAT)
        a.write("hello")
        a.write_signal(Signal.EOD)
        await a.drain()
        assert await b.recv_msg() == b"hello"
        with pytest.raises(UnexpectedSignal):
            await b.recv_msg()

    asyncio.run(run())


def _messages() -> list[bytes | Signal]:
    """Payloads on both sides of each size threshold (gathered, sent as is, split), signals."""
    sizes = [0, 1, 200, 16 * 1024 - 1, 16 * 1024, 70_000, 3000, MAX_PAYLOAD + 10, 5]
    out: list[bytes | Signal] = []
    for i, size in enumerate(sizes):
        out.append(bytes([i]) * size)
        out.append(Signal.EOD)
    return out + [b"x" * 100] * 1000  # more than one buffer's worth of small frames


def _split(messages: list[bytes | Signal]) -> list[bytes | Signal]:
    """The messages a peer receives: a payload over MAX_PAYLOAD bytes arrives as several."""
    out: list[bytes | Signal] = []
    for m in messages:
        if isinstance(m, bytes) and len(m) > MAX_PAYLOAD:
            out += [m[i : i + MAX_PAYLOAD] for i in range(0, len(m), MAX_PAYLOAD)]
        else:
            out.append(m)
    return out


def _wire(messages: list[bytes | Signal]) -> bytes:
    """The frames by the protocol's definition: length, payload; a signal is a negative length."""
    return b"".join(
        struct.pack(">i", m.value) if isinstance(m, Signal) else struct.pack(">i", len(m)) + m
        for m in _split(messages)
    )


def _framed(messages: list[bytes | Signal]) -> Frames:
    frames = Frames()
    for m in messages:
        frames.add_signal(m) if isinstance(m, Signal) else frames.add(m)
    return frames


def test_frames_built_away_from_the_connection_are_the_protocols_frames(pair):
    messages = _messages()
    frames = _framed(messages)
    payload = sum(len(m) for m in messages if isinstance(m, bytes))
    assert frames.payload_bytes == payload
    pieces = frames.take()
    assert b"".join(pieces) == _wire(messages)
    assert frames.size == frames.messages == 0 and frames.take() == []
    big = [m for m in messages if isinstance(m, bytes) and 16 * 1024 <= len(m) <= MAX_PAYLOAD]
    assert all(any(piece is m for piece in pieces) for m in big)  # not copied
    gathered = [p for p in pieces if isinstance(p, bytearray)]
    assert len(gathered) > 2 and max(map(len, gathered)) < (64 + 16) * 1024 + 4  # a write's worth each

    async def run():
        a, b = await pair()
        a.write("before")
        a.write_frames(_framed(messages))
        a.write("after")
        expected = [b"before", *_split(messages), b"after"]

        async def read_all():
            return [await b.recv() for _ in expected]

        _, got = await asyncio.gather(a.drain(), read_all())
        assert got == expected

    asyncio.run(run())


def test_connection_write_sends_the_protocols_frames():
    async def run():
        left, right = socket.socketpair()
        reader, writer = await asyncio.open_connection(sock=left)
        conn = Connection(reader, writer, daemon="left", peer="right")
        messages = _messages()
        for m in messages:
            conn.write_signal(m) if isinstance(m, Signal) else conn.write(m)
        expected = _wire(messages)
        right.setblocking(False)
        loop = asyncio.get_running_loop()

        async def read_raw():
            got = b""
            while len(got) < len(expected):
                got += await loop.sock_recv(right, 1 << 20)
            return got

        _, got = await asyncio.gather(conn.drain(), read_raw())
        assert got == expected
        right.close()
        await conn.close(terminate=False)

    asyncio.run(run())


def test_frames_written_whole_are_traced_one_message_at_a_time(pair):
    async def run():
        a, b = await pair()
        buf = io.StringIO()
        a.tracer = Tracer(buf, "bareos-fd")
        frames = Frames(trace=True)
        frames.add(b"1 1 0")
        frames.add(bytes(range(200)))
        frames.add_signal(Signal.EOD)
        a.write_frames(frames)
        await a.drain()
        return buf.getvalue().splitlines()

    lines = asyncio.run(run())
    assert len(lines) == 3
    assert '"msg": "1 1 0"' in lines[0] and '"len": 5' in lines[0]
    assert '"msg": "<200 bytes>"' in lines[1]
    assert '"msg": "EOD"' in lines[2]


def test_poll_takes_what_is_buffered_and_never_waits(pair):
    async def run():
        a, b = await pair()
        buf = io.StringIO()
        b.tracer = Tracer(buf, "bareos-sd")
        assert b.poll() is None  # nothing sent yet
        # one write: the three frames reach the socket, and so the reader, together
        a.writer.write(encode_frame(b"1 2 0") + encode_frame(b"x" * 20_000) + struct.pack(">i", -1))
        await a.drain()
        first = await b.recv()  # waits for the bytes; the rest came with them
        polled = []
        while (msg := b.poll()) is not None:
            polled.append(msg)
        assert (first, polled) == (b"1 2 0", [b"x" * 20_000, Signal.EOD])
        assert b.poll() is None
        return buf.getvalue().splitlines()

    lines = asyncio.run(run())
    assert len(lines) == 3 and '"len": 20000' in lines[1] and '"msg": "EOD"' in lines[2]


def test_bash_spaces_roundtrip():
    assert bash_spaces("my job") == "my\x01job"
    assert unbash_spaces("my\x01job") == "my job"


def test_trace_writes_one_json_line_per_message(pair):
    async def run():
        a, b = await pair()
        buf = io.StringIO()
        a.tracer = Tracer(buf, "bareos-dir")
        a.job = "backup.2026-11-25_12.00.00_01"
        await a.send("run")
        await a.send(bytes(range(200)))
        await a.signal(Signal.EOD)
        return buf.getvalue().splitlines()

    lines = asyncio.run(run())
    assert len(lines) == 3
    assert '"msg": "run"' in lines[0] and '"dir": "send"' in lines[0]
    assert '"msg": "<200 bytes>"' in lines[1]
    assert '"msg": "EOD"' in lines[2]


def test_trace_summary_of_attribute_record():
    assert summarize(b"1 3 /tmp/a file\0gB HAEC\0\0\0") == "1 3 /tmp/a file"


def test_trace_summary_masks_secrets():
    from bareoslab.net.auth import cram_digest

    response = cram_digest("0123456789abcdef", "<1.2@R_DIRECTOR::bareos-dir>").encode() + b"\0"
    assert summarize(response) == "<cram-md5 response>"
    assert summarize(b"JobId=1 job=b.2026 Authorization=ABCDEFGH ssl=0\n") == \
        "JobId=1 job=b.2026 Authorization=**** ssl=0"
    assert summarize(b'configure add client name=c password="two words"') == \
        "configure add client name=c password=****"
    assert summarize(b"1000 OK auth\n") == "1000 OK auth"
    assert summarize(b"configure add catalog name=c dbpassword=secret") == \
        "configure add catalog name=c dbpassword=****"
    assert summarize(b"configure add client name=c password='two words'") == \
        "configure add client name=c password=****"
    # a token that merely looks like a CRAM-MD5 answer (no C terminator) is shown
    assert summarize(b"/var/lib/bareos/store") == "/var/lib/bareos/store"


def test_a_reader_that_does_not_read_stops_the_socket_at_the_read_ahead(pair):
    """Bytes a reader has not asked for stop at READ_AHEAD (plus one socket read), not at
    what the peer sends; all of them arrive intact once it reads."""
    async def run():
        a, b = await pair()
        transport = b.writer.transport
        paused, unread_at_pause = asyncio.Event(), []
        pause_reading = transport.pause_reading

        def pause():
            unread_at_pause.append(len(b._in) - b._pos)
            pause_reading()
            paused.set()

        transport.pause_reading = pause
        frames = [bytes([n]) * 200_000 for n in range(12)]  # 2.4 MB: more than the kernel holds
        for payload in frames:
            a.write(payload)
        sending = asyncio.ensure_future(a.drain())
        await paused.wait()  # nobody reads: the connection stops reading its socket
        assert READ_AHEAD < unread_at_pause[0] <= READ_AHEAD + 256 * 1024
        assert [await b.recv() for _ in frames] == frames
        await sending

    asyncio.run(run())


def test_a_reader_that_never_waits_keeps_only_the_read_ahead(pair):
    """A reader slower than its peer finds a whole frame buffered every time it asks: what it
    has read is let go of all the same, not kept until the buffer runs dry."""
    async def run():
        a, b = await pair()
        frames = [bytes([n % 256]) * 50_000 for n in range(160)]  # 8 MB
        for payload in frames:
            a.write(payload)
        sending = asyncio.ensure_future(a.drain())
        received, largest = [], 0
        for _ in frames:
            for _turn in range(100_000):  # takes a frame only once it is whole: never waits
                frame = b._buffered_frame()
                if frame is not None:
                    break
                await asyncio.sleep(0)
            received.append(frame)
            largest = max(largest, len(b._in))
        await sending
        assert received == frames
        assert largest <= 3 * READ_AHEAD + 256 * 1024

    asyncio.run(run())


def test_frames_the_stream_reader_held_before_the_connection_existed_are_read_first():
    async def run():
        ours, theirs = socket.socketpair()
        reader, writer = await asyncio.open_connection(sock=ours)
        reader.feed_data(struct.pack(">i", 5) + b"early")  # what a peer sent before we looked
        reader.feed_eof()
        conn = Connection(reader, writer, daemon="right", peer="left")
        assert await conn.recv() == b"early"
        with pytest.raises(ConnectionClosed, match="left closed the connection"):
            await conn.recv()
        writer.close()
        theirs.close()

    asyncio.run(run())
