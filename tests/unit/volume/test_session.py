import errno
import os
import random
import subprocess
import sys
import textwrap

import pytest
from bareoslab.codes import VolumeLabel
from bareoslab.volume.block import BLOCK_HEADER_SIZE
from bareoslab.volume.bsr import BsrVolume
from bareoslab.volume.errors import VolumeFull, VolumeWriteError
from bareoslab.volume.label import SessionLabel
from bareoslab.volume.record import RECORD_HEADER_SIZE, iter_record_chunks
from bareoslab.volume.session import join_address, split_address

from .conftest import BLOCK_SIZE

STIME = 1562050726
ROOM = BLOCK_SIZE - BLOCK_HEADER_SIZE  # bytes for records in one block


def data_records(device, volume, **kwargs):
    return [(r.file_index, r.stream, r.data) for r in device.read_records(volume, **kwargs)]


def blocks_of(device, volume):
    """[(offset, header, [chunks])] of every block of a volume."""
    raw = device.volume_path(volume).read_bytes()
    out = []
    for offset, header in device.read_blocks(volume):
        block = raw[offset : offset + header.block_len]
        out.append((offset, header, list(iter_record_chunks(block, header))))
    return out


@pytest.mark.parametrize(
    "sizes",
    [
        [0],
        [0, 0, 0],
        [ROOM - RECORD_HEADER_SIZE],  # exactly fills a fresh block
        [ROOM - RECORD_HEADER_SIZE, 1],
        [5000],  # spans several blocks
        [3 * ROOM],
        [ROOM - 2 * RECORD_HEADER_SIZE, 50],  # second header exactly fills the block
        [ROOM - 2 * RECORD_HEADER_SIZE + 4, 50],  # 8 bytes left: the header moves on
    ],
)
def test_session_roundtrip_record_sizes(device, labelled, sizes):
    records = [(i + 1, 2, bytes([i % 251]) * size) for i, size in enumerate(sizes)]
    with device.open_append(labelled) as vol:
        writer = vol.session_writer(1, STIME)
        for file_index, stream, data in records:
            writer.write_record(file_index, stream, data)
        writer.flush()
        assert vol.size == device.volume_path(labelled).stat().st_size
    assert data_records(device, labelled) == records


def test_session_roundtrip_many_small_records(device, labelled, session_label):
    rng = random.Random(7)
    records = []
    with device.open_append(labelled) as vol:
        writer = vol.session_writer(1, STIME)
        writer.write_sos(session_label())
        for file_index in range(1, 301):
            for stream in (1, 2, 3):
                data = rng.randbytes(rng.randrange(0, 300))
                records.append((file_index, stream, data))
                writer.write_record(file_index, stream, memoryview(data))
        writer.write_eos(session_label(eos=True, job_files=300))
        writer.flush()
        vol_blocks = vol.blocks
    assert data_records(device, labelled) == records
    labels = [r for r in device.read_records(labelled, include_labels=True) if r.is_label]
    assert [r.file_index for r in labels] == [-2, -4, -5]
    eos = SessionLabel.from_bytes(labels[2].data, labels[2].file_index)
    assert eos.job_files == 300 and labels[2].stream == 1
    assert vol_blocks == len(blocks_of(device, labelled))


def test_session_record_exactly_filling_block_ends_the_block(device, labelled):
    with device.open_append(labelled) as vol:
        writer = vol.session_writer(1, STIME)
        writer.write_record(1, 2, bytes(ROOM - RECORD_HEADER_SIZE))
        writer.write_record(2, 2, b"next")
        writer.flush()
    _, (_, first, [chunk]), (_, second, [nxt]) = blocks_of(device, labelled)
    assert first.block_len == BLOCK_SIZE and not chunk.continues
    assert (nxt.file_index, nxt.stream, nxt.length) == (2, 2, 4)


