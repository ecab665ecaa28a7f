"""Whole command dispatchers: each daemon's authenticated session fed the fuzzer's lines.

The Storage and File daemons' Director sessions and the Director's console session.

The fuzzer's bytes are cut at newlines; each line becomes one frame and an empty line the
end-of-data signal, so a run walks the session's command table the way a Director would
(``JobId=...``, then ``fileset`` lines until EOD, then ``backup``...), every command's own
parsing and every state it can reach. The session reads the frames from a stream and
answers over a real socket pair whose other end is drained; at the end of the input the
peer hangs up, as a Director that vanished.

The daemon is real and fresh per input, on a configuration whose archive and working
directories are temporary, but sandboxed: it may connect nowhere (a connect fails as a
refused one), start no program (an exec fails), and an ``estimate`` walks no file of this
machine; the console's free SQL (``sqlquery``, ``query``, ``.sql``: SQLite's, not ours, and
able to create files) is left out. A hang is a crash, and so is an internal error the daemon
caught and logged with its traceback (a console command that failed, a task that died): each
input has :data:`BOUND` seconds.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import shutil
import socket
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any
from unittest.mock import patch

from bareoslab.catalog import open_catalog
from bareoslab.config.loader import load_config_text
from bareoslab.daemon import TaskSet
from bareoslab.director.daemon import Director
from bareoslab.director.ua import commands as ua_commands
from bareoslab.director.ua.commands import UserAgent
from bareoslab.director.ua.server import command_loop
from bareoslab.filed import dir_cmd as fd_dir_cmd
from bareoslab.filed.daemon import FileDaemon
from bareoslab.filed.estimate import Estimate
from bareoslab.filed.passive import wait_for_storage
from bareoslab.net.errors import ConnectionClosed
from bareoslab.net.framing import _HEADER, Connection, Signal, encode_frame
from bareoslab.storage import dir_cmd as sd_dir_cmd
from bareoslab.storage.daemon import StorageDaemon

BOUND = 5.0  # seconds an input has; the daemons' own waits are made short below
_LOOP = asyncio.new_event_loop()
_DIR = Path(tempfile.mkdtemp(prefix="bareoslab-fuzz-sessions-"))
_ARCHIVE = _DIR / "archive"
_PRISTINE_CATALOG = _DIR / "pristine.db"
_OPEN_CONNECTION = asyncio.open_connection  # the sandbox refuses the daemons' connections, not ours
FREE_SQL = ("sqlquery", "query", ".sql")


def frames_of(data: bytes) -> bytes:
    """The stream a Director would have sent: a frame per line, EOD for an empty line."""
    out = bytearray()
    for line in data.split(b"\n"):
        out += encode_frame(line + b"\n") if line else _HEADER.pack(Signal.EOD)
    return bytes(out)


async def _refused(*args: Any, **kwargs: Any) -> Any:
    raise ConnectionRefusedError(errno.ECONNREFUSED, "the fuzzer's daemons connect nowhere")


async def _no_exec(*args: Any, **kwargs: Any) -> Any:
    raise PermissionError(errno.EPERM, "the fuzzer's daemons start no program")


def _no_walk(*args: Any, **kwargs: Any) -> Estimate:
    return Estimate()


class InternalError(Exception):
    """A daemon caught an exception it did not expect and logged its traceback."""


class _Tracebacks(logging.Handler):
    """Takes the daemons' log records instead of stderr; keeps those with a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.found: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.found.append(record)


@contextmanager
def sandbox() -> Iterator[None]:
    tracebacks = _Tracebacks()
    logger = logging.getLogger("bareoslab")
    with ExitStack() as stack:
        stack.enter_context(patch.object(logger, "handlers", [tracebacks]))
        stack.enter_context(patch.object(logger, "propagate", False))
        stack.enter_context(patch.object(asyncio, "open_connection", _refused))
        stack.enter_context(patch.object(asyncio, "create_subprocess_exec", _no_exec))
        stack.enter_context(patch.object(asyncio, "create_subprocess_shell", _no_exec))
        stack.enter_context(patch.object(fd_dir_cmd, "estimate", _no_walk))
        # a passive SD that never calls is waited for briefly, as the SD's client_connect_wait
        stack.enter_context(patch.object(fd_dir_cmd, "wait_for_storage", partial(wait_for_storage, timeout=0.05)))
        stack.enter_context(patch.dict(ua_commands.COMMANDS))
        for name in FREE_SQL:
            del ua_commands.COMMANDS[name]
        stack.enter_context(patch.object(ua_commands, "TABLE", [c for c in ua_commands.TABLE if c.name not in FREE_SQL]))
        yield
    if tracebacks.found:
        record = tracebacks.found[0]
        raise InternalError(record.getMessage()) from record.exc_info[1] if record.exc_info else None


async def _drained(sock: socket.socket) -> None:
    loop = asyncio.get_running_loop()
    while await loop.sock_recv(sock, 65536):
        pass


