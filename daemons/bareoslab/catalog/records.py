"""The catalog's records: one dataclass per row kind, and the records jobs write.

Rows use the Bareos column names in snake case (``VolSessionId`` -> ``vol_session_id``);
``type``, ``level`` and ``job_status`` are the one-letter codes as stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from ..codes import JobLevel, JobStatus, JobType

TimeLike = datetime | int | float
"""A point in time: naive local ``datetime``, aware ``datetime`` or epoch seconds."""

Code = JobType | JobLevel | JobStatus | str
"""A one-letter code: one of the enums or the letter itself."""


@dataclass(slots=True)
class PoolRow:
    """One ``Pool`` row.  ``sync_pool`` writes it from a Pool resource."""

    name: str
    pool_type: str = "Backup"
    label_format: str = "*"
    max_vols: int = 0
    use_once: int = 0
    use_catalog: int = 1
    accept_any_volume: int = 0
    vol_retention: int = 31536000
    vol_use_duration: int = 0
    max_vol_jobs: int = 0
    max_vol_files: int = 0
    max_vol_bytes: int = 0
    auto_prune: int = 1
    recycle: int = 1
    action_on_purge: int = 0
    label_type: int = 0
    enabled: int = 1
    scratch_pool_id: int = 0
    recycle_pool_id: int = 0
    next_pool_id: int = 0
    min_block_size: int = 0
    max_block_size: int = 0
    migration_high_bytes: int = 0
    migration_low_bytes: int = 0
    migration_time: int = 0
    num_vols: int = 0
    pool_id: int = 0


@dataclass(slots=True)
class ClientRow:
    """One ``Client`` row."""

    client_id: int
    name: str
    uname: str = ""
    auto_prune: int = 0
    file_retention: int = 0
    job_retention: int = 0


@dataclass(slots=True)
class StorageRow:
    """One ``Storage`` row."""

    storage_id: int
    name: str
    auto_changer: int = 0


@dataclass(slots=True)
class FileSetRow:
    """One ``FileSet`` row (looked up by name and MD5)."""

    fileset_id: int
    fileset: str
    fileset_text: str
    md5: str
    create_time: datetime | None


@dataclass(slots=True)
class JobRow:
    """One ``Job`` row."""

    job_id: int
    job: str
    name: str
    type: str
    level: str
    client_id: int = 0
    job_status: str = JobStatus.CREATED.value
    sched_time: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    real_end_time: datetime | None = None
    job_tdate: int = 0
    vol_session_id: int = 0
    vol_session_time: int = 0
    job_files: int = 0
    job_bytes: int = 0
    read_bytes: int = 0
    job_errors: int = 0
    job_missing_files: int = 0
    pool_id: int = 0
    fileset_id: int = 0
    prior_job_id: int = 0
    purged_files: int = 0
    has_base: int = 0
    has_cache: int = 0
    reviewed: int = 0
    comment: str = ""


@dataclass(slots=True)
class MediaRow:
    """One ``Media`` row (a volume).

    For ``create_media`` only ``volume_name``, ``pool_id`` and ``media_type`` are
    needed; the pool's defaults fill the retention and limit columns.
    """

    volume_name: str
    pool_id: int = 0
    media_type: str = ""
    media_id: int = 0
    slot: int = 0
    media_type_id: int = 0
    label_type: int = 0
    first_written: datetime | None = None
    last_written: datetime | None = None
    label_date: datetime | None = None
    vol_jobs: int = 0
    vol_files: int = 0
    vol_blocks: int = 0
    vol_mounts: int = 0
    vol_bytes: int = 0
    vol_errors: int = 0
    vol_writes: int = 0
    vol_capacity_bytes: int = 0
    vol_status: str = ""
    enabled: int = 1
    recycle: int = 0
    action_on_purge: int = 0
    vol_retention: int = 0
    vol_use_duration: int = 0
    max_vol_jobs: int = 0
    max_vol_files: int = 0
    max_vol_bytes: int = 0
    in_changer: int = 0
    storage_id: int = 0
    device_id: int = 0
    media_addressing: int = 0
    vol_read_time: int = 0
    vol_write_time: int = 0
    end_file: int = 0
    end_block: int = 0
    location_id: int = 0
    recycle_count: int = 0
    min_block_size: int = 0
    max_block_size: int = 0
    initial_write: datetime | None = None
    scratch_pool_id: int = 0
    recycle_pool_id: int = 0
    encryption_key: str = ""
    comment: str = ""


@dataclass(slots=True)
class MediaUpdate:
    """The fields of the SD's ``CatReq ... UpdateMedia`` request.

    ``last_written`` (the SD's ``EndTime``) and ``first_written``
    (``VolFirstWritten``) are epoch seconds, 0 when the SD sends none.
    """

    volume_name: str
    vol_jobs: int = 0
    vol_files: int = 0
    vol_blocks: int = 0
    vol_bytes: int = 0
    vol_mounts: int = 0
    vol_errors: int = 0
    vol_writes: int = 0
    max_vol_bytes: int = 0
    last_written: int = 0
    vol_status: str = "Append"
    slot: int = 0
    relabel: bool = False
    in_changer: int = 0
    vol_read_time: int = 0
    vol_write_time: int = 0
    first_written: int = 0


@dataclass(slots=True)
class MediaUpdateResult:
    """The updated volume and the info messages Bareos would log (ignored counters)."""

    media: MediaRow
    messages: list[str] = field(default_factory=list)


@dataclass(slots=True)
class JobMediaRow:
    """A ``JobMedia`` row joined with what a bootstrap (BSR) needs of Media and Job."""

    job_media_id: int
    job_id: int
    media_id: int
    volume_name: str
    media_type: str
    slot: int
    vol_session_id: int
    vol_session_time: int
    first_index: int
    last_index: int
    start_file: int
    end_file: int
    start_block: int
    end_block: int
    vol_index: int
    storage: str = ""  # the Storage (resource name) the volume was last written by


class RestoreFile(NamedTuple):
    """One file to restore: the newest version of a path+name among the selected jobs."""

    job_id: int
    file_index: int
    path: str
    name: str
    lstat: str
    md5: str


@dataclass(slots=True)
class LogRow:
    """One ``Log`` row."""

    log_id: int
    job_id: int
    time: datetime | None
    log_text: str


@dataclass(slots=True)
class JobEnd:
    """What a job's termination writes to its ``Job`` row (Bareos ``UpdateJobEndRecord``).

    RealEndTime = max(``real_end_time``, ``end_time``) and JobTDate = RealEndTime;
    ``client_id`` None keeps the stored client.
    """

    status: Code
    level: Code
    end_time: TimeLike
    job_files: int = 0
    job_bytes: int = 0
    read_bytes: int = 0
    job_errors: int = 0
    vol_session_id: int = 0
    vol_session_time: int = 0
    pool_id: int = 0
    fileset_id: int = 0
    prior_job_id: int = 0
    purged_files: int = 0
    client_id: int | None = None
    real_end_time: TimeLike | None = None
    has_base: int = 0


@dataclass(slots=True)
class JobFilter:
    """Which jobs a console ``list jobs`` wants; an empty field does not filter."""

    job_ids: list[int] = field(default_factory=list)
    name: str | None = None
    client: str | None = None
    pool: str | None = None
    statuses: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    volume: str | None = None
    since_tdate: int | None = None  # JobTDate at or after
    fileset: str | None = None
