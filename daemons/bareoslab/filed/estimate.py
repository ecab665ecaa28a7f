"""``estimate listing=<0|1>``: what a backup of the FileSet would send, counted (Bareos'
``filed/estimate.cc``, ``lib/attr.cc`` PrintLsOutput).

The same walk as a backup (level, since-time, accurate list), nothing read: every entry a
backup would send counts as a file, every regular file that is not a second name of a
hard link adds its size. With ``listing=1`` each entry is also one ``ls``-like line.
"""

from __future__ import annotations

import grp
import pwd
import stat as statmod
import time
from dataclasses import dataclass, field

from ..codes import FileType
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


def _mode(mode: int) -> str:
    """Bareos' encode_mode (a FIFO is ``f``)."""
    kind = ("d" if statmod.S_ISDIR(mode) else "b" if statmod.S_ISBLK(mode) else "c" if statmod.S_ISCHR(mode)
            else "l" if statmod.S_ISLNK(mode) else "f" if statmod.S_ISFIFO(mode) else "s" if statmod.S_ISSOCK(mode)
            else "-")
    bits = ""
    for read, write, exe, special, on, off in ((0o400, 0o200, 0o100, statmod.S_ISUID, "s", "S"),
                                              (0o40, 0o20, 0o10, statmod.S_ISGID, "s", "S"),
                                              (0o4, 0o2, 0o1, statmod.S_ISVTX, "t", "T")):
        bits += ("r" if mode & read else "-") + ("w" if mode & write else "-")
        bits += (on if mode & exe else off) if mode & special else ("x" if mode & exe else "-")
    return kind + bits


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def ls_line(entry: FileEntry) -> str:
    """PrintLsOutput: mode, links, user, group, size, ctime, name (``-> target`` for a link)."""
    st = entry.stat
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(st.st_ctime))
    name = entry.name + (f" -> {entry.link}" if entry.file_type == FileType.LNK else "")
    return (f"{_mode(st.st_mode)}  {st.st_nlink:2d} {_user(st.st_uid)[:8]:<8} {_group(st.st_gid)[:8]:<8}"
            f"{str(st.st_size)[:12]:>12} {stamp}  {name}")
