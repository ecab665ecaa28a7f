"""The File Daemon's data session with the Storage Daemon (append and read).

The FD authenticates with the job's Authorization key; then it opens a
session, sends or receives data, closes the session and hangs up.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import TYPE_CHECKING

from ..codes import JobStatus, MsgType
from ..net.errors import ProtocolError
from ..net.framing import Connection, Signal, decode_text
from .append import append_data
from .job import SdJob
from .read import ReadError, send_records

if TYPE_CHECKING:
    from .daemon import StorageDaemon

log = logging.getLogger(__name__)

_APPEND_DATA = re.compile(r"^append data (\d+)")
_READ_DATA = re.compile(r"^read data (\d+)")


class FdSession:
    """Serves one FD connection for one job."""

    def __init__(self, sd: StorageDaemon, conn: Connection, job: SdJob) -> None:
        self.sd = sd
        self.conn = conn
        self.job = job
        self.open = False
        self.start = time.time()

    async def serve(self) -> None:
        job = self.job
        self.conn.job, self.conn.jobid = job.job, job.jobid
        try:
            # the FD may connect before the Director's "run"; the job starts only then
            async with asyncio.timeout(self.sd.client_connect_wait):
                await job.run_started.wait()
            await job.send_to_director(f"3010 Job {job.job} start\n")
            await job.send_status(JobStatus.RUNNING)
            while True:
                msg = await self.conn.recv()
                if isinstance(msg, Signal):
                    if msg is Signal.TERMINATE:
                        break
                    if msg in (Signal.EOD_POLL, Signal.POLL):
                        await self.conn.send("3000 OK\n")
                    continue
                if not await self.command(decode_text(msg)):
                    break
        except ProtocolError as exc:
            peer = "the Director" if job.director_lost else "the File daemon"
            await job.jmsg(MsgType.FATAL, f"Connection to {peer} lost: {exc}")
        except TimeoutError:
            await job.jmsg(MsgType.FATAL, "The Director never sent run for this job.")
        except ReadError as exc:
            await job.jmsg(MsgType.FATAL, str(exc))
        finally:
            await self.end_job()

    async def command(self, line: str) -> bool:
        job, conn = self.job, self.conn
        if line.startswith(("append open session", "read open session")):
            if self.open:
                await conn.send("3901 Error session already open\n")
            else:
                self.open = True
                await conn.send(f"3000 OK open ticket = {job.session_id}\n")
        elif match := _APPEND_DATA.match(line):
            if not self.open or int(match.group(1)) != job.session_id or job.write_reservation is None:
                await conn.send("3902 Error session not opened\n")
                return True
            state = self.sd.devices.get(job.write_reservation.device)  # None: just in time
            await append_data(self.sd, job, state, conn, "3000 OK data\n",
                              "3000 OK append data\n", "3903 Error append data\n")
        elif line.startswith("append end session"):
            await conn.send("3000 OK end\n")
        elif line.startswith(("append close session", "read close session")):
            self.open = False
            await conn.send(f"3000 OK close Status = {ord(self.final_status().value)}\n")
            await conn.signal(Signal.EOD)
        elif match := _READ_DATA.match(line):
            if not self.open or job.read_reservation is None:
                await conn.send("3902 Error session not opened\n")
                return True
            state = self.sd.devices[job.read_reservation.device]
            await conn.send("3000 OK data\n")
            await send_records(job, state, conn)
            await conn.signal(Signal.EOD)
        else:
            log.warning("unknown command from the File daemon: %r", line[:80])
            await conn.send("3900 Invalid command\n")
        return True

    def final_status(self) -> JobStatus:
        if self.job.status in (JobStatus.RUNNING, JobStatus.CREATED, JobStatus.WAIT_FD):
            return JobStatus.TERMINATED
        return self.job.status

    async def end_job(self) -> None:
        job = self.job
        if job.write_reservation is not None:
            try:
                await job.catreq(f"DeleteNullJobmediaRecords jobid={job.jobid}")
            except ProtocolError as exc:
                log.warning("job %s: %s", job.job, exc)
        job.status = self.final_status()
        job.finished.set()
