"""Commands the Director sends to the Storage Daemon on its control connection."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING

from ..codes import JobStatus, MsgType
from ..edit import with_suffix
from ..net.bandwidth import serve_setbandwidth
from ..net.errors import ProtocolError
from ..net.framing import Connection, Signal, decode_text, unbash_spaces
from ..net.session import serve_commands
from ..volume.errors import VolumeError
from .device_cmd import DeviceCommands
from .job import Reservation, SdJob, bashed, make_session_key, parse_kv
from .mac import MAC_JOB_TYPES, run_mac
from .passive import passive_cmd
from .replicate import listen, replicate_cmd
from .reserve import JUST_IN_TIME_DEVICE, DeviceState, ReservationError

if TYPE_CHECKING:
    from .daemon import StorageDaemon

log = logging.getLogger(__name__)

OK_HELLO = "3000 OK Hello\n"
BAD_COMMAND = "3900 Invalid command\n"


def elapsed_message(seconds: float, job_bytes: int) -> str:
    """The SD's last word on a job's data session (Bareos counts at least a second)."""
    elapsed = max(int(seconds), 1)
    return (f"Elapsed time={elapsed // 3600:02d}:{elapsed % 3600 // 60:02d}:{elapsed % 60:02d}, "
            f"Transfer rate={with_suffix(job_bytes // elapsed)} Bytes/second")


def invalid_command(line: str) -> str:
    """Bareos' SD answer to a command it does not know (``3900 Invalid command: <command>``)."""
    return f"3900 Invalid command: {line.rstrip()}\n"
OK_BOOTSTRAP = "3000 OK bootstrap\n"
ERROR_BOOTSTRAP = "3904 Error bootstrap\n"


