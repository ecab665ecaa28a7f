"""The client's run scripts (Bareos' ``filed/dir_cmd.cc`` RunscriptCmd, RunbeforenowCmd).

The Director sends each client script of the job as ``Run OnSuccess=<0|1> OnFailure=<0|1>
AbortOnError=<0|1> When=<bits> Command=<command, blanks bashed>`` (answer ``2000 OK
RunScript``), then ``RunBeforeNow``: the scripts that run before the job run now
(``ClientBeforeJob``), and the answer is ``2000 OK RunBeforeNow``, or ``2905 Failed
RunScript`` when one failed with AbortOnError. The ones that run after the job
(``ClientAfterJob``) run when its data is done, before ``2800 End Job`` (a failure with
AbortOnError makes the job end in error).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..codes import JobStatus, MsgType
from ..net.framing import unbash_spaces
from ..scripts import EXIT_TEXTS, expand_codes, run_command, should_run
from .job import FdJob

_RUN = re.compile(r"^Run OnSuccess=(\d+) OnFailure=(\d+) AbortOnError=(\d+) When=(\d+) Command=(.*)$", re.S)


@dataclass(frozen=True)
class ClientScript:
    on_success: bool
    on_failure: bool
    fail_on_error: bool
    when: int
    command: str


def parse_run(line: str) -> ClientScript | None:
    """A ``Run ...`` command; None when malformed."""
    match = _RUN.match(line.rstrip("\n"))
    if not match:
        return None
    success, failure, abort, when, command = match.groups()
    return ClientScript(success != "0", failure != "0", abort != "0", int(when), unbash_spaces(command))


def _codes(job: FdJob, fd_name: str) -> dict[str, str]:
    """The library's ``%`` codes as the FD knows them (its own name for %c and %d)."""
    name = job.job.rsplit(".", 3)[0]
    return {"%": "%", "c": fd_name, "d": fd_name, "e": EXIT_TEXTS.get(job.term_code(), "Unknown term code"),
            "i": str(job.jobid), "j": job.job, "l": job.level.capitalize(), "n": name,
            "b": str(job.job_bytes), "F": str(job.job_files), "t": "Backup" if job.fileset else "Restore"}


async def run_client_scripts(job: FdJob, fd_name: str, before: bool) -> None:
    """Run the job's scripts for before (``ClientBeforeJob``) or after (``ClientAfterJob``)."""
    label = "ClientBeforeJob" if before else "ClientAfterJob"

    async def say(mtype: MsgType, text: str) -> None:
        job.message(mtype, text)

    for script in job.scripts:
        status = job.status if before else job.term_code()
        if not should_run(script.when, script.on_success, script.on_failure, before, status):
            continue
        command = expand_codes(script.command, _codes(job, fd_name))
        job.message(MsgType.INFO, f'shell command: run {label} "{command}"')
        if not await run_command(command, label, say) and script.fail_on_error:
            job.set_status(JobStatus.ERROR_TERMINATED)
