"""Device reservation, as Bareos' Storage Daemon does it (``reserve.cc``, ``vol_mgr.cc``).

A job's ``use storage=`` block names a Media Type, a pool and the devices the
Director allows. The SD reserves one of them:

* a device being read cannot be written, and a busy device cannot be read;
* a device holds at most its ``Maximum Concurrent Jobs`` (writers + reservations);
* a device that writes (or is reserved) for one pool takes no job of another pool;
* a job that finds no such device waits until one is released — its reasons
  (Bareos' 36xx texts) show in ``status storage`` — and the Director's ``use``
  command is answered only then.

A reservation lives until its job releases it; :meth:`Reservations.release_job`
runs when the job ends on any path, so no reservation outlives its job.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from ..codes import MsgType
from ..volume.device import FileDevice, Volume

if TYPE_CHECKING:
    from .job import Reservation, SdJob

log = logging.getLogger(__name__)

JUST_IN_TIME_DEVICE = "JustInTime Device"  # what the SD answers ``use`` with when it reserves later
WAIT_INTERVAL = 60.0  # Bareos' WaitForDevice waits a minute for a release
WAIT_MESSAGE_EVERY = 5  # and says so every fifth wait


class ReservationError(Exception):
    """No device of the request can ever serve the job (or the job was canceled)."""


@dataclass
class MountedVolume:
    """A volume open for append on a device and the catalog's view of it (``1000 OK`` fields)."""

    volume: Volume
    media: dict[str, str]

    @property
    def name(self) -> str:
        return self.volume.name


class Hold(Enum):
    RESERVED = "reserved"
    WRITING = "writing"
    READING = "reading"


@dataclass
class DeviceState:
    """A configured Device: who holds it, for which pool, and the volume mounted for append."""

    device: FileDevice
    label_media: bool
    max_concurrent_jobs: int
    access_mode: str = "readwrite"
    mounted: MountedVolume | None = None
    writers: int = 0
    reserved: int = 0
    readers: int = 0
    pool_name: str = ""
    pool_type: str = ""
    #: a job waits for an appendable volume on it (Bareos' BST_WAITING_FOR_SYSOP): ``mount`` wakes it
    waiting_for_sysop: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def name(self) -> str:
        return self.device.name

    @property
    def print_name(self) -> str:
        return f'"{self.device.name}" ({self.device.archive_device})'

    @property
    def busy(self) -> bool:
        return bool(self.writers or self.reserved or self.readers)

    @property
    def is_open(self) -> bool:
        """A volume is open on the device (a file device is open only while a job uses it)."""
        return self.mounted is not None and not self.mounted.volume.closed

    def status_line(self) -> str:
        if self.mounted is not None and self.is_open:
            return (
                f"Device {self.print_name} is mounted with:\n"
                f"    Volume:      {self.mounted.name}\n"
                f"    Pool:        {self.pool_name or '*unknown*'}\n"
                f"    Media type:  {self.device.media_type}\n"
                f"    Writers:     {self.writers}  Reserved: {self.reserved}  Readers: {self.readers}"
            )
        blocked = (
            "    Device is BLOCKED waiting to create a volume for:\n"
            f"       Pool:        {self.pool_name}\n       Media type:  {self.device.media_type}\n"
            if self.waiting_for_sysop else "")
        if self.busy:
            return (
                f"Device {self.print_name} is not open.\n{blocked}"
                f"    Pool:        {self.pool_name or '*unknown*'}\n"
                f"    Writers:     {self.writers}  Reserved: {self.reserved}  Readers: {self.readers}"
            )
        return f"Device {self.print_name} is not open."

    def unmount(self) -> None:
        if self.mounted is not None:
            self.mounted.volume.close()
            self.mounted = None

    def _idle(self) -> None:
        """Nobody holds the device any more: close its volume, forget its pool."""
        if not self.busy:
            self.unmount()
            self.pool_name = self.pool_type = ""


