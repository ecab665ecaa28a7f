"""A job as the Storage Daemon sees it, and its message channel to the Director.

After ``run`` the Director's control connection becomes the job's message
channel: the SD sends ``Status``, ``Jmsg``, ``CatReq`` (which need an answer)
and ``UpdCat`` lines on it, and ends with ``3099 Job ... end``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from ..codes import MSG_TYPE_PREFIX, JobStatus, MsgType, merge_status
from ..net.errors import ProtocolError
from ..net.framing import (
    KEEPALIVE,
    Connection,
    Message,
    Signal,
    bash_spaces,
    decode_text,
    unbash_spaces,
)

log = logging.getLogger(__name__)

_UPDCAT_HEADER = struct.Struct(">IIiiI")


def make_session_key() -> str:
    """A per-job Authorization key: 8 groups of 4 letters A-P."""
    letters = []
    for byte in secrets.token_bytes(16):
        letters.append(chr(ord("A") + (byte & 0xF)) + chr(ord("A") + (byte >> 4)))
    return "-".join("".join(letters[i : i + 2]) for i in range(0, 16, 2))


@dataclass
class Reservation:
    """One ``use storage=`` block and the device the SD picked for it."""

    storage: str
    media_type: str
    pool_name: str
    pool_type: str
    append: bool
    devices: list[str] = field(default_factory=list)
    device: str = ""


def parse_kv(line: str) -> dict[str, str]:
    """``key=value`` tokens of a command line, values unbashed."""
    out: dict[str, str] = {}
    for token in line.split():
        key, sep, value = token.partition("=")
        if sep:
            out[key] = unbash_spaces(value)
    return out


class CatalogRequestError(Exception):
    """The Director refused a catalog request."""


@dataclass
class SdJob:
    jobid: int
    job: str
    job_name: str
    client_name: str
    job_type: str
    level: str
    fileset: str
    fileset_md5: str
    no_attr: bool
    session_id: int
    session_time: int
    auth_key: str
    sd_name: str
    dir_conn: Connection
    reservations: list[Reservation] = field(default_factory=list)
    bootstrap: list[str] = field(default_factory=list)
    status: JobStatus = JobStatus.CREATED
    job_files: int = 0
    job_bytes: int = 0
    errors: int = 0
    fd_connected: asyncio.Event = field(default_factory=asyncio.Event)
    run_started: asyncio.Event = field(default_factory=asyncio.Event)
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    running: bool = False
    canceled: bool = False
    replicate_conn: Any = None  # remote copy/migrate: the connection to the writing SD
    max_bandwidth: int = 0  # bytes/s on replicate_conn (the Director's setbandwidth); 0: the defaults
    prefer_mounted_vols: bool = True
    reserve_msgs: list[str] = field(default_factory=list)  # why no device could be reserved yet
    director_lost: bool = False  # the Director's connection broke: messages go to the log
    started: float = field(default_factory=time.monotonic)
    rate_mark: tuple[int, float] | None = None  # bytes and time of the last status (LastBytes/sec)
    _dir_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def write_reservation(self) -> Reservation | None:
        return next((r for r in self.reservations if r.append), None)

    @property
    def read_reservation(self) -> Reservation | None:
        return next((r for r in self.reservations if not r.append), None)

    def limit_bandwidth(self, rate: int, bursting: bool) -> None:
        """``setbandwidth`` for this job: its replication to the writing SD, now or once made."""
        self.max_bandwidth = rate
        if self.replicate_conn is not None:
            self.replicate_conn.limit_bandwidth(rate, bursting)

    # -- the message channel to the Director ------------------------------
    async def send_status(self, status: JobStatus) -> None:
        self.status = merge_status(self.status, status)
        await self.send_to_director(f"Status Job={self.job} JobStatus={ord(status.value)}\n")

    async def jmsg(self, mtype: MsgType, text: str) -> None:
        if mtype in (MsgType.ERROR, MsgType.FATAL):
            self.errors += 1
        if mtype is MsgType.FATAL:
            self.status = merge_status(self.status, JobStatus.FATAL_ERROR)
        prefix = MSG_TYPE_PREFIX.get(mtype, "")
        if not text.endswith("\n"):
            text += "\n"
        await self.send_to_director(
            f"Jmsg Job={self.job} type={int(mtype)} level={int(time.time())} "
            f"{self.sd_name} JobId {self.jobid}: {prefix}{text}"
        )

    async def catreq(self, request: str) -> str:
        """Send a catalog request and return the Director's one-line answer."""
        async with self._dir_lock:
            try:
                self.dir_conn.write(f"CatReq Job={self.job} {request}")
                await self.dir_conn.drain()
                while True:
                    msg = await self.dir_conn.recv(timeout=600)
                    if isinstance(msg, Signal):
                        if msg in KEEPALIVE:
                            continue
                        raise CatalogRequestError(f"Director sent {msg.name} instead of an answer")
                    return decode_text(msg)
            except ProtocolError as exc:
                self._director_gone(exc)
                raise

    async def director_hangup(self) -> Message:
        """Wait for whatever the Director sends next (or its hang-up) while no catalog request
        is waiting for an answer: the connection has one reader at a time."""
        async with self._dir_lock:
            return await self.dir_conn.recv()

    async def update_catalog_attributes(self, file_index: int, stream: int, data: bytes | memoryview) -> None:
        header = f"UpdCat Job={self.job} FileAttributes ".encode()
        packed = _UPDCAT_HEADER.pack(self.session_id, self.session_time, file_index, stream, len(data))
        message = header + packed + bytes(data)
        if not self._dir_lock.locked():  # nothing awaits between the check and the write
            self.dir_conn.write(message)
            return
        async with self._dir_lock:
            self.dir_conn.write(message)

    async def send_end(self) -> None:
        status = self.status if self.status is not JobStatus.RUNNING else JobStatus.TERMINATED
        if status in (JobStatus.CREATED, JobStatus.WAIT_FD):
            status = JobStatus.ERROR_TERMINATED
        self.status = status
        await self.send_to_director(f"Status Job={self.job} JobStatus={ord(status.value)}\n")
        await self.send_to_director(
            f"3099 Job {self.job} end JobStatus={ord(status.value)} JobFiles={self.job_files} "
            f"JobBytes={self.job_bytes} JobErrors={self.errors}\n"
        )
        async with self._dir_lock:
            await self.dir_conn.signal(Signal.EOD)

    async def heartbeat(self) -> None:
        """Tell the Director we are alive while it waits for us (a device, a volume)."""
        async with self._dir_lock:
            await self.dir_conn.signal(Signal.HEARTBEAT)

    async def send_to_director(self, line: str) -> None:
        """A message to the Director; once its connection is gone, to this daemon's log."""
        if not self.director_lost:
            try:
                async with self._dir_lock:
                    await self.dir_conn.send(line)
                return
            except ProtocolError as exc:
                self._director_gone(exc)
        log.info("job %s: %s", self.job, line.rstrip("\n"))

    def _director_gone(self, exc: ProtocolError) -> None:
        if not self.director_lost:
            self.director_lost = True
            log.warning("job %s: the Director's connection is gone (%s); its messages follow here",
                        self.job, exc)


def ok_media_fields(reply: str) -> dict[str, str]:
    """Fields of a ``1000 OK VolName=...`` answer; raises on a refusal."""
    if not reply.startswith("1000 OK VolName="):
        raise CatalogRequestError(reply.strip())
    return parse_kv(reply[len("1000 OK ") :])


def bashed(text: str) -> str:
    return bash_spaces(text)
