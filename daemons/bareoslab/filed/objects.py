"""What the Director hands the File daemon before a restore besides the restore command:
a bootstrap (``bootstrap``) and restore objects (``restoreobject``), as Bareos' FD takes
them (``filed/dir_cmd.cc`` BootstrapCmd, RestoreObjectCmd).

The bootstrap goes to ``<Working Directory>/<client>.<job>.<n>.bootstrap`` for the job's
life and is removed at its end. Restore objects are meant for plugins; this File daemon
runs none, so it reads each object whole (inflating a zlib one, as Bareos does, and
saying so when its length is not the one announced) and keeps only what it was told.
"""

from __future__ import annotations

import itertools
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..codes import MsgType
from ..net.errors import ProtocolError
from ..net.framing import Connection, Signal, decode_text, unbash_spaces
from .job import FdJob

OK_BOOTSTRAP = "2000 OK bootstrap\n"
OK_RESTORE_OBJECT = "2000 OK ObjectRestored\n"
BAD_RESTORE_OBJECT = "2909 Bad RestoreObject command.\n"
# restoreobject JobId=%u %d,%d,%d,%d,%d,%d[,%s]: length, full length, index, type,
# compression, FileIndex and (FD version 5+) the plugin's name, bashed
_OBJECT = re.compile(r"restoreobject JobId=(\d+) (-?\d+),(-?\d+),(-?\d+),(-?\d+),(-?\d+),(-?\d+)(?:,(\S*))?\s*$")
_numbers = itertools.count(1)  # Bareos' bsr_uniq


@dataclass(frozen=True)
class RestoreObject:
    jobid: int
    name: str
    object_type: int
    index: int
    file_index: int
    plugin: str
    length: int  # as it arrived, inflated when it was compressed


async def receive_bootstrap(job: FdJob, conn: Connection, working_directory: Path, client: str) -> bool:
    """``bootstrap`` then its lines up to the end of data: kept in a file for the job."""
    path = working_directory / f"{client}.{job.job}.{next(_numbers)}.bootstrap"
    lines: list[str] = []
    while not isinstance(msg := await conn.recv(), Signal):
        lines.append(decode_text(msg))
    try:
        path.write_text("".join(lines))
        path.chmod(0o600)  # it names the job's volumes and files
    except OSError as exc:
        job.message(MsgType.FATAL, f"Could not create bootstrap file {path}: ERR={exc.strerror}")
        return False
    job.bootstrap = path
    await conn.send(OK_BOOTSTRAP)
    return True


async def receive_restore_object(job: FdJob, conn: Connection, line: str) -> bool:
    """One ``restoreobject`` header, the object's name and the object; or ``restoreobject
    end``, answered ``2000 OK ObjectRestored``. False when the command is bad (Bareos' FD
    says so and ends the session)."""
    if line.strip() == "restoreobject end":
        await conn.send(OK_RESTORE_OBJECT)
        return True
    found = _OBJECT.match(line.strip())
    if found is None:
        job.message(MsgType.FATAL, f"Bad RestoreObject command: {line.strip()}")
        await conn.send(BAD_RESTORE_OBJECT)
        return False
    jobid, length, full_length, index, object_type, compression, file_index = map(int, found.groups()[:7])
    try:
        name = decode_text(await _message(conn))
        data = await _message(conn)
    except ProtocolError:
        await conn.send(BAD_RESTORE_OBJECT)
        return False
    if compression == 1:  # zlib
        try:
            data = zlib.decompress(data)
        except zlib.error:
            data = b""
        if len(data) != full_length:
            job.message(MsgType.ERROR, f"Decompression failed. Len wanted={full_length} got={len(data)}. "
                                       f"Object_name={name}")
    job.restore_objects.append(RestoreObject(jobid, name, object_type, index, file_index,
                                             unbash_spaces(found[8] or ""), len(data) or length))
    return True


async def _message(conn: Connection) -> bytes:
    msg = await conn.recv()
    if isinstance(msg, Signal):
        raise ProtocolError(f"restore object: {msg.name} where data was due")
    return msg


def forget_bootstrap(job: FdJob) -> None:
    """The job's end: its bootstrap goes (Bareos erases it)."""
    if job.bootstrap is not None:
        job.bootstrap.unlink(missing_ok=True)
        job.bootstrap = None
