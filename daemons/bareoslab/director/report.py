"""Job reports in Bareos' layout (``Termination:  Backup OK`` ...)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..codes import JOB_LEVEL_NAMES, JOB_STATUS_LONG, JobLevel, JobStatus, JobType
from ..edit import with_suffix
from ..net.auth import os_info

if TYPE_CHECKING:
    from ..config import Resource
    from .daemon import Director
    from .jcr import JobControlRecord
    from .jobs.copy_migrate import Migration

_KIND_WORDS = {JobType.BACKUP: "Backup", JobType.RESTORE: "Restore", JobType.COPY: "Copying",
               JobType.MIGRATE: "Migration", JobType.ADMIN: "Admin", JobType.VERIFY: "Verify"}


def termination(jcr: JobControlRecord) -> str:
    word = _KIND_WORDS.get(jcr.job_type, jcr.job_type.name.capitalize())
    status = jcr.status
    if status is JobStatus.TERMINATED:
        return f"{word} OK"
    if status is JobStatus.WARNINGS:
        return f"{word} OK -- with warnings"
    if status is JobStatus.CANCELED:
        return f"{word} Canceled"
    if status is JobStatus.FATAL_ERROR:
        return f"*** {word} Error ***"
    return f"*** {word} Error ***"


def _stamp(when: float) -> str:
    return time.strftime("%d-%b-%Y %H:%M:%S", time.localtime(when)) if when else ""


def _run_seconds(jcr: JobControlRecord) -> int:
    """Bareos' RunTime: the catalog's EndTime - StartTime, whole seconds."""
    return max(0, int(jcr.end_time) - int(jcr.start_time))


def _elapsed(jcr: JobControlRecord) -> str:
    seconds = _run_seconds(jcr)
    parts = []
    for unit, size in (("hour", 3600), ("min", 60)):
        if seconds >= size:
            parts.append(f"{seconds // size} {unit}{'s' if seconds // size > 1 else ''}")
            seconds %= size
    parts.append(f"{seconds} sec{'s' if seconds != 1 else ''}")
    return " ".join(parts)


def byte_size(n: int) -> str:
    """Bareos' edit_uint64_with_suffix + "B": ``1.234 MB``, ``12.34 KB``, ``123.4 GB``, ``999 B``."""
    return f"{with_suffix(n)}B"


def _bytes(n: int) -> str:
    return f"{n:,} ({byte_size(n)})"


def _rate(jcr: JobControlRecord, nbytes: int) -> str:
    seconds = _run_seconds(jcr)  # Bareos: 0.0 when the job took no whole second
    return f"{nbytes / seconds / 1000 if seconds else 0.0:.1f} KB/s"


def _status_word(status: JobStatus | None) -> str:
    if status is None:
        return "Error"
    return {JobStatus.TERMINATED: "OK", JobStatus.WARNINGS: "OK -- with warnings"}.get(
        status, JOB_STATUS_LONG.get(status, "Error"))


def _lines(pairs: list[tuple[str, object]]) -> str:
    """The report's lines; a blank line ends it, as in Bareos' job reports."""
    return "".join(f"  {label + ':':<24}{value}\n" for label, value in pairs) + "\n"


def _header(director: Director, jcr: JobControlRecord) -> list[tuple[str, object]]:
    return [
        ("OS Information", os_info()),
        ("JobId", jcr.jobid),
        ("Job", jcr.job),
    ]


