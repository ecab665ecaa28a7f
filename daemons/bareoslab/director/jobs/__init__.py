"""One module per job kind, each with ``init``, ``run`` and ``cleanup``."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

from ...codes import JobStatus, JobType

if TYPE_CHECKING:
    from ..jcr import JobControlRecord

FAILED = 9  # the priority of Error, Fatal Error and Canceled: a daemon's status does not override them


class JobError(Exception):
    """A job cannot go on; the text goes to the job log as a fatal error."""


def final_status(jcr: JobControlRecord, *, required: Sequence[JobStatus | None] = (),
                 optional: Sequence[JobStatus | None] = (), problems: int = 0) -> JobStatus:
    """The status every job kind ends with (Bareos' ``...Cleanup`` rules).

    The Director's own status stands unless a daemon's is worse: the first daemon that did
    not end OK gives its status (one that never ended: Error). ``required`` daemons must
    have reported (no report: Error); ``optional`` ones may not have. A job that ended OK
    with ``problems`` (errors, warnings) ends "OK -- with warnings"; a fatal error of a
    canceled job is Canceled.
    """
    status = jcr.status
    reports = [(s, True) for s in required] + [(s, False) for s in optional]
    for other, needed in reports:
        if other is None:
            if not needed:
                continue
            other = JobStatus.ERROR_TERMINATED
        if not other.ok and status.priority < FAILED:
            status = other if other.priority else JobStatus.ERROR_TERMINATED
    if status in (JobStatus.CREATED, JobStatus.RUNNING, JobStatus.TERMINATED):
        status = JobStatus.WARNINGS if problems else JobStatus.TERMINATED
    if status is JobStatus.FATAL_ERROR and jcr.canceled:
        status = JobStatus.CANCELED
    return status


def _kinds() -> dict[JobType, ModuleType]:
    from . import backup, copy_migrate, restore

    return {JobType.BACKUP: backup, JobType.RESTORE: restore, JobType.COPY: copy_migrate,
            JobType.MIGRATE: copy_migrate}


JOB_KINDS: dict[JobType, ModuleType] = _kinds()
