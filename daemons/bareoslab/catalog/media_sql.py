"""Volumes (Media rows) and JobMedia: creation, the next volume of a pool, the SD's updates."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from .base import SqlBase
from .driver import marks
from .errors import CatalogError, NotFoundError, VolumeExistsError
from .records import JobMediaRow, MediaRow, MediaUpdate, MediaUpdateResult, TimeLike
from .rows import JOBMEDIA, MEDIA, to_int
from .times import db_time, local_datetime
from .times import now as _now

# legal characters of a simple Label Format (Bareos IsVolumeNameLegal)
_LEGAL_VOLUME_NAME = re.compile(r"[A-Za-z0-9:._\-]+")


class MediaSql(SqlBase):
    """Volumes and JobMedia."""

    _POOL_MEDIA_DEFAULTS = (
        "recycle", "vol_retention", "vol_use_duration", "max_vol_jobs", "max_vol_files",
        "max_vol_bytes", "action_on_purge", "recycle_pool_id", "scratch_pool_id",
        "min_block_size", "max_block_size",
    )  # fmt: skip

    def create_media(self, media: MediaRow, *, pool_defaults: bool = True) -> int:
        """Insert a volume.  With ``pool_defaults`` the pool's retention/limit
        columns are copied.  VolStatus defaults to Append if VolBytes>0 else
        Unlabeled; InChanger=1 when Slot>0.  Pool.NumVols is recomputed.
        :class:`VolumeExistsError` when the name is taken."""
        values = {f: getattr(media, f) for f in MEDIA.fields if f != "media_id"}
        with self._db.transaction():
            if self._one("SELECT MediaId FROM Media WHERE VolumeName = ?", (media.volume_name,)):
                raise VolumeExistsError(f'Volume "{media.volume_name}" already exists.')
            if pool_defaults:
                pool = self.get_pool(media.pool_id)
                if pool is None:
                    raise NotFoundError(f"no Pool record with PoolId {media.pool_id}")
                values.update({f: getattr(pool, f) for f in self._POOL_MEDIA_DEFAULTS})
            if not values["vol_status"]:
                values["vol_status"] = "Append" if media.vol_bytes > 0 else "Unlabeled"
            self._check_vol_status(values["vol_status"])
            if media.slot > 0:
                values["in_changer"] = 1
            cols = [MEDIA.column(f) for f in values]
            params = [db_time(v) if MEDIA.is_time(f) else v for f, v in values.items()]
            params = [int(v) if isinstance(v, bool) else v for v in params]
            media_id = to_int(
                self._one(
                    f"INSERT INTO Media ({', '.join(cols)}) VALUES ({marks(len(cols))}) "
                    "RETURNING MediaId",
                    params,
                )
            )
            self._make_inchanger_unique(
                media_id, values["slot"], values["in_changer"], values["storage_id"]
            )
            self._update_num_vols(media.pool_id)
        return media_id

    def _make_inchanger_unique(
        self, media_id: int, slot: int, in_changer: int, storage_id: int
    ) -> None:
        if in_changer and slot > 0:
            self._db.execute(
                "UPDATE Media SET InChanger = 0 WHERE Slot = ? AND StorageId = ? AND MediaId <> ?",
                (slot, storage_id, media_id),
            )

    def list_media(self, pool_id: int | None = None) -> list[MediaRow]:
        if pool_id is None:
            rows = self._db.execute(f"SELECT {MEDIA.select} FROM Media ORDER BY MediaId").fetchall()
        else:
            rows = self._db.execute(
                f"SELECT {MEDIA.select} FROM Media WHERE PoolId = ? ORDER BY MediaId", (pool_id,)
            ).fetchall()
        return [MEDIA.row(r) for r in rows]

    _NEXT_VOLUME_ORDER = {
        # most recently written first (Bareos sql_media_order_most_recently_written)
        "Append": "ORDER BY LastWritten IS NULL, LastWritten DESC, MediaId",
        "Unlabeled": "ORDER BY LastWritten IS NULL, LastWritten DESC, MediaId",
        # oldest first, only recyclable volumes
        "Recycle": "AND Recycle = 1 ORDER BY LastWritten IS NULL, LastWritten, MediaId",
        "Purged": "AND Recycle = 1 ORDER BY LastWritten IS NULL, LastWritten, MediaId",
    }

    def find_next_volume(
        self,
        pool_id: int,
        media_type: str,
        unwanted: Sequence[str] = (),
        *,
        storage_id: int | None = None,
        recycle: bool = True,
    ) -> MediaRow | None:
        """The volume a job appends to, in Bareos' order: Append (most recently
        written first), Unlabeled, Recycle (oldest first), then Purged (oldest
        first, recycled when ``recycle``).  Only enabled volumes of ``media_type``."""
        passes: list[int | None] = [storage_id, None] if storage_id is not None else [None]
        for changer in passes:
            for status, order in self._NEXT_VOLUME_ORDER.items():
                sql = (
                    f"SELECT {MEDIA.select} FROM Media WHERE PoolId = ? AND MediaType = ? "
                    "AND Enabled = 1 AND VolStatus = ?"
                )
                params: list[Any] = [pool_id, media_type, status]
                if changer is not None:
                    sql += " AND InChanger = 1 AND StorageId = ?"
                    params.append(changer)
                for row in self._db.execute(f"{sql} {order}", params).fetchall():
                    media = MEDIA.row(row)
                    if media.volume_name in unwanted:
                        continue
                    if status == "Purged" and recycle:
                        return self.recycle_volume(media.media_id)
                    return media
        return None

    def recycle_volume(self, media_id: int) -> MediaRow:
        """VolStatus Recycle, counters reset, RecycleCount+1 (Bareos ``RecycleVolume``)."""
        updated = self._db.execute(
            "UPDATE Media SET VolStatus = 'Recycle', VolJobs = 0, VolFiles = 0, VolBlocks = 0, "
            "VolErrors = 0, VolBytes = 1, FirstWritten = NULL, LastWritten = NULL, "
            "RecycleCount = RecycleCount + 1 WHERE MediaId = ?",
            (media_id,),
        ).rowcount
        media = self.get_media(media_id)
        if not updated or media is None:
            raise NotFoundError(f"no Media record with MediaId {media_id}")
        return media

    def next_volume_name(self, label_format: str) -> str | None:
        """LabelFormat + 4-digit number from MAX(MediaId)+1, skipping taken names;
        None for '*'/empty formats or after 99 taken names."""
        if not label_format or label_format == "*":
            return None
        if not _LEGAL_VOLUME_NAME.fullmatch(label_format):
            raise CatalogError(
                f"Label Format {label_format!r} uses variables; only plain text "
                "(letters, digits, ':', '.', '-', '_') is numbered by the catalog"
            )
        highest = to_int(self._one("SELECT MAX(MediaId) FROM Media"))
        for number in range(highest + 1, highest + 100):
            name = f"{label_format}{number:04d}"
            if self._one("SELECT 1 FROM Media WHERE VolumeName = ?", (name,)) is None:
                return name
        return None

    def update_media_from_sd(
        self,
        update: MediaUpdate,
        *,
        job_start_time: TimeLike | None = None,
        write_storage_id: int | None = None,
    ) -> MediaUpdateResult:
        """Apply an SD ``UpdateMedia`` request with Bareos' rules.
        :class:`NotFoundError` when the volume is unknown."""
        started = local_datetime(job_start_time if job_start_time is not None else _now())
        with self._db.transaction():
            media = self.get_media(update.volume_name)
            if media is None:
                raise NotFoundError(f'Volume "{update.volume_name}" not in catalog.')
            messages: list[str] = []
            vol_files, vol_blocks, vol_bytes = update.vol_files, update.vol_blocks, update.vol_bytes
            if media.first_written is None:
                media.first_written = (
                    local_datetime(update.first_written) if update.first_written else started
                )
            if update.relabel or media.label_date is None:
                media.label_date = started
                if media.initial_write is None:
                    media.initial_write = started
            else:
                if vol_files < media.vol_files:
                    messages.append(
                        f"Ignoring Volume Files at {media.vol_files} being set to {vol_files}"
                        f' for Volume "{media.volume_name}".'
                    )
                    vol_files, vol_blocks = media.vol_files, media.vol_blocks
                elif vol_files == media.vol_files and vol_blocks < media.vol_blocks:
                    messages.append(
                        f"Ignoring Volume Blocks at {media.vol_blocks} being set to {vol_blocks}"
                        f' for Volume "{media.volume_name}".'
                    )
                    vol_blocks = media.vol_blocks
                if vol_bytes < media.vol_bytes:
                    messages.append(
                        f"Ignoring Volume Bytes at {media.vol_bytes} being set to {vol_bytes}"
                        f' for Volume "{media.volume_name}".'
                    )
                    vol_bytes = media.vol_bytes
            if media.vol_blocks != vol_blocks and update.last_written:
                media.last_written = local_datetime(update.last_written)
            if write_storage_id and update.vol_writes > media.vol_writes:
                media.storage_id = write_storage_id
            self._check_vol_status(update.vol_status)
            media.vol_jobs = update.vol_jobs
            media.vol_files = vol_files
            media.vol_blocks = vol_blocks
            media.vol_bytes = vol_bytes
            media.vol_mounts = update.vol_mounts
            media.vol_errors = update.vol_errors
            media.vol_writes = update.vol_writes
            media.slot = update.slot
            media.in_changer = update.in_changer
            media.vol_status = update.vol_status
            media.vol_read_time = update.vol_read_time
            media.vol_write_time = update.vol_write_time
            self._db.execute(
                "UPDATE Media SET FirstWritten = ?, LabelDate = ?, InitialWrite = ?, LastWritten = ?, "
                "VolJobs = ?, VolFiles = ?, VolBlocks = ?, VolBytes = ?, VolMounts = ?, "
                "VolErrors = ?, VolWrites = ?, Slot = ?, InChanger = ?, VolStatus = ?, "
                "VolReadTime = ?, VolWriteTime = ?, StorageId = ? WHERE MediaId = ?",
                (
                    db_time(media.first_written), db_time(media.label_date),
                    db_time(media.initial_write), db_time(media.last_written), media.vol_jobs,
                    media.vol_files, media.vol_blocks, media.vol_bytes, media.vol_mounts,
                    media.vol_errors, media.vol_writes, media.slot, media.in_changer,
                    media.vol_status, media.vol_read_time, media.vol_write_time,
                    media.storage_id, media.media_id,
                ),
            )  # fmt: skip
            self._make_inchanger_unique(
                media.media_id, media.slot, media.in_changer, media.storage_id
            )
        return MediaUpdateResult(media=media, messages=messages)

    def update_media_status(self, name: str, status: str) -> None:
        self.update_media(name, vol_status=status)

    def update_media(self, name: str, **columns: Any) -> None:
        """Set arbitrary Media columns by field name (``vol_status="Used"``)."""
        if not columns:
            return
        if "vol_status" in columns:
            self._check_vol_status(columns["vol_status"])
        sets = ", ".join(f"{MEDIA.column(f)} = ?" for f in columns)
        params = [db_time(v) if MEDIA.is_time(f) else v for f, v in columns.items()]
        with self._db.transaction():
            pools = self._db.execute(
                "SELECT PoolId FROM Media WHERE VolumeName = ?", (name,)
            ).fetchone()
            if pools is None:
                raise NotFoundError(f'Volume "{name}" not in catalog.')
            self._db.execute(f"UPDATE Media SET {sets} WHERE VolumeName = ?", [*params, name])
            if "pool_id" in columns:
                self._update_num_vols(to_int(pools[0]))
                self._update_num_vols(int(columns["pool_id"]))

    def create_jobmedia(
        self,
        job_id: int,
        media_id: int,
        first_index: int,
        last_index: int,
        start_file: int,
        end_file: int,
        start_block: int,
        end_block: int,
        job_bytes: int = 0,
    ) -> int:
        """Insert a JobMedia row (VolIndex = 1 + the job's rows) and set the
        volume's EndFile/EndBlock.  Returns the JobMediaId."""
        with self._db.transaction():
            count = to_int(self._one("SELECT count(*) FROM JobMedia WHERE JobId = ?", (job_id,)))
            jobmedia_id = to_int(
                self._one(
                    "INSERT INTO JobMedia (JobId, MediaId, FirstIndex, LastIndex, StartFile, "
                    "EndFile, StartBlock, EndBlock, VolIndex, JobBytes) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING JobMediaId",
                    (
                        job_id, media_id, first_index, last_index, start_file, end_file,
                        start_block, end_block, count + 1, job_bytes,
                    ),
                )
            )  # fmt: skip
            self._db.execute(
                "UPDATE Media SET EndFile = ?, EndBlock = ? WHERE MediaId = ?",
                (end_file, end_block, media_id),
            )
        return jobmedia_id

    def delete_media(self, media_id: int) -> None:
        """A volume's catalog record gone; its pool's NumVols counts again (``DeleteMediaRecord``)."""
        with self._db.transaction():
            pool_id = self._one("SELECT PoolId FROM Media WHERE MediaId = ?", (media_id,))
            self._db.execute("DELETE FROM Media WHERE MediaId = ?", (media_id,))
            if pool_id is not None:
                self._db.execute(
                    "UPDATE Pool SET NumVols = (SELECT count(*) FROM Media WHERE PoolId = ?) WHERE PoolId = ?",
                    (pool_id, pool_id),
                )

    def delete_null_jobmedia(self, job_id: int) -> int:
        return self._db.execute(
            "DELETE FROM JobMedia WHERE JobId = ? AND FirstIndex = 0 AND LastIndex = 0", (job_id,)
        ).rowcount

    def volumes_of_jobs(self, job_ids: Iterable[int]) -> list[tuple[int, str]]:
        """(MediaId, VolumeName) of every volume the jobs wrote, by MediaId."""
        ids = [int(i) for i in job_ids]
        rows = self._db.execute(
            "SELECT DISTINCT m.MediaId, m.VolumeName FROM JobMedia jm JOIN Media m ON m.MediaId = jm.MediaId "
            f"WHERE jm.JobId IN ({marks(len(ids))}) ORDER BY m.MediaId",
            ids,
        )
        return [(to_int(r[0]), r[1]) for r in rows.fetchall()]

    def jobmedia_for_jobs(self, job_ids: Iterable[int]) -> list[JobMediaRow]:
        """JobMedia rows of the jobs with volume and session data, in write order."""
        ids = [int(i) for i in job_ids]
        sql = self._named("jobmedia_for_jobs", columns=JOBMEDIA.select, job_ids=marks(len(ids)))
        return [JOBMEDIA.row(r) for r in self._db.execute(sql, ids).fetchall()]
