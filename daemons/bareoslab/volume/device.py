"""File devices: volumes as plain files of blocks (volume-format.md §1, §7).

``FileDevice`` labels volumes, reads their labels and records, and opens them for
append. An open ``Volume`` is shared by the sessions (jobs) appending to it; each
``SessionWriter`` fills its own block and hands it over whole, so blocks of
concurrent jobs interleave on the volume but never mix. These calls are
synchronous: they do large sequential I/O and no per-byte Python work.

Positions on a file device are byte offsets; Bareos reports them as
``File`` = offset >> 32 and ``Block`` = offset & 0xFFFFFFFF (``split_address``).
"""

from __future__ import annotations

import errno
import io
import logging
import os
import socket
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from bareoslab.codes import VolumeLabel
from bareoslab.pagecache import DropBehind, advise_dontneed
from bareoslab.volume.block import (
    BLOCK_HEADER_BB01,
    BLOCK_HEADER_BB01_SIZE,
    BLOCK_HEADER_SIZE,
    DEFAULT_BLOCK_SIZE,
    DEFAULT_MAX_BLOCK_SIZE,
    MAX_BLOCK_LENGTH,
    MIN_BLOCK_SIZE,
    BlockBuilder,
    BlockHeader,
    iter_blocks,
    parse_block_header,
    verify_checksum,
)
from bareoslab.volume.bsr import BsrVolume, volume_names
from bareoslab.volume.errors import (
    CorruptBlock,
    LabelFormatError,
    VolumeError,
    VolumeExists,
    VolumeFull,
    VolumeLabelError,
    VolumeNotFound,
    VolumeSizeMismatch,
    VolumeWriteError,
)
from bareoslab.volume.label import VolumeLabelRecord, now_btime
from bareoslab.volume.record import (
    RECORD_HEADER_SIZE,
    Record,
    RecordReader,
    iter_record_chunks,
    label_name,
)
from bareoslab.volume.session import SessionWriter

log = logging.getLogger(__name__)


