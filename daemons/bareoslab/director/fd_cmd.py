"""The Director's side of its connection to a File Daemon."""

from __future__ import annotations

import logging
import re
import time
from typing import TYPE_CHECKING

from ..codes import JobLevel, JobStatus, MsgType
from ..config import Resource
from ..net.errors import ConnectionClosed, ProtocolError
from ..net.framing import KEEPALIVE, Connection, Signal, bash_spaces, decode_text
from ..net.handshake import connected_info
from ..net.tls import TlsError, TlsSettings
from .client_connections import NoClientConnection, acquire_client_connection
from .messages import JMSG
from .peers import open_daemon
from .runscript import client_script_lines

if TYPE_CHECKING:
    from .daemon import Director
    from .jcr import JobControlRecord

log = logging.getLogger(__name__)

_END_JOB = re.compile(
    r"^2800 End Job TermCode=(\d+) JobFiles=(\d+) ReadBytes=(\d+) JobBytes=(\d+) Errors=(\d+)"
)
LEVEL_WORDS = {JobLevel.FULL: "full", JobLevel.INCREMENTAL: "incremental",
               JobLevel.DIFFERENTIAL: "differential", JobLevel.BASE: "base"}


class ClientError(Exception):
    """A File Daemon refused or failed a step of the job."""


class ClientSession:
    def __init__(self, director: Director, jcr: JobControlRecord, client: Resource, conn: Connection) -> None:
        self.director = director
        self.jcr = jcr
        self.client = client
        self.conn = conn
        self.uname = ""

    async def reply(self, timeout: float | None = 3600) -> str:
        """The FD's next reply line; job messages and keepalives on the way are serviced."""
        while True:
            msg = await self.conn.recv(timeout=timeout)
            if isinstance(msg, Signal):
                if msg in KEEPALIVE:
                    continue
                if msg is Signal.BTIME:
                    await self.conn.send(f"btime {int(time.time() * 1_000_000)}\n")
                    continue
                if msg is Signal.EOD:
                    continue
                raise ClientError(f'File daemon "{self.client.name}" sent {msg.name}')
            text = decode_text(msg)
            if match := JMSG.match(text):
                await self.director.daemon_msg(self.jcr, int(match.group(2)), int(match.group(3)),
                                               match.group(4))
                continue
            return text

    async def command(self, line: str, expect: str) -> str:
        try:
            await self.conn.send(line)
            answer = await self.reply()
        except ConnectionClosed as exc:
            raise ClientError(f'File daemon "{self.client.name}" connection lost: {exc}') from exc
        if not answer.startswith(expect):
            raise ClientError(f'File daemon "{self.client.name}" answered: {answer.strip()}')
        return answer

    async def start_job(self) -> None:
        jcr = self.jcr
        storage = jcr.storage or jcr.read_storage
        ssl = int(TlsSettings.of(storage).job_policy) if storage is not None else 0
        answer = await self.command(
            f"JobId={jcr.jobid} Job={jcr.job} SDid={jcr.vol_session_id} SDtime={jcr.vol_session_time} "
            f"Authorization={jcr.sd_auth} ssl={ssl}\n", "2000 OK Job")
        self.uname = answer[len("2000 OK Job "):].strip()

    async def command_wait(self, expect: str) -> str:
        """Wait for a reply the FD sends on its own (``2000 OK storage end``)."""
        answer = await self.reply(timeout=None)
        if not answer.startswith(expect):
            raise ClientError(f'File daemon "{self.client.name}" answered: {answer.strip()}')
        return answer

    async def send_level(self) -> None:
        jcr = self.jcr
        word = LEVEL_WORDS.get(jcr.level, "full")
        if jcr.sends_accurate_list:
            word = "accurate_" + word
        await self.conn.send(f"level = {word}  mtime_only=0 \n")
        if jcr.level in (JobLevel.INCREMENTAL, JobLevel.DIFFERENTIAL):
            await self.conn.send(
                f"level = since_utime {int(jcr.since or 0)} mtime_only=0 prev_job={jcr.prev_job}\n")
        answer = await self.reply()
        if not answer.startswith("2000 OK level"):
            raise ClientError(f"File daemon refused the level: {answer.strip()}")

    async def send_fileset(self, lines: list[str]) -> None:
        self.conn.write("fileset\n")
        for line in lines:
            self.conn.write(line)
        self.conn.write_signal(Signal.EOD)
        await self.conn.drain()
        answer = await self.reply()
        if not answer.startswith("2000 OK include"):
            raise ClientError(f"File daemon refused the FileSet: {answer.strip()}")

    async def secure_erase(self) -> None:
        await self.command("getSecureEraseCmd\n", "2000 OK FDSecureEraseCmd")

    async def send_runscripts(self) -> None:
        """The client's scripts, then ``RunBeforeNow`` when one runs before the job (Bareos'
        SendRunscriptsCommands); a refusal fails the job."""
        lines, before = client_script_lines(self.jcr)
        try:
            for line in lines:
                await self.command(line, "2000 OK RunScript")
            if before:
                await self.command("RunBeforeNow\n", "2000 OK RunBeforeNow")
        except ClientError:
            await self.director.job_msg(self.jcr, MsgType.FATAL, f'Client "{self.client.name}" RunScript failed.')
            raise

    async def send_storage(self, storage: Resource, with_key: bool = False) -> None:
        key = f" Authorization={self.jcr.sd_auth}" if with_key else ""
        ssl = int(TlsSettings.of(storage).job_policy)
        await self.command(f"storage address={storage.address} port={storage.port} ssl={ssl}{key}\n",
                           "2000 OK storage")

    async def wait_for_termination(self) -> None:
        """Read job messages up to ``2800 End Job`` and the FD's hang-up."""
        jcr = self.jcr
        try:
            while True:
                text = await self.reply(timeout=None)
                if match := _END_JOB.match(text):
                    jcr.fd_status = JobStatus.from_code(int(match.group(1)))
                    jcr.job_files = int(match.group(2))
                    jcr.read_bytes = int(match.group(3))
                    jcr.job_bytes = int(match.group(4))
                    jcr.job_errors += int(match.group(5))
                    break
        except ClientError:
            pass
        except ConnectionClosed as exc:
            await self.director.job_msg(jcr, MsgType.FATAL,
                                        f'File daemon "{self.client.name}" connection lost: {exc}')
            jcr.fd_status = JobStatus.ERROR_TERMINATED
            return
        # messages queued after the end line, until the FD hangs up
        try:
            while True:
                msg = await self.conn.recv(timeout=30)
                if isinstance(msg, Signal):
                    if msg is Signal.TERMINATE:
                        break
                    continue
                text = decode_text(msg)
                if match := JMSG.match(text):
                    await self.director.daemon_msg(jcr, int(match.group(2)), int(match.group(3)),
                                                   match.group(4))
        except ProtocolError:
            pass

    async def close(self) -> None:
        await self.conn.close()


