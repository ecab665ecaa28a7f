"""Accurate mode: the Director's list of what the catalog holds, and decisions against it.

After ``accurate files=<N>`` the Director sends one message per file of the job's
reference backups (the newest version of each, deleted ones left out), then EOD:
``name\\0lstat\\0checksum\\0delta_seq`` (the checksum empty unless the FileSet compares
checksums); a directory's name ends in ``/``. The File Daemon does not answer.

During the walk an entry is changed when it is not in the list or when one of the
FileSet's ``accurate`` letters (default ``mcs``) differs from the listed lstat
(Bareos ``AccurateCheckFile``): ``i`` inode, ``p`` mode, ``n`` links, ``u`` uid,
``g`` gid, ``s`` size, ``a`` atime, ``m`` mtime, ``c`` ctime, ``d`` size decreased,
``A`` always, ``5``/``1`` the file's checksum (with the Options' signature). Every
listed entry the walk meets is marked seen, changed or not; what is never seen was
deleted (or excluded) since, and is sent after the walk as an ``FT_DELETED`` record
carrying only its listed mtime and ctime (``SendDeletedList``). The catalog stores
such a record with FileIndex 0, which hides the file from later restores.
"""

from __future__ import annotations

import logging
import os
import stat as statmod
from collections.abc import Iterator
from dataclasses import dataclass

from ..net.bareos64 import bin_to_base64
from .attribs import LStat, decode_lstat
from .backup_stream import digest_for
from .fileset import Options

log = logging.getLogger(__name__)

DEFAULT_LETTERS = "mcs"  # Bareos: accurate_mtime | accurate_ctime | accurate_size
_READ = 1 << 20


@dataclass(slots=True)
class Listed:
    """One file of the Director's list."""

    lstat: str
    checksum: str
    delta_seq: int
    seen: bool = False


class AccurateList:
    """The files the catalog holds for this job's reference backups, keyed by name."""

    def __init__(self, expected: int = 0) -> None:
        self.expected = expected  # the Director's estimate (``accurate files=N``)
        self.files: dict[str, Listed] = {}

    def add(self, message: bytes) -> None:
        """One message of the list; a name listed twice keeps its first entry, as Bareos'
        hash table finds the first one."""
        name, _, rest = message.partition(b"\0")
        lstat, _, rest = rest.partition(b"\0")
        checksum, _, delta = rest.partition(b"\0")
        delta = delta.rstrip(b"\0")
        key = os.fsdecode(name)
        if key not in self.files:
            self.files[key] = Listed(lstat.decode("ascii", "replace"), checksum.decode("ascii", "replace"),
                                     int(delta) if delta.isdigit() else 0)

    # -- during the walk -----------------------------------------------------------------
    def changed(self, key: str, st: os.stat_result, opts: Options) -> bool:
        """Bareos' AccurateCheckFile for an Incremental or Differential: whether to send the
        entry; marks it seen."""
        listed = self.files.get(key)
        if listed is None:
            return True
        listed.seen = True
        try:
            old = decode_lstat(listed.lstat)
        except ValueError:
            return True
        return _differs(old, st, opts, key, listed.checksum)

    def deleted(self) -> Iterator[tuple[str, LStat]]:
        """The listed entries the walk never met, with an lstat of only their mtime and ctime."""
        for name, listed in self.files.items():
            if listed.seen:
                continue
            try:
                old = decode_lstat(listed.lstat)
            except ValueError:
                old = LStat(*([0] * 13))
            yield name, LStat(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, old.st_mtime, old.st_ctime)


def _differs(old: LStat, st: os.stat_result, opts: Options, path: str, checksum: str) -> bool:
    letters = opts.accurate or DEFAULT_LETTERS
    now = {
        "i": (old.st_ino, st.st_ino),
        "p": (old.st_mode, st.st_mode),
        "n": (old.st_nlink, st.st_nlink),
        "u": (old.st_uid, st.st_uid),
        "g": (old.st_gid, st.st_gid),
        "s": (old.st_size, st.st_size),
        "a": (old.st_atime, int(st.st_atime)),
        "m": (old.st_mtime, int(st.st_mtime)),
        "c": (old.st_ctime, int(st.st_ctime)),
    }
    for letter in letters:  # Bareos tests them in a fixed order; any difference decides
        pair = now.get(letter)
        if pair is not None and pair[0] != pair[1]:
            return True
    if "d" in letters and old.st_size > st.st_size:
        return True
    if "A" in letters:
        return True
    if ("5" in letters or "1" in letters) and statmod.S_ISREG(st.st_mode) and opts.signature:
        if not checksum:
            return True  # Bareos warns "Cannot verify checksum" and sends the file
        return _checksum(path.rstrip("/"), opts.signature) != checksum
    return False


def _checksum(path: str, signature: str) -> str | None:
    """The file's digest as the catalog stores it (base64 without padding), None if unreadable."""
    found = digest_for(signature)
    if found is None:
        return None
    hasher = found[1]()
    try:
        with open(path, "rb") as f:
            while block := f.read(_READ):
                hasher.update(block)
    except OSError as exc:
        log.info("accurate: cannot read %s for its checksum: %s", path, exc)
        return None
    return bin_to_base64(hasher.digest(), compat=True)