async def _serve(data: bytes, daemon: str, serve: Callable[[Connection], Awaitable[None]], tasks: TaskSet) -> None:
    ours, theirs = socket.socketpair()
    theirs.setblocking(False)
    _, writer = await _OPEN_CONNECTION(sock=ours)
    drain = asyncio.create_task(_drained(theirs))
    reader = asyncio.StreamReader()
    reader.feed_data(frames_of(data))
    reader.feed_eof()
    conn = Connection(reader, writer, daemon=daemon, peer="fuzzer")
    try:
        await asyncio.wait_for(serve(conn), BOUND)
    finally:
        await tasks.cancel_all()  # what the session left running (a job, a data session)
        writer.close()
        await drain
        theirs.close()


def _run(data: bytes, daemon: str, serve: Callable[[Connection], Awaitable[None]], tasks: TaskSet) -> None:
    with sandbox():
        _LOOP.run_until_complete(_serve(data, daemon, serve, tasks))
    if any(_ARCHIVE.iterdir()):  # volumes a "label" wrote
        shutil.rmtree(_ARCHIVE)
        _ARCHIVE.mkdir()


_SD_CONFIG = f"""
Storage {{ Name = fuzz-sd; Working Directory = "{_DIR}" }}
Director {{ Name = fuzz-dir; Password = "secret" }}
Device {{
  Name = FileStorage; Media Type = File; Archive Device = "{_ARCHIVE}"
  Label Media = yes; Random Access = yes; Automatic Mount = yes; Removable Media = no
  Always Open = no; Maximum Concurrent Jobs = 2
}}
"""
_FD_CONFIG = f"""
Client {{ Name = fuzz-fd; Working Directory = "{_DIR}" }}
Director {{ Name = fuzz-dir; Password = "secret" }}
"""


def storage_session(data: bytes) -> None:
    """The Storage daemon's Director session (``storage/dir_cmd.py``)."""
    sd = StorageDaemon(load_config_text(_SD_CONFIG, "sd", "fuzz-sd.conf"))
    sd.client_connect_wait = 0.05
    _run(data, "fuzz-sd", lambda conn: sd_dir_cmd.DirectorSession(sd, conn, "fuzz-dir").serve(), sd.tasks)


def client_session(data: bytes) -> None:
    """The File daemon's Director session (``filed/dir_cmd.py``)."""
    cfg = load_config_text(_FD_CONFIG, "fd", "fuzz-fd.conf")
    fd = FileDaemon(cfg)
    fd.sd_connect_timeout = 0.05
    director = cfg.one("Director")
    _run(data, "fuzz-fd", lambda conn: fd_dir_cmd.DirectorSession(fd, conn, director).serve(), fd.tasks)


def director_console(data: bytes) -> None:
    """The Director's console session (``director/ua``) on a fresh copy of an SQLite catalog."""
    shutil.copyfile(_PRISTINE_CATALOG, _DIR / "fuzz-catalog.db")
    director = Director(load_config_text(_DIR_CONFIG, "dir", "fuzz-dir.conf"))

    async def serve(conn: Connection) -> None:
        director.catalog = await director.db(director._open_catalog)
        try:
            await director.db(director._sync_config)
            director.jobq.start()
            await command_loop(UserAgent(director, conn, None))
        except ConnectionClosed:
            pass  # the console hung up: the end of the input
        finally:
            await director.tasks.cancel_all()  # its jobs too, before their catalog closes
            await director.db(director.catalog.close)

    try:
        _run(data, "fuzz-dir", serve, director.tasks)
    finally:
        director._db_executor.shutdown()


_DIR_CONFIG = f"""
Director {{
  Name = fuzz-dir; Password = "secret"; Working Directory = "{_DIR}"; Messages = Daemon
  FD Connect Timeout = 0; SD Connect Timeout = 0  # a refused connection fails at once
}}
Catalog {{ Name = MyCatalog; DB Driver = sqlite3; DB Name = fuzz-catalog; DB User = bareos }}
Messages {{ Name = Daemon }}
Messages {{ Name = Standard }}
Client {{ Name = fuzz-fd; Address = 127.0.0.1; Password = "secret" }}
Storage {{ Name = File; Address = 127.0.0.1; Password = "secret"; Device = FileStorage; Media Type = File }}
Pool {{ Name = Full; Pool Type = Backup; Label Format = "Full-" }}
FileSet {{ Name = LabData; Include {{ File = /etc }} }}
JobDefs {{ Name = defaults; Client = fuzz-fd; FileSet = LabData; Storage = File; Pool = Full; Messages = Standard }}
Job {{ Name = backup; Type = Backup; JobDefs = defaults }}
Job {{ Name = restore; Type = Restore; JobDefs = defaults; Where = /tmp/bareos-restores }}
"""

_ARCHIVE.mkdir(exist_ok=True)
open_catalog("sqlite3", str(_PRISTINE_CATALOG)).close()  # the schema, once
