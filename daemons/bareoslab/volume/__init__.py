"""Bareos volumes on file devices: labels, blocks, records, bootstraps (volume-format.md)."""

from bareoslab.volume.block import (
    DEFAULT_BLOCK_SIZE,
    DEFAULT_MAX_BLOCK_SIZE,
    MAX_BLOCK_LENGTH,
    BlockBuilder,
    BlockHeader,
)
from bareoslab.volume.bsr import BsrVolume, format_bsr, parse_bsr, volume_names
from bareoslab.volume.device import FileDevice, Volume
from bareoslab.volume.errors import (
    BsrError,
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
from bareoslab.volume.label import LABEL_ID, LABEL_VERSION, SessionLabel, VolumeLabelRecord
from bareoslab.volume.record import Record, RecordReader
from bareoslab.volume.session import MediaPosition, SessionWriter, join_address, split_address

__all__ = [
    "DEFAULT_BLOCK_SIZE",
    "DEFAULT_MAX_BLOCK_SIZE",
    "LABEL_ID",
    "LABEL_VERSION",
    "MAX_BLOCK_LENGTH",
    "BlockBuilder",
    "BlockHeader",
    "BsrError",
    "BsrVolume",
    "CorruptBlock",
    "FileDevice",
    "LabelFormatError",
    "MediaPosition",
    "Record",
    "RecordReader",
    "SessionLabel",
    "SessionWriter",
    "Volume",
    "VolumeError",
    "VolumeExists",
    "VolumeFull",
    "VolumeLabelError",
    "VolumeLabelRecord",
    "VolumeNotFound",
    "VolumeSizeMismatch",
    "VolumeWriteError",
    "format_bsr",
    "join_address",
    "parse_bsr",
    "split_address",
    "volume_names",
]
