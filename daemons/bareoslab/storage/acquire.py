"""Acquiring a reserved device for append, getting volumes for it, and spanning volumes.

The Storage Daemon never touches the catalog: which volume to use, and what the
catalog knows about it, comes from the Director through catalog requests
(``FindMedia``, ``GetVolInfo``, ``UpdateMedia``, ``CreateJobMedia``).

One :class:`AppendSession` is one job's stream of records on one device. Jobs
of the same pool may share the device and its mounted volume; when a block
would overflow the volume (the pool's ``Maximum Volume Bytes``), the job that
hits it marks the volume Full, mounts the next volume of the pool and every
job writing there follows it, each with a JobMedia row per volume.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from ..codes import JobStatus, MsgType, VolumeLabel
from ..volume.device import Volume
from ..volume.errors import VolumeError, VolumeFull, VolumeSizeMismatch
from ..volume.label import SessionLabel
from ..volume.session import MediaPosition, SessionWriter
from .job import CatalogRequestError, SdJob, bashed, ok_media_fields
from .reserve import WAIT_INTERVAL, DeviceState, MountedVolume, ReservationError, Reservations

if TYPE_CHECKING:
    from .job import Reservation

log = logging.getLogger(__name__)

MEDIA_POLL_INTERVAL = 2.0  # asking the Director again for a volume while none can be had
MAX_MEDIA_WAIT = 6 * 3600.0  # then the job fails
SPAN_LIMIT = 30  # volumes one flush may need before we give up
RECYCLABLE = ("Recycle", "Purged")


NULL_JOBMEDIA = "FirstIndex=0 LastIndex=0 StartFile=0 EndFile=0 StartBlock=0 EndBlock=0"


def _where(position: MediaPosition) -> str:
    """The CreateJobMedia fields of a range of blocks."""
    return (f"FirstIndex={position.first_index} LastIndex={position.last_index} "
            f"StartFile={position.start_file} EndFile={position.end_file} "
            f"StartBlock={position.start_block} EndBlock={position.end_block}")


async def _on_stable_storage(mounted: MountedVolume) -> None:
    """The volume's blocks on stable storage (fsync) before the catalog counts them: JobMedia
    rows and VolBytes never name data a crash of this host could still take back."""
    if not mounted.volume.closed:
        try:
            await asyncio.to_thread(mounted.volume.sync)
        except OSError as exc:
            raise VolumeError(mounted.name, f"its blocks did not reach stable storage: {exc.strerror or exc}") from exc


def update_media_request(media: dict[str, str], volume: Volume | None, *, jobs_delta: int,
                         relabel: bool = False, status: str | None = None,
                         writes_delta: int = 0) -> str:
    """The ``UpdateMedia`` catalog request for a volume's current counters."""
    vol_bytes = volume.size if volume is not None else int(media.get("VolBytes", 0))
    vol_blocks = volume.blocks if volume is not None else int(media.get("VolBlocks", 0))
    # a file device counts "files" as Bareos' UpdatePos does: the byte position's upper 32 bits
    vol_files = vol_bytes >> 32 if volume is not None else int(media.get("VolFiles", 0))
    return (
        f"UpdateMedia VolName={bashed(media['VolName'])} "
        f"VolJobs={int(media.get('VolJobs', 0)) + jobs_delta} VolFiles={vol_files} "
        f"VolBlocks={vol_blocks} VolBytes={vol_bytes} VolMounts={media.get('VolMounts', 0)} "
        f"VolErrors={media.get('VolErrors', 0)} "
        f"VolWrites={int(media.get('VolWrites', 0)) + writes_delta} "
        f"MaxVolBytes={media.get('MaxVolBytes', 0)} EndTime={int(time.time())} "
        f"VolStatus={status or media.get('VolStatus', 'Append')} Slot={media.get('Slot', 0)} "
        f"relabel={int(relabel)} InChanger={media.get('InChanger', 0)} "
        f"VolReadTime={media.get('VolReadTime', 0)} VolWriteTime={media.get('VolWriteTime', 0)} "
        f"VolFirstWritten=0\n"
    )


