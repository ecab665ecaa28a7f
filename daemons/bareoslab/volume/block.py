"""Blocks: the unit of I/O on a volume (volume-format.md §2).

A BB02 block is a 24-byte header (CheckSum, block_len, BlockNumber, ``BB02``,
VolSessionId, VolSessionTime) followed by records of one session. The checksum is
the zlib CRC-32 of bytes ``[4, block_len)``, computed by zlib-ng (the same CRC-32 with
carry-less multiplication: ~12x zlib's table-driven one, which took a fifth of the Storage
daemon's CPU receiving a backup). Blocks on file devices have variable
length: exactly ``block_len`` bytes are stored. Legacy BB01 blocks (16-byte header,
session in every record header) are readable, never written.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from zlib_ng.zlib_ng import crc32

from bareoslab.volume.errors import CorruptBlock
from bareoslab.volume.record import RECORD_HEADER, RECORD_HEADER_SIZE

BLOCK_ID_BB02 = b"BB02"
BLOCK_ID_BB01 = b"BB01"
# CheckSum, block_len, BlockNumber, Id, VolSessionId, VolSessionTime
BLOCK_HEADER = struct.Struct(">III4sII")
BLOCK_HEADER_SIZE = BLOCK_HEADER.size  # 24
BLOCK_HEADER_BB01 = struct.Struct(">III4s")  # CheckSum, block_len, BlockNumber, Id
BLOCK_HEADER_BB01_SIZE = BLOCK_HEADER_BB01.size  # 16
_SESSION = struct.Struct(">II")
_CHECKSUM = struct.Struct(">I")

MAX_BLOCK_LENGTH = 20_000_000  # readers reject longer blocks
MIN_BLOCK_SIZE = 512  # smallest buffer a writer accepts (room for any session label)
DEFAULT_BLOCK_SIZE = 64_512  # label block buffer (126 x 512)
DEFAULT_MAX_BLOCK_SIZE = 1_048_576


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """A parsed block header. ``version`` is 2 for BB02, 1 for BB01 (no session fields)."""

    checksum: int
    block_len: int
    block_number: int
    version: int
    vol_session_id: int
    vol_session_time: int

    @property
    def header_size(self) -> int:
        return BLOCK_HEADER_SIZE if self.version == 2 else BLOCK_HEADER_BB01_SIZE


def parse_block_header(
    buf: bytes | bytearray | memoryview, volume: str, offset: int
) -> BlockHeader:
    """Parse the header at the start of ``buf`` (at least 24 bytes, or 16 for BB01).

    Raises CorruptBlock naming ``volume`` and ``offset`` for an unknown Id or a
    block length outside [header size, 20,000,000].
    """
    if len(buf) < BLOCK_HEADER_BB01_SIZE:
        raise CorruptBlock(volume, offset, f"block header cut short ({len(buf)} bytes)")
    checksum, block_len, number, block_id = BLOCK_HEADER_BB01.unpack_from(buf, 0)
    if block_id == BLOCK_ID_BB02:
        if len(buf) < BLOCK_HEADER_SIZE:
            raise CorruptBlock(volume, offset, f"block header cut short ({len(buf)} bytes)")
        version, header_size = 2, BLOCK_HEADER_SIZE
        session_id, session_time = _SESSION.unpack_from(buf, BLOCK_HEADER_BB01_SIZE)
    elif block_id == BLOCK_ID_BB01:
        version, header_size = 1, BLOCK_HEADER_BB01_SIZE
        session_id = session_time = 0
    else:
        raise CorruptBlock(volume, offset, f"unknown block id {bytes(block_id)!r}")
    if block_len < header_size or block_len > MAX_BLOCK_LENGTH:
        raise CorruptBlock(
            volume,
            offset,
            f"block length {block_len} outside [{header_size}, {MAX_BLOCK_LENGTH}]",
        )
    return BlockHeader(checksum, block_len, number, version, session_id, session_time)


def verify_checksum(
    block: bytes | bytearray | memoryview, header: BlockHeader, volume: str, offset: int
) -> None:
    """Raise CorruptBlock if the CRC-32 of ``block[4:block_len]`` differs from the header's."""
    computed = crc32(memoryview(block)[4 : header.block_len])
    if computed != header.checksum:
        raise CorruptBlock(
            volume,
            offset,
            f"checksum mismatch (stored {header.checksum:08x}, computed {computed:08x})",
        )


def _read_into(f: io.RawIOBase, view: memoryview) -> int:
    """Fill ``view`` from ``f`` up to its end of file (one read, unless a raw read comes short)."""
    done = 0
    while done < len(view):
        got = f.readinto(view[done:])
        if not got:
            break
        done += got
    return done


