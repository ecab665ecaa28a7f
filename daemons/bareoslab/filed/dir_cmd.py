"""Commands the Director sends to the File Daemon."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..codes import JobStatus, MsgType
from ..net.auth import hello_start_job, os_info, platform_name, version_line
from ..net.bandwidth import serve_setbandwidth
from ..net.errors import ProtocolError
from ..net.framing import Connection, Signal, decode_text, unbash_spaces
from ..net.handshake import authenticate_outbound, connected_info, job_outbound, start_outbound
from ..net.server import connect
from ..net.session import serve_commands
from ..net.tls import TlsPolicy
from ..version import VERSION, VERSION_SHORT_DATE
from . import sd_cmd
from .accurate import AccurateList
from .estimate import estimate
from .fileset import parse_fileset_lines
from .job import FdJob
from .objects import forget_bootstrap, receive_bootstrap, receive_restore_object
from .passive import wait_for_storage
from .runscript import parse_run, run_client_scripts

if TYPE_CHECKING:
    from ..config.model import Resource
    from .daemon import FileDaemon

log = logging.getLogger(__name__)

OK_HELLO = "2000 OK Hello 54\n"
BTIME_ROUNDS = 10

_JOB = re.compile(r"^JobId=(\d+) Job=(\S+) SDid=(\d+) SDtime=(\d+) Authorization=(\S+)(?: ssl=(\d+))?")
_LEVEL = re.compile(r"^level = (\S+)")
_SINCE = re.compile(r"^level = since_utime (\d+)")
_ACCURATE = re.compile(r"^accurate files=(\d+)")
_ESTIMATE = re.compile(r"^estimate listing=(\d+)")
_STORAGE = re.compile(r"^storage address=(\S+) port=(\d+) ssl=(\d+)(?: Authorization=(\S+))?")
_RESTORE = re.compile(r"^restore replace=(\w) prelinks=(\d+) (where|regexwhere)=(.*)$", re.S)


def ok_job() -> str:
    """Bareos' OKjob: version (short date) OS,platform -- the Client line of the job report."""
    return f"2000 OK Job {VERSION} ({VERSION_SHORT_DATE}) {os_info()},{platform_name()}"


