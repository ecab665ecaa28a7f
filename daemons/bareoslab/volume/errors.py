"""Errors raised while labelling, writing or reading volumes and parsing bootstraps.

Every error names the volume it concerns; block errors also name the byte offset
of the block, so the Storage Daemon can report them as they are.
"""

from __future__ import annotations


class VolumeError(Exception):
    """Base class of every volume error."""

    def __init__(self, volume: str, reason: str) -> None:
        super().__init__(f'Volume "{volume}": {reason}')
        self.volume = volume
        self.reason = reason


class CorruptBlock(VolumeError):
    """A block that cannot be read: bad header, bad length, checksum mismatch, cut short."""

    def __init__(self, volume: str, offset: int, reason: str) -> None:
        super().__init__(volume, f"corrupt block at offset {offset}: {reason}")
        self.offset = offset
        self.block_reason = reason


class VolumeLabelError(VolumeError):
    """The volume has no valid Bareos label, or the label names another volume."""


class VolumeNotFound(VolumeLabelError):
    """The volume file does not exist on the device."""


class LabelFormatError(ValueError):
    """Label record data that does not decode (cut short, unterminated string, wrong Id)."""


class VolumeExists(VolumeError):
    """Labelling refused: the file already exists and holds data."""


class VolumeSizeMismatch(VolumeError):
    """The volume file is smaller than the catalog says (VolBytes); Bareos marks it Error."""

    def __init__(self, volume: str, actual: int, expected: int) -> None:
        super().__init__(
            volume,
            f"file size {actual} is smaller than the catalog's VolBytes {expected}",
        )
        self.actual = actual
        self.expected = expected


class VolumeWriteError(VolumeError):
    """A block could not be written; the file was cut back to its last complete block."""

    def __init__(self, volume: str, offset: int, reason: str) -> None:
        super().__init__(volume, f"write error at offset {offset}: {reason}")
        self.offset = offset


class VolumeFull(VolumeError):
    """The next block would exceed the volume's maximum size; nothing was written."""

    def __init__(self, volume: str, size: int, block_len: int, max_bytes: int) -> None:
        super().__init__(
            volume,
            f"full: {size} bytes + block of {block_len} would exceed {max_bytes} bytes",
        )
        self.size = size
        self.block_len = block_len
        self.max_bytes = max_bytes


class BsrError(ValueError):
    """A bootstrap text that cannot be parsed; the message is ``line N: reason``."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason
