"""Session writers: one job's records going onto a volume (volume-format.md §3, §6, §7).

A ``SessionWriter`` fills its own block buffer with the records of one session
(VolSessionId, VolSessionTime) and hands each full block to its ``Volume``, which
writes it whole. It splits records across blocks behind continuation headers,
never splits a header or a session label, and keeps the JobMedia position of
what it wrote on the current volume.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from bareoslab.codes import VolumeLabel
from bareoslab.volume.block import BLOCK_HEADER_SIZE, BlockBuilder
from bareoslab.volume.errors import VolumeError
from bareoslab.volume.label import SessionLabel
from bareoslab.volume.record import RECORD_HEADER_SIZE

if TYPE_CHECKING:
    from bareoslab.volume.device import Volume


def split_address(address: int) -> tuple[int, int]:
    """A byte offset as Bareos' (File, Block) pair: (offset >> 32, offset & 0xFFFFFFFF)."""
    return address >> 32, address & 0xFFFFFFFF


def join_address(file: int, block: int) -> int:
    """The byte offset of a (File, Block) pair."""
    return (file << 32) | block


@dataclass(frozen=True, slots=True)
class MediaPosition:
    """What one session wrote to one volume, for its JobMedia record.

    ``start_address`` is the offset of the session's first block on the volume,
    ``end_address`` the offset of the last byte of its last block; FirstIndex and
    LastIndex are the first and last positive FileIndex in those blocks.
    """

    first_index: int
    last_index: int
    start_address: int
    end_address: int
    blocks: int

    @property
    def start_file(self) -> int:
        return self.start_address >> 32

    @property
    def start_block(self) -> int:
        return self.start_address & 0xFFFFFFFF

    @property
    def end_file(self) -> int:
        return self.end_address >> 32

    @property
    def end_block(self) -> int:
        return self.end_address & 0xFFFFFFFF


class _Pending(NamedTuple):
    """The part of a record not yet stored in a block."""

    file_index: int
    stream: int
    data: memoryview | bytes
    started: bool  # header already written: the rest goes behind a continuation header
    whole: bool  # session label: never split across blocks


class SessionWriter:
    """Writes one job session's records to a volume, one whole block at a time.

    A record given to ``write_record`` is never lost: if writing a block fails,
    the error propagates and the unwritten rest stays pending; after
    ``change_volume`` the next ``flush`` (or write) stores it on the new volume.
    """

    def __init__(
        self, volume: Volume, vol_session_id: int, vol_session_time: int, block_size: int
    ) -> None:
        self.volume = volume
        self.vol_session_id = vol_session_id
        self.vol_session_time = vol_session_time
        self._block = BlockBuilder(block_size, vol_session_id, vol_session_time)
        self._pending: _Pending | None = None
        self.records = 0
        #: ranges of this session closed by a new file of the volume, for JobMedia rows
        self.finished: list[MediaPosition] = []
        self._reset_position()

    def _reset_position(self) -> None:
        self._file_mark = self.volume.file_marks
        self.first_index = 0
        self.last_index = 0
        self.start_address: int | None = None
        self.end_address: int | None = None
        self.blocks = 0

    @property
    def block_size(self) -> int:
        return self._block.size

    @property
    def position(self) -> MediaPosition | None:
        """JobMedia values for the blocks written to the current volume; None before the first."""
        if self.start_address is None or self.end_address is None:
            return None
        return MediaPosition(
            self.first_index, self.last_index, self.start_address, self.end_address, self.blocks
        )

    @property
    def buffered(self) -> bool:
        """True while records wait in memory for ``flush``."""
        return self._pending is not None or not self._block.empty

    def write_record(
        self, file_index: int, stream: int, data: bytes | bytearray | memoryview
    ) -> None:
        """Append one data record; it continues into new blocks as needed."""
        view = memoryview(data)
        if view.ndim != 1 or view.itemsize != 1:
            view = view.cast("B")
        self._put(_Pending(file_index, stream, view, started=False, whole=False))

    def write_sos(self, label: SessionLabel) -> None:
        """Start of session label (FileIndex -4, Stream = JobId), never split."""
        self._write_session_label(label, VolumeLabel.SOS_LABEL)

    def write_eos(self, label: SessionLabel) -> None:
        """End of session label (FileIndex -5, Stream = JobId), never split; call flush() after.

        It carries the session's addresses as Bareos' SD fills them in: where its first block
        starts (0 while none is written) and where the last block written ends (while none
        is, the end of the volume label's block, which the SD read or wrote last)."""
        end = self.end_address if self.end_address is not None else self.volume.label_end
        start = self.start_address or 0
        label = dataclasses.replace(label, start_file=start >> 32, start_block=start & 0xFFFFFFFF,
                                    end_file=end >> 32, end_block=end & 0xFFFFFFFF)
        self._write_session_label(label, VolumeLabel.EOS_LABEL)

    def _write_session_label(self, label: SessionLabel, kind: VolumeLabel) -> None:
        if label.label_type != kind:
            raise ValueError(f"expected a {kind.name} label, got {label.label_type.name}")
        data = label.to_bytes()
        if RECORD_HEADER_SIZE + len(data) > self._block.size - BLOCK_HEADER_SIZE:
            raise VolumeError(
                self.volume.name, f"{kind.name} of {len(data)} bytes does not fit in a block"
            )
        self._put(_Pending(int(kind), label.job_id, data, started=False, whole=True))

    def flush(self) -> None:
        """Write everything buffered (the pending rest of a record, the partial block)."""
        self._drain()
        if not self._block.empty:
            self._write_block()

    def change_volume(self, volume: Volume) -> MediaPosition | None:
        """Continue this session on ``volume``; return the position on the previous one.

        Nothing is flushed here: a block whose write failed on the old volume is
        written to the new one by the next flush or write.
        """
        previous = self.position
        self.volume = volume
        self._reset_position()
        return previous

    def _put(self, record: _Pending) -> None:
        if self._pending is not None:
            self._drain()
        self._pending = record
        self.records += 1
        try:
            self._drain()
        except VolumeError:
            rest = self._pending
            if rest is not None and isinstance(rest.data, memoryview):
                # keep our own copy: the caller may reuse its buffer after the error
                self._pending = rest._replace(data=bytes(rest.data))
            raise

    def _drain(self) -> None:
        block = self._block
        while self._pending is not None:
            file_index, stream, data, started, whole = self._pending
            needed = RECORD_HEADER_SIZE + (len(data) if whole else 0)
            if block.free < needed:
                self._write_block()
                continue
            block.put_header(file_index, -stream if started else stream, len(data))
            stored = block.put_data(memoryview(data))
            if stored == len(data):
                self._pending = None
            else:
                self._pending = _Pending(file_index, stream, data[stored:], True, whole)
                self._write_block()

    def _write_block(self) -> None:
        block = self._block
        if self.volume.file_mark_before(block.length) != self._file_mark:
            # a new file of the volume began since this session's range did: the range so far
            # becomes a JobMedia row and this block starts the next (Bareos' NewFile)
            if self.position is not None:
                self.finished.append(self.position)
            self._reset_position()
        offset, length = self.volume.append_block(block)
        if self.start_address is None:
            self.start_address = offset
        self.end_address = offset + length - 1
        if block.first_index and not self.first_index:
            self.first_index = block.first_index
        if block.last_index:
            self.last_index = block.last_index
        self.blocks += 1
        block.reset()
