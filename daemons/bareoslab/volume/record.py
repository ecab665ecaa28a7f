"""Records: the unit of data on a volume (volume-format.md §3).

A record is (FileIndex, Stream, data) written by one session. In a BB02 block its
header is 12 bytes (FileIndex i32, Stream i32, length u32); the session is named by
the block header. Legacy BB01 blocks carry the session in a 20-byte record header.
A record too large for the free space of a block continues in the next block of
the same session behind a continuation header (FileIndex, -Stream, remaining).
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from bareoslab.codes import VolumeLabel
from bareoslab.volume.bsr import BsrVolume

if TYPE_CHECKING:
    from bareoslab.volume.block import BlockHeader

log = logging.getLogger(__name__)

RECORD_HEADER = struct.Struct(">iiI")  # FileIndex, Stream, length
RECORD_HEADER_SIZE = RECORD_HEADER.size  # 12
# BB01: VolSessionId, VolSessionTime, FileIndex, Stream, length
RECORD_HEADER_BB01 = struct.Struct(">IIiiI")
RECORD_HEADER_BB01_SIZE = RECORD_HEADER_BB01.size  # 20


@dataclass(slots=True)
class Record:
    """One record read back from a volume, reassembled across continuation blocks.

    ``block_offset`` is the byte offset of the block where the record starts
    (its address for VolAddr matching).
    """

    vol_session_id: int
    vol_session_time: int
    file_index: int
    stream: int
    data: bytes
    block_offset: int = 0

    @property
    def is_label(self) -> bool:
        return self.file_index < 0

    @property
    def data_len(self) -> int:
        return len(self.data)

    def label_type(self) -> VolumeLabel | None:
        """The label kind of a label record, None for data records and unknown labels."""
        if self.file_index >= 0:
            return None
        try:
            return VolumeLabel(self.file_index)
        except ValueError:
            return None


def label_name(file_index: int) -> str:
    """Human name of a FileIndex for messages: ``SOS_LABEL`` or the number itself."""
    try:
        return VolumeLabel(file_index).name
    except ValueError:
        return str(file_index)


class RecordChunk(NamedTuple):
    """A record header found in a block and where its data bytes lie in that block.

    ``length`` is the header's length (bytes still to come at this header); the
    block holds ``data[start:end]`` of them, fewer when the record continues.
    """

    vol_session_id: int
    vol_session_time: int
    file_index: int
    stream: int
    length: int
    start: int
    end: int

    @property
    def continues(self) -> bool:
        """True when the record goes on in a later block of the session."""
        return self.end - self.start < self.length


def iter_record_chunks(
    block: bytes | bytearray | memoryview, header: BlockHeader
) -> Iterator[RecordChunk]:
    """The record headers of one block in order; trailing bytes too short for a header are ignored."""
    block_len = header.block_len
    pos = header.header_size
    if header.version == 2:
        session_id, session_time = header.vol_session_id, header.vol_session_time
        unpack = RECORD_HEADER.unpack_from
        while block_len - pos >= RECORD_HEADER_SIZE:
            file_index, stream, length = unpack(block, pos)
            start = pos + RECORD_HEADER_SIZE
            end = min(start + length, block_len)
            yield RecordChunk(session_id, session_time, file_index, stream, length, start, end)
            pos = end
    else:
        unpack1 = RECORD_HEADER_BB01.unpack_from
        while block_len - pos >= RECORD_HEADER_BB01_SIZE:
            session_id, session_time, file_index, stream, length = unpack1(block, pos)
            start = pos + RECORD_HEADER_BB01_SIZE
            end = min(start + length, block_len)
            yield RecordChunk(session_id, session_time, file_index, stream, length, start, end)
            pos = end


class _Partial:
    """A record whose data continues in a later block of its session."""

    __slots__ = ("file_index", "stream", "data", "remaining", "block_offset", "wanted")

    def __init__(
        self,
        file_index: int,
        stream: int,
        data: bytearray | None,
        remaining: int,
        block_offset: int,
        wanted: bool,
    ) -> None:
        self.file_index = file_index
        self.stream = stream
        self.data = data
        self.remaining = remaining
        self.block_offset = block_offset
        self.wanted = wanted


class RecordReader:
    """Turns blocks into records: filters by BSR, reassembles continued records per session.

    Call ``start_volume`` with the bootstrap entries of each volume (None: every
    record), then feed it that volume's blocks in order through ``block_records``.
    Records still incomplete at the end of a volume stay pending, so a record a job
    continued on its next volume is completed when that volume is read with the
    same reader. Once ``finished`` is set no later block of the volume can hold a
    wanted record.
    """

    def __init__(self, include_labels: bool = False) -> None:
        self.include_labels = include_labels
        self.partials: dict[tuple[int, int], _Partial] = {}
        self.start_volume(None)

    def start_volume(self, entries: list[BsrVolume] | None) -> None:
        self.entries = entries
        # per session met on the volume, the indexes of the entries that name it (looked up for
        # every record; found once per session)
        self._of_session: dict[tuple[int, int], tuple[int, ...]] = {}
        # entries that can end early: they name their session exactly
        exact = entries and all(
            e.vol_session_id is not None and e.vol_session_time is not None for e in entries
        )
        self._open = set(range(len(entries))) if entries and exact else None
        self._last = [e.max_file_index for e in entries] if entries else []
        self.finished = False

    def _session_entries(self, key: tuple[int, int]) -> tuple[int, ...]:
        found = self._of_session.get(key)
        if found is None:
            assert self.entries is not None
            found = tuple(i for i, e in enumerate(self.entries) if e.matches_session(*key))
            self._of_session[key] = found
        return found

    def _wanted_session(self, key: tuple[int, int]) -> bool:
        return self.entries is None or bool(self._session_entries(key))

    def _wanted(self, key: tuple[int, int], file_index: int, offset: int) -> bool:
        if file_index < 0:
            return self.include_labels and self._wanted_session(key)
        entries = self.entries
        if entries is None:
            return True
        for i in self._session_entries(key):
            entry = entries[i]
            if entry.matches_file_index(file_index) and entry.matches_address(offset):
                return True
        return False

    def _note_progress(self, key: tuple[int, int], file_index: int) -> None:
        """Close entries whose session is past its last wanted FileIndex or at its EOS."""
        still_open = self._open
        assert still_open is not None
        for i in self._session_entries(key):
            if i not in still_open:
                continue
            if file_index == VolumeLabel.EOS_LABEL:
                still_open.discard(i)
            elif not self.include_labels and file_index > 0:
                last = self._last[i]
                if last is not None and file_index > last:
                    still_open.discard(i)
        if not still_open:
            self.finished = True

    def block_records(
        self, offset: int, header: BlockHeader, block: memoryview
    ) -> Iterator[Record]:
        if header.version == 2 and not self._wanted_session(
            (header.vol_session_id, header.vol_session_time)
        ):
            return
        partials = self.partials
        for chunk in iter_record_chunks(block, header):
            key = (chunk.vol_session_id, chunk.vol_session_time)
            if chunk.stream < 0:
                partial = partials.get(key)
                if (
                    partial is None
                    or partial.stream != -chunk.stream
                    or partial.file_index != chunk.file_index
                ):
                    log.debug(
                        "offset %d: continuation of FileIndex %d without its start, skipped",
                        offset,
                        chunk.file_index,
                    )
                    continue
                if chunk.length != partial.remaining:
                    log.warning(
                        "offset %d: continuation says %d bytes remain, expected %d; record dropped",
                        offset,
                        chunk.length,
                        partial.remaining,
                    )
                    del partials[key]
                    continue
                size = chunk.end - chunk.start
                if partial.data is not None:
                    partial.data += block[chunk.start : chunk.end]
                partial.remaining -= size
                if partial.remaining == 0:
                    del partials[key]
                    if partial.data is not None:
                        yield Record(
                            key[0],
                            key[1],
                            partial.file_index,
                            partial.stream,
                            bytes(partial.data),
                            partial.block_offset,
                        )
                continue
            if key in partials:
                stale = partials.pop(key)
                log.warning(
                    "offset %d: record FileIndex %d ended early; dropped", offset, stale.file_index
                )
            if self._open is not None:
                self._note_progress(key, chunk.file_index)
            wanted = self._wanted(key, chunk.file_index, offset)
            if not chunk.continues:
                if wanted:
                    yield Record(
                        key[0],
                        key[1],
                        chunk.file_index,
                        chunk.stream,
                        bytes(block[chunk.start : chunk.end]),
                        offset,
                    )
            else:
                data = bytearray(block[chunk.start : chunk.end]) if wanted else None
                partials[key] = _Partial(
                    chunk.file_index,
                    chunk.stream,
                    data,
                    chunk.length - (chunk.end - chunk.start),
                    offset,
                    wanted,
                )
            if self.finished:
                return