class Volume:
    """A volume open for append on a file device. Use ``FileDevice.open_append``.

    ``size`` and ``blocks`` are VolBytes and VolBlocks (every block including the
    label). ``expected_bytes`` is the catalog's VolBytes given at open; when the
    file was larger, ``catalog_outdated`` is True and the SD corrects the catalog.
    """

    def __init__(
        self,
        device: FileDevice,
        name: str,
        fd: int,
        size: int,
        blocks: int,
        label: VolumeLabelRecord,
        expected_bytes: int | None,
        max_bytes: int,
        block_size: int,
    ) -> None:
        self.device = device
        self.name = name
        self.path = device.volume_path(name)
        self.label = label
        self.size = size
        self.size_at_open = size
        self.blocks = blocks
        self.expected_bytes = expected_bytes
        #: bytes of a block cut short by a crash, cut off the file's end at open
        self.torn_bytes = 0
        self.max_bytes = max_bytes
        self.block_size = block_size
        #: bytes since the volume's last file mark (Bareos: the position after moving to the end)
        self.file_size = size
        #: file marks since the volume was opened: a session seeing a new one starts a JobMedia range
        self.file_marks = 0
        self._fd = fd
        self._lock = threading.Lock()
        self._behind = DropBehind(fd, size, writing=True)

    def __enter__(self) -> Volume:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Volume {self.name!r} size={self.size} blocks={self.blocks}>"

    @property
    def closed(self) -> bool:
        return self._fd < 0

    def file_mark_before(self, length: int) -> int:
        """Before a block of ``length`` bytes is written: a new file begins when the block would
        reach the device's Maximum File Size (Bareos' block.cc); the current file mark."""
        max_file_size = self.device.max_file_size
        if max_file_size and self.file_size + length >= max_file_size:
            self.file_size = 0
            self.file_marks += 1
        return self.file_marks

    @property
    def label_end(self) -> int:
        """The address of the last byte of the volume label's block (the first block)."""
        header = os.pread(self._fd, BLOCK_HEADER_BB01_SIZE, 0)
        return BLOCK_HEADER_BB01.unpack(header)[1] - 1 if len(header) == BLOCK_HEADER_BB01_SIZE else 0

    @property
    def catalog_outdated(self) -> bool:
        """The file was larger than the catalog's VolBytes when opened."""
        return self.expected_bytes is not None and self.size_at_open > self.expected_bytes

    def session_writer(
        self, vol_session_id: int, vol_session_time: int, block_size: int | None = None
    ) -> SessionWriter:
        """A writer for one job session; blocks up to ``block_size`` (default: the volume's)."""
        return SessionWriter(self, vol_session_id, vol_session_time, block_size or self.block_size)

    def append_block(self, block: BlockBuilder) -> tuple[int, int]:
        """Seal ``block`` and write it whole at the end; return (offset, block_len).

        On an OSError the file is cut back to its previous size and VolumeWriteError
        is raised; VolumeFull is raised, writing nothing, when ``max_bytes`` would be
        exceeded. ``block`` is left untouched in both cases.
        """
        with self._lock:
            if self._fd < 0:
                raise VolumeError(self.name, "volume is closed")
            offset = self.size
            length = block.length
            if self.max_bytes and offset + length > self.max_bytes:
                raise VolumeFull(self.name, offset, length, self.max_bytes)
            view = block.seal(self.blocks, self.device.checksum)
            self._write_at(view, offset)
            self.size = offset + length
            self._behind.passed(self.size)
            self.file_size += length
            self.blocks += 1
            return offset, length

    def _write_at(self, view: memoryview, offset: int) -> None:
        written = 0
        try:
            while written < len(view):
                count = os.pwrite(self._fd, view[written:], offset + written)
                if count <= 0:
                    raise OSError(errno.ENOSPC, "no progress writing block")
                written += count
        except OSError as exc:
            reason = exc.strerror or str(exc)
            try:
                os.ftruncate(self._fd, offset)
            except OSError as trunc_exc:
                raise VolumeWriteError(
                    self.name,
                    offset,
                    f"{reason}; cutting the file back to {offset} bytes failed too "
                    f"({trunc_exc.strerror}): the volume needs repair",
                ) from exc
            raise VolumeWriteError(
                self.name,
                offset,
                f"{reason} (wrote {written} of {len(view)} bytes; file cut back to {offset} bytes)",
            ) from exc

    def sync(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.fsync(self._fd)
                advise_dontneed(self._fd)  # every page is clean now: none stays behind

    def close(self) -> None:
        """Close the volume. Its blocks reached stable storage before any catalog request
        counted them (the SD's ``AppendSession`` syncs, in a thread, before each)."""
        with self._lock:
            if self._fd >= 0:
                fd, self._fd = self._fd, -1
                os.close(fd)


class FileDevice:
    """A Bareos ``Device`` with ``Device Type = File``: one file per volume in ``archive_device``."""

    def __init__(
        self,
        name: str,
        media_type: str,
        archive_device: str | os.PathLike[str],
        maximum_block_size: int = DEFAULT_MAX_BLOCK_SIZE,
        label_block_size: int = DEFAULT_BLOCK_SIZE,
        checksum: bool = True,
        max_file_size: int = 0,
    ) -> None:
        for what, size in (
            ("maximum_block_size", maximum_block_size),
            ("label_block_size", label_block_size),
        ):
            if not MIN_BLOCK_SIZE <= size <= MAX_BLOCK_LENGTH:
                raise ValueError(f"{what} {size} outside [{MIN_BLOCK_SIZE}, {MAX_BLOCK_LENGTH}]")
        self.name = name
        self.media_type = media_type
        self.archive_device = Path(archive_device)
        self.maximum_block_size = maximum_block_size
        self.label_block_size = label_block_size
        self.checksum = checksum
        #: ``Maximum File Size``: every so many bytes a new "file" of the volume begins, and
        #: each job writing it records its blocks so far in a JobMedia row (0: never)
        self.max_file_size = max_file_size

    def __repr__(self) -> str:
        return f"<FileDevice {self.name!r} ({self.archive_device})>"

    def volume_path(self, volume_name: str) -> Path:
        """``<ArchiveDevice>/<VolumeName>``; names that would leave the directory are refused."""
        if (
            not volume_name
            or volume_name in (".", "..")
            or "/" in volume_name
            or "\0" in volume_name
        ):
            raise VolumeError(volume_name, "invalid volume name")
        return self.archive_device / volume_name

    # -- labels ----------------------------------------------------------------------------

    def label(
        self,
        volume_name: str,
        pool_name: str,
        pool_type: str = "Backup",
        host_name: str | None = None,
        prog_name: str = "bareos-sd",
        session: tuple[int, int] = (0, 0),
        *,
        label_btime: int | None = None,
        relabel: bool = False,
    ) -> int:
        """Write a new volume holding only its VOL_LABEL block; return VolBytes.

        An existing non-empty file is refused (VolumeExists) unless ``relabel`` is
        set and the file carries a valid label of this same volume (recycling); the
        old volume is then replaced atomically.
        """
        path = self.volume_path(volume_name)
        now = now_btime()
        record = VolumeLabelRecord(
            volume_name=volume_name,
            pool_name=pool_name,
            pool_type=pool_type,
            media_type=self.media_type,
            host_name=host_name if host_name is not None else socket.gethostname(),
            label_prog=prog_name,
            label_btime=label_btime if label_btime is not None else now,
            write_btime=now,
        )
        data = record.to_bytes()
        block = BlockBuilder(self.label_block_size, *session)
        if RECORD_HEADER_SIZE + len(data) > block.free:
            raise VolumeError(
                volume_name, f"label of {len(data)} bytes does not fit in LabelBlockSize"
            )
        block.put_header(VolumeLabel.VOL_LABEL, 0, len(data))
        block.put_data(memoryview(data))
        view = block.seal(0, self.checksum)

        if relabel and path.exists() and path.stat().st_size > 0:
            self.read_label(volume_name)  # must be our own volume
            tmp = path.with_name(f".{volume_name}.relabel")
            self._write_new_file(tmp, volume_name, view, exclusive=False)
            os.replace(tmp, path)
            return len(view)
        try:
            self._write_new_file(path, volume_name, view, exclusive=True)
        except FileExistsError:
            if path.stat().st_size > 0:
                try:
                    existing = self.read_label(volume_name).volume_name
                except VolumeError:
                    raise VolumeExists(
                        volume_name, f"{path} exists and is not an empty file"
                    ) from None
                raise VolumeExists(
                    volume_name, f"{path} is already labelled as {existing!r}"
                ) from None
            self._write_new_file(path, volume_name, view, exclusive=False)
        return len(view)

    def _write_new_file(
        self, path: Path, volume_name: str, view: memoryview, exclusive: bool
    ) -> None:
        flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
        fd = os.open(path, flags, 0o640)
        try:
            written = 0
            while written < len(view):
                written += os.write(fd, view[written:])
            os.fsync(fd)
        except OSError as exc:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise VolumeWriteError(
                volume_name, 0, f"writing the label failed: {exc.strerror or exc}"
            ) from exc
        os.close(fd)

    def read_label(self, volume_name: str) -> VolumeLabelRecord:
        """Read and validate the volume label: Id, VerNum 20, and VolumeName == ``volume_name``."""
        path = self.volume_path(volume_name)
        try:
            with open(path, "rb") as f:
                head = f.read(BLOCK_HEADER_SIZE)
                if not head:
                    raise VolumeLabelError(volume_name, "volume is empty (not labelled)")
                try:
                    header = parse_block_header(head, volume_name, 0)
                except CorruptBlock as exc:
                    raise VolumeLabelError(
                        volume_name, f"no Bareos label: {exc.block_reason}"
                    ) from exc
                block = head[: header.block_len] + f.read(max(0, header.block_len - len(head)))
        except FileNotFoundError:
            raise VolumeNotFound(volume_name, f"no volume file {path}") from None
        if len(block) < header.block_len:
            raise VolumeLabelError(volume_name, "label block cut short by end of file")
        if self.checksum:
            try:
                verify_checksum(block, header, volume_name, 0)
            except CorruptBlock as exc:
                raise VolumeLabelError(volume_name, f"label block: {exc.block_reason}") from exc
        first = next(iter_record_chunks(block, header), None)
        if first is None or first.file_index not in (VolumeLabel.PRE_LABEL, VolumeLabel.VOL_LABEL):
            found = "no record" if first is None else label_name(first.file_index)
            raise VolumeLabelError(volume_name, f"first record is {found}, not a volume label")
        if first.continues:
            raise VolumeLabelError(volume_name, "volume label record is cut short")
        try:
            label = VolumeLabelRecord.from_bytes(block[first.start : first.end])
        except LabelFormatError as exc:
            raise VolumeLabelError(volume_name, str(exc)) from exc
        if label.volume_name != volume_name:
            raise VolumeLabelError(volume_name, f'wrong volume: label names "{label.volume_name}"')
        return label

    # -- append ----------------------------------------------------------------------------

    def open_append(
        self,
        volume_name: str,
        expected_bytes: int | None = None,
        *,
        expected_blocks: int | None = None,
        max_bytes: int = 0,
        block_size: int | None = None,
    ) -> Volume:
        """Open a labelled volume for append after checking its label and size.

        ``expected_bytes`` is the catalog's VolBytes: a smaller file raises
        VolumeSizeMismatch (Bareos marks the volume Error); a larger one opens with
        ``catalog_outdated`` set. VolBlocks is counted by walking the block headers
        unless the size matches and ``expected_blocks`` is given. A last block cut
        short (a write a crash interrupted) beyond what the catalog counts is cut off
        (``torn_bytes``: nothing can refer to a block that was never whole), and so is
        everything from the first block there whose header or checksum fails; a block cut
        short within the catalog's VolBytes raises CorruptBlock.
        """
        label = self.read_label(volume_name)
        fd = os.open(self.volume_path(volume_name), os.O_RDWR)
        torn = 0
        try:
            size = os.fstat(fd).st_size
            if expected_bytes is not None and size < expected_bytes:
                raise VolumeSizeMismatch(volume_name, size, expected_bytes)
            if expected_blocks is not None and expected_bytes == size:
                blocks = expected_blocks
            else:
                # blocks the catalog does not count yet are checked whole (their checksums)
                verify_from = expected_bytes if expected_bytes is not None and self.checksum else None
                blocks, end = _count_blocks(fd, volume_name, size, verify_from)
                if end < size:
                    if expected_bytes is None or end < expected_bytes:
                        raise CorruptBlock(volume_name, end, f"the block there runs past the end of the "
                                                             f"volume ({size} bytes)")
                    os.ftruncate(fd, end)
                    torn, size = size - end, end
        except BaseException:
            os.close(fd)
            raise
        if expected_bytes is not None and size > expected_bytes:
            log.warning(
                'Volume "%s": file size %d is larger than the catalog VolBytes %d',
                volume_name,
                size,
                expected_bytes,
            )
        volume = Volume(
            self,
            volume_name,
            fd,
            size,
            blocks,
            label,
            expected_bytes,
            max_bytes,
            block_size or self.maximum_block_size,
        )
        volume.torn_bytes = torn
        return volume

    # -- read ------------------------------------------------------------------------------

    def read_blocks(
        self, volume_name: str, start_offset: int = 0
    ) -> Iterator[tuple[int, BlockHeader]]:
        """(offset, header) of every block from ``start_offset``, checksums verified."""
        with _open_reader(self.volume_path(volume_name), volume_name) as f:
            for offset, header, _ in iter_blocks(f, volume_name, start_offset, None, self.checksum):
                yield offset, header

    def read_records(
        self,
        volume_name: str,
        bsr_filter: BsrVolume | Iterable[BsrVolume] | None = None,
        start_offset: int = 0,
        *,
        include_labels: bool = False,
        check_label: bool = True,
        reader: RecordReader | None = None,
    ) -> Iterator[Record]:
        """Stream the records of a volume, reassembled across blocks, in volume order.

        With ``bsr_filter`` only records matching an entry for this volume are
        yielded (session, FileIndex, VolAddr); when every entry has VolAddr ranges
        only those byte ranges are read, and reading stops once every entry's
        session has passed its last FileIndex (or its EOS). Label records
        (FileIndex < 0) are yielded only with ``include_labels``, and under a filter
        only those of matching sessions. Pass the same ``reader`` for consecutive
        volumes to complete records continued from one volume on the next
        (``include_labels`` is then the reader's).
        """
        entries: list[BsrVolume] | None = None
        if bsr_filter is not None:
            given = [bsr_filter] if isinstance(bsr_filter, BsrVolume) else list(bsr_filter)
            entries = [entry for entry in given if entry.volume == volume_name]
            if not entries:
                return
        if check_label:
            self.read_label(volume_name)
        if reader is None:
            reader = RecordReader(include_labels)
        reader.start_volume(entries)
        with _open_reader(self.volume_path(volume_name), volume_name) as f:
            behind = DropBehind(f.fileno(), start_offset, writing=False)
            for begin, end in _scan_ranges(entries, start_offset):
                for offset, header, block in iter_blocks(f, volume_name, begin, end, self.checksum):
                    yield from reader.block_records(offset, header, block)
                    if reader.finished:
                        return
                    behind.passed(offset)

    def read_bootstrap(
        self, entries: Iterable[BsrVolume], *, include_labels: bool = False
    ) -> Iterator[Record]:
        """The records a bootstrap selects, volume after volume in bootstrap order."""
        entries = list(entries)
        reader = RecordReader(include_labels)
        for volume_name in volume_names(entries):
            yield from self.read_records(volume_name, entries, reader=reader)


def _open_reader(path: Path, volume_name: str) -> io.FileIO:
    try:
        raw = io.FileIO(path, "rb")
    except FileNotFoundError:
        raise VolumeNotFound(volume_name, f"no volume file {path}") from None
    if hasattr(os, "posix_fadvise"):
        os.posix_fadvise(raw.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)  # larger read-ahead
    return raw


def _count_blocks(fd: int, volume_name: str, size: int, verify_from: int | None = None) -> tuple[int, int]:
    """Walk the block headers of an open volume: (its whole blocks, where the last of them
    ends). That end is short of ``size`` when the last block was cut short, or, from
    ``verify_from`` on, at the first block whose header or checksum fails: a block cut short
    and followed by more bytes (a later write, a copy's tail) looks whole by its header alone."""
    offset = blocks = 0
    while offset < size:
        if size - offset < BLOCK_HEADER_SIZE:
            break  # not even a whole header
        verify = verify_from is not None and offset >= verify_from
        try:
            header = parse_block_header(os.pread(fd, BLOCK_HEADER_SIZE, offset), volume_name, offset)
            if offset + header.block_len > size:
                break
            if verify:
                verify_checksum(os.pread(fd, header.block_len, offset), header, volume_name, offset)
        except CorruptBlock:
            if not verify:
                raise
            break
        offset += header.block_len
        blocks += 1
    return blocks, offset


def _scan_ranges(
    entries: list[BsrVolume] | None, start_offset: int
) -> list[tuple[int, int | None]]:
    """Byte ranges to read: the merged VolAddr ranges if every entry has some, else all."""
    if not entries or not all(entry.vol_addrs for entry in entries):
        return [(start_offset, None)]
    merged: list[tuple[int, int | None]] = []
    for first, last in sorted(addr for entry in entries for addr in entry.vol_addrs):
        if last < start_offset:
            continue
        first = max(first, start_offset)
        previous = merged[-1] if merged else None
        if previous is not None and previous[1] is not None and first <= previous[1] + 1:
            merged[-1] = (previous[0], max(previous[1], last))
        else:
            merged.append((first, last))
    return merged