class DirectorSession:
    """One Director connection; at most one job runs on it."""

    def __init__(self, fd: FileDaemon, conn: Connection, director: Resource) -> None:
        self.fd = fd
        self.conn = conn
        self.director = director
        self.job: FdJob | None = None
        self.commands: dict[str, Callable[[str], Awaitable[bool]]] = {
            "JobId": self.job_cmd,
            "level": self.level_cmd,
            "accurate": self.accurate_cmd,
            "estimate": self.estimate_cmd,
            "fileset": self.fileset_cmd,
            "getSecureEraseCmd": self.secure_erase_cmd,
            "pluginoptions": self.plugin_options_cmd,
            "setbandwidth": self.bandwidth_cmd,
            "storage": self.storage_cmd,
            "setauthorization": self.set_authorization_cmd,
            "backup": self.backup_cmd,
            "restore": self.restore_cmd,
            "endrestore": self.end_restore_cmd,
            "status": self.status_cmd,
            ".status": self.status_cmd,
            "cancel": self.cancel_cmd,
            "setdebug": self.setdebug_cmd,
            "RunBeforeNow": self.run_before_now_cmd,
            "Run": self.runscript_cmd,
            "bootstrap": self.bootstrap_cmd,
            "restoreobject": self.restore_object_cmd,
        }

    async def serve(self) -> None:
        try:
            await serve_commands(self.conn, self.commands, bad_command=lambda _line: "2999 Invalid command\n",
                                 poll_reply="2000 OK\n")
        except ProtocolError as exc:
            log.info("director connection ended: %s", exc)
            if self.job is not None:
                self.job.canceled = True
        finally:
            if self.job is not None:
                self.fd.jobs.pop(self.job.job, None)
                forget_bootstrap(self.job)
                if self.job.sd_conn is not None:
                    await self.job.sd_conn.close()

    def _need_job(self) -> FdJob:
        if self.job is None:
            raise ProtocolError("command before JobId")
        return self.job

    async def job_cmd(self, line: str) -> bool:
        match = _JOB.match(line)
        if not match or int(match.group(6) or 0) not in set(TlsPolicy):  # ssl=5: no policy (found by fuzzing)
            await self.conn.send("2901 Bad Job\n")
            return True
        jobid, job, sdid, sdtime, auth, ssl = match.groups()
        self.job = FdJob(
            int(jobid),
            job,
            self.fd.name,
            self.conn,
            sd_auth=auth,
            vol_session_id=int(sdid),
            vol_session_time=int(sdtime),
            sd_tls_policy=TlsPolicy(int(ssl or 0)),
            director_bandwidth=self.director.maximum_bandwidth_per_job or 0,
            workers=self.fd.client.maximum_workers_per_job,
        )
        self.conn.job, self.conn.jobid = job, int(jobid)
        self.fd.jobs[job] = self.job
        self.conn.write(ok_job())
        await self.conn.drain()
        return True

    async def level_cmd(self, line: str) -> bool:
        job = self._need_job()
        if "accurate" in line:  # ``accurate_incremental`` (and older Directors' spellings)
            job.accurate = True
        since = _SINCE.match(line)
        if since:
            job.since = int(since.group(1))
            for _ in range(BTIME_ROUNDS):  # clock comparison with the Director
                await self.conn.signal(Signal.BTIME)
                await self.conn.recv_msg(timeout=60)
            await self.conn.signal(Signal.EOD)
            await self.conn.send("2000 OK level\n")
            return True
        match = _LEVEL.match(line)
        if not match:
            await self.conn.send("2902 Bad level\n")
            return True
        job.level = match.group(1).removeprefix("accurate_")
        if job.level in ("full", "base"):
            await self.conn.send("2000 OK level\n")
        # incremental/differential: no answer; the since_utime line follows
        return True

    async def accurate_cmd(self, line: str) -> bool:
        """``accurate files=<N>``, then the list up to EOD; no answer (Bareos' AccurateCmd)."""
        job = self._need_job()
        match = _ACCURATE.match(line)
        if not match:
            await self.conn.send("2991 Bad accurate command\n")
            return False
        listed = AccurateList(int(match.group(1)))
        for message in await self.conn.recv_until_eod():
            listed.add(message)
        job.accurate, job.accurate_list = True, listed
        return True

    async def estimate_cmd(self, line: str) -> bool:
        """``estimate listing=<0|1>``: count what a backup would send (Bareos' EstimateCmd)."""
        job = self._need_job()
        match = _ESTIMATE.match(line)
        if not match or job.fileset is None:
            job.message(MsgType.FATAL, f"Bad estimate command: {line.rstrip()}")
            await self.conn.send("2992 Bad estimate command.\n")
            return False
        found = await asyncio.to_thread(estimate, job.fileset, job.since, job.accurate_list, match.group(1) != "0")
        for text in found.lines:
            if job.jobid:  # a job's: job messages; the console's (JobId 0): plain lines, as Bareos' Jmsg
                job.message(MsgType.RESTORED, text)
            else:
                self.conn.write(text + "\n")
        await self.conn.send(f"2000 OK estimate files={found.files:,} bytes={found.bytes:,}\n")
        await self.conn.signal(Signal.EOD)
        return True

    async def fileset_cmd(self, line: str) -> bool:
        job = self._need_job()
        lines = [decode_text(m) for m in await self.conn.recv_until_eod()]
        try:
            job.fileset = parse_fileset_lines(lines)
        except ValueError as exc:
            await self.conn.send(f"2902 Bad include: {exc}\n")
            return True
        await self.conn.send("2000 OK include\n")
        return True

    async def secure_erase_cmd(self, line: str) -> bool:
        await self.conn.send("2000 OK FDSecureEraseCmd *None*\n")
        return True

    async def plugin_options_cmd(self, line: str) -> bool:
        await self.conn.send("2000 OK PluginOptions\n")
        return True

    async def bandwidth_cmd(self, line: str) -> bool:
        def set_default(rate: int) -> None:
            self.fd.max_bandwidth_per_job = rate

        return await serve_setbandwidth(self.conn, line, self.fd.jobs, set_default, self.fd.bandwidth_bursting)

    async def setdebug_cmd(self, line: str) -> bool:
        await self.conn.send("2000 OK setdebug=0 trace=0 hangup=0 timestamp=0 tracefile=\n")
        return True

    async def runscript_cmd(self, line: str) -> bool:
        """``Run OnSuccess=.. OnFailure=.. AbortOnError=.. When=.. Command=..``: one client script."""
        job = self._need_job()
        script = parse_run(line)
        if script is None:
            job.message(MsgType.FATAL, f"Bad RunScript command: {line.rstrip()}")
            await self.conn.send("2905 Failed RunScript\n")
            return False
        job.scripts.append(script)
        await self.conn.send("2000 OK RunScript\n")
        return True

    async def run_before_now_cmd(self, line: str) -> bool:
        """Run the scripts that run before the job; a failure that aborts answers 2905."""
        job = self._need_job()
        await run_client_scripts(job, self.fd.name, before=True)
        if job.status.ok or job.status is JobStatus.RUNNING:
            await self.conn.send("2000 OK RunBeforeNow\n")
            return True
        await self.conn.send("2905 Failed RunScript\n")
        await self._end_job()  # the after scripts run and the job ends, as Bareos ends it
        return False

    async def storage_cmd(self, line: str) -> bool:
        """Connect to the Storage Daemon the Director named, as the job's data session."""
        job = self._need_job()
        match = _STORAGE.match(line)
        if not match:
            await self.conn.send("2902 Bad storage\n")
            return True
        address, port, ssl, auth = match.groups()
        if auth:
            job.sd_auth = auth
        address = unbash_spaces(address)
        how = job_outbound(self.fd.tls, job.job, job.sd_auth, int(ssl), address)
        try:
            conn = await connect(
                address,
                int(port),
                daemon=self.fd.name,
                peer="storage",
                tracer=self.fd.tracer,
                timeout=self.fd.sd_connect_timeout,
                job=job.job,
            )
            conn.jobid = job.jobid
            await start_outbound(conn, how)
            await conn.send(hello_start_job(job.job))
            await authenticate_outbound(conn, f"R_CLIENT::{self.fd.name}", how)
        except (OSError, ProtocolError) as exc:
            job.message(
                MsgType.FATAL, f"Failed to connect to Storage daemon at {address}:{port}: {exc}"
            )
            await self.conn.send("2902 Bad storage\n")
            return True
        # Bareos queues "Connected ..." during the TLS handshake and sends the queue before
        # its next message, " Encryption: ...": that order reaches the Director
        job.message(MsgType.INFO, connected_info("Storage daemon", address, port, conn))
        job.message(MsgType.INFO, f" Encryption: {conn.encryption}")
        job.sd_conn = conn
        self.fd.limit_data(job)
        await self.conn.send("2000 OK storage\n")
        return True

    async def set_authorization_cmd(self, line: str) -> bool:
        """Passive restore: the key the calling SD will authenticate with."""
        job = self._need_job()
        key = line.partition("Authorization=")[2].strip()
        if not key:
            await self.conn.send("2901 Bad setauthorization command\n")
            return True
        job.sd_auth = key
        await self.conn.send("2000 OK Authorization\n")
        return True

    async def backup_cmd(self, line: str) -> bool:
        job = self._need_job()
        job.job_type = "Backup"
        if job.fileset is None or not await wait_for_storage(job):
            await self.conn.send("2902 Bad backup: no storage or fileset\n")
            return True
        await self.conn.send("2000 OK backup\n")
        for flag, text in (("xattr", "Extended attribute support "), ("acl", "ACL support ")):  # LogFlagStatus
            on = any(getattr(o, flag) for inc in job.fileset.include for o in inc.options)
            job.message(MsgType.INFO, text + ("is enabled" if on else "is disabled"))
        job.message(MsgType.INFO, version_line())
        await self.conn.drain()  # said at once, before the data, as Bareos' FD does
        try:
            async with self._heartbeats():
                await sd_cmd.backup(job)
        except (ProtocolError, sd_cmd.SessionError, OSError) as exc:
            job.message(MsgType.FATAL, sd_cmd.problem(exc))
        await self._end_job()
        return False

    @contextlib.asynccontextmanager
    async def _heartbeats(self) -> AsyncIterator[None]:
        """While a job's data flows: a heartbeat to the Director every Heartbeat Interval of
        the Client resource (Bareos' FD heartbeat thread); none without one."""
        interval = float(self.fd.client.heartbeat_interval or 0)

        async def beat() -> None:
            while True:
                await asyncio.sleep(interval)
                await self.conn.signal(Signal.HEARTBEAT)

        task = asyncio.create_task(beat()) if interval > 0 else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, ProtocolError, OSError):
                    await task

    async def restore_cmd(self, line: str) -> bool:
        job = self._need_job()
        job.job_type = "Restore"
        match = _RESTORE.match(line.rstrip("\n"))
        if not match or not await wait_for_storage(job):
            await self.conn.send("2905 Bad restore command\n")
            return True
        replace, _prelinks, kind, where = match.groups()
        where = unbash_spaces(where)
        if kind == "regexwhere":
            job.message(
                MsgType.WARNING,
                "regexwhere is not supported by this File daemon; restoring in place",
            )
            where = ""
        await self.conn.send("2000 OK restore\n")
        job.message(MsgType.INFO, version_line())
        try:
            async with self._heartbeats():
                await sd_cmd.restore(job, where, replace)
        except (ProtocolError, sd_cmd.SessionError, OSError) as exc:
            job.message(MsgType.FATAL, sd_cmd.problem(exc))
        if job.sd_conn is not None:
            await job.sd_conn.close()
            job.sd_conn = None
        await self.conn.send("2000 OK storage end\n")
        return True

    async def bootstrap_cmd(self, line: str) -> bool:
        working = Path(str(self.fd.client.working_directory or "."))
        return await receive_bootstrap(self._need_job(), self.conn, working, self.fd.name)

    async def restore_object_cmd(self, line: str) -> bool:
        return await receive_restore_object(self._need_job(), self.conn, line)

    async def end_restore_cmd(self, line: str) -> bool:
        self._need_job()
        await self._end_job()
        return False

    async def _end_job(self) -> None:
        job = self._need_job()
        if job.sd_conn is not None:
            await job.sd_conn.close()
            job.sd_conn = None
        await run_client_scripts(job, self.fd.name, before=False)  # before End Job, as Bareos
        await self.conn.send(job.end_job_line())
        await self.conn.signal(Signal.TERMINATE)

    async def status_cmd(self, line: str) -> bool:
        for text in self.fd.status_lines():
            await self.conn.send(text + "\n")
        await self.conn.signal(Signal.EOD)
        return True

    async def cancel_cmd(self, line: str) -> bool:
        name = line.partition("Job=")[2].strip()
        job = self.fd.jobs.get(name)
        if job is None:
            await self.conn.send(f"2901 Job {name} not found.\n")
        else:
            job.canceled = True
            job.set_status(JobStatus.CANCELED)
            await self.conn.send(f"2001 Job {name} marked to be canceled.\n")
        await self.conn.signal(Signal.EOD)
        return True