def iter_blocks(
    f: io.RawIOBase, volume_name: str, start: int, end: int | None, verify: bool
) -> Iterator[tuple[int, BlockHeader, memoryview]]:
    """Blocks starting in [start, end] (to EOF if end is None) as views valid until the next one.

    ``f`` is unbuffered: each block is read straight into one buffer (its header, then the
    rest), not copied through a reader's buffer of its own."""
    buf = bytearray(DEFAULT_MAX_BLOCK_SIZE)
    view = memoryview(buf)
    f.seek(start)
    offset = start
    while end is None or offset <= end:
        got = _read_into(f, view[:BLOCK_HEADER_SIZE])
        if not got:
            return
        if got < BLOCK_HEADER_BB01_SIZE:
            raise CorruptBlock(
                volume_name, offset, f"block header cut short by end of volume ({got} bytes)"
            )
        header = parse_block_header(view[:got], volume_name, offset)
        block_len = header.block_len
        if block_len > len(buf):
            grown = bytearray(block_len)
            grown[:got] = view[:got]
            buf, view = grown, memoryview(grown)
        if block_len > got:
            more = _read_into(f, view[got:block_len])
            if got + more < block_len:
                raise CorruptBlock(
                    volume_name,
                    offset,
                    f"block of {block_len} bytes cut short by end of volume ({got + more} bytes)",
                )
        elif block_len < got:
            f.seek(offset + block_len)
        block = view[:block_len]
        if verify:
            verify_checksum(block, header, volume_name, offset)
        yield offset, header, block
        offset += block_len


class BlockBuilder:
    """A reusable BB02 block buffer of ``size`` bytes being filled by one session.

    The caller decides where records split (SessionWriter); the builder only
    stores headers and data bytes, tracks the positive FileIndex range it holds,
    and seals the header and checksum when the block is written.
    """

    __slots__ = (
        "size",
        "vol_session_id",
        "vol_session_time",
        "pos",
        "first_index",
        "last_index",
        "_buf",
        "_view",
    )

    def __init__(self, size: int, vol_session_id: int, vol_session_time: int) -> None:
        if not MIN_BLOCK_SIZE <= size <= MAX_BLOCK_LENGTH:
            raise ValueError(f"block size {size} outside [{MIN_BLOCK_SIZE}, {MAX_BLOCK_LENGTH}]")
        self.size = size
        self.vol_session_id = vol_session_id
        self.vol_session_time = vol_session_time
        self._buf = bytearray(size)
        self._view = memoryview(self._buf)
        self.pos = BLOCK_HEADER_SIZE
        self.first_index = 0
        self.last_index = 0

    @property
    def free(self) -> int:
        return self.size - self.pos

    @property
    def empty(self) -> bool:
        return self.pos == BLOCK_HEADER_SIZE

    @property
    def length(self) -> int:
        """block_len if the block were sealed now."""
        return self.pos

    def put_header(self, file_index: int, stream: int, length: int) -> None:
        """Append a 12-byte record header; the caller made sure it fits."""
        RECORD_HEADER.pack_into(self._buf, self.pos, file_index, stream, length)
        self.pos += RECORD_HEADER_SIZE
        if file_index > 0:
            if self.first_index == 0:
                self.first_index = file_index
            self.last_index = file_index

    def put_data(self, data: memoryview) -> int:
        """Copy as many bytes of ``data`` as fit; return how many were copied."""
        count = min(len(data), self.size - self.pos)
        if count:
            self._view[self.pos : self.pos + count] = data[:count]
            self.pos += count
        return count

    def seal(self, block_number: int, checksum: bool = True) -> memoryview:
        """Fill in the header (and CRC-32 unless ``checksum`` is off) and return the block bytes."""
        BLOCK_HEADER.pack_into(
            self._buf,
            0,
            0,
            self.pos,
            block_number & 0xFFFFFFFF,
            BLOCK_ID_BB02,
            self.vol_session_id,
            self.vol_session_time,
        )
        view = self._view[: self.pos]
        if checksum:
            _CHECKSUM.pack_into(self._buf, 0, crc32(view[4:]))
        return view

    def reset(self) -> None:
        self.pos = BLOCK_HEADER_SIZE
        self.first_index = 0
        self.last_index = 0


def build_block(
    records: list[tuple[int, int, bytes]],
    vol_session_id: int = 0,
    vol_session_time: int = 0,
    block_number: int = 0,
    checksum: bool = True,
) -> bytes:
    """One sealed block holding whole records (FileIndex, Stream, data); they must fit."""
    size = BLOCK_HEADER_SIZE + sum(RECORD_HEADER_SIZE + len(data) for _, _, data in records)
    builder = BlockBuilder(max(size, MIN_BLOCK_SIZE), vol_session_id, vol_session_time)
    for file_index, stream, data in records:
        builder.put_header(file_index, stream, len(data))
        builder.put_data(memoryview(data))
    return bytes(builder.seal(block_number, checksum))
