"""Bootstrap (BSR) text: which records of which volumes a restore or copy reads.

One ``key=value`` per line (volume-format.md §7). A ``Volume=`` line starts a new
entry; a ``Storage=`` line directly before it belongs to that new entry (the
Director writes Storage first), as do any keys before the first ``Volume=``.
Values may be double-quoted (``\\"`` and ``\\\\`` escape inside quotes); ``#``
starts a comment line; keywords are case-insensitive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bareoslab.volume.errors import BsrError

_U32_MAX = 0xFFFFFFFF
_U64_MAX = 0xFFFFFFFFFFFFFFFF

# keywords stored verbatim on the entry (in order) and written back unchanged
PASS_THROUGH_KEYS = (
    "Client",
    "Job",
    "JobId",
    "JobType",
    "JobLevel",
    "VolFile",
    "VolBlock",
    "Stream",
    "Slot",
    "FileRegex",
    "Include",
    "Exclude",
)
_SINGLE_KEYS = (
    "Storage",
    "Volume",
    "MediaType",
    "Device",
    "VolSessionId",
    "VolSessionTime",
    "Count",
)
_LIST_KEYS = ("VolAddr", "FileIndex")
_CANONICAL = {key.lower(): key for key in (*_SINGLE_KEYS, *_LIST_KEYS, *PASS_THROUGH_KEYS)}
_PLAIN_VALUE = re.compile(r"[0-9A-Za-z_.:,+-]+")


class RecordLike(Protocol):
    vol_session_id: int
    vol_session_time: int
    file_index: int


@dataclass
class BsrVolume:
    """One bootstrap entry: a volume and the records to read from it.

    ``vol_addrs`` and ``file_indexes`` are inclusive (first, last) ranges; empty
    means "any". ``extra`` keeps other keywords (Client, Job, JobId, …) in order.
    """

    volume: str
    media_type: str | None = None
    device: str | None = None
    storage: str | None = None
    vol_session_id: int | None = None
    vol_session_time: int | None = None
    vol_addrs: list[tuple[int, int]] = field(default_factory=list)
    file_indexes: list[tuple[int, int]] = field(default_factory=list)
    count: int | None = None
    extra: list[tuple[str, str]] = field(default_factory=list)

    def matches_session(self, vol_session_id: int, vol_session_time: int) -> bool:
        return (self.vol_session_id is None or self.vol_session_id == vol_session_id) and (
            self.vol_session_time is None or self.vol_session_time == vol_session_time
        )

    # a loop, not any() over a generator: the Storage daemon asks for every record it reads
    def matches_file_index(self, file_index: int) -> bool:
        for first, last in self.file_indexes:
            if first <= file_index <= last:
                return True
        return not self.file_indexes

    def matches_address(self, address: int) -> bool:
        for first, last in self.vol_addrs:
            if first <= address <= last:
                return True
        return not self.vol_addrs

    def matches(self, record: RecordLike) -> bool:
        """True when the record belongs to this entry's session and FileIndex ranges.

        Label records (FileIndex < 0) match on the session alone. A record with a
        ``block_offset`` must also lie inside the VolAddr ranges, if any.
        """
        if not self.matches_session(record.vol_session_id, record.vol_session_time):
            return False
        address = getattr(record, "block_offset", None)
        if address is not None and not self.matches_address(address):
            return False
        return record.file_index < 0 or self.matches_file_index(record.file_index)

    @property
    def max_file_index(self) -> int | None:
        """Highest FileIndex wanted, None when any is."""
        return max(last for _, last in self.file_indexes) if self.file_indexes else None


def _unquote(raw: str, lineno: int) -> str:
    if not raw.startswith('"'):
        return raw
    out: list[str] = []
    i = 1
    while i < len(raw):
        char = raw[i]
        if char == "\\" and i + 1 < len(raw):
            out.append(raw[i + 1])
            i += 2
            continue
        if char == '"':
            if raw[i + 1 :].strip():
                raise BsrError(
                    lineno, f"unexpected text after quoted value: {raw[i + 1 :].strip()!r}"
                )
            return "".join(out)
        out.append(char)
        i += 1
    raise BsrError(lineno, "unterminated quoted value")


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _number(text: str, key: str, lineno: int, maximum: int) -> int:
    text = text.strip()
    if not text.isdigit() or not text.isascii():
        raise BsrError(lineno, f"{key} must be a number, got {text!r}")
    value = int(text)
    if value > maximum:
        raise BsrError(lineno, f"{key} {value} is too large")
    return value


def _ranges(text: str, key: str, lineno: int, maximum: int) -> list[tuple[int, int]]:
    """``n``, ``n-m`` or a comma list of them."""
    out: list[tuple[int, int]] = []
    for part in text.split(","):
        first_text, dash, last_text = part.partition("-")
        first = _number(first_text, key, lineno, maximum)
        last = _number(last_text, key, lineno, maximum) if dash else first
        if last < first:
            raise BsrError(lineno, f"{key} range {first}-{last} is reversed")
        out.append((first, last))
    return out


def _apply(entry: BsrVolume, key: str, value: str, lineno: int, seen: set[str]) -> None:
    if key in _SINGLE_KEYS:
        if key in seen:
            raise BsrError(lineno, f"{key} given twice in one Volume entry")
        seen.add(key)
    if key == "Storage":
        entry.storage = value
    elif key == "MediaType":
        entry.media_type = value
    elif key == "Device":
        entry.device = value
    elif key == "VolSessionId":
        entry.vol_session_id = _number(value, key, lineno, _U32_MAX)
    elif key == "VolSessionTime":
        entry.vol_session_time = _number(value, key, lineno, _U32_MAX)
    elif key == "Count":
        entry.count = _number(value, key, lineno, _U64_MAX)
    elif key == "VolAddr":
        entry.vol_addrs.extend(_ranges(value, key, lineno, _U64_MAX))
    elif key == "FileIndex":
        entry.file_indexes.extend(_ranges(value, key, lineno, _U32_MAX))
    else:
        entry.extra.append((key, value))


def parse_bsr(text: str) -> list[BsrVolume]:
    """Parse bootstrap text; raises BsrError (``line N: reason``) on the first problem."""
    entries: list[BsrVolume] = []
    seen: set[str] = set()
    pending: list[tuple[int, str, str]] = []  # lines waiting for the entry they belong to
    for lineno, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        raw_key, equals, raw_value = line.partition("=")
        if not equals:
            raise BsrError(lineno, f"expected keyword=value, got {line!r}")
        key = _CANONICAL.get(raw_key.strip().lower())
        if key is None:
            raise BsrError(lineno, f"unknown keyword {raw_key.strip()!r}")
        value = _unquote(raw_value.strip(), lineno)
        if key == "Volume":
            if not value:
                raise BsrError(lineno, "empty Volume name")
            entries.append(BsrVolume(volume=value))
            seen = {"Volume"}
        elif key == "Storage" or not entries:
            pending.append((lineno, key, value))
            continue
        for pending_line in pending:
            _apply(entries[-1], pending_line[1], pending_line[2], pending_line[0], seen)
        pending.clear()
        if key != "Volume":
            _apply(entries[-1], key, value, lineno, seen)
    if pending:
        if not entries:
            raise BsrError(pending[0][0], f"{pending[0][1]} given before any Volume= line")
        for lineno, key, value in pending:
            _apply(entries[-1], key, value, lineno, seen)
    return entries


def format_bsr(entries: Iterable[BsrVolume], index_ranges: bool = False) -> str:
    """Bootstrap text for ``entries``, in the Director's key order; parse_bsr reads it back.
    ``index_ranges``: a single FileIndex as ``n-n`` too (what ``Write Bootstrap`` writes)."""
    lines: list[str] = []
    for entry in entries:
        if entry.storage is not None:
            lines.append(f"Storage={_quote(entry.storage)}")
        lines.append(f"Volume={_quote(entry.volume)}")
        if entry.media_type is not None:
            lines.append(f"MediaType={_quote(entry.media_type)}")
        if entry.device is not None:
            lines.append(f"Device={_quote(entry.device)}")
        for key, value in entry.extra:
            shown = value if _PLAIN_VALUE.fullmatch(value) else _quote(value)
            lines.append(f"{key}={shown}")
        if entry.vol_session_id is not None:
            lines.append(f"VolSessionId={entry.vol_session_id}")
        if entry.vol_session_time is not None:
            lines.append(f"VolSessionTime={entry.vol_session_time}")
        lines.extend(f"VolAddr={first}-{last}" for first, last in entry.vol_addrs)
        lines.extend(
            f"FileIndex={first}" if first == last and not index_ranges else f"FileIndex={first}-{last}"
            for first, last in entry.file_indexes
        )
        if entry.count is not None:
            lines.append(f"Count={entry.count}")
    return "".join(line + "\n" for line in lines)


def entries_for_volume(entries: Sequence[BsrVolume], volume: str) -> list[BsrVolume]:
    return [entry for entry in entries if entry.volume == volume]


def volume_names(entries: Iterable[BsrVolume]) -> list[str]:
    """Distinct volume names in bootstrap order (the order to mount them in)."""
    names: list[str] = []
    for entry in entries:
        if entry.volume not in names:
            names.append(entry.volume)
    return names


def matches_any(entries: Sequence[BsrVolume], record: RecordLike) -> bool:
    return any(entry.matches(record) for entry in entries)
