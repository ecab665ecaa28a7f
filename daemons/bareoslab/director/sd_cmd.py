"""The Director's side of its control connection to a Storage Daemon.

Job set-up (``JobId=``), device reservation (``use storage=``), ``bootstrap``,
``run``, and the message channel the SD uses afterwards: ``Status``, ``Jmsg``,
``CatReq``, ``UpdCat`` and finally ``3099 Job ... end``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

from ..codes import JobStatus, MsgType
from ..config import Resource
from ..net.errors import ConnectionClosed
from ..net.framing import KEEPALIVE, Connection, Signal, bash_spaces, decode_text, unbash_spaces
from ..net.handshake import connected_info
from ..net.trace import redact
from .catreq import UPDCAT_PREFIX, CatalogRequests
from .messages import JMSG
from .peers import open_daemon

if TYPE_CHECKING:
    from .daemon import Director
    from .jcr import JobControlRecord

log = logging.getLogger(__name__)

_JOB_OK = re.compile(r"^3000 OK Job SDid=(\d+) SDtime=(\d+) Authorization=(\S+)")
#: what the SD may say it waits for while the job runs (a device, a volume, a mount)
SD_WAITS = (JobStatus.WAIT_SD, JobStatus.WAIT_MEDIA, JobStatus.WAIT_MOUNT)
_STATUS = re.compile(r"^Status Job=(\S+) JobStatus=(\d+)")
_END = re.compile(r"^3099 Job (\S+) end JobStatus=(\d+) JobFiles=(\d+) JobBytes=(\d+) JobErrors=(\d+)")


class StorageError(Exception):
    """A Storage Daemon refused or failed a step of the job."""


class StorageSession:
    """One control connection to one SD for one job."""

    def __init__(self, director: Director, jcr: JobControlRecord, storage: Resource, conn: Connection) -> None:
        self.director = director
        self.jcr = jcr
        self.storage = storage
        self.conn = conn
        self.catreqs = CatalogRequests(director, jcr)
        self.ended = False
        self._reader: asyncio.Future[None] | None = None

    # -- requests from the SD, serviced wherever we wait -------------------------
    async def dispatch(self, msg: bytes) -> str | None:
        """Service an asynchronous SD message; return the text if it is a reply."""
        if msg[:1].isdigit():
            text = decode_text(msg)
            if text.startswith("3099 "):
                self._job_end(text)
                return None
            if text.startswith("3010 "):
                return None
            return text
        if msg.startswith(UPDCAT_PREFIX):
            await self.catreqs.file_attributes(msg)
            return None
        text = decode_text(msg)
        if text.startswith(("CatReq", "Catreq")):
            answer = await self.catreqs.handle(text)
            if answer is not None:
                await self.conn.send(answer)
        elif match := JMSG.match(text):
            await self.director.daemon_msg(self.jcr, int(match.group(2)), int(match.group(3)), match.group(4))
        elif match := _STATUS.match(text):
            status = JobStatus.from_code(int(match.group(2)))
            self.jcr.sd_status_seen = status.value
            if status in (JobStatus.INCOMPLETE, JobStatus.FATAL_ERROR):
                self.jcr.set_status(status)
            elif status in SD_WAITS and self.jcr.status is JobStatus.RUNNING:
                self.jcr.status = status  # status dir: "is waiting for an appendable Volume", ...
            elif status is JobStatus.RUNNING and self.jcr.status in SD_WAITS:
                self.jcr.status = JobStatus.RUNNING
        elif text.startswith("BlastAttr"):
            await self.conn.send("1990 ERROR BlastAttr\n")
        else:
            log.warning("unexpected message from storage %s: %r", self.storage.name, text[:80])
        return None

    def _job_end(self, text: str) -> None:
        match = _END.match(text)
        if match:
            self.jcr.sd_status = JobStatus.from_code(int(match.group(2)))
            self.jcr.sd_job_files = int(match.group(3))
            self.jcr.sd_job_bytes = int(match.group(4))
            self.jcr.sd_errors = int(match.group(5))
        self.ended = True

    async def reply(self, timeout: float = 1800) -> str:
        """Wait for the SD's reply to our last command, servicing its requests meanwhile."""
        while True:
            msg = await self.conn.recv(timeout=timeout)
            if isinstance(msg, Signal):
                if msg in KEEPALIVE or msg is Signal.EOD:
                    continue
                raise StorageError(f"Storage daemon {self.storage.name} sent {msg.name}")
            text = await self.dispatch(msg)
            if text is not None:
                return text

    async def command(self, line: str, expect: str) -> str:
        await self.conn.send(line)
        answer = await self.reply()
        if not answer.startswith(expect):
            raise StorageError(f'Storage daemon "{self.storage.name}" answered: {answer.strip()}')
        return answer

    # -- job steps ---------------------------------------------------------------
    async def start_job(self, type_code: int, level_code: int, job_name: str | None = None,
                        client_name: str | None = None, fileset: str | None = None,
                        fileset_md5: str | None = None, no_attr: bool = False) -> None:
        jcr = self.jcr
        line = (
            f"JobId={jcr.jobid} job={jcr.job} job_name={bash_spaces(job_name or jcr.name)} "
            f"client_name={bash_spaces(client_name or (jcr.client.name if jcr.client else '**None**'))} "
            f"type={type_code} level={level_code} "
            f"FileSet={bash_spaces(fileset or (jcr.fileset.name if jcr.fileset else '**None**'))} "
            f"NoAttr={int(no_attr)} SpoolAttr=0 FileSetMD5={fileset_md5 or jcr.fileset_md5 or '**Dummy**'} "
            f"SpoolData=0 PreferMountedVols=1 SpoolSize=0 rerunning=0 VolSessionId=0 "
            f"VolSessionTime=0 Quota=0 Protocol=0 BackupFormat=Native\n"
        )
        answer = await self.command(line, "3000 OK Job")
        match = _JOB_OK.match(answer)
        if not match:
            raise StorageError(f"bad answer to the job command: {answer.strip()}")
        jcr.vol_session_id, jcr.vol_session_time, jcr.sd_auth = (
            int(match.group(1)), int(match.group(2)), match.group(3))

    async def secure_erase(self) -> None:
        await self.command("getSecureEraseCmd\n", "2000 OK SDSecureEraseCmd")

    async def reserve(self, pool: Resource, append: bool, storage: Resource | None = None) -> str:
        """``use storage=`` with the Storage resource's devices; returns the device the SD chose."""
        store = storage or self.storage
        self.conn.write(
            f"use storage={bash_spaces(store.name)} media_type={bash_spaces(store.media_type)} "
            f"pool_name={bash_spaces(pool.name)} pool_type={bash_spaces(pool.pool_type)} "
            f"append={int(append)} copy=0 stripe=0\n"
        )
        for device in store.device:
            self.conn.write(f"use device={bash_spaces(device)}\n")
        self.conn.write_signal(Signal.EOD)
        self.conn.write_signal(Signal.EOD)
        await self.conn.drain()
        waiting = self.jcr.status is JobStatus.RUNNING
        if waiting:  # until the SD answers: it may wait for a device
            self.jcr.status = JobStatus.WAIT_SD
        try:
            answer = await self.reply()
        finally:
            if waiting and self.jcr.status is JobStatus.WAIT_SD:
                self.jcr.status = JobStatus.RUNNING
        if not answer.startswith("3000 OK use device"):
            raise StorageError(answer.strip())
        device = unbash_spaces(answer.split("device=", 1)[1].strip())
        # the device the SD chose, as Bareos reports it (msgchan.cc)
        await self.director.job_msg(self.jcr, MsgType.INFO,
                                    f'Using Device "{device}" to {"write" if append else "read"}.')
        return device

    async def send_bootstrap(self, text: str) -> None:
        self.conn.write("bootstrap\n")
        for line in text.splitlines():
            if line.strip():
                self.conn.write(line + "\n")
        self.conn.write_signal(Signal.EOD)
        await self.conn.drain()
        answer = await self.reply()
        if not answer.startswith("3000 OK bootstrap"):
            raise StorageError(f"Storage daemon refused the bootstrap: {answer.strip()}")

    async def run(self) -> None:
        """``run``; from here on a reader task services the SD's message channel."""
        await self.conn.send("run")
        self._reader = asyncio.ensure_future(self.wait_for_end())

    async def listen(self) -> None:
        """``listen`` (remote copy/migrate, writing SD); a reader task services the channel."""
        await self.conn.send("listen")
        self._reader = asyncio.ensure_future(self.wait_for_end())

    async def finished(self) -> None:
        """Wait for the reader started by :meth:`run` to see the end of the job."""
        if self._reader is not None:
            await self._reader

    async def wait_for_end(self) -> None:
        """Service the message channel until ``3099 Job ... end`` (or the SD hangs up)."""
        try:
            while not self.ended:
                msg = await self.conn.recv(timeout=None)
                if isinstance(msg, Signal):
                    if msg is Signal.TERMINATE:
                        break
                    continue
                text = await self.dispatch(msg)
                if text is not None:
                    log.debug("storage %s: %s", self.storage.name, redact(text.strip()))
        except ConnectionClosed as exc:
            if not self.ended:
                await self.director.job_msg(self.jcr, MsgType.FATAL,
                                            f'Storage daemon "{self.storage.name}" connection lost: {exc}')
                self.jcr.sd_status = JobStatus.ERROR_TERMINATED

    async def close(self) -> None:
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self.conn.close()


async def open_storage(director: Director, storage: Resource, job: str = "", jobid: int = 0) -> Connection:
    """Connect to the storage's SD, authenticate, and wait for ``3000 OK Hello``."""
    return await open_daemon(director, storage, what=f'Storage daemon "{storage.name}"',
                             ok_hello="3000 OK Hello", timeout=float(director.res.sd_connect_timeout),
                             error=StorageError, job=job, jobid=jobid)


async def announce_storage(director: Director, jcr: JobControlRecord, storage: Resource, conn: Connection) -> None:
    """The job log's lines for a new Storage daemon connection (Bareos' ``TlsLogConninfo`` and
    ``GetCipherMessageString``)."""
    await director.job_msg(jcr, MsgType.INFO, connected_info("Storage daemon", storage.address, storage.port, conn))
    await director.job_msg(jcr, MsgType.INFO, f" Encryption: {conn.encryption}")


async def connect_storage(director: Director, jcr: JobControlRecord, storage: Resource) -> StorageSession:
    conn = await open_storage(director, storage, jcr.job, jcr.jobid)
    await announce_storage(director, jcr, storage, conn)
    return StorageSession(director, jcr, storage, conn)