def test_session_header_filling_block_continues_in_next(device, labelled):
    with device.open_append(labelled) as vol:
        writer = vol.session_writer(1, STIME)
        writer.write_record(1, 2, bytes(ROOM - 2 * RECORD_HEADER_SIZE))
        writer.write_record(2, 29, b"x" * 50)
        writer.flush()
    _, (_, first, chunks), (_, _, [cont]) = blocks_of(device, labelled)
    assert first.block_len == BLOCK_SIZE
    assert (chunks[1].file_index, chunks[1].stream, chunks[1].length) == (2, 29, 50)
    assert chunks[1].start == chunks[1].end == BLOCK_SIZE
    assert (cont.file_index, cont.stream, cont.length) == (2, -29, 50)


def test_session_header_never_split(device, labelled):
    with device.open_append(labelled) as vol:
        writer = vol.session_writer(1, STIME)
        writer.write_record(1, 2, bytes(ROOM - 2 * RECORD_HEADER_SIZE + 4))  # 8 bytes left
        writer.write_record(2, 2, b"x")
        writer.flush()
    _, (_, first, _), (_, _, [moved]) = blocks_of(device, labelled)
    assert first.block_len == BLOCK_SIZE - 8  # no padding on file devices
    assert (moved.file_index, moved.stream, moved.length) == (2, 2, 1)


def test_session_labels_never_split(device, labelled, session_label):
    eos = session_label(eos=True)
    eos_len = RECORD_HEADER_SIZE + len(eos.to_bytes())
    with device.open_append(labelled) as vol:
        writer = vol.session_writer(1, STIME)
        writer.write_record(1, 2, bytes(ROOM - RECORD_HEADER_SIZE - eos_len + 1))
        writer.write_eos(eos)
        writer.flush()
    _, (_, first, _), (_, second, [label]) = blocks_of(device, labelled)
    assert first.block_len == BLOCK_SIZE - eos_len + 1
    assert label.file_index == VolumeLabel.EOS_LABEL and not label.continues
    assert second.block_len == BLOCK_HEADER_SIZE + eos_len


def write_job(vol, sid, job_id, records, session_label):
    writer = vol.session_writer(sid, STIME)
    writer.write_sos(session_label(job_id))
    for record in records:
        writer.write_record(*record)
    writer.write_eos(session_label(job_id, eos=True))
    writer.flush()
    return writer


def test_session_interleaved_writers_read_back_per_session(device, labelled, session_label):
    rng = random.Random(3)
    jobs = {1: [], 2: []}
    with device.open_append(labelled) as vol:
        writers = {sid: vol.session_writer(sid, STIME) for sid in jobs}
        for sid, writer in writers.items():
            writer.write_sos(session_label(sid))
        for file_index in range(1, 41):
            for sid, writer in writers.items():
                data = rng.randbytes(rng.randrange(0, 1500))
                jobs[sid].append((file_index, 2, data))
                writer.write_record(file_index, 2, data)
        for sid, writer in writers.items():
            writer.write_eos(session_label(sid, eos=True))
            writer.flush()
        positions = {sid: writer.position for sid, writer in writers.items()}
    blocks = blocks_of(device, labelled)
    sessions = [header.vol_session_id for _, header, _ in blocks[1:]]
    assert sessions.count(1) > 3 and sessions.count(2) > 3
    assert any(a != b for a, b in zip(sessions, sessions[1:], strict=False))  # interleaved
    for sid, records in jobs.items():
        entry = BsrVolume(volume=labelled, vol_session_id=sid, vol_session_time=STIME)
        assert data_records(device, labelled, bsr_filter=entry) == records
        own = [(o, h) for o, h, _ in blocks if h.vol_session_id == sid]
        position = positions[sid]
        assert position.start_address == own[0][0]
        assert position.end_address == own[-1][0] + own[-1][1].block_len - 1
        assert (position.first_index, position.last_index) == (1, 40)
        assert position.blocks == len(own)
        # seek by address: the same records
        entry.vol_addrs = [(position.start_address, position.end_address)]
        assert data_records(device, labelled, bsr_filter=entry) == records


