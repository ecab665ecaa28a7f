"""The next volume a job appends to, as Bareos' Director chooses it (``next_vol.cc``, ``recycle.cc``).

In order: an Append volume of the pool (most recently written first), an
Unlabeled one, a Recycle one, the oldest Purged one (recycled); then, with
``AutoPrune``, volumes whose jobs are past their ``Volume Retention`` are pruned
and the oldest one left empty is recycled; then a new volume is created from
the pool's ``Label Format`` (within ``Maximum Volumes``); last, ``Purge Oldest
Volume`` / ``Recycle Oldest Volume``. A volume found Append is checked against
the pool's limits first (``Maximum Volume Bytes/Jobs/Files``, ``Volume Use
Duration``) and marked Full or Used when one is reached.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..catalog.api import MediaRow
from ..codes import MsgType
from ..config import Resource

if TYPE_CHECKING:
    from .daemon import Director
    from .jcr import JobControlRecord

MAX_RETRIES = 200  # Bareos' sanity limit on volumes found expired one after the other


def _oldest_first(media: MediaRow) -> tuple[bool, object, int]:
    """Least recently written first, never written last, then by MediaId (Bareos' order)."""
    return (media.last_written is None, media.last_written or 0, media.media_id)


class NextVolume:
    """Finds (and recycles, prunes, creates) the next appendable volume for one job."""

    def __init__(self, director: Director, jcr: JobControlRecord) -> None:
        self.director = director
        self.jcr = jcr
        self.db = director.db
        self.cat = director.catalog

    async def msg(self, text: str, mtype: MsgType = MsgType.INFO) -> None:
        await self.director.job_msg(self.jcr, mtype, text)

    async def find_for_append(self, pool: Resource, media_type: str, unwanted: list[str]) -> MediaRow | None:
        pool_id = await self.db(self.cat.pool_id, pool.name)
        if pool_id is None:
            return None
        for _ in range(MAX_RETRIES):
            media = await self._find(pool, pool_id, media_type, unwanted)
            if media is None:
                return None
            if media.vol_status == "Append" and await self.has_expired(media):
                continue  # marked Full/Used: look again
            return media
        await self.msg("We seem to be looping trying to find the next volume. I give up.", MsgType.ERROR)
        return None

    async def _find(self, pool: Resource, pool_id: int, media_type: str, unwanted: list[str]) -> MediaRow | None:
        media = await self._existing(pool_id, media_type, unwanted)
        if media is not None:
            return media
        if pool.autoprune and await self.prune_volumes(pool_id, media_type):
            media = await self._existing(pool_id, media_type, unwanted)
            if media is not None and media.vol_status == "Recycle":
                return media
        if pool.label_format and await self._room_for_one_more(pool, pool_id):
            media = await self.director.create_volume(self.jcr, pool, media_type)
            if media is not None:
                return media
        if pool.purge_oldest_volume or pool.recycle_oldest_volume:
            return await self._take_oldest(pool, pool_id, media_type, unwanted)
        return None

    async def _existing(self, pool_id: int, media_type: str, unwanted: list[str]) -> MediaRow | None:
        """An Append, Unlabeled or Recycle volume of the pool, or its oldest Purged one, recycled."""
        media = await self.db(self.cat.find_next_volume, pool_id, media_type, unwanted, recycle=False)
        if media is not None and media.vol_status == "Purged":
            return await self.recycle(media)
        return media

    async def _room_for_one_more(self, pool: Resource, pool_id: int) -> bool:
        limit = int(pool.maximum_volumes or 0)
        return not limit or len(await self.db(self.cat.list_media, pool_id)) < limit

    async def _take_oldest(self, pool: Resource, pool_id: int, media_type: str,
                           unwanted: list[str]) -> MediaRow | None:
        volumes = [m for m in await self.db(self.cat.list_media, pool_id)
                   if m.media_type == media_type and m.volume_name not in unwanted and m.enabled == 1
                   and m.vol_status in ("Full", "Used", "Append")]
        if not volumes:
            return None
        oldest = min(volumes, key=_oldest_first)
        if pool.purge_oldest_volume:
            await self.msg(f'Purging oldest volume "{oldest.volume_name}"')
            await self.purge_jobs(await self._jobs_on(oldest.media_id))
        else:
            await self.msg(f'Pruning oldest volume "{oldest.volume_name}"')
            await self.prune_volume(oldest)
        if not await self.db(self.cat.mark_volume_purged_if_empty, oldest.media_id):
            return None
        return await self.recycle(oldest)

    async def _jobs_on(self, media_id: int) -> list[int]:
        jobs = await self.db(self.cat.job_ids_on_volume, media_id)
        return [j for j in jobs if j not in self.director.jobq.running]

    # -- limits ------------------------------------------------------------------------
    async def has_expired(self, media: MediaRow) -> bool:
        """Bareos' HasVolumeExpired: mark an Append volume past a limit Full or Used."""
        if media.vol_status != "Append" or media.vol_jobs <= 0:
            return False
        status = reason = ""
        if media.max_vol_bytes > 0 and media.vol_bytes >= media.max_vol_bytes:
            status, reason = "Full", f"Max Volume bytes={media.max_vol_bytes:,} exceeded"
        elif 0 < media.max_vol_jobs <= media.vol_jobs:
            status, reason = "Used", f"Max Volume jobs={media.max_vol_jobs:,} exceeded"
        elif 0 < media.max_vol_files <= media.vol_files:
            status, reason = "Used", f"Max Volume files={media.max_vol_files:,} exceeded"
        elif media.vol_use_duration > 0 and media.first_written is not None:
            if media.vol_use_duration <= time.time() - media.first_written.timestamp():
                status = "Used"
                reason = f"Max configured use duration={media.vol_use_duration:,} sec. exceeded"
        if not status:
            return False
        await self.msg(f'{reason}. Marking Volume "{media.volume_name}" as {status}.')
        await self.db(self.cat.update_media_status, media.volume_name, status)
        media.vol_status = status
        return True

    async def check_for_write(self, media: MediaRow) -> str | None:
        """Why the SD may not write ``media`` (Bareos' CheckIfVolumeValidOrRecyclable), or None."""
        if media.vol_status == "Append":
            await self.has_expired(media)
        if media.vol_status in ("Unlabeled", "Append", "Recycle"):
            return None
        if media.vol_status == "Purged":
            await self.recycle(media, current=True)
            return None
        if not media.recycle:
            return "volume has recycling disabled"
        return "but should be Append, Purged or Recycle"

    # -- pruning and recycling ------------------------------------------------------
    async def recycle(self, media: MediaRow, *, current: bool = False) -> MediaRow:
        recycled = await self.db(self.cat.recycle_volume, media.media_id)
        which = "current volume" if current else "volume"
        await self.msg(f'Recycled {which} "{media.volume_name}"')
        return recycled

    async def prune_volumes(self, pool_id: int, media_type: str) -> bool:
        """Prune the pool's Full and Used volumes, oldest first, until one is left empty."""
        volumes = sorted(
            (m for m in await self.db(self.cat.list_media, pool_id)
             if m.media_type == media_type and m.vol_status in ("Full", "Used") and m.enabled != 2),
            key=_oldest_first,
        )
        for media in volumes:
            await self.prune_volume(media)
            if media.recycle and await self.db(self.cat.mark_volume_purged_if_empty, media.media_id):
                await self.msg(f'There are no more Jobs associated with Volume "{media.volume_name}". '
                               "Marking it purged.")
                return True
        return False

    async def prune_volume(self, media: MediaRow) -> int:
        """Purge the jobs on ``media`` that are past its Volume Retention (and not running)."""
        running = set(self.director.jobq.running)
        jobs = [j for j in await self.db(self.cat.prune_volume_candidates, media.media_id) if j not in running]
        if jobs:
            await self.msg(f'Volume "{media.volume_name}" has Volume Retention of {media.vol_retention} sec. '
                           f"and has {len(jobs)} jobs that will be pruned")
            await self.purge_jobs(jobs)
        return len(jobs)

    async def purge_jobs(self, jobs: list[int]) -> None:
        if jobs:
            await self.db(self.cat.purge_jobs, jobs)
