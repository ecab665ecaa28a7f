"""Turning restore records back into files under ``where``.

:class:`RestoreWriter` consumes the records the SD sends in volume order
(``rechdr``, protocol.md §7.2 step 8): ``record(file_index, stream, data)`` for
each, then ``finish()``.

Safety: nothing is ever written outside ``where``.

* Names are split into components; ``..`` anywhere refuses the file.
* The tree is walked with directory file descriptors (``openat``-style):
  every parent is opened relative to the previous one with ``O_NOFOLLOW``, so a
  symlink inside the restore tree (restored a moment ago or already there) is
  never followed. A symlink where a parent should be refuses the file.
* An existing entry at the final name is removed (``unlink``) and the new one
  created with ``O_CREAT|O_EXCL|O_NOFOLLOW``: an existing symlink or hard link
  is replaced, never written through.
* Hard-link sources are resolved the same way (under ``where``).
* In-place restores (``where`` = ``"/"`` or ``""``) follow symlinks in parent
  directories (``/lib -> usr/lib`` must work); ``..`` is still refused.

A refused or failed file is reported through ``on_message`` (``MsgType.ERROR``)
and its data records are skipped. Data streams: 2 (plain), 29 (compressed, the
inverse of :mod:`bareoslab.filed.backup_stream`), 6 (sparse: write at offset,
truncate to the saved size), 30 (sparse + compressed), 4/7 (deprecated
zlib without header). Digest streams are checked against the data written
(holes count as zeros); a mismatch is an error. Directory mode/owner/times are
applied in ``finish()``, deepest first, after their contents. Owners are set
when permitted (root); ``EPERM`` is ignored otherwise.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import stat as statmod
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import xxhash

from bareoslab.codes import STREAM_MASK, FileType, MsgType, Stream
from bareoslab.filed.attribs import Attributes, LStat, decode_attributes
from bareoslab.pagecache import DropBehind

__all__ = ["RestoreStats", "RestoreWriter", "OnMessage"]

log = logging.getLogger(__name__)

OnMessage = Callable[[MsgType, str], None]

_OFFSET = struct.Struct(">Q")
_COMP_HEADER = struct.Struct(">4sIHH")
_GZIP_MAGIC = b"GZIP"
# a compressed chunk may not expand beyond this (Bareos chunks are ~256 KiB)
MAX_CHUNK_EXPANSION = 64 * 1024 * 1024
_ZEROS = bytes(1024 * 1024)

_HASHES: dict[int, Any] = {
    Stream.MD5_DIGEST: hashlib.md5,
    Stream.SHA1_DIGEST: hashlib.sha1,
    Stream.SHA256_DIGEST: hashlib.sha256,
    Stream.SHA512_DIGEST: hashlib.sha512,
    Stream.XXH128_DIGEST: xxhash.xxh3_128,  # the canonical (big-endian) 16 bytes, as Bareos sends
}

_DIGEST_STREAMS = frozenset(
    {
        Stream.MD5_DIGEST,
        Stream.SHA1_DIGEST,
        Stream.SHA256_DIGEST,
        Stream.SHA512_DIGEST,
        Stream.XXH128_DIGEST,
    }
)
_ATTR_STREAMS = frozenset({Stream.UNIX_ATTRIBUTES, Stream.UNIX_ATTRIBUTES_EX})
_REPLACE = frozenset("awno")
_DIR_CACHE_MAX = 256


class _DirAttrs(NamedTuple):
    """What :meth:`RestoreWriter.finish` sets on a directory."""

    st_mode: int
    st_uid: int
    st_gid: int
    st_atime: int
    st_mtime: int

    @classmethod
    def of(cls, lst: LStat) -> _DirAttrs:
        return cls(lst.st_mode, lst.st_uid, lst.st_gid, lst.st_atime, lst.st_mtime)


class _Refused(Exception):
    """A name this writer will not restore (the message says why)."""


@dataclass
class RestoreStats:
    files: int = 0  # entries created (files, directories, links, ...)
    bytes: int = 0  # file data bytes written (after decompression)
    errors: int = 0
    warnings: int = 0
    skipped: int = 0  # not restored because of the replace policy


@dataclass
class _Current:
    """The file whose records are arriving."""

    attrs: Attributes
    parts: tuple[str, ...]
    fd: int = -1
    skip: bool = False  # ignore further data records of this file
    pos: int = 0  # next offset for sequential streams
    end: int = 0  # highest offset written
    sparse: bool = False
    hash_stream: int = 0
    hasher: Any = None
    hash_pos: int = 0
    hash_ok: bool = True
    warned_streams: set[int] = field(default_factory=set)
    behind: DropBehind | None = None  # a file's pages given up as it grows (large files)


def _components(name: str, what: str = "path") -> tuple[str, ...]:
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    if ".." in parts:
        raise _Refused(f'the {what} contains "..", refusing to restore it')
    return parts


class RestoreWriter:
    """Consume restore records and write the files under ``where``.

    :param where: restore prefix; ``""`` or ``"/"`` restores in place.
    :param replace: ``a`` always, ``w`` if the saved file is newer, ``o`` if older,
        ``n`` never (Bareos' ``restore replace=``).
    :param on_message: called as ``on_message(MsgType, text)`` for errors,
        warnings and infos; by default they are logged.
    :param verify_digests: check each restored file against its saved digest. Bareos'
        File Daemon skips digest streams on restore; the lab does too unless asked,
        since verifying costs a second pass of the hash over every byte.
    """

    def __init__(self, where: str, replace: str = "a", on_message: OnMessage | None = None,
                 verify_digests: bool = False) -> None:
        if replace not in _REPLACE:
            raise ValueError(f"replace must be one of a, w, n, o (got {replace!r})")
        self.root = os.path.abspath(where) if where not in ("", "/") else "/"
        self.in_place = self.root == "/"
        self.replace = replace
        self.on_message = on_message or _log_message
        self.verify_digests = verify_digests
        self.stats = RestoreStats()
        os.makedirs(self.root, exist_ok=True)
        self._root_fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self._dir_cache: dict[tuple[str, ...], int] = {}
        # directories restored, by "a/b/c", their attributes set in finish(): the one thing a
        # restore keeps per entry, so kept small (not the parts and the whole LStat)
        self._dirs: dict[str, _DirAttrs] = {}
        self._cur: _Current | None = None
        self._orphan_fi = 0  # FileIndex whose orphan data was already reported
        self._digest_hint = 0  # digest stream seen last: hash the next files with it
        self._finished = False
        self._handlers: dict[int, Callable[[_Current, memoryview], None]] = {
            Stream.FILE_DATA: self._plain,
            Stream.COMPRESSED_DATA: self._compressed,
            Stream.GZIP_DATA: self._gzip_raw,
            Stream.SPARSE_DATA: self._sparse,
            Stream.SPARSE_COMPRESSED_DATA: self._sparse_compressed,
            Stream.SPARSE_GZIP_DATA: self._sparse_gzip_raw,
        }

    # -- public ------------------------------------------------------------

    def record(self, file_index: int, stream: int, data: bytes | bytearray | memoryview) -> None:
        """Handle one record. Never raises for bad input: problems become messages."""
        if self._finished:
            raise RuntimeError("RestoreWriter.record() after finish()")
        s = stream & STREAM_MASK
        if s in _ATTR_STREAMS:
            self._close_current()
            self._attributes(file_index, data)
            return
        cur = self._cur
        if cur is None or cur.attrs.file_index != file_index:
            if self._orphan_fi != file_index:
                self._orphan_fi = file_index
                self._error(
                    f"record stream {s} for FileIndex {file_index} without attributes, ignored"
                )
            return
        if cur.skip:
            return
        if s in _DIGEST_STREAMS:
            self._digest(cur, s, memoryview(data))
            return
        handler = self._handlers.get(s)
        if handler is None:
            if s not in cur.warned_streams:
                cur.warned_streams.add(s)
                self._warning(f'"{cur.attrs.name}": stream {s} not supported, ignored')
            return
        if cur.fd < 0:
            self._error(f'"{cur.attrs.name}": data record for a file without data, ignored')
            cur.skip = True
            return
        try:
            handler(cur, memoryview(data))
        except (OSError, ValueError, zlib.error) as exc:
            self._error(f'"{cur.attrs.name}": {_why(exc)}; the rest of its data is skipped')
            cur.skip = True

    def finish(self) -> RestoreStats:
        """Close the last file, apply directory attributes; returns the counts."""
        if self._finished:
            return self.stats
        try:
            self._close_current()
            self._trim_cache(force=True)
            for key in sorted(self._dirs, key=lambda k: k.count("/"), reverse=True):
                self._trim_cache()
                self._finish_dir(tuple(key.split("/")), self._dirs[key])
        finally:
            self._finished = True
            self._trim_cache(force=True)
            os.close(self._root_fd)
        return self.stats

    def __enter__(self) -> RestoreWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()

    # -- messages ------------------------------------------------------------

    def _error(self, text: str) -> None:
        self.stats.errors += 1
        self.on_message(MsgType.ERROR, text)

    def _warning(self, text: str) -> None:
        self.stats.warnings += 1
        self.on_message(MsgType.WARNING, text)

    # -- safe path handling --------------------------------------------------

    def _display(self, parts: tuple[str, ...]) -> str:
        return os.path.join(self.root, *parts)

    def _trim_cache(self, force: bool = False) -> None:
        if force or len(self._dir_cache) > _DIR_CACHE_MAX:
            for fd in self._dir_cache.values():
                os.close(fd)
            self._dir_cache.clear()

    def _dir_fd(self, parts: tuple[str, ...], create: bool) -> int:
        """An fd of directory ``root/parts``; never follows a symlink (unless in place)."""
        if not parts:
            return self._root_fd
        fd = self._dir_cache.get(parts)
        if fd is not None:
            return fd
        parent = self._dir_fd(parts[:-1], create)
        name = parts[-1]
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
        if not self.in_place:
            flags |= os.O_NOFOLLOW
        try:
            fd = os.open(name, flags, dir_fd=parent)
        except FileNotFoundError:
            if not create:
                raise
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, 0o777, dir_fd=parent)
            try:
                fd = os.open(name, flags, dir_fd=parent)
            except OSError as exc:
                raise self._not_dir(parts, exc) from None
        except OSError as exc:
            raise self._not_dir(parts, exc) from None
        self._dir_cache[parts] = fd
        return fd

    def _not_dir(self, parts: tuple[str, ...], exc: OSError) -> Exception:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            return _Refused(
                f"{self._display(parts)} is a symbolic link or not a directory, "
                "refusing to follow it"
            )
        return exc

    def _existing(self, pfd: int, name: str) -> os.stat_result | None:
        try:
            return os.stat(name, dir_fd=pfd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def _may_replace(self, existing: os.stat_result, lstat: LStat) -> bool:
        r = self.replace
        if r == "a":
            return True
        if r == "n":
            return False
        if r == "w":
            return lstat.st_mtime > int(existing.st_mtime)
        return lstat.st_mtime < int(existing.st_mtime)  # "o": if older

    def _make_room(self, pfd: int, parts: tuple[str, ...], lstat: LStat) -> bool:
        """Remove what is at the final name if the replace policy allows; False = skip."""
        name = parts[-1]
        existing = self._existing(pfd, name)
        if existing is None:
            return True
        if not self._may_replace(existing, lstat):
            self.stats.skipped += 1
            self.on_message(
                MsgType.INFO,
                f"{self._display(parts)} already exists, not restored (replace={self.replace})",
            )
            return False
        if statmod.S_ISDIR(existing.st_mode):
            raise _Refused(f"{self._display(parts)} is a directory, cannot replace it by a file")
        os.unlink(name, dir_fd=pfd)
        return True

    # -- attribute records -----------------------------------------------------

    def _attributes(self, file_index: int, data: bytes | bytearray | memoryview) -> None:
        try:
            attrs = decode_attributes(data)
        except ValueError as exc:
            self._error(f"FileIndex {file_index}: {exc}")
            self._cur = _Current(_placeholder(file_index), (), skip=True)
            return
        if attrs.file_index != file_index:
            self._warning(
                f'"{attrs.name}": attribute FileIndex {attrs.file_index} != record FileIndex {file_index}'
            )
            attrs = attrs._replace(file_index=file_index)
        cur = _Current(attrs, ())
        self._cur = cur
        self._trim_cache()
        try:
            cur.parts = _components(attrs.name)
            if not cur.parts:
                if attrs.file_type != FileType.DIREND:
                    raise _Refused("empty file name")
                cur.skip = True  # the restore root itself: leave it alone
                return
            self._create(cur)
        except (_Refused, OSError) as exc:
            self._error(f'"{attrs.name}": {_why(exc)}')
            cur.skip = True
            if cur.fd >= 0:
                os.close(cur.fd)
                cur.fd = -1

    def _create(self, cur: _Current) -> None:
        attrs = cur.attrs
        ftype = attrs.file_type
        lst = attrs.lstat
        parts = cur.parts
        if ftype == FileType.DIREND:
            self._create_dir(cur)
            return
        pfd = self._dir_fd(parts[:-1], create=True)
        name = parts[-1]
        if ftype in (FileType.REG, FileType.REGE):
            flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            try:  # most restores create new files: the replace policy only for what is there
                cur.fd = os.open(name, flags, 0o600, dir_fd=pfd)
            except FileExistsError:
                if not self._make_room(pfd, parts, lst):
                    cur.skip = True
                    return
                cur.fd = os.open(name, flags, 0o600, dir_fd=pfd)
            self.stats.files += 1
            factory = _HASHES.get(self._digest_hint)
            if factory is not None:
                cur.hash_stream, cur.hasher = self._digest_hint, factory()
        elif ftype == FileType.LNK:
            if not self._make_room(pfd, parts, lst):
                cur.skip = True
                return
            os.symlink(attrs.link, name, dir_fd=pfd)
            self.stats.files += 1
            self._set_owner_times_nofollow(pfd, name, lst)
        elif ftype == FileType.LNKSAVED:
            src = _components(attrs.link, "hard link source")
            if not src:
                raise _Refused("hard link without a source name")
            spfd = self._dir_fd(src[:-1], create=False)
            if src == parts:
                cur.skip = True
                return
            if not self._make_room(pfd, parts, lst):
                cur.skip = True
                return
            try:
                os.link(src[-1], name, src_dir_fd=spfd, dst_dir_fd=pfd, follow_symlinks=False)
            except FileNotFoundError:
                raise _Refused(f"hard link source {self._display(src)} was not restored") from None
            self.stats.files += 1
        elif ftype == FileType.SPEC:
            self._create_special(cur, pfd, name)
        else:
            self._warning(f'"{attrs.name}": file type {ftype.name} is not restored')
            cur.skip = True

    def _create_dir(self, cur: _Current) -> None:
        parts = cur.parts
        pfd = self._dir_fd(parts[:-1], create=True)
        existing = self._existing(pfd, parts[-1])
        if existing is not None and not statmod.S_ISDIR(existing.st_mode):
            if not self._make_room(pfd, parts, cur.attrs.lstat):
                cur.skip = True
                return
            existing = None
        self._dir_fd(parts, create=True)
        if existing is None or self._may_replace(existing, cur.attrs.lstat):
            self._dirs["/".join(parts)] = _DirAttrs.of(cur.attrs.lstat)
        self.stats.files += 1

    def _create_special(self, cur: _Current, pfd: int, name: str) -> None:
        lst = cur.attrs.lstat
        mode = lst.st_mode
        if statmod.S_ISSOCK(mode):
            self._warning(f'"{cur.attrs.name}": socket not restored')
            return
        if not (statmod.S_ISFIFO(mode) or statmod.S_ISCHR(mode) or statmod.S_ISBLK(mode)):
            self._warning(f'"{cur.attrs.name}": unknown special file mode {mode:o}, not restored')
            return
        if not self._make_room(pfd, cur.parts, lst):
            return
        if statmod.S_ISFIFO(mode):
            os.mkfifo(name, 0o600, dir_fd=pfd)
            fd = os.open(
                name, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=pfd
            )
            try:
                self._set_attrs_fd(fd, lst, cur.attrs.name)
            finally:
                os.close(fd)
        else:
            os.mknod(name, statmod.S_IFMT(mode) | 0o600, lst.st_rdev, dir_fd=pfd)
            self._set_owner_times_nofollow(pfd, name, lst)
            with contextlib.suppress(OSError):
                os.chmod(name, statmod.S_IMODE(mode), dir_fd=pfd)
        self.stats.files += 1

    # -- metadata --------------------------------------------------------------

    def _set_attrs_fd(self, fd: int, lst: LStat | _DirAttrs, name: str) -> None:
        """Owner, then mode (chown clears set-id bits), then times."""
        with contextlib.suppress(PermissionError):
            os.fchown(fd, lst.st_uid, lst.st_gid)
        try:
            os.fchmod(fd, statmod.S_IMODE(lst.st_mode))
            os.utime(fd, (lst.st_atime, lst.st_mtime))
        except OSError as exc:
            self._warning(f'"{name}": cannot set attributes: {_why(exc)}')

    def _set_owner_times_nofollow(self, pfd: int, name: str, lst: LStat) -> None:
        with contextlib.suppress(PermissionError):
            os.chown(name, lst.st_uid, lst.st_gid, dir_fd=pfd, follow_symlinks=False)
        with contextlib.suppress(OSError):
            os.utime(name, (lst.st_atime, lst.st_mtime), dir_fd=pfd, follow_symlinks=False)

    def _finish_dir(self, parts: tuple[str, ...], lst: _DirAttrs) -> None:
        try:
            fd = self._dir_fd(parts, create=False)
        except (_Refused, OSError) as exc:
            self._error(f"{self._display(parts)}: cannot set directory attributes: {_why(exc)}")
            return
        self._set_attrs_fd(fd, lst, self._display(parts))

    def _close_current(self) -> None:
        cur = self._cur
        self._cur = None
        if cur is None or cur.fd < 0:
            return
        try:
            if not cur.skip:
                self._final_size(cur)
            self._set_attrs_fd(cur.fd, cur.attrs.lstat, cur.attrs.name)
        except OSError as exc:
            self._error(f'"{cur.attrs.name}": {_why(exc)}')
        finally:
            os.close(cur.fd)
            cur.fd = -1

    def _final_size(self, cur: _Current) -> None:
        size = cur.attrs.lstat.st_size
        if cur.sparse and cur.end < size:
            os.ftruncate(cur.fd, size)
            cur.end = size

    # -- data --------------------------------------------------------------------

    def _write(self, cur: _Current, data: memoryview | bytes, offset: int) -> None:
        view = memoryview(data)
        if cur.hasher is not None and cur.hash_ok:
            self._hash(cur, view, offset)
        fd = cur.fd
        pos, remaining = offset, len(view)
        while remaining:
            n = os.pwrite(fd, view[len(view) - remaining :], pos)
            if n <= 0:
                raise OSError(errno.EIO, "short write")
            pos += n
            remaining -= n
        cur.end = max(cur.end, pos)
        self.stats.bytes += len(view)
        if pos >= DropBehind.EVERY:
            if cur.behind is None:
                cur.behind = DropBehind(fd, 0, writing=True)
            cur.behind.passed(pos)

    def _hash(self, cur: _Current, view: memoryview, offset: int) -> None:
        if offset < cur.hash_pos:
            cur.hash_ok = False  # out of order: verify by reading the file back
            return
        self._hash_zeros(cur, offset - cur.hash_pos)
        cur.hasher.update(view)
        cur.hash_pos = offset + len(view)

    @staticmethod
    def _hash_zeros(cur: _Current, count: int) -> None:
        """Feed ``count`` zero bytes (a hole) into the running digest."""
        if count <= 0:
            return
        cur.hash_pos += count
        zeros = memoryview(_ZEROS)
        while count > 0:
            n = min(count, len(zeros))
            cur.hasher.update(zeros[:n])
            count -= n

    def _plain(self, cur: _Current, view: memoryview) -> None:
        self._write(cur, view, cur.pos)
        cur.pos += len(view)

    def _gzip_raw(self, cur: _Current, view: memoryview) -> None:
        out = _inflate(view)
        self._write(cur, out, cur.pos)
        cur.pos += len(out)

    def _compressed(self, cur: _Current, view: memoryview) -> None:
        out = _decompress_chunk(view)
        self._write(cur, out, cur.pos)
        cur.pos += len(out)

    def _split_offset(self, cur: _Current, view: memoryview) -> tuple[int, memoryview]:
        if len(view) < _OFFSET.size:
            raise ValueError("sparse record shorter than its offset")
        cur.sparse = True
        return _OFFSET.unpack_from(view)[0], view[_OFFSET.size :]

    def _sparse(self, cur: _Current, view: memoryview) -> None:
        offset, payload = self._split_offset(cur, view)
        self._write(cur, payload, offset)

    def _sparse_compressed(self, cur: _Current, view: memoryview) -> None:
        offset, payload = self._split_offset(cur, view)
        self._write(cur, _decompress_chunk(payload), offset)

    def _sparse_gzip_raw(self, cur: _Current, view: memoryview) -> None:
        offset, payload = self._split_offset(cur, view)
        self._write(cur, _inflate(payload), offset)

    # -- digests -------------------------------------------------------------------

    def _digest(self, cur: _Current, stream: int, view: memoryview) -> None:
        if not self.verify_digests:
            return
        self._digest_hint = stream
        factory = _HASHES.get(stream)
        if cur.fd < 0 or factory is None:
            return  # nothing written here (link, directory, ...) or no such hash here
        try:
            self._final_size(cur)
            size = os.fstat(cur.fd).st_size
            if cur.hasher is not None and cur.hash_stream == stream and cur.hash_ok:
                self._hash_zeros(cur, size - cur.hash_pos)
                actual = cur.hasher.digest()
            else:
                actual = _digest_of_fd(cur.fd, factory(), size)
        except OSError as exc:
            self._error(f'"{cur.attrs.name}": cannot verify digest: {_why(exc)}')
            return
        if actual != bytes(view):
            self._error(
                f'"{cur.attrs.name}": {Stream(stream).name} mismatch: '
                f"saved {bytes(view).hex()}, restored {actual.hex()}"
            )


def _digest_of_fd(fd: int, hasher: Any, size: int) -> bytes:
    buf = bytearray(1024 * 1024)
    view = memoryview(buf)
    pos = 0
    while pos < size:
        n = os.preadv(fd, [view[: min(len(buf), size - pos)]], pos)
        if n <= 0:
            break
        hasher.update(view[:n])
        pos += n
    return bytes(hasher.digest())


def _inflate(data: memoryview | bytes) -> bytes:
    d = zlib.decompressobj()
    out = d.decompress(data, MAX_CHUNK_EXPANSION)
    if d.unconsumed_tail:
        raise ValueError(f"compressed chunk expands beyond {MAX_CHUNK_EXPANSION} bytes")
    if not d.eof:
        raise ValueError("truncated compressed chunk")
    return out


def _decompress_chunk(view: memoryview) -> bytes:
    """Inverse of the backup side: 12-byte header then a zlib stream."""
    if len(view) < _COMP_HEADER.size:
        raise ValueError("compressed record shorter than its header")
    magic, length, _level, version = _COMP_HEADER.unpack_from(view)
    if magic != _GZIP_MAGIC:
        raise ValueError(f"compression {magic!r} not supported")
    if version != 1:
        raise ValueError(f"compression header version {version} not supported")
    if length > len(view) - _COMP_HEADER.size:
        raise ValueError("compressed length beyond the record")
    return _inflate(view[_COMP_HEADER.size : _COMP_HEADER.size + length])


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


def _placeholder(file_index: int) -> Attributes:
    return Attributes(file_index, FileType.NOACCESS, "?", LStat(*([0] * 13)))


def _log_message(kind: MsgType, text: str) -> None:
    level = {MsgType.ERROR: logging.ERROR, MsgType.WARNING: logging.WARNING}.get(kind, logging.INFO)
    log.log(level, "%s", text)
