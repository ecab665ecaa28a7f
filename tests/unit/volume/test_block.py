import io
import struct
import zlib

import pytest
from bareoslab.codes import VolumeLabel
from bareoslab.volume.block import (
    MAX_BLOCK_LENGTH,
    BlockBuilder,
    build_block,
    iter_blocks,
    parse_block_header,
    verify_checksum,
)
from bareoslab.volume.errors import CorruptBlock
from bareoslab.volume.record import Record, iter_record_chunks

from .conftest import VOLUME


def test_block_header_fields_and_checksum():
    block = build_block(
        [(1, 2, b"hello")], vol_session_id=3, vol_session_time=1562050726, block_number=9
    )
    header = parse_block_header(block, VOLUME, 0)
    assert (header.block_len, header.block_number, header.version) == (24 + 12 + 5, 9, 2)
    assert (header.vol_session_id, header.vol_session_time) == (3, 1562050726)
    assert header.checksum == zlib.crc32(block[4:])
    verify_checksum(block, header, VOLUME, 0)
    [chunk] = iter_record_chunks(block, header)
    assert (chunk.file_index, chunk.stream, chunk.length) == (1, 2, 5)
    assert block[chunk.start : chunk.end] == b"hello"


def test_block_checksum_off_stores_zero():
    block = build_block([(1, 2, b"x")], checksum=False)
    assert block[:4] == b"\0\0\0\0"


@pytest.mark.parametrize(
    ("block_len", "message"),
    [(23, "block length 23 outside"), (MAX_BLOCK_LENGTH + 1, "block length 20000001 outside")],
)
def test_block_rejects_bad_length(block_len, message):
    raw = bytearray(build_block([(1, 2, b"x")]))
    struct.pack_into(">I", raw, 4, block_len)
    with pytest.raises(CorruptBlock, match=message) as info:
        parse_block_header(raw, VOLUME, 4096)
    assert f'Volume "{VOLUME}"' in str(info.value) and "offset 4096" in str(info.value)


def test_block_rejects_unknown_id():
    raw = bytearray(build_block([(1, 2, b"x")]))
    raw[12:16] = b"XX99"
    with pytest.raises(CorruptBlock, match="unknown block id"):
        parse_block_header(raw, VOLUME, 0)


def test_block_checksum_mismatch_names_volume_and_offset():
    raw = bytearray(build_block([(1, 2, b"payload")]))
    raw[-1] ^= 0xFF
    header = parse_block_header(raw, VOLUME, 192)
    with pytest.raises(
        CorruptBlock, match=r'Volume "Full-0001": corrupt block at offset 192: checksum mismatch'
    ):
        verify_checksum(raw, header, VOLUME, 192)


def test_block_builder_tracks_positive_file_indexes_and_resets():
    builder = BlockBuilder(512, 1, 2)
    builder.put_header(VolumeLabel.SOS_LABEL, 1, 0)
    builder.put_header(4, 2, 3)
    builder.put_data(memoryview(b"abc"))
    builder.put_header(5, 2, 0)
    assert (builder.first_index, builder.last_index) == (4, 5)
    free = builder.free
    assert builder.put_data(memoryview(bytes(1000))) == free
    assert builder.free == 0
    builder.reset()
    assert builder.empty and builder.first_index == 0


def test_block_builder_refuses_silly_sizes():
    with pytest.raises(ValueError):
        BlockBuilder(100, 0, 0)
    with pytest.raises(ValueError):
        BlockBuilder(MAX_BLOCK_LENGTH + 1, 0, 0)


def bb01_block(records: list[tuple[int, int, int, int, bytes]], number: int = 1) -> bytes:
    """A legacy BB01 block: 16-byte header, session in each 20-byte record header."""
    body = b"".join(
        struct.pack(">IIiiI", sid, stime, fi, st, len(d)) + d for sid, stime, fi, st, d in records
    )
    rest = struct.pack(">I4s", number, b"BB01") + body
    block_len = 8 + len(rest)
    tail = struct.pack(">I", block_len) + rest
    return struct.pack(">I", zlib.crc32(tail)) + tail


def test_block_reads_legacy_bb01(device, labelled):
    volume_path = device.volume_path(labelled)
    offset = volume_path.stat().st_size
    with open(volume_path, "ab") as f:
        f.write(
            bb01_block([(5, 77, 1, 1, b"attrs"), (5, 77, 1, 2, b"data"), (6, 78, 1, 1, b"other")])
        )
    assert list(device.read_records(labelled)) == [
        Record(5, 77, 1, 1, b"attrs", offset),
        Record(5, 77, 1, 2, b"data", offset),
        Record(6, 78, 1, 1, b"other", offset),
    ]


class _Trickle(io.RawIOBase):
    """A raw file whose reads return at most ``step`` bytes, as a raw read may."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data, self._pos, self._step = data, 0, step

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, pos: int, whence: int = 0) -> int:
        self._pos = pos
        return pos

    def readinto(self, view) -> int:
        n = min(len(view), self._step, len(self._data) - self._pos)
        view[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


def test_blocks_are_whole_however_short_the_reads():
    blocks = [build_block([(i, 2, bytes([i]) * (5000 * i))], block_number=i) for i in (1, 2, 3)]
    volume = b"".join(blocks)
    got = [(offset, header.block_number, bytes(block))
           for offset, header, block in iter_blocks(_Trickle(volume, 1000), VOLUME, 0, None, True)]
    offsets = [0, len(blocks[0]), len(blocks[0]) + len(blocks[1])]
    assert got == list(zip(offsets, (1, 2, 3), blocks))
    with pytest.raises(CorruptBlock, match="cut short by end of volume"):
        list(iter_blocks(_Trickle(volume[:-10], 1000), VOLUME, 0, None, True))
