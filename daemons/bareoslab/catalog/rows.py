"""Mapping between row dataclasses and Bareos columns (field order = SELECT order)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from .records import (
    ClientRow,
    FileSetRow,
    JobMediaRow,
    JobRow,
    LogRow,
    MediaRow,
    PoolRow,
    StorageRow,
)
from .times import parse_db_time

T = TypeVar("T")


def to_int(value: Any) -> int:
    if value is None:
        return 0
    return int(value)  # also PostgreSQL's NUMERIC (a Decimal)


def to_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "surrogateescape")
    return str(value)


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "int": to_int,
    "str": to_str,
    "datetime | None": parse_db_time,
}


class RowMap(Generic[T]):
    """The columns of one table (optionally qualified) in the dataclass' field order."""

    def __init__(self, cls: type[T], columns: dict[str, str], prefix: str = "") -> None:
        self.cls = cls
        names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        missing = set(names) ^ set(columns)
        if missing:
            raise TypeError(f"{cls.__name__}: column map mismatch {sorted(missing)}")
        self.columns = columns
        self.fields = names
        self._convert = [_CONVERTERS[str(f.type)] for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        self.select = ", ".join(f"{prefix}{columns[n]}" for n in names)

    def with_prefix(self, prefix: str) -> RowMap[T]:
        return RowMap(self.cls, self.columns, prefix)

    def row(self, values: Sequence[Any]) -> T:
        return self.cls(*(conv(v) for conv, v in zip(self._convert, values, strict=True)))

    def column(self, field_name: str) -> str:
        try:
            return self.columns[field_name]
        except KeyError:
            raise KeyError(f"{self.cls.__name__} has no field {field_name!r}") from None

    def is_time(self, field_name: str) -> bool:
        return self._convert[self.fields.index(field_name)] is parse_db_time


POOL = RowMap(
    PoolRow,
    {
        "pool_id": "PoolId",
        "name": "Name",
        "num_vols": "NumVols",
        "max_vols": "MaxVols",
        "use_once": "UseOnce",
        "use_catalog": "UseCatalog",
        "accept_any_volume": "AcceptAnyVolume",
        "vol_retention": "VolRetention",
        "vol_use_duration": "VolUseDuration",
        "max_vol_jobs": "MaxVolJobs",
        "max_vol_files": "MaxVolFiles",
        "max_vol_bytes": "MaxVolBytes",
        "auto_prune": "AutoPrune",
        "recycle": "Recycle",
        "action_on_purge": "ActionOnPurge",
        "pool_type": "PoolType",
        "label_type": "LabelType",
        "label_format": "LabelFormat",
        "enabled": "Enabled",
        "scratch_pool_id": "ScratchPoolId",
        "recycle_pool_id": "RecyclePoolId",
        "next_pool_id": "NextPoolId",
        "min_block_size": "MinBlockSize",
        "max_block_size": "MaxBlockSize",
        "migration_high_bytes": "MigrationHighBytes",
        "migration_low_bytes": "MigrationLowBytes",
        "migration_time": "MigrationTime",
    },
)

CLIENT = RowMap(
    ClientRow,
    {
        "client_id": "ClientId",
        "name": "Name",
        "uname": "UName",
        "auto_prune": "AutoPrune",
        "file_retention": "FileRetention",
        "job_retention": "JobRetention",
    },
)

STORAGE = RowMap(
    StorageRow, {"storage_id": "StorageId", "name": "Name", "auto_changer": "AutoChanger"}
)

FILESET = RowMap(
    FileSetRow,
    {
        "fileset_id": "FileSetId",
        "fileset": "FileSet",
        "fileset_text": "FileSetText",
        "md5": "Md5",
        "create_time": "CreateTime",
    },
)

JOB = RowMap(
    JobRow,
    {
        "job_id": "JobId",
        "job": "Job",
        "name": "Name",
        "type": "Type",
        "level": "Level",
        "client_id": "ClientId",
        "job_status": "JobStatus",
        "sched_time": "SchedTime",
        "start_time": "StartTime",
        "end_time": "EndTime",
        "real_end_time": "RealEndTime",
        "job_tdate": "JobTDate",
        "vol_session_id": "VolSessionId",
        "vol_session_time": "VolSessionTime",
        "job_files": "JobFiles",
        "job_bytes": "JobBytes",
        "read_bytes": "ReadBytes",
        "job_errors": "JobErrors",
        "job_missing_files": "JobMissingFiles",
        "pool_id": "PoolId",
        "fileset_id": "FileSetId",
        "prior_job_id": "PriorJobId",
        "purged_files": "PurgedFiles",
        "has_base": "HasBase",
        "has_cache": "HasCache",
        "reviewed": "Reviewed",
        "comment": "Comment",
    },
)

MEDIA = RowMap(
    MediaRow,
    {
        "media_id": "MediaId",
        "volume_name": "VolumeName",
        "slot": "Slot",
        "pool_id": "PoolId",
        "media_type": "MediaType",
        "media_type_id": "MediaTypeId",
        "label_type": "LabelType",
        "first_written": "FirstWritten",
        "last_written": "LastWritten",
        "label_date": "LabelDate",
        "vol_jobs": "VolJobs",
        "vol_files": "VolFiles",
        "vol_blocks": "VolBlocks",
        "vol_mounts": "VolMounts",
        "vol_bytes": "VolBytes",
        "vol_errors": "VolErrors",
        "vol_writes": "VolWrites",
        "vol_capacity_bytes": "VolCapacityBytes",
        "vol_status": "VolStatus",
        "enabled": "Enabled",
        "recycle": "Recycle",
        "action_on_purge": "ActionOnPurge",
        "vol_retention": "VolRetention",
        "vol_use_duration": "VolUseDuration",
        "max_vol_jobs": "MaxVolJobs",
        "max_vol_files": "MaxVolFiles",
        "max_vol_bytes": "MaxVolBytes",
        "in_changer": "InChanger",
        "storage_id": "StorageId",
        "device_id": "DeviceId",
        "media_addressing": "MediaAddressing",
        "vol_read_time": "VolReadTime",
        "vol_write_time": "VolWriteTime",
        "end_file": "EndFile",
        "end_block": "EndBlock",
        "location_id": "LocationId",
        "recycle_count": "RecycleCount",
        "min_block_size": "MinBlockSize",
        "max_block_size": "MaxBlockSize",
        "initial_write": "InitialWrite",
        "scratch_pool_id": "ScratchPoolId",
        "recycle_pool_id": "RecyclePoolId",
        "encryption_key": "EncryptionKey",
        "comment": "Comment",
    },
)

JOBMEDIA = RowMap(
    JobMediaRow,
    {
        "job_media_id": "jm.JobMediaId",
        "job_id": "jm.JobId",
        "media_id": "jm.MediaId",
        "volume_name": "m.VolumeName",
        "media_type": "m.MediaType",
        "slot": "m.Slot",
        "vol_session_id": "j.VolSessionId",
        "vol_session_time": "j.VolSessionTime",
        "first_index": "jm.FirstIndex",
        "last_index": "jm.LastIndex",
        "start_file": "jm.StartFile",
        "end_file": "jm.EndFile",
        "start_block": "jm.StartBlock",
        "end_block": "jm.EndBlock",
        "vol_index": "jm.VolIndex",
        "storage": "COALESCE(s.Name, '')",
    },
)

LOG = RowMap(LogRow, {"log_id": "LogId", "job_id": "JobId", "time": "Time", "log_text": "LogText"})
