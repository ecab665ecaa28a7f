"""Volume and session labels (volume-format.md §5, §6).

The volume label is the only record of a volume's first block (FileIndex -2,
Stream 0). Session labels open (SOS, FileIndex -4) and close (EOS, FileIndex -5)
each job's session on a volume; their record Stream is the JobId. All integers
are big-endian, btimes are microseconds since the epoch, strings end with NUL.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass, field

from bareoslab.codes import VolumeLabel
from bareoslab.version import BUILD_TIME, VERSION, VERSION_DATE
from bareoslab.volume.errors import LabelFormatError

LABEL_ID = "Bareos 2.0 immortal\n"
LABEL_VERSION = 20
# as Bareos' CreateVolumeLabel: "Ver. %.26s %.17s" of its version and date, "Build %s" of its build time
PROG_VERSION = f"Ver. {VERSION[:26]} {VERSION_DATE[:17]}"
PROG_DATE = f"Build {BUILD_TIME}"

_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_I64 = struct.Struct(">q")
_F64 = struct.Struct(">d")


def now_btime() -> int:
    """Current time as a Bareos btime (microseconds since the epoch)."""
    return time.time_ns() // 1000


class _Writer:
    """Serialises label fields in order."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def u32(self, value: int) -> None:
        self.parts.append(_U32.pack(value))

    def u64(self, value: int) -> None:
        self.parts.append(_U64.pack(value))

    def btime(self, value: int) -> None:
        self.parts.append(_I64.pack(value))

    def f64(self, value: float) -> None:
        self.parts.append(_F64.pack(value))

    def string(self, value: str) -> None:
        raw = value.encode()
        if b"\0" in raw:
            raise ValueError(f"label string contains NUL: {value!r}")
        self.parts.append(raw + b"\0")

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


class _Reader:
    """Reads label fields in order; every shortage is a LabelFormatError naming the field."""

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self.data = bytes(data)
        self.pos = 0

    def _unpack(self, fmt: struct.Struct, field: str) -> int | float:
        if self.pos + fmt.size > len(self.data):
            raise LabelFormatError(f"label cut short in {field} at byte {self.pos}")
        (value,) = fmt.unpack_from(self.data, self.pos)
        self.pos += fmt.size
        return value

    def u32(self, field: str) -> int:
        return int(self._unpack(_U32, field))

    def u64(self, field: str) -> int:
        return int(self._unpack(_U64, field))

    def btime(self, field: str) -> int:
        return int(self._unpack(_I64, field))

    def f64(self, field: str) -> float:
        return float(self._unpack(_F64, field))

    def string(self, field: str) -> str:
        end = self.data.find(b"\0", self.pos)
        if end < 0:
            raise LabelFormatError(f"label string {field} at byte {self.pos} has no NUL terminator")
        raw = self.data[self.pos : end]
        self.pos = end + 1
        try:
            return raw.decode()
        except UnicodeDecodeError as exc:
            raise LabelFormatError(f"label string {field} is not UTF-8: {raw!r}") from exc

    def header(self) -> tuple[str, int]:
        label_id = self.string("Id")
        if label_id != LABEL_ID:
            raise LabelFormatError(f"label Id {label_id!r} is not {LABEL_ID!r}")
        ver_num = self.u32("VerNum")
        if ver_num != LABEL_VERSION:
            raise LabelFormatError(f"label VerNum {ver_num} is not {LABEL_VERSION}")
        return label_id, ver_num


@dataclass(kw_only=True)
class VolumeLabelRecord:
    """The data of the VOL_LABEL record (FileIndex -2, Stream 0)."""

    volume_name: str
    pool_name: str
    media_type: str
    host_name: str
    label_prog: str
    label_btime: int = field(default_factory=now_btime)
    write_btime: int = field(default_factory=now_btime)
    prog_version: str = PROG_VERSION
    prog_date: str = PROG_DATE
    prev_volume_name: str = ""
    pool_type: str = "Backup"
    write_date: float = 0.0
    write_time: float = 0.0
    id: str = LABEL_ID
    ver_num: int = LABEL_VERSION

    file_index = VolumeLabel.VOL_LABEL
    stream = 0

    def to_bytes(self) -> bytes:
        out = _Writer()
        out.string(self.id)
        out.u32(self.ver_num)
        out.btime(self.label_btime)
        out.btime(self.write_btime)
        out.f64(self.write_date)
        out.f64(self.write_time)
        out.string(self.volume_name)
        out.string(self.prev_volume_name)
        out.string(self.pool_name)
        out.string(self.pool_type)
        out.string(self.media_type)
        out.string(self.host_name)
        out.string(self.label_prog)
        out.string(self.prog_version)
        out.string(self.prog_date)
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> VolumeLabelRecord:
        """Decode label data; raises LabelFormatError unless Id and VerNum are Bareos' 2.0/20."""
        src = _Reader(data)
        label_id, ver_num = src.header()
        return cls(
            id=label_id,
            ver_num=ver_num,
            label_btime=src.btime("label_btime"),
            write_btime=src.btime("write_btime"),
            write_date=src.f64("write_date"),
            write_time=src.f64("write_time"),
            volume_name=src.string("VolumeName"),
            prev_volume_name=src.string("PrevVolumeName"),
            pool_name=src.string("PoolName"),
            pool_type=src.string("PoolType"),
            media_type=src.string("MediaType"),
            host_name=src.string("HostName"),
            label_prog=src.string("LabelProg"),
            prog_version=src.string("ProgVersion"),
            prog_date=src.string("ProgDate"),
        )


