"""Bareos codes shared by every part: job types, levels, statuses, file types, streams.

On the wire these letters travel as their decimal ASCII code (``type=66``);
in the catalog they are stored as the letter itself.
"""

from __future__ import annotations

from enum import Enum, IntEnum


class JobType(str, Enum):
    BACKUP = "B"
    MIGRATED_JOB = "M"
    VERIFY = "V"
    RESTORE = "R"
    CONSOLE = "U"
    SYSTEM = "I"
    ADMIN = "D"
    ARCHIVE = "A"
    JOB_COPY = "C"
    COPY = "c"
    MIGRATE = "g"
    SCAN = "S"
    CONSOLIDATE = "O"

    @property
    def code(self) -> int:
        return ord(self.value)


JOB_TYPE_NAMES = {
    JobType.BACKUP: "Backup",
    JobType.MIGRATED_JOB: "Migrated Job",
    JobType.VERIFY: "Verify",
    JobType.RESTORE: "Restore",
    JobType.CONSOLE: "Console",
    JobType.SYSTEM: "System or Console",
    JobType.ADMIN: "Admin",
    JobType.ARCHIVE: "Archive",
    JobType.JOB_COPY: "Job Copy",
    JobType.COPY: "Copy",
    JobType.MIGRATE: "Migrate",
    JobType.SCAN: "Scan",
    JobType.CONSOLIDATE: "Consolidate",
}


class JobLevel(str, Enum):
    FULL = "F"
    INCREMENTAL = "I"
    DIFFERENTIAL = "D"
    SINCE = "S"
    BASE = "B"
    NONE = " "
    VIRTUAL_FULL = "f"

    @property
    def code(self) -> int:
        return ord(self.value)


JOB_LEVEL_NAMES = {
    JobLevel.FULL: "Full",
    JobLevel.INCREMENTAL: "Incremental",
    JobLevel.DIFFERENTIAL: "Differential",
    JobLevel.SINCE: "Since",
    JobLevel.BASE: "Base",
    JobLevel.NONE: "",
    JobLevel.VIRTUAL_FULL: "VirtualFull",
}


class JobStatus(str, Enum):
    CANCELED = "A"
    BLOCKED = "B"
    CREATED = "C"
    DIFFERENCES = "D"
    ERROR_TERMINATED = "E"
    WAIT_FD = "F"
    INCOMPLETE = "I"
    DATA_COMMITTING = "L"
    WAIT_MOUNT = "M"
    RUNNING = "R"
    WAIT_SD = "S"
    TERMINATED = "T"
    WARNINGS = "W"
    ATTR_DESPOOLING = "a"
    WAIT_CLIENT_RES = "c"
    WAIT_MAX_JOBS = "d"
    ERROR = "e"
    FATAL_ERROR = "f"
    ATTR_INSERTING = "i"
    WAIT_JOB_RES = "j"
    DATA_DESPOOLING = "l"
    WAIT_MEDIA = "m"
    WAIT_PRIORITY = "p"
    WAIT_DEVICE = "q"
    WAIT_STORE_RES = "s"
    WAIT_START_TIME = "t"

    @property
    def code(self) -> int:
        return ord(self.value)

    @property
    def priority(self) -> int:
        return _STATUS_PRIORITY.get(self, 0)

    @property
    def ok(self) -> bool:
        return self in (JobStatus.TERMINATED, JobStatus.WARNINGS)

    @property
    def finished(self) -> bool:
        """The job changes no more: it ended, well or not (not created, running or waiting)."""
        return self in _FINISHED

    @classmethod
    def from_code(cls, code: int) -> JobStatus:
        return cls(chr(code))

    @classmethod
    def has_finished(cls, text: str) -> bool:
        """A status letter as a catalog or a console shows it: the job changes no more (an
        unknown letter too: nothing will change it)."""
        try:
            return cls(text).finished
        except ValueError:
            return True


_FINISHED = frozenset({JobStatus.TERMINATED, JobStatus.WARNINGS, JobStatus.ERROR_TERMINATED, JobStatus.ERROR,
                       JobStatus.FATAL_ERROR, JobStatus.CANCELED, JobStatus.DIFFERENCES, JobStatus.INCOMPLETE})

_STATUS_PRIORITY = {
    JobStatus.INCOMPLETE: 10,
    JobStatus.ERROR_TERMINATED: 9,
    JobStatus.FATAL_ERROR: 9,
    JobStatus.CANCELED: 9,
    JobStatus.ERROR: 8,
    JobStatus.DIFFERENCES: 7,
}


def merge_status(current: JobStatus, new: JobStatus) -> JobStatus:
    """Bareos' status update rule: higher priority wins; two zero priorities take the new one."""
    if new.priority > current.priority or (new.priority == 0 and current.priority == 0):
        return new
    return current


JOB_STATUS_LONG = {
    JobStatus.CREATED: "Created, not yet running",
    JobStatus.RUNNING: "Running",
    JobStatus.BLOCKED: "Blocked",
    JobStatus.TERMINATED: "OK",
    JobStatus.WARNINGS: "OK -- with warnings",
    JobStatus.ERROR_TERMINATED: "Error",
    JobStatus.ERROR: "Non-fatal error",
    JobStatus.FATAL_ERROR: "Fatal Error",
    JobStatus.CANCELED: "Canceled",
    JobStatus.DIFFERENCES: "Differences",
    JobStatus.INCOMPLETE: "Incomplete",
}