class Reservations:
    """The devices of one SD and the jobs that hold or wait for them."""

    def __init__(self, devices: dict[str, DeviceState]) -> None:
        self.devices = devices
        self.holds: dict[int, list[tuple[DeviceState, Hold]]] = {}
        self._released = asyncio.Condition()

    # -- reserving ---------------------------------------------------------------
    async def reserve(self, job: SdJob, requests: list[Reservation]) -> DeviceState:
        """Reserve a device for one ``use`` command's storages; waits while all are busy."""
        retries = 0
        while True:
            if job.canceled:
                raise ReservationError(f"JobId={job.jobid} canceled while waiting to reserve a device")
            reasons: list[str] = []
            suitable = False
            for prefer_free in ((True, False) if not job.prefer_mounted_vols else (False,)):
                for request in requests:
                    for state in self._candidates(request):
                        suitable = True
                        reason = self._refusal(job, state, request, prefer_free)
                        if reason is None:
                            self._take(job, state, request)
                            job.reserve_msgs = []
                            return state
                        if reason not in reasons:
                            reasons.append(reason)
            if not suitable:
                wanted = next((d for r in requests for d in r.devices), "?")
                raise ReservationError(
                    f'Device "{wanted}" not in SD Device resources or no matching Media Type.'
                )
            job.reserve_msgs = reasons
            retries += 1
            if retries == 1 or retries % WAIT_MESSAGE_EVERY == 0:
                await job.jmsg(MsgType.MOUNT, f"JobId={job.jobid}, Job {job.job} waiting to reserve a device.")
            await job.heartbeat()
            await self.wait_for_release(WAIT_INTERVAL)

    def _candidates(self, request: Reservation) -> list[DeviceState]:
        out = []
        for name in request.devices:
            state = self.devices.get(name)
            if state is None or (request.media_type and state.device.media_type != request.media_type):
                continue
            if request.append and state.access_mode == "readonly":
                continue
            if not request.append and state.access_mode == "writeonly":
                continue
            out.append(state)
        return out

    @staticmethod
    def _refusal(job: SdJob, state: DeviceState, request: Reservation, prefer_free: bool) -> str | None:
        """Why ``state`` cannot be reserved now (Bareos' reserve message), or None."""
        jobid, dev = job.jobid, state.print_name
        if not request.append:
            if state.busy:
                return f"3602 JobId={jobid} device {dev} is busy (already reading/writing)."
            return None
        if state.readers:
            return f"3603 JobId={jobid} device {dev} is busy reading."
        if state.max_concurrent_jobs > 0 and state.max_concurrent_jobs <= state.writers + state.reserved:
            return f"3609 JobId={jobid} Max concurrent jobs exceeded on drive {dev}."
        if prefer_free and state.busy:
            return f"3605 JobId={jobid} wants free drive but device {dev} is busy."
        if not state.busy:
            return None
        if state.pool_name == request.pool_name and state.pool_type == request.pool_type:
            return None
        return (
            f'3608 JobId={jobid} wants Pool="{request.pool_name}" but have Pool="{state.pool_name}" '
            f"nreserve={state.reserved} on drive {dev}."
        )

    def _take(self, job: SdJob, state: DeviceState, request: Reservation) -> None:
        if request.append:
            if not state.busy:  # an idle device has no volume mounted (see _idle): it takes the pool
                state.pool_name, state.pool_type = request.pool_name, request.pool_type
            state.reserved += 1
            self.holds.setdefault(job.jobid, []).append((state, Hold.RESERVED))
        else:
            state.readers += 1
            self.holds.setdefault(job.jobid, []).append((state, Hold.READING))
        request.device = state.name

    # -- using and releasing -----------------------------------------------------------
    def start_writing(self, job: SdJob, state: DeviceState) -> None:
        """The job's reservation of ``state`` becomes a writer (Bareos: acquire for append)."""
        holds = self.holds.setdefault(job.jobid, [])
        for i, (held, kind) in enumerate(holds):
            if held is state and kind is Hold.RESERVED:
                holds[i] = (state, Hold.WRITING)
                state.reserved -= 1
                state.writers += 1
                return
        raise ReservationError(f'JobId={job.jobid} has no reservation of device "{state.name}"')

    async def release(self, job: SdJob, state: DeviceState) -> None:
        """Give up the job's hold of ``state`` (one of them)."""
        holds = self.holds.get(job.jobid, [])
        for i, (held, kind) in enumerate(holds):
            if held is state:
                del holds[i]
                self._drop(state, kind)
                break
        if not holds:
            self.holds.pop(job.jobid, None)
        await self.notify()

    async def release_job(self, job: SdJob) -> None:
        """Release everything the job still holds (its end, error, cancel or lost peer)."""
        holds = self.holds.pop(job.jobid, [])
        for state, kind in holds:
            log.debug("job %s: releasing %s hold of device %s", job.job, kind.value, state.name)
            self._drop(state, kind)
        await self.notify()

    @staticmethod
    def _drop(state: DeviceState, kind: Hold) -> None:
        if kind is Hold.RESERVED:
            state.reserved -= 1
        elif kind is Hold.WRITING:
            state.writers -= 1
        else:
            state.readers -= 1
        state._idle()

    async def notify(self) -> None:
        """Wake every job waiting for a device (a release, or a waiting job was canceled)."""
        async with self._released:
            self._released.notify_all()

    async def wait_for_release(self, timeout: float) -> None:
        """Sleep until some device is released (or ``timeout``); callers re-check their wish."""
        async with self._released:
            try:
                await asyncio.wait_for(self._released.wait(), timeout)
            except TimeoutError:
                pass

    def volume_in_use(self, name: str, other_than: DeviceState | None = None) -> bool:
        """Is volume ``name`` mounted on a device (but ``other_than``): Bareos' volume
        reservation list."""
        return any(
            s is not other_than and s.mounted is not None and s.mounted.name == name
            for s in self.devices.values()
        )

