"""Attribute records (streams 1/5) and the lstat string they carry.

protocol.md §10.1 and §10.3. Two encodings live here:

* the *integer* base64 of lstat fields: most significant digit first, alphabet
  ``A-Z a-z 0-9 + /``, no padding, ``0`` is ``"A"``, negatives get a leading ``-``
  (not the byte-string base64 of CRAM-MD5, which is in ``net/``);
* the attribute record ``"<FileIndex> <FileType> <name>\\0<lstat>\\0<link>\\0<attrEx>\\0<delta_seq>\\0"``.

File names on Linux are bytes. On the Python side they are ``str`` decoded with
``os.fsdecode`` (UTF-8 + ``surrogateescape``), so any byte string round-trips
through :func:`encode_attributes` / :func:`decode_attributes`.
"""

from __future__ import annotations

import binascii
import functools
import os
import re
from typing import NamedTuple, Protocol

from bareoslab.codes import FileType

__all__ = [
    "Attributes",
    "LStat",
    "decode_attributes",
    "decode_lstat",
    "encode_attributes",
    "encode_lstat",
    "from_base64_int",
    "lstat_from_stat",
    "to_base64_int",
]

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_DIGIT_VALUE = {c: i for i, c in enumerate(_ALPHABET)}

# only the low 16 bits of the FileType field are the type (codes.md §5)
_FT_MASK = 0xFFFF


# every pair of digits: one table lookup per 12 bits (this runs 16 times per file); made when
# first needed: only the File daemon writes lstats, and the table is 0.25 MiB of every daemon
_PAIRS: list[str] = []


def _pairs() -> list[str]:
    if not _PAIRS:
        _PAIRS.extend(a + b for a in _ALPHABET for b in _ALPHABET)
    return _PAIRS