def test_session_volume_counters_and_addresses(device, labelled, session_label):
    with device.open_append(labelled) as vol:
        assert (vol.size, vol.blocks) == (device.volume_path(labelled).stat().st_size, 1)
        writer = write_job(vol, 1, 9, [(1, 2, bytes(3000))], session_label)
        size, blocks = vol.size, vol.blocks
    assert size == device.volume_path(labelled).stat().st_size
    assert blocks == len(blocks_of(device, labelled))
    assert [h.block_number for _, h, _ in blocks_of(device, labelled)] == list(range(blocks))
    position = writer.position
    assert position.end_address == size - 1
    assert split_address((5 << 32) | 1234) == (5, 1234)
    assert join_address(5, 1234) == (5 << 32) | 1234
    assert (position.start_file, position.start_block) == split_address(position.start_address)
    assert (position.end_file, position.end_block) == split_address(position.end_address)


def test_session_failed_write_truncates_and_keeps_the_record(device, labelled, monkeypatch):
    with device.open_append(labelled) as vol:
        writer = vol.session_writer(1, STIME)
        writer.write_record(1, 2, b"a" * 2000)
        size_before = vol.size
        real_pwrite = os.pwrite
        calls = []

        def failing_pwrite(fd, data, offset):
            calls.append(offset)
            if len(calls) == 1:
                return real_pwrite(fd, bytes(data)[:100], offset)  # a short write, then no space
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "pwrite", failing_pwrite)
        payload = bytearray(b"b" * 1500)
        with pytest.raises(VolumeWriteError, match="No space left on device") as info:
            writer.write_record(2, 2, payload)
        assert "file cut back to" in str(info.value) and info.value.volume == labelled
        payload[:] = b"z" * 1500  # the caller reuses its buffer: the writer kept a copy
        assert vol.size == size_before
        assert device.volume_path(labelled).stat().st_size == size_before
        assert data_records(device, labelled) == []  # readable; record 1's tail is still pending
        monkeypatch.setattr(os, "pwrite", real_pwrite)
        writer.flush()
    assert data_records(device, labelled) == [(1, 2, b"a" * 2000), (2, 2, b"b" * 1500)]


def test_session_volume_full_continues_on_next_volume(device, labelled, session_label):
    device.label("Full-0002", "Full")
    with (
        device.open_append(labelled, max_bytes=3000) as vol1,
        device.open_append("Full-0002") as vol2,
    ):
        writer = vol1.session_writer(1, STIME)
        writer.write_sos(session_label())
        writer.write_record(1, 2, b"1" * 500)
        with pytest.raises(VolumeFull):
            writer.write_record(2, 2, b"2" * 4000)
        assert vol1.size <= 3000
        first = writer.change_volume(vol2)
        writer.write_record(3, 2, b"3" * 10)
        writer.write_eos(session_label(eos=True))
        writer.flush()
        second = writer.position
    assert first.first_index == 1 and first.last_index == 2
    assert second.first_index == 2 and second.last_index == 3
    assert second.start_address == device.volume_path("Full-0002").stat().st_size - (
        second.end_address - second.start_address + 1
    )
    entries = [
        BsrVolume(volume=labelled, vol_session_id=1, vol_session_time=STIME, file_indexes=[(1, 2)]),
        BsrVolume(
            volume="Full-0002", vol_session_id=1, vol_session_time=STIME, file_indexes=[(2, 3)]
        ),
    ]
    got = [(r.file_index, r.data) for r in device.read_bootstrap(entries)]
    assert got == [(1, b"1" * 500), (2, b"2" * 4000), (3, b"3" * 10)]


_RLIMIT_SCRIPT = textwrap.dedent(
    """
    import resource, sys
    from bareoslab.volume.device import FileDevice
    from bareoslab.volume.errors import VolumeWriteError
    dev = FileDevice("d", "File", sys.argv[1], maximum_block_size=1024, label_block_size=1024)
    dev.label("V1", "Full")
    vol = dev.open_append("V1")
    resource.setrlimit(resource.RLIMIT_FSIZE, (vol.size + 2500, resource.RLIM_INFINITY))
    w = vol.session_writer(1, 2)
    try:
        for i in range(1, 100):
            w.write_record(i, 2, bytes(700))
    except VolumeWriteError as exc:
        print(vol.size, vol.blocks, exc)
    """
)


