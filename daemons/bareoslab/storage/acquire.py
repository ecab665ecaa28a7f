"""Devices and volumes: reservation, and getting a volume to append to or read from.

The Storage Daemon never touches the catalog: which volume to use, and what the
catalog knows about it, comes from the Director through catalog requests.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from ..codes import MsgType
from ..volume.device import FileDevice, Volume
from ..volume.errors import VolumeError, VolumeSizeMismatch
from ..volume.session import SessionWriter
from .job import CatalogRequestError, SdJob, bashed, ok_media_fields

log = logging.getLogger(__name__)

FIND_MEDIA_RETRIES = 30
FIND_MEDIA_INTERVAL = 2.0


@dataclass
class DeviceState:
    """A configured Device and the volume currently open on it for append."""

    device: FileDevice
    label_media: bool
    max_concurrent_jobs: int
    volume: Volume | None = None
    media: dict[str, str] = field(default_factory=dict)
    writers: int = 0
    readers: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def name(self) -> str:
        return self.device.name

    def status_line(self) -> str:
        where = f"{self.device.name}\" ({self.device.archive_device})"
        if self.volume is not None and not self.volume.closed:
            return f'Device "{where} is mounted with:\n    Volume:      {self.volume.name}\n    Writers:     {self.writers}'
        return f'Device "{where} is not open.'


def update_media_request(media: dict[str, str], volume: Volume | None, *, jobs_delta: int,
                         relabel: bool = False, status: str | None = None,
                         writes_delta: int = 0) -> str:
    """The ``UpdateMedia`` catalog request for a volume's current counters."""
    vol_bytes = volume.size if volume is not None else int(media.get("VolBytes", 0))
    vol_blocks = volume.blocks if volume is not None else int(media.get("VolBlocks", 0))
    return (
        f"UpdateMedia VolName={bashed(media['VolName'])} "
        f"VolJobs={int(media.get('VolJobs', 0)) + jobs_delta} VolFiles={media.get('VolFiles', 0)} "
        f"VolBlocks={vol_blocks} VolBytes={vol_bytes} VolMounts={media.get('VolMounts', 0)} "
        f"VolErrors={media.get('VolErrors', 0)} "
        f"VolWrites={int(media.get('VolWrites', 0)) + writes_delta} "
        f"MaxVolBytes={media.get('MaxVolBytes', 0)} EndTime={int(time.time())} "
        f"VolStatus={status or media.get('VolStatus', 'Append')} Slot={media.get('Slot', 0)} "
        f"relabel={int(relabel)} InChanger={media.get('InChanger', 0)} "
        f"VolReadTime={media.get('VolReadTime', 0)} VolWriteTime={media.get('VolWriteTime', 0)} "
        f"VolFirstWritten=0\n"
    )


async def acquire_for_append(sd_name: str, job: SdJob, state: DeviceState) -> Volume:
    """Find (and label if need be) a volume of the job's pool and open it for append."""
    res = job.write_reservation
    assert res is not None
    async with state.lock:
        if state.volume is not None and not state.volume.closed:
            state.writers += 1
            return state.volume
        unwanted: list[str] = []
        for attempt in range(FIND_MEDIA_RETRIES):
            reply = await job.catreq(
                f"FindMedia=1 pool_name={bashed(res.pool_name)} media_type={bashed(res.media_type)} "
                f"unwanted_volumes={','.join(bashed(u) for u in unwanted)}\n"
            )
            if not reply.startswith("1000 OK"):
                if attempt == 0:
                    await job.jmsg(
                        MsgType.MOUNT,
                        f'Job {job.job} is waiting. Cannot find any appendable volumes.\n'
                        f'Please use the "label" command to create a new Volume for:\n'
                        f'    Storage:      "{state.name}" ({state.device.archive_device})\n'
                        f'    Pool:         {res.pool_name}\n    Media type:   {res.media_type}',
                    )
                await asyncio.sleep(FIND_MEDIA_INTERVAL)
                continue
            media = ok_media_fields(reply)
            volume = await _open_or_label(sd_name, job, state, media)
            if volume is None:
                unwanted.append(media["VolName"])
                continue
            state.volume, state.media = volume, media
            state.writers += 1
            return volume
        raise CatalogRequestError(
            f'No appendable volume in pool "{res.pool_name}" with media type "{res.media_type}"'
        )


async def _open_or_label(sd_name: str, job: SdJob, state: DeviceState, media: dict[str, str]) -> Volume | None:
    dev = state.device
    name = media["VolName"]
    path = dev.volume_path(name)
    exists = path.exists() and path.stat().st_size > 0
    if not exists:
        if int(media.get("VolBytes", 0)) > 0 or not state.label_media:
            reason = "volume file is missing" if int(media.get("VolBytes", 0)) > 0 else (
                "the device does not label media (Label Media = no)")
            await job.jmsg(MsgType.WARNING, f'Cannot use Volume "{name}" on device "{dev.name}": {reason}.')
            return None
        res = job.write_reservation
        assert res is not None
        size = await asyncio.to_thread(
            dev.label, name, res.pool_name, res.pool_type or "Backup", None, sd_name,
            (job.session_id, job.session_time),
        )
        media["VolBytes"], media["VolBlocks"] = str(size), "1"
        reply = await job.catreq(update_media_request(media, None, jobs_delta=0, relabel=True, status="Append"))
        media.update(ok_media_fields(reply))
        await job.jmsg(MsgType.INFO, f'Labeled new Volume "{name}" on device "{dev.name}" ({dev.archive_device}).')
    try:
        volume = dev.open_append(name, int(media.get("VolBytes", 0)) or None)
    except VolumeSizeMismatch as exc:
        await job.jmsg(MsgType.ERROR, f"{exc}. Marking Volume \"{name}\" in Error in the catalog.")
        await job.catreq(update_media_request(media, None, jobs_delta=0, status="Error"))
        return None
    except VolumeError as exc:
        await job.jmsg(MsgType.ERROR, f'Cannot open Volume "{name}" for append: {exc}')
        return None
    if volume.catalog_outdated:
        await job.jmsg(
            MsgType.WARNING,
            f'For Volume "{name}": the sizes do not match! Volume={volume.size} Catalog={media.get("VolBytes")}. '
            "Correcting Catalog",
        )
    if int(media.get("VolJobs", 0)):
        await job.jmsg(MsgType.INFO, f'Volume "{name}" previously written, moving to end of data.')
    return volume


async def end_write_session(job: SdJob, state: DeviceState, volume: Volume, writer: SessionWriter,
                            media_id: str) -> None:
    """Catalog what a session wrote (JobMedia, volume counters) and release the device."""
    position = writer.position
    if position is not None:
        await job.catreq(
            f"CreateJobMedia FirstIndex={position.first_index} LastIndex={position.last_index} "
            f"StartFile={position.start_file} EndFile={position.end_file} "
            f"StartBlock={position.start_block} EndBlock={position.end_block} "
            f"Copy=0 Strip=0 MediaId={media_id}\n"
        )
    async with state.lock:  # jobs sharing the volume count VolJobs one after the other
        reply = await job.catreq(
            update_media_request(state.media, volume, jobs_delta=1, writes_delta=writer.blocks)
        )
        if reply.startswith("1000 OK"):
            state.media.update(ok_media_fields(reply))
    await release_append(state)


async def release_append(state: DeviceState) -> None:
    async with state.lock:
        state.writers -= 1
        if state.writers <= 0 and state.volume is not None:
            state.volume.close()
            state.volume = None
            state.writers = 0