#: said once per client and configuration load, before the Director first reaches it
PROBING_CLIENT = "Probing client protocol... (result will be saved until config reload)"


async def _client_connection(director: Director, client: Resource, job: str, jobid: int,
                             jcr: JobControlRecord | None = None) -> tuple[Connection, bool]:
    """A parked client-initiated connection, or connect to the FD (``2000 OK Hello``), as the
    Client resource allows (``client_connections``); True if it is client-initiated."""

    async def outbound(timeout: float) -> Connection:
        """TLS first; if that fails, Bareos' probe of an older client: cleartext first."""
        try:
            return await open_daemon(director, client, what=f'Client "{client.name}"',
                                     ok_hello="2000 OK Hello", timeout=timeout, error=ClientError,
                                     job=job, jobid=jobid)
        except ClientError as exc:
            if not isinstance(exc.__cause__, TlsError):
                raise
            log.info('Client "%s": %s; probing the cleartext-first protocol', client.name, exc)
            if jcr is not None:
                await director.job_msg(jcr, MsgType.INFO, "TLS negotiation failed (while probing client protocol)")
        return await open_daemon(director, client, what=f'Client "{client.name}"', ok_hello="2000 OK Hello",
                                 timeout=timeout, error=ClientError, job=job, jobid=jobid, tls_first=False)

    async def on_wait() -> None:
        if jcr is not None:
            await director.job_msg(jcr, MsgType.INFO, f'Waiting for Client "{client.name}" to connect '
                                   "(client-initiated connection).")

    try:
        return await acquire_client_connection(director, client, outbound, job=job, jobid=jobid,
                                               on_wait=on_wait)
    except NoClientConnection as exc:
        raise ClientError(str(exc)) from exc


async def open_client(director: Director, client: Resource, job: str = "", jobid: int = 0) -> Connection:
    """An authenticated control connection to the client's FD (either direction)."""
    conn, _ = await _client_connection(director, client, job, jobid)
    return conn


async def connect_client(director: Director, jcr: JobControlRecord, client: Resource) -> ClientSession:
    if client.name not in director.client_handshakes:
        await director.job_msg(jcr, MsgType.INFO, PROBING_CLIENT)
    conn, initiated = await _client_connection(director, client, jcr.job, jcr.jobid, jcr)
    director.client_handshakes[client.name] = conn.handshake
    if initiated:
        await director.job_msg(jcr, MsgType.INFO, f"Using Client Initiated Connection ({client.name}).")
    else:
        await director.job_msg(jcr, MsgType.INFO,
                               connected_info(f"Client: {client.name}", client.address, client.port, conn))
    # Bareos' SendInfoSuccess and SendInfoChosenCipher
    await director.job_msg(jcr, MsgType.INFO, f" Handshake: {conn.handshake} ")
    await director.job_msg(jcr, MsgType.INFO, f" Encryption: {conn.encryption}")
    return ClientSession(director, jcr, client, conn)


def fileset_where(where: str) -> str:
    return bash_spaces(where)