#: Bareos' JobstatusToAscii (lib/util.cc): how the daemons' status output names a job status
JOB_STATUS_ASCII = {
    JobStatus.CREATED: "Created", JobStatus.RUNNING: "Running", JobStatus.BLOCKED: "Blocked",
    JobStatus.TERMINATED: "OK", JobStatus.INCOMPLETE: "Error: incomplete job", JobStatus.FATAL_ERROR: "Fatal Error",
    JobStatus.ERROR_TERMINATED: "Error", JobStatus.ERROR: "Non-fatal error", JobStatus.WARNINGS: "OK -- with warnings",
    JobStatus.CANCELED: "Canceled", JobStatus.DIFFERENCES: "Verify differences", JobStatus.WAIT_FD: "Waiting on FD",
    JobStatus.WAIT_SD: "Wait on SD", JobStatus.WAIT_MEDIA: "Wait for new Volume",
    JobStatus.WAIT_MOUNT: "Waiting for mount", JobStatus.WAIT_STORE_RES: "Waiting for Storage resource",
    JobStatus.WAIT_JOB_RES: "Waiting for Job resource", JobStatus.WAIT_CLIENT_RES: "Waiting for Client resource",
    JobStatus.WAIT_MAX_JOBS: "Waiting on Max Jobs", JobStatus.WAIT_START_TIME: "Waiting for Start Time",
    JobStatus.WAIT_PRIORITY: "Waiting on Priority", JobStatus.DATA_COMMITTING: "SD committing Data",
    JobStatus.DATA_DESPOOLING: "SD despooling Data", JobStatus.ATTR_DESPOOLING: "SD despooling Attributes",
    JobStatus.ATTR_INSERTING: "Dir inserting Attributes",
}


class MsgType(IntEnum):
    """Job message types (``Jmsg ... type=N``)."""

    ABORT = 1
    DEBUG = 2
    FATAL = 3
    ERROR = 4
    WARNING = 5
    INFO = 6
    SAVED = 7
    NOTSAVED = 8
    SKIPPED = 9
    MOUNT = 10
    ERROR_TERM = 11
    TERM = 12
    RESTORED = 13
    SECURITY = 14
    ALERT = 15
    VOLMGMT = 16
    AUDIT = 17
    CONFIG_ERROR = 18


MSG_TYPE_PREFIX = {
    MsgType.FATAL: "Fatal error: ",
    MsgType.ERROR: "Error: ",
    MsgType.WARNING: "Warning: ",
    MsgType.SECURITY: "Security violation: ",
}


class FileType(IntEnum):
    LNKSAVED = 1
    REGE = 2
    REG = 3
    LNK = 4
    DIREND = 5
    SPEC = 6
    NOACCESS = 7
    NOFOLLOW = 8
    NOSTAT = 9
    NOCHG = 10
    DIRNOCHG = 11
    ISARCH = 12
    NORECURSE = 13
    NOFSCHG = 14
    NOOPEN = 15
    RAW = 16
    FIFO = 17
    DIRBEGIN = 18
    INVALIDFS = 19
    INVALIDDT = 20
    REPARSE = 21
    PLUGIN = 22
    DELETED = 23
    BASE = 24
    RESTORE_FIRST = 25
    JUNCTION = 26
    PLUGIN_CONFIG = 27
    PLUGIN_CONFIG_FILLED = 28


class Stream(IntEnum):
    NONE = 0
    UNIX_ATTRIBUTES = 1
    FILE_DATA = 2
    MD5_DIGEST = 3
    GZIP_DATA = 4
    UNIX_ATTRIBUTES_EX = 5
    SPARSE_DATA = 6
    SPARSE_GZIP_DATA = 7
    SHA1_DIGEST = 10
    SHA256_DIGEST = 17
    SHA512_DIGEST = 18
    RESTORE_OBJECT = 28
    COMPRESSED_DATA = 29
    SPARSE_COMPRESSED_DATA = 30
    XXH128_DIGEST = 40


STREAM_MASK = 0x7FF
DIGEST_STREAMS = frozenset(
    {Stream.MD5_DIGEST, Stream.SHA1_DIGEST, Stream.SHA256_DIGEST, Stream.SHA512_DIGEST, Stream.XXH128_DIGEST}
)
ATTRIBUTE_STREAMS = frozenset({Stream.UNIX_ATTRIBUTES, Stream.UNIX_ATTRIBUTES_EX, Stream.RESTORE_OBJECT})
# records the SD forwards to the Director as UpdCat FileAttributes
CATALOG_STREAMS = ATTRIBUTE_STREAMS | DIGEST_STREAMS


class VolumeLabel(IntEnum):
    """Negative FileIndex values of label records on a volume."""

    PRE_LABEL = -1
    VOL_LABEL = -2
    EOM_LABEL = -3
    SOS_LABEL = -4
    EOS_LABEL = -5
    EOT_LABEL = -6
    SOB_LABEL = -7
    EOB_LABEL = -8
