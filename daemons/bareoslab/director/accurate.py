"""Accurate Incrementals and Differentials: the catalog's file list sent to the File Daemon
(Bareos' ``SendAccurateCurrentFiles``).

For a job with ``Accurate = yes`` at level Incremental or Differential the Director finds
the reference jobs (``Catalog.accurate_jobids``), says ``Sending Accurate information
(estimated N files).``, sends ``accurate files=N`` and then one message per file of those
jobs, the newest version of each (files already recorded deleted left out):
``name\\0lstat\\0checksum\\0delta_seq``, the checksum only when an Options block of the
FileSet has ``accurate`` letters asking for one (``5`` MD5, ``1`` SHA1); then EOD. The
File Daemon answers nothing. It decides per file against the list and reports what it
no longer finds as deleted.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..codes import MsgType
from ..config import Resource
from ..net.framing import Connection, Signal
from .jobs import JobError

if TYPE_CHECKING:
    from .daemon import Director
    from .jcr import JobControlRecord

_DRAIN_EVERY = 1000  # messages between waits for the connection


def checksum_needed(fileset: Resource | None) -> bool:
    """Whether an Options block's ``accurate`` letters compare checksums (Bareos
    ``IsChecksumNeededByFileset``, for an Incremental or Differential)."""
    if fileset is None:
        return False
    for include in fileset.include:
        for block in include.options:
            letters = block.options.get("accurate")
            if isinstance(letters, str) and ("5" in letters or "1" in letters):
                return True
    return False


def _hms(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


async def send_accurate_files(director: Director, jcr: JobControlRecord, conn: Connection) -> None:
    """Send the accurate list to the FD on ``conn``; a job without reference jobs fails."""
    if not jcr.sends_accurate_list:
        return

    async def say(mtype: MsgType, text: str) -> None:
        if jcr.jobid:  # a console's estimate (JobId 0) says nothing, as Bareos
            await director.job_msg(jcr, mtype, text)

    cat = director.catalog
    jobids = await director.db(cat.accurate_jobids, jcr.client_id, jcr.fileset_id, jcr.level,
                               jcr.start_time or None)
    if not jobids:
        await say(MsgType.FATAL, "Cannot find previous jobids.")
        raise JobError("Cannot find previous jobids.")
    estimate = await director.db(cat.sum_job_files, jobids)
    await say(MsgType.INFO, f"Sending Accurate information (estimated {estimate} files).")
    started = time.monotonic()
    with_checksum = checksum_needed(jcr.fileset)
    files = await director.db(lambda: list(cat.restore_files(jobids)))
    conn.write(f"accurate files={estimate}\n")
    for sent, f in enumerate(files, 1):
        name = (f.path + f.name).encode("utf-8", "surrogateescape")
        checksum = f.md5.encode("ascii") if with_checksum and f.md5 and f.md5 != "0" else b""
        conn.write(b"%s\0%s\0%s\0%d" % (name, f.lstat.encode("ascii"), checksum, 0))
        if sent % _DRAIN_EVERY == 0:
            await conn.drain()
    conn.write_signal(Signal.EOD)
    await conn.drain()
    await say(MsgType.INFO, f"Sent Accurate information for {len(files)} files "
                           f"(skipping 0 deleted files) in {_hms(time.monotonic() - started)}.")