def backup_report(director: Director, jcr: JobControlRecord) -> str:
    client = jcr.client.name if jcr.client else ""
    pairs = _header(director, jcr) + [
        ("Backup Level", JOB_LEVEL_NAMES.get(jcr.level, "")
         + (f", since={jcr.since_text}" if jcr.since_text else "")),
        ("Client", f'"{client}" {jcr.client_uname}'),
        ("FileSet", f'"{jcr.fileset.name if jcr.fileset else ""}" {jcr.fileset_create_time}'),
        ("Pool", f'"{jcr.pool.name if jcr.pool else ""}" (From {jcr.pool_source})'),
        ("Catalog", f'"{director.catalog_res.name}" (From Client resource)'),
        ("Storage", f'"{jcr.storage.name if jcr.storage else ""}" (From {jcr.storage_source})'),
        ("Scheduled time", _stamp(jcr.sched_time)),
        ("Start time", _stamp(jcr.start_time)),
        ("End time", _stamp(jcr.end_time)),
        ("Elapsed time", _elapsed(jcr)),
        ("Priority", jcr.priority),
        ("Allow Mixed Priority", "yes" if jcr.job_res.allow_mixed_priority else "no"),
        ("FD Files Written", f"{jcr.job_files:,}"),
        ("SD Files Written", f"{jcr.sd_job_files:,}"),
        ("FD Bytes Read", _bytes(jcr.read_bytes)),
        ("FD Bytes Written", _bytes(jcr.job_bytes)),
        ("SD Bytes Written", _bytes(jcr.sd_job_bytes)),
        ("Rate", _rate(jcr, jcr.job_bytes)),
        ("Software Compression", "None"),
        ("VSS", "no"),
        ("Encryption", "no"),
        ("Accurate", "yes" if jcr.accurate else "no"),
        ("Volume name(s)", "|".join(jcr.volumes)),
        ("Volume Session Id", jcr.vol_session_id),
        ("Volume Session Time", jcr.vol_session_time),
        ("Last Volume Bytes", _bytes(jcr.last_volume_bytes)),
        ("Non-fatal FD errors", jcr.job_errors),
        ("SD Errors", jcr.sd_errors),
        ("FD termination status", _status_word(jcr.fd_status)),
        ("SD termination status", _status_word(jcr.sd_status)),
        ("Bareos binary info", "bareoslab"),
        ("Job triggered by", jcr.triggered_by),
        ("Termination", termination(jcr)),
    ]
    return _lines(pairs)


def _catalog_and_times(director: Director, jcr: JobControlRecord) -> list[tuple[str, object]]:
    """The lines a copy/migrate report shares: its catalog, when it ran, its priority."""
    return [
        ("Catalog", f'"{director.catalog_res.name}" (From Default catalog)'),
        ("Start time", _stamp(jcr.start_time)),
        ("End time", _stamp(jcr.end_time)),
        ("Elapsed time", _elapsed(jcr)),
        ("Priority", jcr.priority),
    ]


def _name(res: Resource | None) -> str:
    return res.name if res is not None else ""


def restore_report(director: Director, jcr: JobControlRecord) -> str:
    pairs = _header(director, jcr) + [
        ("Restore Client", f'"{_name(jcr.restore_client or jcr.client)}" {jcr.client_uname}'.rstrip()),
        ("Start time", _stamp(jcr.start_time)),
        ("End time", _stamp(jcr.end_time)),
        ("Elapsed time", _elapsed(jcr)),
        ("Files Expected", f"{jcr.expected_files:,}"),
        ("Files Restored", f"{jcr.job_files:,}"),
        ("Bytes Restored", f"{jcr.job_bytes:,}"),
        ("Rate", _rate(jcr, jcr.job_bytes)),
        ("FD Errors", jcr.job_errors),
        ("FD termination status", _status_word(jcr.fd_status)),
        ("SD termination status", _status_word(jcr.sd_status)),
        ("Bareos binary info", "bareoslab"),
        ("Job triggered by", jcr.triggered_by),
        ("Termination", termination(jcr)),
    ]
    return _lines(pairs)


# -- copy and migrate ------------------------------------------------------------------


def verb(job_type: JobType) -> str:
    return "copied" if job_type is JobType.COPY else "migrated"


def action(job_type: JobType) -> str:
    """Bareos' get_ActionName: ``copy`` or ``migrate``."""
    return "copy" if job_type is JobType.COPY else "migrate"


def chosen_message(job_type: JobType, ids: list[int]) -> str:
    """``The following 3 JobIds were chosen to be copied: 1,2,3`` (singular for one)."""
    if len(ids) == 1:
        return f"The following 1 JobId was chosen to be {verb(job_type)}: {ids[0]}"
    return f"The following {len(ids)} JobIds were chosen to be {verb(job_type)}: {','.join(map(str, ids))}"


