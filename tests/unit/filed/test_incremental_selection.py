"""What an Incremental or Differential sends, case by case, as Bareos' File Daemon.

The FD gets a since-time (the reference job's start) and sends only entries changed
since then; Incremental and Differential differ only in which job the Director takes
the time from, so one table serves both. Each row: one change made after the
reference backup, the entries the FD sends with the default options and with
``mtimeonly``, and the Bareos code the answer follows (``core/src/findlib/find_one.cc``
and ``core/src/filed/backup.cc``):

* ``CheckChanges``: an entry is unchanged when ``st_mtime < since`` and (``mtimeonly``
  or ``st_ctime < since``); ``FindOneFile`` marks an unchanged non-directory
  ``FT_NOCHG`` before hard links are looked at.
* ``process_directory``: an unchanged directory is ``FT_DIRNOCHG``: walked through,
  its entry not sent; ``FT_NORECURSE``/``FT_NOFSCHG`` overwrite that type, so a
  directory not descended into is sent whatever its times.
* ``SaveFile``: ``FT_NOCHG`` and ``FT_DIRNOCHG`` are skipped ("Unchanged file skipped").
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from bareoslab.filed.fileset import Options
from selection_tree import build_baseline, file_system_tick

from .helpers import listing, spec_for


@dataclass(frozen=True)
class Case:
    name: str
    change: Callable[[Path], None]
    sent: list[tuple[str, str]]  # (file type, name under data/) in the order sent
    sent_mtimeonly: list[tuple[str, str]]
    follows: str


def _rewrite(p: Path) -> None:
    p.write_text("new content\n")


def _retarget(p: Path) -> None:
    p.unlink()
    os.symlink("content.txt", p)


TOP = ("DIREND", "./")

CASES = [
    Case("nothing changed", lambda d: None, [], [],
         "CheckChanges false everywhere: FT_NOCHG files and FT_DIRNOCHG directories, none saved"),
    Case("file touched", lambda d: os.utime(d / "touched.txt"),
         [("REG", "touched.txt")], [("REG", "touched.txt")],
         "CheckChanges: st_mtime >= since; the directory's times did not move (FT_DIRNOCHG)"),
    Case("content changed", lambda d: _rewrite(d / "content.txt"),
         [("REG", "content.txt")], [("REG", "content.txt")],
         "CheckChanges: a write moves st_mtime"),
    Case("mode changed", lambda d: os.chmod(d / "mode.txt", 0o600),
         [("REG", "mode.txt")], [],
         "CheckChanges: chmod moves only st_ctime, which FO_MTIMEONLY ignores"),
    Case("renamed", lambda d: os.rename(d / "rename-from.txt", d / "rename-to.txt"),
         [("REG", "rename-to.txt"), TOP], [TOP],
         "CheckChanges: a rename moves the file's st_ctime and its directory's st_mtime"),
    Case("directory gained a file", lambda d: (d / "gain" / "new.txt").write_text("new\n"),
         [("REG", "gain/new.txt"), ("DIREND", "gain/")],
         [("REG", "gain/new.txt"), ("DIREND", "gain/")],
         "process_directory: the directory's st_mtime moved, so FT_DIRBEGIN/FT_DIREND, saved last"),
    Case("directory lost a file", lambda d: (d / "lose" / "gone.txt").unlink(),
         [("DIREND", "lose/")], [("DIREND", "lose/")],
         "process_directory: the directory changed; the deleted file is not reported without Accurate"),
    Case("directory untouched below a changed one", lambda d: (d / "new.txt").write_text("x\n"),
         [("REG", "new.txt"), TOP], [("REG", "new.txt"), TOP],
         "process_directory: untouched/ and empty/ are FT_DIRNOCHG, walked through and not saved"),
    Case("hard link added", lambda d: os.link(d / "hl-old.txt", d / "hl-new.txt"),
         [("REG", "hl-new.txt"), ("LNKSAVED", "hl-old.txt"), TOP], [TOP],
         "FindOneFile: linking moves the inode's st_ctime; the first name met carries the data"),
    Case("symlink retargeted", lambda d: _retarget(d / "link"),
         [("LNK", "link"), TOP], [("LNK", "link"), TOP],
         "CheckChanges on the link's own lstat times: a new link, a changed directory"),
    Case("special file created", lambda d: os.mkfifo(d / "new-fifo"),
         [("SPEC", "new-fifo"), TOP], [("SPEC", "new-fifo"), TOP],
         "FindOneFile: special files go through CheckChanges like regular ones"),
]


@pytest.mark.parametrize("mtimeonly", [False, True], ids=["default", "mtimeonly"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_incremental_sends_what_bareos_sends(tmp_path: Path, case: Case, mtimeonly: bool) -> None:
    data = tmp_path / "data"
    build_baseline(data)
    since = file_system_tick(tmp_path / "probe")
    case.change(data)
    spec = spec_for(data, options=[Options(mtimeonly=mtimeonly)])
    expected = case.sent_mtimeonly if mtimeonly else case.sent
    assert listing(spec, data, since=since) == expected, case.follows
    # the reference (Full) backup saw everything, whatever the options
    assert len(listing(spec, data)) == len(all_paths(data))


def all_paths(data: Path) -> list[str]:
    return [str(p) for p in data.rglob("*")] + [str(data)]


def test_directory_not_descended_into_is_sent_unchanged(tmp_path: Path) -> None:
    """FT_NORECURSE overwrites FT_DIRNOCHG (process_directory), so SaveFile sends it."""
    data = tmp_path / "data"
    build_baseline(data)
    since = file_system_tick(tmp_path / "probe")
    spec = spec_for(data, options=[Options(recurse=False)])
    assert listing(spec, data, since=since) == [
        ("DIREND", "empty/"), ("DIREND", "gain/"), ("DIREND", "lose/"), ("DIREND", "untouched/")]


def test_since_time_is_inclusive(tmp_path: Path) -> None:
    """CheckChanges calls an entry unchanged only if its time is strictly before since."""
    data = tmp_path / "data"
    build_baseline(data)
    st = os.lstat(data / "touched.txt")
    spec = spec_for(data / "touched.txt")
    assert listing(spec, data, since=st.st_mtime) == [("REG", "touched.txt")]
    later = max(st.st_mtime, st.st_ctime) + 1
    assert listing(spec, data, since=later) == []
