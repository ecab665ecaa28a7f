"""The Director's job control record: everything one job knows while it runs."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..codes import JobLevel, JobStatus, JobType, merge_status
from ..config import Resource

if TYPE_CHECKING:
    from .jobs.copy_migrate import Control, Migration

_counter = -1


def create_unique_job_name(name: str, now: float | None = None) -> str:
    """``<JobName>.<YYYY-MM-DD_HH.MM.SS>_<NN>``; NN is a counter 00..59 shared by all jobs."""
    global _counter
    _counter = (_counter + 1) % 60
    stamp = time.strftime("%Y-%m-%d_%H.%M.%S", time.localtime(now or time.time()))
    return f"{name.replace(' ', '_')}.{stamp}_{_counter:02d}"


@dataclass
class JobControlRecord:
    jobid: int
    job: str
    name: str
    job_res: Resource
    job_type: JobType
    level: JobLevel
    priority: int
    client: Resource | None = None
    fileset: Resource | None = None
    pool: Resource | None = None
    pool_source: str = "Job resource"
    storage: Resource | None = None
    storage_source: str = "Job resource"
    read_storage: Resource | None = None
    messages: Resource | None = None
    status: JobStatus = JobStatus.CREATED
    sched_time: float = field(default_factory=time.time)
    start_time: float = 0.0
    end_time: float = 0.0
    client_id: int = 0
    pool_id: int = 0
    fileset_id: int = 0
    fileset_md5: str = ""
    fileset_lines: list[str] = field(default_factory=list)
    since: float | None = None
    accurate: bool = False  # the Job's Accurate: the FD compares against the catalog's list
    client_uname: str = ""  # what the FD said of itself in ``2000 OK Job`` (the report's Client line)
    fileset_create_time: str = ""  # the FileSet row's CreateTime (the report's FileSet line)
    accurate_override: bool | None = None  # a Schedule Run line's Accurate=
    run_level_pools: dict[JobLevel, str] = field(default_factory=dict)  # a Run line's Full/Inc/DiffPool=
    prev_job: str = ""
    comment: str = ""
    vol_session_id: int = 0
    vol_session_time: int = 0
    sd_auth: str = ""
    max_bandwidth: int = 0  # bytes/s asked of the daemon that sends the data; 0: none
    # figures from the daemons
    job_files: int = 0
    job_bytes: int = 0
    read_bytes: int = 0
    job_errors: int = 0
    job_warnings: int = 0
    fd_status: JobStatus | None = None
    sd_status: JobStatus | None = None
    sd_job_files: int = 0
    sd_job_bytes: int = 0
    sd_errors: int = 0
    volumes: list[str] = field(default_factory=list)
    last_volume_bytes: int = 0
    # restore
    where: str = ""
    replace: str = "a"
    bootstrap: str = ""
    restore_client: Resource | None = None
    expected_files: int = 0
    # plumbing
    file_batch: Any = None
    canceled: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)
    sd_status_seen: str = ""
    triggered_by: str = "User"
    # copy/migrate: the selected job (0 = the selecting control job), the write pool,
    # the JobId the SD's catalog requests are written under, and the state of its role
    migrate_jobid: int = 0
    next_pool: Resource | None = None
    catalog_jobid: int = 0
    copy_control: Control | None = None  # a control job: what it selected, its workers
    copy_worker: Migration | None = None  # a worker: the job it copies and the one it makes

    @property
    def sends_accurate_list(self) -> bool:
        """An accurate Incremental or Differential: the FD gets the catalog's list (and the level
        word ``accurate_...``); Bareos sends none for a Full without Base jobs."""
        return self.accurate and self.level in (JobLevel.INCREMENTAL, JobLevel.DIFFERENTIAL)

    @property
    def since_text(self) -> str:
        """The since-time of an Incremental or Differential as Bareos prints it; "" otherwise."""
        if self.since is None or self.level not in (JobLevel.INCREMENTAL, JobLevel.DIFFERENTIAL):
            return ""
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.since))

    def set_status(self, status: JobStatus) -> None:
        self.status = merge_status(self.status, status)

    def fatal(self) -> None:
        self.set_status(JobStatus.FATAL_ERROR)
        self.job_errors = max(self.job_errors, 1)

    @property
    def is_ok(self) -> bool:
        return self.status in (JobStatus.TERMINATED, JobStatus.WARNINGS, JobStatus.RUNNING)
