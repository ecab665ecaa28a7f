"""The records one file produces on the data channel (protocol.md §9).

For one :class:`~bareoslab.filed.fileset.FileEntry` and its FileIndex,
:func:`file_streams` gives, in order, ``(stream, chunks)`` pairs:

1. stream 1 ``UNIX_ATTRIBUTES``: one message (protocol.md §10.1);
2. file data, for regular files with size > 0 only:

   * stream 2 ``FILE_DATA``: the bytes as read;
   * stream 29 ``COMPRESSED_DATA`` (compression GZIP/GZIPn): per chunk a 12-byte
     big-endian header ``b"GZIP"``, compressed length u32, level u16, version
     u16 = 1, then the chunk compressed *on its own* as a complete zlib stream
     (zlib header + deflate + adler32: Bareos runs ``deflate(Z_FINISH)`` and
     ``deflateReset`` per chunk), so each record decompresses with
     ``zlib.decompress`` alone;
   * stream 6 ``SPARSE_DATA`` (sparse=yes): per chunk an 8-byte big-endian file
     offset then the bytes; a full-size chunk of zeros that does not reach the
     end of the file is not sent (so the last chunk always is, and the size is
     restored); reads are ``chunk_size - 8`` so a record stays <= chunk_size;
   * stream 30 ``SPARSE_COMPRESSED_DATA`` (both): offset, then compression header
     and zlib stream;

3. the digest (signature=...): stream 3 MD5, 10 SHA1, 17 SHA256, 18 SHA512,
   40 XXH128 (XXH3 128-bit, the ``xxhash`` binding), one message with the raw
   digest of all bytes read (holes included). An FT_REGE file gets the digest of
   no data; FT_LNKSAVED repeats the digest of the saved name, as Bareos does.

Hashing: for plain data of at least two chunks the digest is updated by a thread of its
own (:class:`DigestThread`), one or two chunks behind the read, so that reading the next
chunk and sending this one do not wait for it; ``workers=0`` (the Client's ``Maximum Workers
Per Job = 0``) hashes in the reading thread. Bareos' File daemon does the same from 23.0 on
(its digest task runs on the job's worker threads). Compressed and sparse data are hashed as
they are read.

Streaming: the data is read with ``readinto`` into one reusable buffer and the
chunk handed out is a ``memoryview`` of that buffer. **A chunk is valid only
until the next one is requested**: send (or copy) it before advancing.
Each ``chunks`` iterator must be consumed before the next pair is taken; the
outer iterator drains an abandoned one.

Failures never raise: a file that cannot be opened produces *no* stream at all
(the caller keeps the FileIndex for the next file, since the SD wants them
consecutive), a read error or a file that changed size is recorded in
:attr:`FileStreams.outcome`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import queue
import stat as statmod
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import xxhash

from bareoslab.codes import FileType, Stream
from bareoslab.config.schema import resource_schema
from bareoslab.config.types import keyword
from bareoslab.filed.attribs import encode_attributes, encode_lstat
from bareoslab.filed.fileset import FileEntry, Options

__all__ = [
    "COMPRESSION_HEADER",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_WORKERS",
    "DigestThread",
    "FileOutcome",
    "FileStreams",
    "data_stream_for",
    "digest_for",
    "file_streams",
]

DEFAULT_CHUNK_SIZE = 256 * 1024  # Bareos' default network buffer size
#: the Client's Maximum Workers Per Job when it is not set (Bareos' default, from the schema)
DEFAULT_WORKERS: int = resource_schema("fd", "Client").by_keyword[keyword("Maximum Workers Per Job")].default
#: chunks the reader may be ahead of the digest thread (the memory it holds on to)
DIGEST_DEPTH = 2
OFFSET_SIZE = 8
COMPRESSION_HEADER = struct.Struct(">4sIHH")  # magic, compressed length, level, version
COMPRESSION_VERSION = 1
GZIP_MAGIC = b"GZIP"

Chunk = bytes | bytearray | memoryview

_DIGESTS: dict[str, tuple[Stream, Any]] = {
    "MD5": (Stream.MD5_DIGEST, hashlib.md5),
    "SHA1": (Stream.SHA1_DIGEST, hashlib.sha1),
    "SHA256": (Stream.SHA256_DIGEST, hashlib.sha256),
    "SHA512": (Stream.SHA512_DIGEST, hashlib.sha512),
    "XXH128": (Stream.XXH128_DIGEST, xxhash.xxh3_128),  # canonical big-endian digest, as Bareos sends
}


def digest_for(signature: str | None) -> tuple[Stream, Any] | None:
    """(digest stream, hash constructor) for a Signature value, None if not available."""
    if signature is None:
        return None
    return _DIGESTS.get(signature.upper())


def data_stream_for(options: Options) -> Stream:
    """The data stream Bareos selects for these options (also put into the lstat)."""
    gzip = options.gzip_level is not None
    if options.sparse:
        return Stream.SPARSE_COMPRESSED_DATA if gzip else Stream.SPARSE_DATA
    return Stream.COMPRESSED_DATA if gzip else Stream.FILE_DATA


@dataclass
class FileOutcome:
    """What happened to one file; read it after the streams are consumed."""

    file_index: int
    read_bytes: int = 0  # bytes read from the file (ReadBytes)
    sent_bytes: int = 0  # bytes of data-stream records, headers included (JobBytes)
    streams: list[int] = field(default_factory=list)
    digest: bytes | None = None
    digest_stream: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def sent(self) -> bool:
        """True if any record used this FileIndex (False: the caller reuses it)."""
        return bool(self.streams)

    @property
    def ok(self) -> bool:
        return not self.errors


def _type_from_stat(st: os.stat_result) -> FileType:
    if statmod.S_ISREG(st.st_mode):
        return FileType.REG if st.st_size > 0 else FileType.REGE
    return FileType.SPEC


# indirection tests can monkeypatch
_os_open = os.open


def _open_for_read(entry: FileEntry) -> int:
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    if entry.options.noatime and hasattr(os, "O_NOATIME"):
        try:
            return _os_open(entry.path, flags | os.O_NOATIME)
        except PermissionError:  # O_NOATIME needs ownership or CAP_FOWNER
            pass
    return _os_open(entry.path, flags)


class FileStreams:
    """Iterable of ``(stream, chunks)`` for one file; see the module doc."""

    def __init__(
        self,
        entry: FileEntry,
        file_index: int,
        link_fi: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        workers: int = DEFAULT_WORKERS,
    ) -> None:
        if chunk_size <= OFFSET_SIZE + 1:
            raise ValueError("chunk_size too small")
        self.entry = entry
        self.file_index = file_index
        self.link_fi = link_fi
        self.chunk_size = chunk_size
        self.workers = workers
        self.outcome = FileOutcome(file_index)
        self._iter = self._generate()

    def __iter__(self) -> Iterator[tuple[int, Iterator[Chunk]]]:
        return self._iter

    # -- helpers ---------------------------------------------------------

    def _error(self, msg: str) -> None:
        self.outcome.errors.append(f"{self.entry.path}: {msg}")

    def _warning(self, msg: str) -> None:
        self.outcome.warnings.append(f"{self.entry.path}: {msg}")

    def _emit(self, stream: int, chunks: Iterator[Chunk]) -> Iterator[tuple[int, Iterator[Chunk]]]:
        self.outcome.streams.append(stream)
        yield stream, chunks
        for _ in chunks:  # drain what the consumer left
            pass

    # -- the per-file sequence -------------------------------------------

    def _generate(self) -> Iterator[tuple[int, Iterator[Chunk]]]:
        entry = self.entry
        opts = entry.options
        ftype = entry.file_type
        hl = entry.hardlink
        link = entry.link
        link_fi = self.link_fi
        if ftype == FileType.LNKSAVED:
            if hl is not None and hl.file_index == 0:
                # the first name was never sent: this name carries the data (as Bareos)
                ftype = _type_from_stat(entry.stat)
                link, link_fi = "", 0
            elif hl is not None:
                link = hl.saved_name or link
                if link_fi is None:
                    link_fi = hl.file_index
        data_stream = data_stream_for(opts)
        digest = None
        if ftype in (FileType.REG, FileType.REGE):
            digest = digest_for(opts.signature)
            if digest is None and opts.signature:
                self._warning(f"signature {opts.signature} not available, no digest sent")
            if opts.compression and opts.gzip_level is None:
                self._warning(
                    f"compression {opts.compression} not supported, data sent uncompressed"
                )

        fd = -1
        if ftype == FileType.REG:
            try:
                fd = _open_for_read(entry)
                st = os.fstat(fd)
                if not statmod.S_ISREG(st.st_mode):
                    raise OSError(errno.EINVAL, "no longer a regular file")
            except OSError as exc:
                if fd >= 0:
                    os.close(fd)
                self._error(f"Cannot open: {exc.strerror or exc}")
                return
        try:
            lstat = encode_lstat(entry.stat, link_fi or 0, int(data_stream))
            name = entry.name
            attrs = encode_attributes(self.file_index, ftype, name, lstat, link)
            yield from self._emit(Stream.UNIX_ATTRIBUTES, iter((attrs,)))
            if hl is not None and ftype in (FileType.REG, FileType.REGE, FileType.SPEC):
                hl.file_index, hl.saved_name = self.file_index, entry.path

            hasher = digest[1]() if digest is not None else None
            if fd >= 0:
                f = open(fd, "rb", buffering=0, closefd=True)
                fd = -1
                with f:
                    if st.st_size > self.chunk_size:  # a file read in one call needs no read-ahead
                        with contextlib.suppress(OSError, AttributeError):
                            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
                    reader = self._reader(f, data_stream, hasher, opts)
                    yield from self._emit(data_stream, reader)
                if self.outcome.errors:
                    return  # no digest for a file that could not be read whole
                self._keepatime()
            if digest is not None and hasher is not None:
                value = hasher.digest()
                self.outcome.digest, self.outcome.digest_stream = value, int(digest[0])
                if hl is not None:
                    hl.digest, hl.digest_stream = value, int(digest[0])
                yield from self._emit(digest[0], iter((value,)))
            elif ftype == FileType.LNKSAVED and hl is not None and hl.digest is not None:
                yield from self._emit(Stream(hl.digest_stream), iter((hl.digest,)))
        finally:
            if fd >= 0:
                os.close(fd)

    def _keepatime(self) -> None:
        if self.entry.options.keepatime:
            st = self.entry.stat
            with contextlib.suppress(OSError):
                os.utime(
                    self.entry.path, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False
                )

    def _check_size(self, read: int) -> None:
        expected = self.entry.stat.st_size
        if read != expected:
            self._warning(f"size changed while reading: expected {expected} bytes, read {read}")

    def _reader(self, f: Any, stream: int, hasher: Any, opts: Options) -> Iterator[Chunk]:
        level = opts.gzip_level
        if stream in (Stream.SPARSE_DATA, Stream.SPARSE_COMPRESSED_DATA):
            return self._read_sparse(f, hasher, level)
        if level is not None:
            return self._read_compressed(f, hasher, level)
        return self._read_plain(f, hasher)

    def _read_plain(self, f: Any, hasher: Any) -> Iterator[Chunk]:
        """The file's bytes as read: each chunk a new ``bytes`` the kernel filled, which the
        sender takes as it is (a reused buffer cost a copy of every chunk for the sender)."""
        read = f.read
        size = self.entry.stat.st_size
        chunk_size = self.chunk_size
        digester = None
        if hasher is not None and self.workers > 0 and size >= 2 * chunk_size:
            digester = DigestThread(hasher)
        update = hasher.update if hasher is not None else None
        if digester is not None:
            update = digester.update
        total = 0
        try:
            while True:
                # no more than one byte past the size the walk saw: a short read there is the end
                want = min(chunk_size, size - total + 1) if total <= size else chunk_size
                data = read(want)
                if not data:
                    break
                if update is not None:
                    update(data)
                total += len(data)
                yield data
                if len(data) < want and total == size:
                    break  # no read just to see EOF
        except OSError as exc:
            self._error(f"Read error: {exc.strerror or exc}")
        finally:
            if digester is not None:
                digester.finish()  # the digest is whole (or the reader was abandoned)
            self.outcome.read_bytes += total
            self.outcome.sent_bytes += total
        if not self.outcome.errors:
            self._check_size(total)

    def _read_compressed(self, f: Any, hasher: Any, level: int) -> Iterator[Chunk]:
        buf = bytearray(self.chunk_size)
        view = memoryview(buf)
        update = hasher.update if hasher is not None else None
        pack = COMPRESSION_HEADER.pack
        total = sent = 0
        try:
            while True:
                n = f.readinto(buf)
                if not n:
                    break
                chunk = view[:n]
                if update is not None:
                    update(chunk)
                total += n
                z = zlib.compress(chunk, level)
                rec = pack(GZIP_MAGIC, len(z), level, COMPRESSION_VERSION) + z
                sent += len(rec)
                yield rec
        except OSError as exc:
            self._error(f"Read error: {exc.strerror or exc}")
        finally:
            self.outcome.read_bytes += total
            self.outcome.sent_bytes += sent
        if not self.outcome.errors:
            self._check_size(total)

    def _read_sparse(self, f: Any, hasher: Any, level: int | None) -> Iterator[Chunk]:
        size = self.entry.stat.st_size
        buf = bytearray(self.chunk_size)
        view = memoryview(buf)
        data = view[OFFSET_SIZE:]
        rsize = len(data)
        zeros = bytes(rsize)
        update = hasher.update if hasher is not None else None
        pack_offset = struct.Struct(">Q").pack_into
        pack = COMPRESSION_HEADER.pack
        offset = sent = 0
        try:
            while True:
                n = f.readinto(data)
                if not n:
                    break
                chunk = data[:n]
                if update is not None:
                    update(chunk)
                # only a full chunk before the end of the file may be skipped
                # (first byte tested first: comparing a copy beats a memoryview compare)
                if not (
                    n == rsize and offset + n < size and not chunk[0] and bytes(chunk) == zeros
                ):
                    if level is None:
                        pack_offset(buf, 0, offset)
                        rec: Chunk = view[: OFFSET_SIZE + n]
                    else:
                        z = zlib.compress(chunk, level)
                        rec = b"".join(
                            (
                                offset.to_bytes(OFFSET_SIZE, "big"),
                                pack(GZIP_MAGIC, len(z), level, COMPRESSION_VERSION),
                                z,
                            )
                        )
                    sent += len(rec)
                    yield rec
                offset += n
        except OSError as exc:
            self._error(f"Read error: {exc.strerror or exc}")
        finally:
            self.outcome.read_bytes += offset
            self.outcome.sent_bytes += sent
        if not self.outcome.errors:
            self._check_size(offset)


class DigestThread:
    """Updates one file's hash with its chunks, in order, in a thread of its own.

    :meth:`update` hands a chunk over and returns at once unless :data:`DIGEST_DEPTH` chunks
    still wait to be hashed; :meth:`finish` waits until every chunk handed over is in the
    hash. The chunks are ``bytes``: the sender may hold the same object meanwhile.
    """

    def __init__(self, hasher: Any) -> None:
        self._hasher = hasher
        self._chunks: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._room: queue.SimpleQueue[None] = queue.SimpleQueue()  # a token per free place
        for _ in range(DIGEST_DEPTH):
            self._room.put(None)
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="backup-digest", daemon=True)
        self._thread.start()

    def update(self, chunk: bytes) -> None:
        self._room.get()
        if self._failure is not None:
            raise self._failure
        self._chunks.put(chunk)

    def finish(self) -> None:
        self._chunks.put(None)
        self._thread.join()

    def _run(self) -> None:
        take, update, give_room = self._chunks.get, self._hasher.update, self._room.put
        try:
            while (chunk := take()) is not None:
                update(chunk)
                give_room(None)
        except BaseException as exc:  # (MemoryError) the reader learns it at its next chunk
            self._failure = exc
            give_room(None)


def file_streams(
    entry: FileEntry,
    file_index: int,
    link_fi: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    workers: int = DEFAULT_WORKERS,
) -> FileStreams:
    """The records of one file, as ``(stream, chunks)`` pairs; see the module doc.

    :param link_fi: LinkFI for the lstat; by default taken from the entry's
        :class:`~bareoslab.filed.fileset.HardLink` (FileIndex of the saved name)
        for FT_LNKSAVED, 0 otherwise.
    :param workers: the Client's Maximum Workers Per Job; 0 hashes in the calling thread.
    :returns: an iterable whose ``outcome`` holds byte counts, digest and problems.
    """
    return FileStreams(entry, file_index, link_fi, chunk_size, workers)