@dataclass(kw_only=True)
class SessionLabel:
    """The data of an SOS (FileIndex -4) or EOS (FileIndex -5) record; Stream = JobId.

    ``job_type``, ``job_level`` and ``job_status`` are ASCII codes
    (``JobType.BACKUP.code`` = 66). The EOS-only fields (JobFiles … JobStatus)
    are serialised only when ``label_type`` is EOS_LABEL.
    """

    job_id: int
    job_name: str
    job: str
    client_name: str
    file_set_name: str
    job_type: int
    job_level: int
    pool_name: str
    pool_type: str = "Backup"
    file_set_md5: str = ""
    write_btime: int = field(default_factory=now_btime)
    write_time: float = 0.0
    label_type: VolumeLabel = VolumeLabel.SOS_LABEL
    # EOS only
    job_files: int = 0
    job_bytes: int = 0
    start_block: int = 0
    end_block: int = 0
    start_file: int = 0
    end_file: int = 0
    job_errors: int = 0
    job_status: int = 0
    id: str = LABEL_ID
    ver_num: int = LABEL_VERSION

    def __post_init__(self) -> None:
        if self.label_type not in (VolumeLabel.SOS_LABEL, VolumeLabel.EOS_LABEL):
            raise ValueError(
                f"session label type must be SOS_LABEL or EOS_LABEL, not {self.label_type!r}"
            )

    @property
    def file_index(self) -> int:
        return int(self.label_type)

    @property
    def stream(self) -> int:
        return self.job_id

    @property
    def is_eos(self) -> bool:
        return self.label_type == VolumeLabel.EOS_LABEL

    def to_bytes(self) -> bytes:
        out = _Writer()
        out.string(self.id)
        out.u32(self.ver_num)
        out.u32(self.job_id)
        out.btime(self.write_btime)
        out.f64(self.write_time)
        out.string(self.pool_name)
        out.string(self.pool_type)
        out.string(self.job_name)
        out.string(self.client_name)
        out.string(self.job)
        out.string(self.file_set_name)
        out.u32(self.job_type)
        out.u32(self.job_level)
        out.string(self.file_set_md5)
        if self.is_eos:
            out.u32(self.job_files)
            out.u64(self.job_bytes)
            out.u32(self.start_block)
            out.u32(self.end_block)
            out.u32(self.start_file)
            out.u32(self.end_file)
            out.u32(self.job_errors)
            out.u32(self.job_status)
        return out.getvalue()

    @classmethod
    def from_bytes(
        cls,
        data: bytes | bytearray | memoryview,
        label_type: VolumeLabel | int = VolumeLabel.SOS_LABEL,
    ) -> SessionLabel:
        """Decode an SOS or EOS record's data; ``label_type`` is the record's FileIndex."""
        try:
            kind = VolumeLabel(label_type)
        except ValueError as exc:
            raise LabelFormatError(f"FileIndex {label_type} is not a session label") from exc
        if kind not in (VolumeLabel.SOS_LABEL, VolumeLabel.EOS_LABEL):
            raise LabelFormatError(f"{kind.name} is not a session label")
        src = _Reader(data)
        label_id, ver_num = src.header()
        label = cls(
            id=label_id,
            ver_num=ver_num,
            label_type=kind,
            job_id=src.u32("JobId"),
            write_btime=src.btime("write_btime"),
            write_time=src.f64("write_time"),
            pool_name=src.string("PoolName"),
            pool_type=src.string("PoolType"),
            job_name=src.string("JobName"),
            client_name=src.string("ClientName"),
            job=src.string("Job"),
            file_set_name=src.string("FileSetName"),
            job_type=src.u32("JobType"),
            job_level=src.u32("JobLevel"),
            file_set_md5=src.string("FileSetMD5"),
        )
        if kind == VolumeLabel.EOS_LABEL:
            label.job_files = src.u32("JobFiles")
            label.job_bytes = src.u64("JobBytes")
            label.start_block = src.u32("StartBlock")
            label.end_block = src.u32("EndBlock")
            label.start_file = src.u32("StartFile")
            label.end_file = src.u32("EndFile")
            label.job_errors = src.u32("JobErrors")
            label.job_status = src.u32("JobStatus")
        return label
