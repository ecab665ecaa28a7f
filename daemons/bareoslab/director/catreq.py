"""Catalog requests from a Storage Daemon (``CatReq``, ``UpdCat``) and their answers.

The SD never touches the catalog; it asks the Director here, on its control
connection, for volumes (FindMedia, GetVolInfo), reports volume counters
(UpdateMedia), job placement (CreateJobMedia) and file attributes (UpdCat).
"""

from __future__ import annotations

import logging
import struct
from typing import TYPE_CHECKING, Any, NamedTuple

from ..catalog.api import MediaUpdate, NotFoundError
from ..codes import DIGEST_STREAMS, STREAM_MASK, FileType, MsgType, Stream
from ..net.bareos64 import bin_to_base64
from ..net.errors import ProtocolError
from ..net.framing import bash_spaces, unbash_spaces
from .next_vol import NextVolume

if TYPE_CHECKING:
    from .daemon import Director
    from .jcr import JobControlRecord

log = logging.getLogger(__name__)

_UPDCAT_HEADER = struct.Struct(">IIiiI")
UPDCAT_PREFIX = b"UpdCat Job="
NO_MEDIA = "1901 No Media.\n"
#: File rows a backup stages before the catalog thread writes them: the Director's memory
#: during a backup is bounded by these, not by the job's files (1,000 rows held ~0.4 MiB;
#: 250 cost the Director ~0.1 s more CPU per 50,000 files, on SQLite and PostgreSQL alike)
ATTRIBUTE_FLUSH_ROWS = 250


