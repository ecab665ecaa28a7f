"""A job as the File Daemon sees it, and its messages to the Director."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..codes import MSG_TYPE_PREFIX, JobStatus, MsgType, merge_status
from ..net.framing import Connection
from ..net.tls import TlsPolicy
from .accurate import AccurateList
from .backup import Totals
from .backup_stream import DEFAULT_WORKERS
from .fileset import FileSetSpec

if TYPE_CHECKING:
    from .objects import RestoreObject
    from .runscript import ClientScript


@dataclass
class FdJob:
    jobid: int
    job: str
    fd_name: str
    dir_conn: Connection
    sd_auth: str = ""
    vol_session_id: int = 0
    vol_session_time: int = 0
    sd_tls_policy: TlsPolicy = TlsPolicy.NONE  # the Director's ssl= for this job's data session
    level: str = "full"
    since: float | None = None
    accurate: bool = False  # the Director said ``accurate_<level>``
    accurate_list: AccurateList | None = None  # what ``accurate files=`` listed
    scripts: list[ClientScript] = field(default_factory=list)  # the client's run scripts
    fileset: FileSetSpec | None = None
    sd_conn: Connection | None = None
    max_bandwidth: int = 0  # bytes/s on the data connection; 0: the Director's or the FD's default
    director_bandwidth: int = 0  # the Director resource's Maximum Bandwidth Per Job
    workers: int = DEFAULT_WORKERS  # the Client's Maximum Workers Per Job (backup_stream.DigestThread)
    status: JobStatus = JobStatus.RUNNING
    job_files: int = 0
    read_bytes: int = 0
    job_bytes: int = 0
    errors: int = 0
    warnings: int = 0
    canceled: bool = False
    pending: list[str] = field(default_factory=list)
    sd_ready: asyncio.Event = field(default_factory=asyncio.Event)  # set when a passive SD has called
    bootstrap: Path | None = None  # what ``bootstrap`` sent, for the job's life
    restore_objects: list[RestoreObject] = field(default_factory=list)  # what ``restoreobject`` sent
    started: float = field(default_factory=time.time)
    job_type: str = ""  # Backup, Restore, ... once the Director said which
    progress: Totals = field(default_factory=Totals)  # a backup's files and bytes so far

    def limit_bandwidth(self, rate: int, bursting: bool) -> None:
        """``setbandwidth`` for this job: its data connection, now or once it is made."""
        self.max_bandwidth = rate
        if self.sd_conn is not None:
            self.sd_conn.limit_bandwidth(rate, bursting)

    def set_status(self, status: JobStatus) -> None:
        self.status = merge_status(self.status, status)

    def message(self, mtype: MsgType, text: str) -> None:
        """Queue a job message for the Director (sent before ``2800 End Job``... or right away)."""
        if mtype in (MsgType.ERROR, MsgType.FATAL):
            self.errors += 1
        elif mtype is MsgType.WARNING:
            self.warnings += 1
        if mtype is MsgType.FATAL:
            self.set_status(JobStatus.FATAL_ERROR)
        if not text.endswith("\n"):
            text += "\n"
        self.dir_conn.write(
            f"Jmsg Job={self.job} type={int(mtype)} level={int(time.time())} "
            f"{self.fd_name} JobId {self.jobid}: {MSG_TYPE_PREFIX.get(mtype, '')}{text}"
        )

    def term_code(self) -> JobStatus:
        if self.status is JobStatus.RUNNING:
            return JobStatus.TERMINATED
        return self.status

    def end_job_line(self) -> str:
        return (
            f"2800 End Job TermCode={ord(self.term_code().value)} JobFiles={self.job_files} "
            f"ReadBytes={self.read_bytes} JobBytes={self.job_bytes} Errors={self.errors} "
            f"VSS=0 Encrypt=0\n"
        )
