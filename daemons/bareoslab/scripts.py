"""Run scripts, as both the Director and the File Daemon run them (Bareos' ``lib/runscript.cc``).

``When`` is Bareos' bit set (``SCRIPT_After`` 1, ``SCRIPT_Before`` 2, ``SCRIPT_AfterVSS`` 4). Whether a
script runs: *before* the job, when it runs on success and the job is running, or on failure and
the job already failed; *after*, when it runs on success and the job ended OK, or on failure and
it did not. A shell command starts without a shell (its words split as Bareos' ``BuildArgv``
splits them); every line it prints goes to the job log as ``<label>: <line>``.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Awaitable, Callable, Mapping

from .codes import JobStatus, MsgType

#: RunsWhen -> Bareos' bits (SCRIPT_After 1, SCRIPT_Before 2, SCRIPT_AfterVSS 4)
WHEN_BITS = {"Never": 0, "After": 1, "Before": 2, "Always": 3, "AfterVSS": 4}
BEFORE, AFTER, AFTER_VSS = 2, 1, 4

EXIT_TEXTS = {JobStatus.TERMINATED: "OK", JobStatus.WARNINGS: "OK -- with warnings",
              JobStatus.ERROR_TERMINATED: "Error", JobStatus.ERROR: "Error",
              JobStatus.FATAL_ERROR: "Fatal Error", JobStatus.CANCELED: "Canceled",
              JobStatus.DIFFERENCES: "Differences"}
_FAILED = (JobStatus.CANCELED, JobStatus.ERROR_TERMINATED, JobStatus.FATAL_ERROR, JobStatus.ERROR)


def expand_codes(text: str, codes: Mapping[str, str]) -> str:
    """Bareos' edit_job_codes: ``%x`` replaced by ``codes["x"]``; an unknown code stays as it is."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "%" and i + 1 < len(text):
            code = text[i + 1]
            out.append(codes.get(code, "%" + code))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def should_run(when: int, on_success: bool, on_failure: bool, before: bool, status: JobStatus) -> bool:
    """Bareos' RunScripts decision for one script (``when`` its bits), before or after the job."""
    failed = status in _FAILED or status is JobStatus.DIFFERENCES
    if before:
        return bool(when & BEFORE) and ((on_success and status in (JobStatus.RUNNING, JobStatus.CREATED))
                                        or (on_failure and failed))
    return bool(when & AFTER) and ((on_success and status.ok) or (on_failure and failed))


def child_status(status: int) -> str:
    """Bareos' words for a child's exit status (non-zero; negative: killed by that signal)."""
    return f"Child died from signal {-status}" if status < 0 else f"Child exited with code {status}"


def failure_text(label: str, status: int) -> str:
    """Bareos' message for a script that exited non-zero (or was killed: a negative status)."""
    return f"Runscript: {label} returned non-zero status={abs(status)}. ERR={child_status(status)}"


def _start_error(exc: OSError | ValueError) -> str:
    """Why a command could not start (its words do not split, or exec failed)."""
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


Say = Callable[[MsgType, str], Awaitable[None]]


async def run_command(command: str, label: str, say: Say) -> bool:
    """Start ``command`` without a shell, log its lines as ``<label>: <line>``; whether it ended
    with status 0 (what went wrong is said)."""
    try:
        argv = shlex.split(command)
        proc = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL,
                                                    stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.STDOUT)
    except (OSError, ValueError) as exc:
        await say(MsgType.ERROR, f"Runscript: {label} could not execute. ERR={_start_error(exc)}")
        return False
    assert proc.stdout is not None
    try:
        async for raw in proc.stdout:
            await say(MsgType.INFO, f"{label}: {raw.decode('utf-8', 'replace').rstrip()}")
        status = await proc.wait()
    except asyncio.CancelledError:  # the job was canceled: so is its script
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    if status != 0:
        await say(MsgType.ERROR, failure_text(label, status))
    return status == 0


async def feed_command(command: str, text: str) -> str:
    """Start ``command`` without a shell and feed it ``text`` (a ``|command`` of a ``Write
    Bootstrap``); what went wrong, in Bareos' words, or ``""``."""
    try:
        proc = await asyncio.create_subprocess_exec(*shlex.split(command), stdin=asyncio.subprocess.PIPE,
                                                    stdout=asyncio.subprocess.DEVNULL,
                                                    stderr=asyncio.subprocess.DEVNULL)
    except (OSError, ValueError) as exc:
        return _start_error(exc)
    await proc.communicate(text.encode())
    return child_status(proc.returncode) if proc.returncode else ""
