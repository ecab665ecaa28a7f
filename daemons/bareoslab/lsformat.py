"""What ``ls``-like listings of Bareos show, shared by the File daemon's ``estimate listing``
and the Director's restore tree (``dir``): the mode as Bareos' ``encode_mode`` writes it and
owner names as its ``guid_list`` resolves them."""

from __future__ import annotations

import grp
import pwd
import stat as statmod


def encode_mode(mode: int) -> str:
    """Bareos' encode_mode: ``ls -l``'s letters, but a FIFO is ``f``."""
    kind = ("d" if statmod.S_ISDIR(mode) else "b" if statmod.S_ISBLK(mode) else "c" if statmod.S_ISCHR(mode)
            else "l" if statmod.S_ISLNK(mode) else "f" if statmod.S_ISFIFO(mode) else "s" if statmod.S_ISSOCK(mode)
            else "-")  # fmt: skip
    bits = ""
    for read, write, exe, special, on, off in ((0o400, 0o200, 0o100, statmod.S_ISUID, "s", "S"),
                                              (0o40, 0o20, 0o10, statmod.S_ISGID, "s", "S"),
                                              (0o4, 0o2, 0o1, statmod.S_ISVTX, "t", "T")):  # fmt: skip
        bits += ("r" if mode & read else "-") + ("w" if mode & write else "-")
        bits += (on if mode & exe else off) if mode & special else ("x" if mode & exe else "-")
    return kind + bits


def user_name(uid: int) -> str:
    """The user's name on this host, or the number when it has none."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)