class DirectorSession:
    """One authenticated Director connection: parses commands, keeps the job."""

    def __init__(self, sd: StorageDaemon, conn: Connection, director: str) -> None:
        self.sd = sd
        self.conn = conn
        self.director = director
        self.job: SdJob | None = None
        self.commands: dict[str, Callable[[str], Awaitable[bool]]] = {
            "JobId": self.job_cmd,
            "getSecureEraseCmd": self.secure_erase_cmd,
            "pluginoptions": self.plugin_options_cmd,
            "use": self.use_cmd,
            "bootstrap": self.bootstrap_cmd,
            "run": self.run_cmd,
            "passive": partial(passive_cmd, self),
            "listen": self.listen_cmd,
            "replicate": self.replicate_cmd,
            "label": self.label_cmd,
            "relabel": self.relabel_cmd,
            "status": self.status_cmd,
            ".status": self.status_cmd,
            "cancel": self.cancel_cmd,
            "setdebug": self.setdebug_cmd,
            "setbandwidth": self.bandwidth_cmd,
            **DeviceCommands(sd, conn).table(),
        }

    async def serve(self) -> None:
        try:
            await serve_commands(self.conn, self.commands, bad_command=invalid_command, poll_reply="2000 OK\n")
        except ProtocolError as exc:
            log.info("director connection ended: %s", exc)
        finally:
            if self.job is not None:
                await self.sd.forget_job(self.job)

    # -- job set-up ----------------------------------------------------------
    async def job_cmd(self, line: str) -> bool:
        kv = parse_kv(line)
        try:
            jobid = int(kv["JobId"])
            job_name = kv["job"]
            job_type, level = chr(int(kv["type"])), chr(int(kv["level"]))
        except (KeyError, ValueError, OverflowError):  # type=10**20: chr's OverflowError (found by fuzzing)
            await self.conn.send(f"3915 Bad Job command. stat=0 CMD: {line.strip()}\n")
            return True
        job = SdJob(
            jobid=jobid, job=job_name, job_name=kv.get("job_name", ""), client_name=kv.get("client_name", ""),
            job_type=job_type, level=level, fileset=kv.get("FileSet", ""),
            fileset_md5=kv.get("FileSetMD5", ""), no_attr=kv.get("NoAttr", "0") == "1",
            session_id=self.sd.next_session_id(), session_time=self.sd.session_time,
            auth_key=make_session_key(), sd_name=self.sd.name, dir_conn=self.conn,
            prefer_mounted_vols=kv.get("PreferMountedVols", "1") != "0",
        )
        self.job = job
        self.conn.job, self.conn.jobid = job.job, job.jobid
        self.sd.register_job(job)
        await self.conn.send(
            f"3000 OK Job SDid={job.session_id} SDtime={job.session_time} Authorization={job.auth_key}\n"
        )
        return True

    async def secure_erase_cmd(self, line: str) -> bool:
        await self.conn.send("2000 OK SDSecureEraseCmd *None* \n")
        return True

    async def plugin_options_cmd(self, line: str) -> bool:
        await self.conn.send("2000 OK plugin options\n")
        return True

    async def setdebug_cmd(self, line: str) -> bool:
        await self.conn.send("3000 OK setdebug=0 trace=0\n")
        return True

    async def use_cmd(self, line: str) -> bool:
        """``use storage=...`` blocks, each followed by ``use device=`` lines and EOD; a final EOD."""
        if self.job is None:
            await self.conn.send(f"3913 Bad use command: no job: {line.strip()}\n")
            return True
        reservations: list[Reservation] = []
        current: Reservation | None = _parse_use_storage(line)
        if current is None:
            await self.conn.send(f"3913 Bad use command: {line.strip()}\n")
            return True
        while True:
            msg = await self.conn.recv()
            if msg is Signal.EOD:
                if current is None:
                    break
                reservations.append(current)
                current = None
                continue
            if isinstance(msg, Signal):
                continue
            text = decode_text(msg)
            if text.startswith("use device="):
                if current is not None:
                    current.devices.append(unbash_spaces(text.split("=", 1)[1].strip()))
            elif text.startswith("use storage="):
                current = _parse_use_storage(text)
        if self.sd.just_in_time and reservations and all(r.append for r in reservations):
            # the device is reserved when the data comes (Bareos' Just In Time Reservation)
            self.job.reservations += reservations
            await self.job.jmsg(MsgType.INFO, f"Using just in time reservation for job {self.job.jobid}")
            await self.conn.send(f"3000 OK use device device={bashed(JUST_IN_TIME_DEVICE)}\n")
            return True
        try:
            state = await self.sd.reservations.reserve(self.job, reservations)
        except ReservationError as exc:
            await self.job.jmsg(MsgType.FATAL, f"Device reservation failed for JobId={self.job.jobid}: {exc}")
            wanted = next((d for r in reservations for d in r.devices), "")
            await self.conn.send(
                f'3924 Device "{bashed(wanted)}" not in SD Device resources or no matching Media Type.\n'
            )
            return True
        self.job.reservations += [r for r in reservations if r.device]
        await self.conn.send(f"3000 OK use device device={bashed(state.name)}\n")
        return True

    async def bootstrap_cmd(self, line: str) -> bool:
        if self.job is None:
            await self.conn.send(ERROR_BOOTSTRAP)
            return True
        lines = [decode_text(m).rstrip("\n") for m in await self.conn.recv_until_eod()]
        self.job.bootstrap = [ln for ln in lines if ln]
        await self.conn.send(OK_BOOTSTRAP)
        return True

    # -- running ---------------------------------------------------------------
    async def run_cmd(self, line: str) -> bool:
        """Run the job; this connection becomes its message channel until ``3099``."""
        job = self.job
        if job is None:
            await self.conn.send(BAD_COMMAND)
            return True
        job.running = True
        start = time.time()
        if job.job_type in MAC_JOB_TYPES:  # copy/migrate: no FD, the SD moves the records itself
            await run_mac(self.sd, job)
            return await self._end_job(job, start)
        await job.send_status(JobStatus.WAIT_FD)
        job.run_started.set()
        try:
            async with asyncio.timeout(self.sd.client_connect_wait):
                await job.fd_connected.wait()
        except TimeoutError:
            await job.jmsg(MsgType.FATAL, f"No connection from the File daemon for job {job.job} "
                           f"within {self.sd.client_connect_wait} s.")
            job.status = JobStatus.ERROR_TERMINATED
        else:
            await job.finished.wait()
        return await self._end_job(job, start)

    async def listen_cmd(self, line: str) -> bool:
        """``listen`` (remote copy/migrate, writing SD): serve the reading SD's session, then end."""
        job = self.job
        if job is None or job.write_reservation is None:
            await self.conn.send(BAD_COMMAND)
            return True
        job.running = True
        start = time.time()
        await listen(self.sd, job)
        return await self._end_job(job, start)

    async def replicate_cmd(self, line: str) -> bool:
        await replicate_cmd(self.sd, self.job, self.conn, line, self.director)
        return True

    async def bandwidth_cmd(self, line: str) -> bool:
        def set_default(rate: int) -> None:
            self.sd.max_bandwidth_per_job = rate

        return await serve_setbandwidth(self.conn, line, self.sd.jobs, set_default, self.sd.bandwidth_bursting)

    async def _end_job(self, job: SdJob, start: float) -> bool:
        await job.jmsg(MsgType.INFO, elapsed_message(time.time() - start, job.job_bytes))
        await job.send_end()
        await self.sd.forget_job(job)
        self.job = None
        return False

    async def cancel_cmd(self, line: str) -> bool:
        kv = parse_kv(line)
        job = self.sd.jobs.get(kv.get("Job", ""))
        if job is None:
            await self.conn.send(f"3904 Job {kv.get('Job', '')} not found.\n")
        else:
            job.canceled = True
            job.status = JobStatus.CANCELED
            await self.sd.reservations.notify()  # a job waiting for a device stops waiting
            await self.conn.send(f'3000 JobId={job.jobid} Job="{job.job}" marked to be canceled.\n')
        await self.conn.signal(Signal.EOD)
        return True

    # -- console helpers ---------------------------------------------------------
    async def label_cmd(self, line: str) -> bool:
        parts = line.split()
        kv = parse_kv(line)
        device_name = unbash_spaces(parts[1]) if len(parts) > 1 else ""
        volume, pool = kv.get("VolumeName", ""), kv.get("PoolName", "")
        state = self.sd.devices.get(device_name)
        if state is None or not volume:
            await self.conn.send(f'3999 Device "{device_name}" not found or bad label command.\n')
        else:
            if await self._write_label(state, volume, pool, "label"):
                await self.sd.reservations.notify()  # a job waiting for a volume looks again
        await self.conn.signal(Signal.EOD)
        return True

    async def relabel_cmd(self, line: str) -> bool:
        """``relabel <device> OldName= NewName= PoolName= MediaType= ...``: write a new label over
        a volume, which cuts it to the label (truncate on purge). Not while a job has it mounted."""
        parts = line.split()
        kv = parse_kv(line)
        old, new, pool = kv.get("OldName", ""), kv.get("NewName", ""), kv.get("PoolName", "")
        state = self.sd.devices.get(unbash_spaces(parts[1]) if len(parts) > 1 else "")
        if state is None:
            state = next((s for s in self.sd.devices.values()
                          if s.device.media_type == kv.get("MediaType")), None)
        if state is None or not old or not new:
            await self.conn.send(f'3999 Device "{parts[1] if len(parts) > 1 else ""}" not found or bad relabel '
                                 "command.\n")
        elif self.sd.reservations.volume_in_use(old):
            await self.conn.send(f'3920 Cannot relabel Volume "{old}": it is in use by a job.\n')
        elif old != new:
            await self._rename_volume(state, old, new, pool)
        else:
            await self._write_label(state, new, pool, "relabel", relabel=True)
        await self.conn.signal(Signal.EOD)
        return True

    async def _rename_volume(self, state: DeviceState, old: str, new: str, pool: str) -> None:
        """A disk volume relabelled under a new name: the new volume holds only its label and
        the old one, whose jobs the Director has purged, is removed once the new one exists."""
        device = state.device
        try:
            await asyncio.to_thread(device.read_label, old)  # only a volume of ours is given up
        except VolumeError as exc:
            await self.conn.send(f'3920 Cannot relabel Volume "{old}": {exc}\n')
            return
        try:
            size = await asyncio.to_thread(device.label, new, pool, "Backup", None, self.sd.name)
        except VolumeError as exc:
            await self.conn.send(f'3920 Cannot relabel Volume "{new}": {exc}\n')
            return
        # a job may have taken the old volume while the label was written: the check and the
        # removal run without a pause in between, so no job can come between them
        if self.sd.reservations.volume_in_use(old):
            device.volume_path(new).unlink(missing_ok=True)
            await self.conn.send(f'3920 Cannot relabel Volume "{old}": it is in use by a job.\n')
            return
        device.volume_path(old).unlink(missing_ok=True)
        await self.conn.send(f'3000 OK label. VolFiles=0 VolBytes={size} Volume="{new}" '
                             f"Device={state.print_name}\n")

    async def _write_label(self, state: DeviceState, volume: str, pool: str, verb: str,
                           relabel: bool = False) -> bool:
        """Write a volume label on ``state``'s device and answer as Bareos' SD; True on success."""
        try:
            size = await asyncio.to_thread(state.device.label, volume, pool, "Backup", None, self.sd.name,
                                           relabel=relabel)
        except VolumeError as exc:
            await self.conn.send(f'3920 Cannot {verb} Volume "{volume}": {exc}\n')
            return False
        await self.conn.send(f'3000 OK label. VolFiles=0 VolBytes={size} Volume="{volume}" '
                             f"Device={state.print_name}\n")
        return True

    async def status_cmd(self, line: str) -> bool:
        """``status [device,device...]``: the Director names its Storage's devices; only those
        are shown (all of them without a list)."""
        words = line.split(None, 1)
        devices = None
        if words[0] == "status" and len(words) > 1:
            devices = [unbash_spaces(d) for d in words[1].strip().split(",")]
        for text in self.sd.status_lines(devices):
            await self.conn.send(text + "\n")
        await self.conn.signal(Signal.EOD)
        return True


def _parse_use_storage(line: str) -> Reservation | None:
    kv = parse_kv(line)
    if "storage" not in kv:
        return None
    return Reservation(
        storage=kv["storage"], media_type=kv.get("media_type", ""), pool_name=kv.get("pool_name", ""),
        pool_type=kv.get("pool_type", "Backup"), append=kv.get("append", "0") == "1",
    )