def test_session_file_size_limit_leaves_volume_readable(tmp_path):
    from bareoslab.volume.device import FileDevice

    result = subprocess.run(
        [sys.executable, "-c", _RLIMIT_SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    size, blocks, message = result.stdout.split(" ", 2)
    assert "File too large" in message
    path = tmp_path / "V1"
    assert path.stat().st_size == int(size)
    device = FileDevice("d", "File", tmp_path, maximum_block_size=1024, label_block_size=1024)
    assert len(list(device.read_blocks("V1"))) == int(blocks)
    records = list(device.read_records("V1"))
    assert records and all(r.data == bytes(700) for r in records)
    with device.open_append("V1", int(size)) as vol:
        assert vol.blocks == int(blocks)


def test_session_sos_must_be_sos(device, labelled, session_label):
    with device.open_append(labelled) as vol:
        writer = vol.session_writer(1, STIME)
        with pytest.raises(ValueError, match="SOS_LABEL"):
            writer.write_sos(session_label(eos=True))


def test_eos_carries_the_sessions_addresses_as_bareos_fills_them(device, labelled, session_label):
    """Bareos' block.cc: StartBlock/StartFile where the session's first block starts, EndBlock/
    EndFile where the last block written before the EOS ends; with none written yet, the end
    of the volume label's block."""
    label_block_end = blocks_of(device, labelled)[0][1].block_len - 1
    with device.open_append(labelled) as vol:
        small = vol.session_writer(1, STIME)
        small.write_sos(session_label())
        small.write_record(1, 1, b"x" * 10)
        small.write_eos(session_label(eos=True))  # all in one block: nothing written yet
        small.flush()
        big = vol.session_writer(2, STIME)
        big.write_sos(session_label(job_id=2))
        big.write_record(1, 1, os.urandom(3 * ROOM))  # three blocks and more
        first_block_of_big = big.start_address
        last_end_before_eos = big.end_address
        big.write_eos(session_label(job_id=2, eos=True))
        big.flush()
    eos = [SessionLabel.from_bytes(r.data, r.file_index)
           for r in device.read_records(labelled, include_labels=True) if r.file_index == -5]
    assert [(e.start_file, e.start_block, e.end_file, e.end_block) for e in eos] == [
        (0, 0, 0, label_block_end),
        (first_block_of_big >> 32, first_block_of_big & 0xFFFFFFFF,
         last_end_before_eos >> 32, last_end_before_eos & 0xFFFFFFFF),
    ]
    assert first_block_of_big > label_block_end and last_end_before_eos > first_block_of_big


def test_a_new_file_of_the_volume_closes_every_sessions_range(device, labelled):
    """Maximum File Size: the writer whose block would reach it closes its range before that
    block; a writer sharing the volume closes its own at its next block (Bareos' NewFile)."""
    device.max_file_size = 3 * BLOCK_SIZE
    with device.open_append(labelled) as vol:
        one, two = vol.session_writer(1, STIME), vol.session_writer(2, STIME)
        one.write_record(1, 1, os.urandom(3 * ROOM))  # three full blocks: the third starts a new file
        assert [(p.first_index, p.blocks) for p in one.finished] == [(1, 2)]
        assert one.position is not None and one.position.blocks == 1
        two.write_record(1, 1, os.urandom(ROOM))  # its first block: nothing of its own to close yet
        two.flush()
        assert two.finished == []
        marks, closed = vol.file_marks, len(one.finished)
        assert two.position is not None
        two_blocks = two.position.blocks
        one.write_record(2, 1, os.urandom(3 * ROOM))  # brings the volume past the next mark
        assert vol.file_marks > marks and len(one.finished) > closed
        two.write_record(2, 1, os.urandom(ROOM))
        two.flush()
        assert [p.blocks for p in two.finished] == [two_blocks]  # closed at its next block, after the mark
    device.max_file_size = 0
    ranges = [*one.finished, *two.finished]
    assert all(p.start_address <= p.end_address for p in ranges)