def parse_kv(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for token in text.split():
        key, sep, value = token.partition("=")
        if sep:
            out[key] = unbash_spaces(value)
    return out


def ok_media(m: Any) -> str:
    """The 24-field ``1000 OK VolName=...`` answer for a Media row."""
    return (
        f"1000 OK VolName={bash_spaces(m.volume_name)} VolJobs={m.vol_jobs} VolFiles={m.vol_files} "
        f"VolBlocks={m.vol_blocks} VolBytes={m.vol_bytes} VolMounts={m.vol_mounts} "
        f"VolErrors={m.vol_errors} VolWrites={m.vol_writes} MaxVolBytes={m.max_vol_bytes} "
        f"VolCapacityBytes={m.vol_capacity_bytes} VolStatus={m.vol_status} Slot={m.slot} "
        f"MaxVolJobs={m.max_vol_jobs} MaxVolFiles={m.max_vol_files} InChanger={m.in_changer} "
        f"VolReadTime={m.vol_read_time} VolWriteTime={m.vol_write_time} EndFile={m.end_file} "
        f"EndBlock={m.end_block} LabelType={m.label_type} MediaId={m.media_id} EncryptionKey= "
        f"MinBlocksize={m.min_block_size} MaxBlocksize={m.max_block_size}\n"
    )


class FileAttributes(NamedTuple):
    file_index: int
    file_type: int
    name: str
    lstat: str
    link: str


class UpdCat(NamedTuple):
    """One ``UpdCat Job=<job> FileAttributes <header><record>`` message."""

    file_index: int
    stream: int  # without the stream's flag bits
    data: bytes
    attributes: FileAttributes | None  # for the attribute streams


def split_attributes(data: bytes) -> FileAttributes:
    """``"<FileIndex> <FileType> <name>\\0<lstat>\\0<link>\\0..."``; ValueError if malformed."""
    head, _, rest = data.partition(b" ")
    ftype, _, rest = rest.partition(b" ")
    parts = rest.split(b"\0")
    name = parts[0].decode("utf-8", "surrogateescape")
    lstat = parts[1].decode("ascii", "replace") if len(parts) > 1 else ""
    link = parts[2].decode("utf-8", "surrogateescape") if len(parts) > 2 else ""
    return FileAttributes(int(head), int(ftype), name, lstat, link)


def parse_updcat(msg: bytes) -> UpdCat | None:
    """An ``UpdCat`` message (None if it is not about file attributes); ProtocolError if it
    is malformed."""
    start = msg.find(b" FileAttributes ")
    if start < 0:
        return None
    body = memoryview(msg)[start + len(b" FileAttributes "):]
    if len(body) < _UPDCAT_HEADER.size:
        raise ProtocolError(f"UpdCat of {len(msg)} bytes is cut short")
    _sid, _stime, file_index, stream, length = _UPDCAT_HEADER.unpack_from(body)
    data = bytes(body[_UPDCAT_HEADER.size:_UPDCAT_HEADER.size + length])
    if len(data) != length:
        raise ProtocolError(f"UpdCat announces {length} bytes of record and carries {len(data)}")
    stream &= STREAM_MASK
    attributes = None
    if stream in (Stream.UNIX_ATTRIBUTES, Stream.UNIX_ATTRIBUTES_EX):
        try:
            attributes = split_attributes(data)
        except ValueError as exc:
            raise ProtocolError(f"UpdCat with malformed attributes: {data[:60]!r}") from exc
    return UpdCat(file_index, stream, data, attributes)


class CatalogRequests:
    """Answers one SD connection's catalog requests for one job."""

    def __init__(self, director: Director, jcr: JobControlRecord) -> None:
        self.director = director
        self.jcr = jcr

    @property
    def jobid(self) -> int:
        """The job the SD's rows belong to: a copy/migrate worker's go to the new job."""
        return self.jcr.catalog_jobid or self.jcr.jobid

    async def handle(self, line: str) -> str | None:
        """Answer a ``CatReq`` line; None when no answer is due."""
        body = line.split(" ", 2)[2] if line.count(" ") >= 2 else ""
        word = body.split("=", 1)[0].split(" ", 1)[0]
        kv = parse_kv(body)
        handler = {
            "FindMedia": self.find_media,
            "GetVolInfo": self.get_vol_info,
            "UpdateMedia": self.update_media,
            "CreateJobMedia": self.create_jobmedia,
            "DeleteNullJobmediaRecords": self.delete_null_jobmedia,
            "UpdateJobRecord": self.update_job_record,
            "UpdateFileList": self.update_file_list,
        }.get(word)
        if handler is None:
            return f"1990 Invalid Catalog Request: {line.strip()}\n"
        try:
            return await handler(kv)
        except Exception as exc:  # a catalog failure is this job's error, not the daemon's
            log.exception("catalog request failed: %s", line.strip())
            await self.director.job_msg(self.jcr, MsgType.ERROR, f"Catalog request failed: {exc}")
            return f"1991 Catalog Request failed: {exc}\n"

    async def find_media(self, kv: dict[str, str]) -> str:
        pool = self.director.cfg.get("Pool", kv.get("pool_name", ""))
        if pool is None:
            return NO_MEDIA
        unwanted = [v for v in kv.get("unwanted_volumes", "").split(",") if v]
        media = await NextVolume(self.director, self.jcr).find_for_append(pool, kv.get("media_type", ""), unwanted)
        return NO_MEDIA if media is None else ok_media(media)

    async def get_vol_info(self, kv: dict[str, str]) -> str:
        name = kv.get("VolName", "")
        media = await self.director.db(self.director.catalog.get_media, name)
        if media is None:
            return f'1997 Volume "{name}" not in catalog.\n'
        if kv.get("write") == "1":  # Bareos' catreq.cc: the job's pool, its Storage's media type
            storage = self.jcr.storage
            if self.jcr.pool_id and media.pool_id != self.jcr.pool_id:
                reason: str | None = "not in Pool"
            elif storage is not None and media.media_type != storage.media_type:
                reason = "not correct MediaType"
            else:
                reason = await NextVolume(self.director, self.jcr).check_for_write(media)
            if reason is None and not media.enabled:
                reason = "is not Enabled"
            if reason is not None:
                return f'1998 Volume "{name}" catalog status is {media.vol_status}, {reason}.\n'
            media = await self.director.db(self.director.catalog.get_media, name) or media
        return ok_media(media)

    async def update_media(self, kv: dict[str, str]) -> str:
        name = kv.get("VolName", "")
        num = lambda key: int(kv.get(key, 0) or 0)  # noqa: E731
        update = MediaUpdate(
            volume_name=name, vol_jobs=num("VolJobs"), vol_files=num("VolFiles"),
            vol_blocks=num("VolBlocks"), vol_bytes=num("VolBytes"), vol_mounts=num("VolMounts"),
            vol_errors=num("VolErrors"), vol_writes=num("VolWrites"), max_vol_bytes=num("MaxVolBytes"),
            last_written=num("EndTime"), vol_status=kv.get("VolStatus", "Append"), slot=num("Slot"),
            relabel=kv.get("relabel") == "1", in_changer=num("InChanger"),
            vol_read_time=num("VolReadTime"), vol_write_time=num("VolWriteTime"),
            first_written=num("VolFirstWritten"),
        )
        try:
            result = await self.director.db(
                self.director.catalog.update_media_from_sd, update,
                job_start_time=self.jcr.start_time or None,
                write_storage_id=self.director.storage_ids.get(self.jcr.storage.name) if self.jcr.storage else None,
            )
        except NotFoundError:
            return f'1991 Volume "{name}" not in catalog.\n'
        media = result.media
        for text in result.messages:
            await self.director.job_msg(self.jcr, MsgType.INFO, text)
        if name not in self.jcr.volumes and kv.get("VolJobs", "0") != "0":
            self.jcr.volumes.append(name)
        self.jcr.last_volume_bytes = media.vol_bytes
        return ok_media(media)

    async def create_jobmedia(self, kv: dict[str, str]) -> str:
        values = [int(kv.get(k, 0)) for k in
                  ("FirstIndex", "LastIndex", "StartFile", "EndFile", "StartBlock", "EndBlock", "MediaId")]
        first, last, sfile, efile, sblock, eblock, media_id = values
        await self.director.db(self.director.catalog.create_jobmedia, self.jobid, media_id, first, last,
                               sfile, efile, sblock, eblock)
        media = await self.director.db(self.director.catalog.get_media, media_id)
        if media is not None and media.volume_name not in self.jcr.volumes:
            self.jcr.volumes.append(media.volume_name)
        return "1000 OK CreateJobMedia\n"

    async def delete_null_jobmedia(self, kv: dict[str, str]) -> str:
        await self.director.db(self.director.catalog.delete_null_jobmedia, self.jobid)
        return "1000 OK DeleteNullJobmediaRecords\n"

    async def update_job_record(self, kv: dict[str, str]) -> str | None:
        return None

    async def update_file_list(self, kv: dict[str, str]) -> str | None:
        return None

    async def file_attributes(self, msg: bytes) -> None:
        """``UpdCat Job=<job> FileAttributes <binary header><record>``: stage a File row."""
        record = parse_updcat(msg)
        batch = self.jcr.file_batch
        if record is None or batch is None:
            return
        if record.attributes is not None:
            a = record.attributes
            # the record's FileIndex (a copy renumbers records, not the attribute text); a file
            # accurate mode reports deleted gets FileIndex 0, which hides it from restores
            batch.add(0 if a.file_type == FileType.DELETED else record.file_index, a.name, a.lstat, "0")
        elif record.stream in DIGEST_STREAMS:
            batch.set_digest(record.file_index, bin_to_base64(record.data, compat=True))
        if batch.pending >= ATTRIBUTE_FLUSH_ROWS:
            # flushed by the catalog thread; nothing else adds rows while we wait here
            await self.director.db(batch.flush_keep_last)
