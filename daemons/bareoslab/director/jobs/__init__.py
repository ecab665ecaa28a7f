"""One module per job kind, each with ``init``, ``run`` and ``cleanup``."""

from __future__ import annotations

from types import ModuleType

from ...codes import JobType


class JobError(Exception):
    """A job cannot go on; the text goes to the job log as a fatal error."""


def _kinds() -> dict[JobType, ModuleType]:
    from . import backup, copy_migrate, restore

    return {JobType.BACKUP: backup, JobType.RESTORE: restore, JobType.COPY: copy_migrate,
            JobType.MIGRATE: copy_migrate}


JOB_KINDS: dict[JobType, ModuleType] = _kinds()