# device, mode, owner, block size and times repeat a lot; 256 entries keep them (8,192 held
# 1.6-2 MiB of the File daemon's peak during a backup or restore of many files, for no speed)
@functools.lru_cache(maxsize=256)
def to_base64_int(n: int) -> str:
    """Write an integer in Bareos' lstat base64: ``0 -> "A"``, ``63 -> "/"``, ``64 -> "BA"``."""
    if 0 <= n < 64:
        return _ALPHABET[n]
    if n < 0:
        return "-" + to_base64_int(-n)
    table = _PAIRS or _pairs()
    if n < 4096:
        return table[n]
    if n < 1 << 24:  # sizes, inode numbers
        return (table[n >> 12] + table[n & 4095]).lstrip("A")
    # the alphabet is standard base64's: a big-endian number in whole 3-byte groups encodes to
    # its digits, most significant first, behind leading zeros ("A")
    width = -(-n.bit_length() // 24) * 3
    return binascii.b2a_base64(n.to_bytes(width, "big"), newline=False).lstrip(b"A").decode("ascii")


def from_base64_int(s: str) -> int:
    """Inverse of :func:`to_base64_int`; raises ValueError on an empty or foreign digit."""
    body = s[1:] if s.startswith("-") else s
    if not body:
        raise ValueError(f"empty base64 integer {s!r}")
    n = 0
    try:
        for c in body:
            n = (n << 6) | _DIGIT_VALUE[c]
    except KeyError:
        raise ValueError(f"invalid base64 integer {s!r}") from None
    return -n if s.startswith("-") else n


class LStat(NamedTuple):
    """The 16 fields of an lstat string, in wire order (protocol.md §10.3)."""

    st_dev: int
    st_ino: int
    st_mode: int
    st_nlink: int
    st_uid: int
    st_gid: int
    st_rdev: int
    st_size: int
    st_blksize: int
    st_blocks: int
    st_atime: int
    st_mtime: int
    st_ctime: int
    link_fi: int = 0
    st_flags: int = 0
    data_stream: int = 0

    def encode(self) -> str:
        return " ".join(to_base64_int(v) for v in self)


class _StatLike(Protocol):
    st_dev: int
    st_ino: int
    st_mode: int
    st_nlink: int
    st_uid: int
    st_gid: int
    st_size: int


def _seconds(st: object, name: str) -> int:
    ns = getattr(st, name + "_ns", None)
    if ns is not None:
        return int(ns) // 1_000_000_000  # floor, also for times before 1970
    return int(getattr(st, name))


def lstat_from_stat(
    st: _StatLike | os.stat_result, link_fi: int = 0, data_stream: int = 0
) -> LStat:
    """Build an :class:`LStat` from an ``os.stat_result`` (st_flags is 0 on Linux)."""
    return LStat(
        st_dev=st.st_dev,
        st_ino=st.st_ino,
        st_mode=st.st_mode,
        st_nlink=st.st_nlink,
        st_uid=st.st_uid,
        st_gid=st.st_gid,
        st_rdev=getattr(st, "st_rdev", 0),
        st_size=st.st_size,
        st_blksize=getattr(st, "st_blksize", 0),
        st_blocks=getattr(st, "st_blocks", 0),
        st_atime=_seconds(st, "st_atime"),
        st_mtime=_seconds(st, "st_mtime"),
        st_ctime=_seconds(st, "st_ctime"),
        link_fi=link_fi,
        st_flags=0,
        data_stream=data_stream,
    )


def encode_lstat(st: _StatLike | os.stat_result, link_fi: int = 0, data_stream: int = 0) -> str:
    """The lstat string of a stat result: 16 space-separated base64 integers."""
    if st.__class__ is not os.stat_result:
        return lstat_from_stat(st, link_fi, data_stream).encode()
    # the same string without the LStat in between: a backup encodes one per file, and this
    # takes half the time (4.9 against 8.6 us a file)
    b64 = to_base64_int
    return (
        f"{b64(st.st_dev)} {b64(st.st_ino)} {b64(st.st_mode)} {b64(st.st_nlink)} {b64(st.st_uid)} "
        f"{b64(st.st_gid)} {b64(st.st_rdev)} {b64(st.st_size)} {b64(st.st_blksize)} {b64(st.st_blocks)} "
        f"{b64(st.st_atime_ns // 1_000_000_000)} {b64(st.st_mtime_ns // 1_000_000_000)} "
        f"{b64(st.st_ctime_ns // 1_000_000_000)} {b64(link_fi)} A {b64(data_stream)}"
    )


def decode_lstat(s: str) -> LStat:
    """Parse an lstat string.

    Older writers omit the last fields (LinkFI, st_flags, data_stream); they
    default to 0. Fewer than 13 or more than 16 fields is an error.
    """
    fields = s.split()
    if not 13 <= len(fields) <= 16:
        raise ValueError(f"lstat has {len(fields)} fields, expected 13..16: {s[:120]!r}")
    return LStat(*(from_base64_int(f) for f in fields))


_LSTAT = re.compile(r"\s*-?[A-Za-z0-9+/]+(?:\s+-?[A-Za-z0-9+/]+){12,15}\s*")


def mode_and_link_fi(s: str) -> tuple[int, int]:
    """``st_mode`` and ``LinkFI`` of an lstat string, the two fields a restore tree needs,
    without decoding the other fourteen (one match checks them all); ValueError where
    :func:`decode_lstat` raises it."""
    if not _LSTAT.fullmatch(s):
        raise ValueError(f"not an lstat string: {s[:120]!r}")
    fields = s.split()
    return from_base64_int(fields[2]), from_base64_int(fields[13]) if len(fields) > 13 else 0


class Attributes(NamedTuple):
    """A decoded attribute record. ``name``/``link`` are str (surrogateescape)."""

    file_index: int
    file_type: FileType
    name: str
    lstat: LStat
    link: str = ""
    attr_ex: str = ""
    delta_seq: int = 0

    @property
    def name_bytes(self) -> bytes:
        return os.fsencode(self.name)


def _as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else os.fsencode(value)


def encode_attributes(
    file_index: int,
    file_type: int,
    name: str | bytes,
    lstat: str | LStat,
    link: str | bytes = "",
    attr_ex: str = "",
    delta_seq: int = 0,
) -> bytes:
    """Build an attribute record (the message includes its final NUL)."""
    name_b = _as_bytes(name)
    link_b = _as_bytes(link)
    if b"\0" in name_b or b"\0" in link_b:
        raise ValueError("file names cannot contain NUL")
    lstat_s = lstat.encode() if isinstance(lstat, LStat) else lstat
    return b"".join(
        (
            b"%d %d " % (file_index, int(file_type)),
            name_b,
            b"\0",
            lstat_s.encode("ascii"),
            b"\0",
            link_b,
            b"\0",
            attr_ex.encode("ascii"),
            b"\0",
            b"%d" % delta_seq,
            b"\0",
        )
    )


def decode_attributes(data: bytes | bytearray | memoryview) -> Attributes:
    """Parse an attribute record; tolerant of a missing trailing NUL and of a
    missing delta_seq (older writers). Anything else malformed raises ValueError."""
    raw = bytes(data)
    try:
        sp1 = raw.index(b" ")
        sp2 = raw.index(b" ", sp1 + 1)
        file_index = int(raw[:sp1])
        ftype_raw = int(raw[sp1 + 1 : sp2])
    except ValueError:
        raise ValueError(
            f"attribute record has no '<FileIndex> <FileType> ' head: {raw[:60]!r}"
        ) from None
    parts = raw[sp2 + 1 :].split(b"\0")
    if parts and parts[-1] == b"" and len(parts) > 4:
        parts.pop()  # the record's final NUL
    if not 4 <= len(parts) <= 5:
        raise ValueError(f"attribute record has {len(parts)} NUL-separated fields, expected 4 or 5")
    name_b, lstat_b, link_b, attr_ex_b = parts[:4]
    if not name_b:
        raise ValueError("attribute record has an empty file name")
    try:
        file_type = FileType(ftype_raw & _FT_MASK)
    except ValueError:
        raise ValueError(f"attribute record has unknown file type {ftype_raw}") from None
    try:
        lstat = decode_lstat(lstat_b.decode("ascii"))
        attr_ex = attr_ex_b.decode("ascii")
        delta_seq = int(parts[4]) if len(parts) == 5 and parts[4] else 0
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"bad attribute record: {exc}") from None
    return Attributes(
        file_index=file_index,
        file_type=file_type,
        name=os.fsdecode(name_b),
        lstat=lstat,
        link=os.fsdecode(link_b),
        attr_ex=attr_ex,
        delta_seq=delta_seq,
    )
