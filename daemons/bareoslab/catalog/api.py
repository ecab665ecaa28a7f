"""The catalog API: one ``Catalog`` protocol of domain methods, its row types and errors.

Everything the Director asks of the catalog goes through these methods; the SQL behind
them is written once in ``catalog/sql.py`` and runs on SQLite or PostgreSQL.

Conventions:

* Row dataclasses use the Bareos column names in snake case (``VolSessionId`` ->
  ``vol_session_id``).  ``type``, ``level`` and ``job_status`` are the one-letter codes
  as stored; compare them with the ``str`` enums of :mod:`bareoslab.codes`
  (``row.type == JobType.BACKUP``).
* Times come back as naive local ``datetime`` (``None`` when unset).  Methods accept a
  ``datetime`` (naive = local time) or epoch seconds; they are stored as
  ``'YYYY-MM-DD HH:MM:SS'`` local time.  ``JobTDate`` is epoch seconds.
* A ``Catalog`` object is one database connection.  Use it from one thread at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol, runtime_checkable

from ..codes import JobLevel, JobStatus, JobType

SCHEMA_VERSION = 2250
"""The catalog schema this code writes and expects (Bareos 25)."""

TimeLike = datetime | int | float
"""A point in time: naive local ``datetime``, aware ``datetime`` or epoch seconds."""

Code = JobType | JobLevel | JobStatus | str
"""A one-letter code: one of the enums or the letter itself."""


# ---------------------------------------------------------------------------- errors


class CatalogError(Exception):
    """Catalog error."""

    exit_code = 1

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "catalog error").strip())


class DatabaseError(CatalogError):
    """The database refused a statement."""


class SchemaMissingError(CatalogError):
    """The catalog has no schema (create it with ``bareoslab-catalog create``)."""

    exit_code = 2


class SchemaVersionError(CatalogError):
    """The catalog schema has a version this program does not support."""

    exit_code = 3


class SchemaExistsError(CatalogError):
    """The catalog schema already exists."""

    exit_code = 4


class NotFoundError(CatalogError):
    """No such catalog record."""


class VolumeExistsError(CatalogError):
    """A volume with this name already exists."""


# ---------------------------------------------------------------------------- rows


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


# ---------------------------------------------------------------------------- protocols


@runtime_checkable
class FileBatch(Protocol):
    """Collects the File rows of one job and writes them in bulk.

    ``add`` buffers; rows reach the database on ``flush()`` (also done automatically
    when the buffer is full and on leaving a ``with`` block without error).
    """

    job_id: int

    def add(
        self, file_index: int, full_name: str, lstat: str, md5: str = "0", delta_seq: int = 0
    ) -> None:
        """Queue one attribute record.  ``full_name`` is split at the last ``/`` into
        Path and Name; a directory (trailing ``/``) gets Name ''."""

    def set_digest(self, file_index: int, md5: str) -> None:
        """Record the digest that follows the attributes of ``file_index``."""

    def flush(self) -> int:
        """Write the queued rows; return how many were written."""

    @property
    def pending(self) -> int:
        """Rows queued and not yet written."""

    def __enter__(self) -> FileBatch: ...

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None: ...


@runtime_checkable
class Catalog(Protocol):
    """The domain methods of the catalog, identical on every driver."""

    driver: str
    """``"sqlite3"`` or ``"postgresql"``."""

    # -- connection and schema -------------------------------------------------

    def close(self) -> None:
        """Close the connection."""

    def __enter__(self) -> Catalog: ...

    def __exit__(self, *exc: object) -> None:
        """Close the connection."""

    def describe(self) -> str:
        """Where this catalog lives, for messages (file name or database@host)."""

    def create_schema(self) -> None:
        """Create all tables, indexes, static rows and the ``Version`` row.
        Raises :class:`SchemaExistsError` if the schema is already there."""

    def schema_exists(self) -> bool:
        """True when the ``Version`` table exists."""

    def schema_version(self) -> int:
        """The ``Version`` row; :class:`SchemaMissingError` without schema."""

    def upgrade_schema(self) -> tuple[int, int]:
        """Bring the schema to :data:`SCHEMA_VERSION`; return (from, to).  A no-op at
        2250; :class:`SchemaVersionError` for a version with no upgrade path."""

    def check(self) -> int:
        """Verify version and tables; return the version or raise
        :class:`SchemaMissingError` / :class:`SchemaVersionError`."""

    # -- configuration sync (director start) -----------------------------------

    def sync_pool(self, pool: PoolRow) -> int:
        """Insert or update the Pool row named ``pool.name`` from the configuration;
        recompute NumVols.  Returns the PoolId."""

    def get_pool(self, name_or_id: str | int) -> PoolRow | None: ...

    def pool_id(self, name: str) -> int | None: ...

    def get_or_create_client(
        self,
        name: str,
        uname: str = "",
        *,
        auto_prune: int | None = None,
        file_retention: int | None = None,
        job_retention: int | None = None,
    ) -> int:
        """ClientId of ``name``, creating the row (None counts as 0).  For an existing
        client the values given (not None; UName if not empty) are written, so the
        director start refreshes them from the config and a job's lookup keeps them."""

    def update_client_uname(self, client_id: int, uname: str) -> None: ...

    def get_client(self, name_or_id: str | int) -> ClientRow | None: ...

    def client_id(self, name: str) -> int | None: ...

    def get_or_create_storage(self, name: str, autochanger: int | None = None) -> int:
        """StorageId of ``name``, creating the row; AutoChanger is updated when given."""

    def get_or_create_media_type(self, name: str) -> int: ...

    def get_or_create_fileset(
        self, name: str, md5: str, text: str = "", create_time: TimeLike | None = None
    ) -> int:
        """FileSetId for (name, md5); a new MD5 creates a new row."""

    def get_fileset(self, fileset_id: int) -> FileSetRow | None: ...

    # -- jobs -------------------------------------------------------------------

    def create_job(
        self,
        job: str,
        name: str,
        type: Code,
        level: Code,
        status: Code = JobStatus.CREATED,
        sched_time: TimeLike | None = None,
        client_id: int = 0,
        comment: str = "",
        *,
        pool_id: int = 0,
        fileset_id: int = 0,
        prior_job_id: int = 0,
    ) -> int:
        """Insert a Job row (JobTDate = SchedTime) and return its JobId."""

    def update_job_start(
        self,
        job_id: int,
        status: Code,
        level: Code,
        start_time: TimeLike,
        client_id: int,
        pool_id: int,
        fileset_id: int,
        vol_session_id: int = 0,
        vol_session_time: int = 0,
    ) -> None:
        """The job thread's start update; JobTDate = StartTime."""

    def update_job_status(self, job_id: int, status: Code) -> None: ...

    def update_job_end(
        self,
        job_id: int,
        status: Code,
        level: Code,
        end_time: TimeLike,
        job_files: int,
        job_bytes: int,
        read_bytes: int = 0,
        job_errors: int = 0,
        vol_session_id: int = 0,
        vol_session_time: int = 0,
        pool_id: int = 0,
        fileset_id: int = 0,
        prior_job_id: int = 0,
        purged_files: int = 0,
        *,
        client_id: int | None = None,
        real_end_time: TimeLike | None = None,
        has_base: int = 0,
    ) -> None:
        """The termination update: RealEndTime = max(real_end_time, end_time) and
        JobTDate = RealEndTime.  ``client_id`` None keeps the stored one."""

    def update_job_running(self, job_id: int, job_files: int, job_bytes: int) -> None:
        """``UpdateJobRecord`` catalog request: files/bytes so far."""

    def get_job(self, job_id: int) -> JobRow | None: ...

    def get_job_by_name(self, job: str) -> JobRow | None:
        """The job with this unique ``Job`` name."""

    def find_last_job_for_level(
        self,
        name: str,
        client_id: int,
        fileset_id: int,
        levels: Code | Iterable[Code],
        *,
        job_type: Code = JobType.BACKUP,
    ) -> JobRow | None:
        """Newest successful (T/W) job of this Job resource, client and fileset with
        one of ``levels``, by StartTime."""

    def find_since_job(
        self, name: str, client_id: int, fileset_id: int, level: Code
    ) -> JobRow | None:
        """The job an Incremental/Differential runs since: for Differential the last
        Full; for Incremental the last Full/Differential/Incremental, provided a Full
        exists.  None means "no prior Full": the director upgrades to Full."""

    def list_jobs(
        self,
        *,
        job_ids: Iterable[int] | None = None,
        name: str | None = None,
        client_id: int | None = None,
        pool_id: int | None = None,
        type: Code | None = None,
        level: Code | None = None,
        status: Code | Iterable[Code] | None = None,
        volume_name: str | None = None,
        limit: int | None = None,
    ) -> list[JobRow]:
        """Jobs matching every given filter, by JobId (the newest ``limit`` if set)."""

    def last_job_id(self) -> int:
        """Highest JobId ever allocated (0 when none)."""

    # -- copy/migrate bookkeeping (catalog.md section 6) ------------------------

    def set_job_type(self, job_id: int, type: Code) -> None: ...

    def set_prior_job_id(self, job_id: int, prior_job_id: int) -> None: ...

    def copy_job_times(self, to_job_id: int, from_job_id: int) -> None:
        """StartTime, EndTime and JobTDate of ``from`` written onto ``to``."""

    def copy_log(self, from_job_id: int, to_job_id: int) -> int: ...

    def move_log(self, from_job_id: int, to_job_id: int) -> int: ...

    def purge_files(self, job_id: int) -> int:
        """Delete the job's File rows and set PurgedFiles=1; return rows deleted."""

    def select_copy_migrate_jobs(
        self,
        selection_type: str,
        pool_id: int,
        pattern: str = "",
        *,
        now: TimeLike | None = None,
        migration_time: int = 0,
        migration_high_bytes: int = 0,
        migration_low_bytes: int = 0,
    ) -> list[int]:
        """JobIds a Copy/Migrate control job selects from the read pool ``pool_id``
        (Selection Type Volume, Job, Client, SQLQuery, SmallestVolume, OldestVolume,
        PoolOccupancy, PoolTime, PoolUncopiedJobs), de-duplicated, by StartTime."""

    # -- purge / prune ----------------------------------------------------------

    def purge_jobs(self, job_ids: Iterable[int]) -> None:
        """Delete the jobs and their File/JobMedia/Log/... rows, upgrading the oldest
        Copy of each purged backup to Backup first (Bareos ``PurgeJobs``)."""

    def prune_volume_candidates(self, media_id: int, now: TimeLike | None = None) -> list[int]:
        """JobIds on the volume whose JobTDate is older than its VolRetention, plus
        the copy/migrate control jobs pointing at them."""

    def jobs_older_than(
        self, job_tdate: int, *, client_id: int | None = None, pool_id: int | None = None
    ) -> list[JobRow]:
        """Jobs other than Archive jobs whose JobTDate is before ``job_tdate``, of the client
        and pool when given, by JobId (the candidates of Bareos' prune jobs and files)."""

    def job_ids_on_volume(self, media_id: int) -> list[int]:
        """The JobIds with a JobMedia row on the volume, ascending."""

    def mark_volume_purged_if_empty(self, media_id: int) -> bool:
        """VolStatus='Purged' when no JobMedia row refers to the volume any more."""

    # -- log ---------------------------------------------------------------------

    def log(self, job_id: int, time: TimeLike, text: str) -> None: ...

    def job_log(self, job_id: int) -> list[LogRow]: ...

    # -- media -------------------------------------------------------------------

    def create_media(self, media: MediaRow, *, pool_defaults: bool = True) -> int:
        """Insert a volume.  With ``pool_defaults`` the pool's retention/limit
        columns are copied.  VolStatus defaults to Append if VolBytes>0 else
        Unlabeled; InChanger=1 when Slot>0.  Pool.NumVols is recomputed.
        :class:`VolumeExistsError` when the name is taken."""

    def get_media(self, name_or_id: str | int) -> MediaRow | None: ...

    def list_media(self, pool_id: int | None = None) -> list[MediaRow]: ...

    def find_next_volume(
        self,
        pool_id: int,
        media_type: str,
        unwanted: Sequence[str] = (),
        *,
        storage_id: int | None = None,
        recycle: bool = True,
    ) -> MediaRow | None:
        """The volume a job appends to, in Bareos' order: Append (most recently
        written first), Unlabeled, Recycle (oldest first), then Purged (oldest
        first, recycled when ``recycle``).  Only enabled volumes of ``media_type``."""

    def recycle_volume(self, media_id: int) -> MediaRow:
        """VolStatus Recycle, counters reset, RecycleCount+1 (Bareos ``RecycleVolume``)."""

    def next_volume_name(self, label_format: str) -> str | None:
        """LabelFormat + 4-digit number from MAX(MediaId)+1, skipping taken names;
        None for '*'/empty formats or after 99 taken names."""

    def update_media_from_sd(
        self,
        update: MediaUpdate,
        *,
        job_start_time: TimeLike | None = None,
        write_storage_id: int | None = None,
    ) -> MediaUpdateResult:
        """Apply an SD ``UpdateMedia`` request with Bareos' rules.
        :class:`NotFoundError` when the volume is unknown."""

    def update_media_status(self, name: str, status: str) -> None: ...

    def update_media(self, name: str, **columns: Any) -> None:
        """Set arbitrary Media columns by field name (``vol_status="Used"``)."""

    def create_jobmedia(
        self,
        job_id: int,
        media_id: int,
        first_index: int,
        last_index: int,
        start_file: int,
        end_file: int,
        start_block: int,
        end_block: int,
        job_bytes: int = 0,
    ) -> int:
        """Insert a JobMedia row (VolIndex = 1 + the job's rows) and set the
        volume's EndFile/EndBlock.  Returns the JobMediaId."""

    def delete_null_jobmedia(self, job_id: int) -> int: ...

    def jobmedia_for_jobs(self, job_ids: Iterable[int]) -> list[JobMediaRow]:
        """JobMedia rows of the jobs with volume and session data, in write order."""

    # -- files -------------------------------------------------------------------

    def file_batch(self, job_id: int, *, flush_rows: int = ...) -> FileBatch: ...

    def count_files(self, job_id: int) -> int: ...

    # -- restore -----------------------------------------------------------------

    def select_restore_jobs(
        self,
        client_id: int,
        fileset_id: int,
        before: TimeLike | None = None,
        *,
        job_type: Code = JobType.BACKUP,
    ) -> list[JobRow]:
        """Newest successful Full with JobMedia on an enabled volume, the newest
        Differential after it, and every Incremental after that (oldest first)."""

    def restore_files(self, job_ids: Iterable[int]) -> Iterator[RestoreFile]:
        """Newest version of every path+name among the jobs (deleted markers drop
        the file), ordered by JobId and FileIndex."""

    # -- generic -------------------------------------------------------------------

    def query(
        self, sql: str, params: Sequence[Any] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run any statement; return lower-case column names and rows.  Times come
        back as 'YYYY-MM-DD HH:MM:SS' strings and NUMERIC as int on both drivers."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; return the affected row count."""
