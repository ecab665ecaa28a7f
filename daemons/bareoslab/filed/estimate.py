"""``estimate listing=<0|1>``: what a backup of the FileSet would send, counted (Bareos'
``filed/estimate.cc``, ``lib/attr.cc`` PrintLsOutput).

The same walk as a backup (level, since-time, accurate list), nothing read: every entry a
backup would send counts as a file, every regular file that is not a second name of a
hard link adds its size. With ``listing=1`` each entry is also one ``ls``-like line.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..codes import FileType
from ..lsformat import encode_mode, group_name, user_name
from .accurate import AccurateList
from .fileset import FileEntry, FileSetSpec, walk


@dataclass
class Estimate:
    files: int = 0
    bytes: int = 0
    lines: list[str] = field(default_factory=list)


def estimate(spec: FileSetSpec, since: float | None, accurate: AccurateList | None, listing: bool) -> Estimate:
    out = Estimate()
    for entry in walk(spec, since=since, check=accurate, on_error=lambda issue: None):
        out.files += 1
        if entry.file_type in (FileType.REG, FileType.REGE):
            out.bytes += max(entry.stat.st_size, 0)
        if listing:
            out.lines.append(ls_line(entry))
    return out


def ls_line(entry: FileEntry) -> str:
    """PrintLsOutput: mode, links, user, group, size, ctime, name (``-> target`` for a link)."""
    st = entry.stat
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(st.st_ctime))
    name = entry.name + (f" -> {entry.link}" if entry.file_type == FileType.LNK else "")
    return (f"{encode_mode(st.st_mode)}  {st.st_nlink:2d} {user_name(st.st_uid)[:8]:<8} {group_name(st.st_gid)[:8]:<8}"
            f"{str(st.st_size)[:12]:>12} {stamp}  {name}")