class AppendSession:
    """One job appending to volumes of its pool on one reserved device."""

    def __init__(self, sd_name: str, reservations: Reservations, job: SdJob,
                 state: DeviceState | None) -> None:
        """``state`` is the device reserved at ``use``; None with just in time reservation."""
        res = job.write_reservation
        assert res is not None
        self.sd_name = sd_name
        self.reservations = reservations
        self.job = job
        self._state = state
        self.res: Reservation = res
        self.mounted: MountedVolume | None = None
        self.writer: SessionWriter | None = None
        self._acquired = False

    @property
    def state(self) -> DeviceState:
        assert self._state is not None, "the session has no device before open()"
        return self._state

    @property
    def opened(self) -> bool:
        return self.writer is not None

    # -- start and end ---------------------------------------------------------------
    async def open(self) -> None:
        """Acquire the device for append (reserving it now with just in time reservation) and
        a volume; raises when neither can be had."""
        if self._state is None:
            self._state = await self._reserve_just_in_time()
        self.reservations.start_writing(self.job, self.state)
        self._acquired = True
        self.mounted = await self._mount(())
        self.writer = self.mounted.volume.session_writer(self.job.session_id, self.job.session_time)
        await self._create_jobmedia(NULL_JOBMEDIA, self.mounted)

    async def _reserve_just_in_time(self) -> DeviceState:
        """Bareos' SetupDCR when the first record arrives: reserve a device as ``use`` would have."""
        job = self.job
        await job.jmsg(MsgType.INFO, "JustInTime Reservation: Finding drive to reserve.")
        await job.send_status(JobStatus.WAIT_SD)
        try:
            state = await self.reservations.reserve(job, [self.res])
        except ReservationError as exc:
            await job.jmsg(MsgType.FATAL, "Could not reserve any device for this job.")
            raise CatalogRequestError(str(exc)) from exc
        await job.jmsg(MsgType.INFO, f"Using Device {state.print_name} to write.")
        await job.send_status(JobStatus.RUNNING)
        return state

    async def close(self) -> None:
        """Catalog what this job wrote on its last volume and release the device. Safe to repeat."""
        try:
            if self.mounted is not None and self.writer is not None:
                await self._leave_volume(self.mounted)
        except (CatalogRequestError, VolumeError) as exc:
            await self.job.jmsg(MsgType.FATAL, str(exc))
        finally:
            self.mounted = None
            if self._acquired and self._state is not None:
                self._acquired = False
                try:
                    await self.job.jmsg(MsgType.INFO, f"Releasing device {self._state.print_name}.")
                finally:  # released even when the Director is gone
                    await self.reservations.release(self.job, self._state)

    # -- writing -----------------------------------------------------------------------
    # Hot loops call ``self.writer.write_record`` themselves and hand a VolumeError to
    # ``recover``: a record the writer accepted is never lost, it goes to the next volume.
    async def write_record(self, file_index: int, stream: int, data: bytes | memoryview) -> None:
        assert self.writer is not None
        try:
            self.writer.write_record(file_index, stream, data)
        except VolumeError as exc:
            await self.recover(exc)

    async def write_label(self, label: SessionLabel) -> None:
        assert self.writer is not None
        try:
            if label.label_type is VolumeLabel.SOS_LABEL:
                self.writer.write_sos(label)
            else:
                self.writer.write_eos(label)
        except VolumeError as exc:
            await self.recover(exc)

    async def flush(self) -> None:
        """Write everything buffered, on as many volumes as it takes."""
        assert self.writer is not None
        for _ in range(SPAN_LIMIT):
            try:
                self.writer.flush()
                return
            except VolumeError as exc:
                await self._span(exc)
        raise VolumeError(self.mounted.name if self.mounted else "?", "no volume takes the data")

    async def recover(self, exc: VolumeError) -> None:
        """After a failed block write: change volume if that is the cause, and write what waits."""
        await self._span(exc)
        await self.flush()  # nothing stays pending: the next record is accepted whole

    def needs_span(self, exc: VolumeError) -> bool:
        volume = self.writer.volume if self.writer is not None else None
        return isinstance(exc, VolumeFull) or (volume is not None and volume.closed)

    async def _span(self, exc: VolumeError) -> None:
        """The block did not fit (or another job changed the volume): continue on the next one."""
        if not self.needs_span(exc):
            raise exc
        assert self.writer is not None and self.mounted is not None
        state, old = self.state, self.mounted
        async with state.lock:
            if state.mounted is old:  # we are the first to see it full: end the volume for everyone
                await self._end_of_medium(old, exc)
        await self._leave_volume(old)
        self.mounted = await self._mount((old.name,))
        self.writer.change_volume(self.mounted.volume)

    async def _end_of_medium(self, old: MountedVolume, exc: VolumeError) -> None:
        job, state = self.job, self.state
        if isinstance(exc, VolumeFull):
            await job.jmsg(MsgType.INFO, f"User defined maximum volume capacity {exc.max_bytes:,} exceeded "
                                         f"on device {state.print_name}.")
        old.media["VolStatus"] = "Full"
        await job.jmsg(
            MsgType.INFO,
            f'End of medium on Volume "{old.name}" Bytes={old.volume.size:,} Blocks={old.volume.blocks:,} '
            f"at {time.strftime('%d-%b-%Y %H:%M')}.",
        )
        await _on_stable_storage(old)
        reply = await job.catreq(update_media_request(old.media, old.volume, jobs_delta=0, status="Full"))
        if reply.startswith("1000 OK"):
            old.media.update(ok_media_fields(reply))
            old.media["VolStatus"] = "Full"
        state.unmount()

    async def record_finished_ranges(self) -> None:
        """A JobMedia row for each range a new file of the volume closed (Maximum File Size)."""
        assert self.writer is not None and self.mounted is not None
        await self._record_ranges(self.mounted)

    async def _record_ranges(self, mounted: MountedVolume) -> None:
        assert self.writer is not None
        if self.writer.finished:
            await _on_stable_storage(mounted)
        while self.writer.finished:
            await self._create_jobmedia(_where(self.writer.finished.pop(0)), mounted)
            # the next range has begun: its placeholder row, as Bareos' SD makes one at the
            # first block of every range (deleted with the others at the job's end)
            await self._create_jobmedia(NULL_JOBMEDIA, mounted)

    async def _leave_volume(self, mounted: MountedVolume) -> None:
        """JobMedia for this job's blocks on ``mounted`` and its counters to the catalog."""
        assert self.writer is not None
        await _on_stable_storage(mounted)
        await self._record_ranges(mounted)
        position = self.writer.position
        if position is not None:
            await self._create_jobmedia(_where(position), mounted)
        async with self.state.lock:  # jobs sharing the volume report its counters one after the other
            reply = await self.job.catreq(
                update_media_request(mounted.media, mounted.volume, jobs_delta=0, writes_delta=self.writer.blocks)
            )
            if reply.startswith("1000 OK"):
                mounted.media.update(ok_media_fields(reply))

    async def _create_jobmedia(self, where: str, mounted: MountedVolume) -> None:
        reply = await self.job.catreq(
            f"CreateJobMedia {where} Copy=0 Strip=0 MediaId={mounted.media.get('MediaId', '0')}\n")
        if not reply.startswith("1000 OK"):
            raise CatalogRequestError(
                f'Could not create JobMedia record for Volume="{mounted.name}" Job={self.job.job}: '
                f"{reply.strip()}")

    # -- volumes -------------------------------------------------------------------
    async def _mount(self, unwanted: tuple[str, ...]) -> MountedVolume:
        """The device's mounted volume if this job may append to it, else the pool's next one."""
        job, state = self.job, self.state
        said_waiting = False
        while True:
            async with state.lock:
                mounted = state.mounted
                if mounted is not None and mounted.volume.closed:
                    state.mounted = mounted = None
                if mounted is not None:
                    if mounted.name not in unwanted and await self._still_appendable(mounted):
                        await self._count_job(mounted)
                        return mounted
                    if state.writers <= 1:  # nobody else writes it: put it away
                        state.unmount()
                        mounted = None
                if mounted is None:
                    new = await self._find_and_mount(list(unwanted))
                    state.mounted = new
                    await self._count_job(new)
                    return new
            # other jobs still write the mounted volume, which takes no more jobs: wait for them
            job.reserve_msgs = [f"3610 JobId={job.jobid} Volume max jobs exceeded on drive {state.print_name}."]
            if not said_waiting:
                said_waiting = True
                await job.jmsg(MsgType.MOUNT, f"JobId={job.jobid}, Job {job.job} waiting to reserve a device.")
            if job.canceled:
                raise CatalogRequestError("Job canceled while waiting for a volume")
            await job.heartbeat()
            await self.reservations.wait_for_release(WAIT_INTERVAL)
            job.reserve_msgs = []

    async def _still_appendable(self, mounted: MountedVolume) -> bool:
        """Ask the Director whether the mounted volume still takes data (Max Volume Jobs, ...)."""
        reply = await self.job.catreq(f"GetVolInfo VolName={bashed(mounted.name)} write=1\n")
        if not reply.startswith("1000 OK"):
            return False
        mounted.media.update(ok_media_fields(reply))
        return mounted.media.get("VolStatus") == "Append"

    async def _count_job(self, mounted: MountedVolume) -> None:
        """One more job on the volume, as Bareos counts it when the volume is acquired."""
        await _on_stable_storage(mounted)  # the VolBytes it reports count other jobs' blocks
        reply = await self.job.catreq(update_media_request(mounted.media, mounted.volume, jobs_delta=1))
        if reply.startswith("1000 OK"):
            mounted.media.update(ok_media_fields(reply))

    async def _find_and_mount(self, unwanted: list[str]) -> MountedVolume:
        """Ask the Director for the next volume of the pool and open (label, relabel) it.

        With none to be had the job waits, as Bareos' does, asking again every
        ``MEDIA_POLL_INTERVAL`` until a volume turns up, the job is canceled or
        ``MAX_MEDIA_WAIT`` has passed.
        """
        job, state, res = self.job, self.state, self.res
        deadline = time.monotonic() + MAX_MEDIA_WAIT
        waiting = False
        try:
            while not job.canceled and time.monotonic() < deadline:
                reply = await job.catreq(
                    f"FindMedia=1 pool_name={bashed(res.pool_name)} media_type={bashed(res.media_type)} "
                    f"unwanted_volumes={','.join(bashed(u) for u in unwanted)}\n"
                )
                if not reply.startswith("1000 OK"):
                    state.waiting_for_sysop = True  # until a volume turns up or someone says mount
                    if not waiting:
                        waiting = True
                        await job.send_status(JobStatus.WAIT_MEDIA)
                        await job.jmsg(
                            MsgType.MOUNT,
                            f'Job {job.job} is waiting. Cannot find any appendable volumes.\n'
                            f'Please use the "label" command to create a new Volume for:\n'
                            f'    Storage:      {state.print_name}\n'
                            f'    Pool:         {res.pool_name}\n    Media type:   {res.media_type}',
                        )
                    await job.heartbeat()
                    await self.reservations.wait_for_release(MEDIA_POLL_INTERVAL)  # a cancel wakes us early
                    continue
                state.waiting_for_sysop = False
                media = ok_media_fields(reply)
                if self.reservations.volume_in_use(media["VolName"], state):
                    unwanted.append(media["VolName"])  # mounted on another device
                    continue
                volume = await self._open_or_label(media)
                if volume is None:
                    unwanted.append(media["VolName"])
                    continue
                if waiting:
                    await job.send_status(JobStatus.RUNNING)
                if unwanted and not job.canceled:
                    await job.jmsg(MsgType.INFO, f'New volume "{volume.name}" mounted on device {state.print_name} '
                                                 f"at {time.strftime('%d-%b-%Y %H:%M')}.")
                return MountedVolume(volume, media)
        finally:
            state.waiting_for_sysop = False  # a cancel or a lost Director ends the wait too
        reason = "the job was canceled" if job.canceled else f"none turned up within {MAX_MEDIA_WAIT:.0f} s"
        raise CatalogRequestError(
            f'No appendable volume in pool "{res.pool_name}" with media type "{res.media_type}": {reason}'
        )

    async def _open_or_label(self, media: dict[str, str]) -> Volume | None:
        job, state = self.job, self.state
        dev = state.device
        name = media["VolName"]
        path = dev.volume_path(name)
        exists = path.exists() and path.stat().st_size > 0
        recycle = media.get("VolStatus") in RECYCLABLE
        labeled = not exists or recycle
        if labeled:
            if not exists and (int(media.get("VolBytes", 0)) > 1 or not state.label_media):
                reason = "volume file is missing" if int(media.get("VolBytes", 0)) > 1 else (
                    "the device does not label media (Label Media = no)")
                await job.jmsg(MsgType.WARNING, f'Cannot use Volume "{name}" on device {state.print_name}: {reason}.')
                return None
            try:
                size = await asyncio.to_thread(
                    dev.label, name, self.res.pool_name, self.res.pool_type or "Backup", None, self.sd_name,
                    (job.session_id, job.session_time), relabel=recycle and exists,
                )
            except VolumeError as exc:
                await job.jmsg(MsgType.ERROR, f'Cannot label Volume "{name}" on device {state.print_name}: {exc}')
                return None
            # Bareos' label.cc: a new volume has been mounted once, a recycled one once more
            mounts = int(media.get("VolMounts", 0)) + 1 if recycle and exists else 1
            media.update({"VolBytes": str(size), "VolBlocks": "1", "VolJobs": "0", "VolFiles": "0",
                          "VolWrites": "0", "VolMounts": str(mounts)})
            reply = await job.catreq(update_media_request(media, None, jobs_delta=0, relabel=True, status="Append"))
            media.update(ok_media_fields(reply))
            if recycle and exists:
                await job.jmsg(MsgType.INFO, f'Recycled volume "{name}" on device {state.print_name}, '
                                             "all previous data lost.")
            else:
                await job.jmsg(MsgType.INFO, f'Labeled new Volume "{name}" on device {state.print_name}.')
        try:
            volume = dev.open_append(name, int(media.get("VolBytes", 0)) or None,
                                     max_bytes=int(media.get("MaxVolBytes", 0) or 0))
        except VolumeSizeMismatch as exc:
            await job.jmsg(MsgType.ERROR, f"{exc}. Marking Volume \"{name}\" in Error in the catalog.")
            await job.catreq(update_media_request(media, None, jobs_delta=0, status="Error"))
            return None
        except VolumeError as exc:
            await job.jmsg(MsgType.ERROR, f'Cannot open Volume "{name}" for append: {exc}')
            return None
        if volume.torn_bytes:  # beyond Bareos, which appends after the torn block
            await job.jmsg(MsgType.WARNING, f'Volume "{name}": removed a block cut short or damaged at offset '
                                            f"{volume.size} and all after it ({volume.torn_bytes} bytes, a write a "
                                            "crash interrupted; no catalog record counts it)")
        if not labeled:  # Bareos' mount.cc: one more mount of a volume appended to
            media["VolMounts"] = str(int(media.get("VolMounts", 0)) + 1)
        if volume.max_bytes and volume.size >= volume.max_bytes:
            await job.catreq(update_media_request(media, volume, jobs_delta=0, status="Full"))
            volume.close()
            return None
        if int(media.get("VolJobs", 0)) or volume.catalog_outdated:  # Bareos' mount.cc, in its words
            await job.jmsg(MsgType.INFO, f'Moving to end of data on volume "{name}"')
            if volume.catalog_outdated:
                await job.jmsg(MsgType.WARNING, f'For Volume "{name}":\nThe sizes do not match! '
                                                f'Volume={volume.size} Catalog={media.get("VolBytes")}\n'
                                                "Correcting Catalog")
            else:
                await job.jmsg(MsgType.INFO, f'Ready to append to end of Volume "{name}" size={volume.size}')
        return volume
