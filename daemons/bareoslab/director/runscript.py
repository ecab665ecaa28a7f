"""Run scripts: a Job's ``RunScript`` blocks and ``Run Before Job`` and friends (Bareos'
``lib/runscript.cc``, ``dird/job.cc``, ``dird/fd_cmds.cc``).

A script runs on the Director (``Runs On Client = no``, ``Run Before/After Job``,
``Run After Failed Job``, every console command) or on the client (``Client Run
Before/After Job``, ``Runs On Client = yes``, Bareos' default in a RunScript block).
The Director's run with the label ``BeforeJob`` after the job started and before its
data moves, and ``AfterJob`` once the job has ended (after its report, as in Bareos).
The client's go to the FD before the job's data starts as ``Run OnSuccess=.. OnFailure=..
AbortOnError=.. When=<bits> Command=<command>`` and ``RunBeforeNow``; the FD runs them
(``filed/runscript.py``).

When a script runs and how is shared with the FD (:mod:`bareoslab.scripts`); a script
that fails with ``Fail Job On Error`` (the default) fails the job. ``%`` codes are
replaced first (Bareos' edit_job_codes and the Director's own codes).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, cast

from ..codes import JOB_LEVEL_NAMES, JobStatus, JobType, MsgType
from ..net.errors import ProtocolError
from ..net.framing import Connection, Signal, bash_spaces
from ..scripts import (
    AFTER_VSS,
    BEFORE,
    EXIT_TEXTS,
    WHEN_BITS,
    Say,
    expand_codes,
    run_command,
    should_run,
)
from .report import byte_size

if TYPE_CHECKING:
    from .daemon import Director
    from .jcr import JobControlRecord

def job_codes(director: Director, jcr: JobControlRecord) -> dict[str, str]:
    """What the Director's ``%`` codes stand for in this job (the library's and the Director's)."""
    none = "*None*"
    return {
        "%": "%",
        "b": str(jcr.job_bytes), "B": byte_size(jcr.job_bytes), "F": str(jcr.job_files), "P": str(os.getpid()),
        "c": jcr.client.name if jcr.client else none, "d": director.name,
        "e": EXIT_TEXTS.get(jcr.status, "Unknown term code"), "i": str(jcr.jobid) if jcr.jobid else none,
        "j": jcr.job or none, "l": JOB_LEVEL_NAMES.get(jcr.level, "") or none, "n": jcr.name, "r": "",
        "s": jcr.since_text or none, "t": _type_name(jcr.job_type), "v": ",".join(jcr.volumes) or none,
        "f": jcr.fileset.name if jcr.fileset else none,
        "h": str(jcr.client.address) if jcr.client else none,
        "p": jcr.pool.name if jcr.pool else none, "w": jcr.storage.name if jcr.storage else none,
        "x": "no", "C": "no", "D": director.name, "V": ",".join(jcr.volumes) or none,
    }


def _type_name(job_type: JobType) -> str:
    return {JobType.BACKUP: "Backup", JobType.RESTORE: "Restore", JobType.COPY: "Copy",
            JobType.MIGRATE: "Migrate", JobType.ADMIN: "Admin", JobType.VERIFY: "Verify"}.get(
        job_type, job_type.name.capitalize())


class _ScriptConsole:
    """The console a console-command script runs on: what the command prints goes to the
    job log; it cannot answer questions."""

    def __init__(self, say: Say) -> None:
        self.say = say

    async def send(self, payload: bytes | bytearray | memoryview | str) -> None:
        text = payload if isinstance(payload, str) else bytes(payload).decode("utf-8", "replace")
        for line in text.splitlines():
            if line.strip():
                await self.say(MsgType.INFO, line)

    async def signal(self, sig: Signal) -> None:
        pass

    async def recv(self, timeout: float | None = None) -> bytes:
        raise ProtocolError("a console command run as a script cannot answer a question")


async def run_console_command(director: Director, jcr: JobControlRecord, command: str, say: Say) -> bool:
    """Bareos' RunConsoleCommand: the command as the default console, its output in the job log."""
    # imported here: the console package builds on the Director, not the reverse
    from .ua.commands import UserAgent

    ua = UserAgent(director, cast(Connection, _ScriptConsole(say)), None)
    try:
        await ua.execute(command)
    except ProtocolError as exc:
        await say(MsgType.ERROR, f"Runscript: console command failed: {exc}")
        return False
    return not ua.errors


async def run_scripts(director: Director, jcr: JobControlRecord, label: str) -> None:
    """The Director's own scripts for ``label`` (``BeforeJob``/``AfterJob``)."""
    before = label.endswith("BeforeJob")

    async def say(mtype: MsgType, text: str) -> None:
        await director.job_msg(jcr, mtype, text)

    for script in jcr.job_res.runscript:
        when = WHEN_BITS.get(script["runs_when"], 0)
        if script["runs_on_client"] or not should_run(when, script["runs_on_success"], script["runs_on_failure"],
                                                      before, jcr.status):
            continue
        kind = "shell command" if script["command"] is not None else "console command"
        text = expand_codes(script["command"] or script["console"] or "", job_codes(director, jcr))
        await say(MsgType.INFO, f'{kind}: run {label} "{text}"')
        if script["command"] is None:
            ok = await run_console_command(director, jcr, text, say)
        else:
            ok = await run_command(text, label, say)
        if not ok and script["fail_job_on_error"]:
            jcr.set_status(JobStatus.ERROR_TERMINATED)


def client_script_lines(jcr: JobControlRecord) -> tuple[list[str], bool]:
    """The ``Run ...`` commands for the client's scripts, and whether one runs before the job."""
    lines, before = [], False
    for script in jcr.job_res.runscript:
        if not script["runs_on_client"] or script["command"] is None:
            continue
        when = WHEN_BITS.get(script["runs_when"], 0)
        lines.append(f"Run OnSuccess={int(script['runs_on_success'])} OnFailure={int(script['runs_on_failure'])} "
                     f"AbortOnError={int(script['fail_job_on_error'])} When={when} "
                     f"Command={bash_spaces(script['command'])}\n")
        before = before or bool(when & (BEFORE | AFTER_VSS))
    return lines, before