def no_jobs_message(job_type: JobType) -> str:
    return f"No JobIds found to {action(job_type)}."


def kind_word(job_type: JobType) -> str:
    """Bareos' get_OperationName: ``Copying`` or ``Migration``."""
    return "Copying" if job_type is JobType.COPY else "Migration"


def worker_started_message(job_type: JobType, jobid: int) -> str:
    """The control job's line for each worker it queued."""
    return f"{kind_word(job_type)} JobId {jobid} started."


def using_message(job_type: JobType, prior_jobid: int, prior_job: str) -> str:
    return f"{kind_word(job_type)} using JobId={prior_jobid} Job={prior_job}"


def start_message(job_type: JobType, jobid: int, job: str) -> str:
    return f"Start {kind_word(job_type)} JobId {jobid}, Job={job}"


def no_data_message(job_type: JobType) -> str:
    return f"Previous Job has no data to {action(job_type)}."


def already_done_message(job_type: JobType, prior_jobid: int) -> str:
    return f"JobId {prior_jobid} already {verb(job_type)} probably by another Job. {kind_word(job_type)} stopped."



def control_report(director: Director, jcr: JobControlRecord, selected: list[int], workers: list[int]) -> str:
    """A copy/migrate control job's report: what it selected and the workers it queued."""
    if not selected and jcr.status.ok:
        term = f"{kind_word(jcr.job_type)} -- no files to {action(jcr.job_type)}"
    else:
        term = termination(jcr)
    pairs: list[tuple[str, object]] = [
        ("JobId", jcr.jobid),
        ("Job", jcr.job),
        ("Selected JobIds", ",".join(map(str, selected)) or "none"),
        ("Worker JobIds", ",".join(map(str, workers)) or "none"),
        ("Read Pool", f'"{jcr.pool.name if jcr.pool else ""}" (From {jcr.pool_source})'),
        *_catalog_and_times(director, jcr),
        ("Bareos binary info", "bareoslab"),
        ("Job triggered by", jcr.triggered_by),
        ("Termination", term),
    ]
    return _lines(pairs)


def worker_report(director: Director, jcr: JobControlRecord, mig: Migration) -> str:
    """A copy/migrate worker's report: the job it copied, the new one, the SDs' figures."""
    prior = mig.prior
    pairs: list[tuple[str, object]] = [
        ("Prev Backup JobId", prior.job_id),
        ("Prev Backup Job", prior.job),
        ("New Backup JobId", mig.new_jobid),
        ("Current JobId", jcr.jobid),
        ("Current Job", jcr.job),
        ("Backup Level", JOB_LEVEL_NAMES.get(JobLevel(prior.level), "")),
        ("Client", mig.client_name),
        ("FileSet", f'"{mig.fileset_name}"'),
        ("Read Pool", f'"{mig.read_pool.name}" (From {jcr.pool_source})'),
        ("Read Storage", f'"{mig.read_storage.name}" (From Pool resource)'),
        ("Write Pool", f'"{mig.write_pool.name}" (From Job Pool\'s NextPool resource)'),
        ("Write Storage", f'"{mig.write_storage.name}" (From Storage from Pool\'s NextPool resource)'),
        *_catalog_and_times(director, jcr),
        ("SD Files Written", f"{jcr.sd_job_files:,}"),
        ("SD Bytes Written", _bytes(jcr.sd_job_bytes)),
        ("Rate", _rate(jcr, jcr.sd_job_bytes)),
        ("Volume name(s)", "|".join(jcr.volumes)),
        ("Volume Session Id", jcr.vol_session_id),
        ("Volume Session Time", jcr.vol_session_time),
        ("Last Volume Bytes", _bytes(jcr.last_volume_bytes)),
        ("SD Errors", jcr.sd_errors),
        ("SD termination status", _status_word(jcr.sd_status) if mig.ran else "OK"),
        ("Bareos binary info", "bareoslab"),
        ("Job triggered by", jcr.triggered_by),
        ("Termination", termination(jcr)),
    ]
    return _lines(pairs)
