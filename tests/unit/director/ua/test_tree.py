"""The restore tree: built from catalog rows, walked and marked as Bareos' ``ua_tree.cc`` does."""

from __future__ import annotations

import os
import stat

import pytest
from bareoslab.catalog.api import RestoreFile
from bareoslab.director.ua.tree import (
    TREE_COMMANDS,
    Kind,
    RestoreTree,
    dir_line,
    find_tree_command,
    mark_all,
    split_words,
)
from bareoslab.filed.attribs import LStat


def lstat(mode: int, size: int = 0, link_fi: int = 0, nlink: int = 1) -> str:
    return LStat(
        st_dev=1, st_ino=2, st_mode=mode, st_nlink=nlink, st_uid=0, st_gid=0, st_rdev=0,
        st_size=size, st_blksize=4096, st_blocks=0, st_atime=1_600_000_000,
        st_mtime=1_600_000_000, st_ctime=1_600_000_100, link_fi=link_fi, st_flags=0,
        data_stream=1,
    ).encode()  # fmt: skip


FILE, DIR, LINK = stat.S_IFREG | 0o644, stat.S_IFDIR | 0o755, stat.S_IFLNK | 0o777


def rows(ordered: bool = True) -> list[RestoreFile]:
    """A backup of /srv/data as an FD sends it: files before the directory holding them (in
    this order either way: one job's rows are not sorted for ``mark_all``)."""
    return [
        RestoreFile(1, 1, "/srv/data/", "a.txt", lstat(FILE, 10), ""),
        RestoreFile(1, 2, "/srv/data/sub/", "b.log", lstat(FILE, 200), ""),
        RestoreFile(1, 3, "/srv/data/sub/", "c.txt", lstat(FILE, 3000, nlink=2), ""),
        RestoreFile(1, 4, "/srv/data/sub/", "c-link", lstat(FILE, 3000, link_fi=3, nlink=2), ""),
        RestoreFile(1, 5, "/srv/data/sub/", "", lstat(DIR), ""),
        RestoreFile(2, 1, "/srv/data/", "new.txt", lstat(FILE, 5), ""),
        RestoreFile(1, 6, "/srv/data/", "", lstat(DIR), ""),
    ]


@pytest.fixture
def tree() -> RestoreTree:
    return RestoreTree.build(rows())


def names(node) -> list[str]:
    return [f"{c.tag}{c.name}{'/' if c.children else ''}" for c in node.listed]


def test_tree_shape_new_dirs_and_paths(tree: RestoreTree) -> None:
    srv = tree.root.children["srv"]
    assert srv.kind is Kind.NEW_DIR and not srv.saved  # a parent the job did not save
    data = srv.children["data"]
    assert data.kind is Kind.DIR and (data.job_id, data.file_index) == (1, 6)
    assert names(data) == ["a.txt", "new.txt", "sub/"]
    assert tree.root.path == "/" and data.path == "/srv/data/"
    assert data.children["sub"].children["b.log"].path == "/srv/data/sub/b.log"
    # Bareos counts an entry as inserted only when it made a node: sub/ and data/ were
    # made as parents of the files before their own entries came
    assert tree.entries == 7 and tree.file_count == 5


def test_mark_wildcards_and_parents(tree: RestoreTree) -> None:
    tree.cwd = tree.lookup("/srv/data") or tree.root
    assert tree.mark(["*.txt"]) == 2
    assert names(tree.cwd) == ["*a.txt", "*new.txt", "sub/"]
    assert tree.root.children["srv"].descendant  # "+" above what is marked
    assert tree.mark(["*.txt"]) == 0  # nothing newly marked
    assert tree.mark(["sub"]) == 4  # the directory and the three files in it
    assert tree.selection().indexes() == {1: [1, 2, 3, 4, 5], 2: [1]}
    assert tree.mark(["sub/*.log"], extract=False) == 1
    assert tree.mark(["/srv/data/sub"], extract=False) == 3
    assert names(tree.cwd) == ["*a.txt", "*new.txt", "sub/"]
    assert not tree.cwd.children["sub"].descendant


def test_double_star_matches_any_depth(tree: RestoreTree) -> None:
    assert tree.mark(["/srv/**/c.txt"]) == 1
    assert tree.selection().indexes() == {1: [3]}
    assert tree.mark(["**"]) > 0  # everything below the current directory
    assert tree.selection().indexes()[1] == [1, 2, 3, 4, 5, 6]


def test_marking_a_hard_link_marks_the_file_it_links_to(tree: RestoreTree) -> None:
    tree.cwd = tree.lookup("/srv/data/sub") or tree.root
    assert tree.mark(["c-link"]) == 2
    assert tree.selection().indexes() == {1: [3, 4]}


def test_lookup_relative_absolute_and_invalid(tree: RestoreTree) -> None:
    tree.cwd = tree.lookup("srv/data/sub") or tree.root
    assert tree.cwd.path == "/srv/data/sub/"
    assert (tree.lookup("..") or tree.root).path == "/srv/data/"
    assert (tree.lookup("../../data") or tree.root).path == "/srv/data/"
    assert (tree.lookup("/sr*") or tree.root).path == "/srv/"  # a pattern per component
    assert tree.lookup("b.log") is None  # a file is no directory
    assert tree.lookup("/nowhere") is None


def test_mark_all_marks_every_node() -> None:
    tree = RestoreTree.build(rows(), mark_all=True)
    assert tree.selection().indexes() == {1: [1, 2, 3, 4, 5, 6], 2: [1]}
    assert tree.root.children["srv"].descendant


@pytest.mark.parametrize("jobs", [1, 2])
def test_mark_all_without_a_tree_selects_and_counts_what_the_tree_does(jobs: int) -> None:
    tree = RestoreTree.build(rows(), mark_all=True)
    marked = mark_all(rows, jobs)
    assert marked.selection.indexes() == tree.selection().indexes()
    assert (marked.entries, marked.inserted) == (tree.entries, tree.file_count) == (7, 5)


def test_mark_all_keeps_the_newer_of_a_file_and_a_directory_of_one_name() -> None:
    """Job 1 saved /srv/x as a file; job 2 saved a directory /srv/x/ with a file in it (and
    the other way round for /srv/y): the tree keeps the later row of each name."""
    def both(ordered: bool) -> list[RestoreFile]:
        return [
            RestoreFile(1, 1, "/srv/", "x", lstat(FILE, 1), ""),
            RestoreFile(1, 2, "/srv/y/", "", lstat(DIR), ""),
            RestoreFile(2, 1, "/srv/x/", "in.txt", lstat(FILE, 1), ""),
            RestoreFile(2, 2, "/srv/x/", "", lstat(DIR), ""),
            RestoreFile(2, 3, "/srv/", "y", lstat(FILE, 1), ""),
        ]
    tree = RestoreTree.build(both(True), mark_all=True)
    assert tree.selection().indexes() == {2: [1, 2, 3]}
    assert mark_all(both, 2).selection.indexes() == tree.selection().indexes()


def test_mark_dirs_marks_the_directory_only(tree: RestoreTree) -> None:
    tree.cwd = tree.lookup("/srv/data") or tree.root
    assert tree.mark_dirs(["sub/"], True) == 1
    assert tree.selection().indexes() == {1: [5]}
    assert tree.mark_dirs(["sub"], False) == 1 and tree.selection().indexes() == {}


def test_dir_line_has_bareos_columns(tree: RestoreTree) -> None:
    node = tree.lookup("/srv/data/sub") or tree.root
    line = dir_line(node.children["c.txt"], "*", dot=False)
    owner = "root" if os.path.exists("/etc/passwd") else "0"
    assert line.startswith(f"-rw-r--r--   2 0 ({owner}) 0 (")
    assert line.endswith("* /srv/data/sub/c.txt")
    assert "          3000  " in line  # size right-aligned in 12 columns
    dot = dir_line(node.children["c.txt"], "", dot=True)
    assert dot.startswith("-rw-r--r--,2,0(") and dot.endswith(", ,/srv/data/sub/c.txt")


def test_windows_drive_paths_have_no_leading_slash() -> None:
    tree = RestoreTree.build([RestoreFile(1, 1, "C:/Users/", "x.txt", lstat(FILE, 1), "")])
    drive = tree.root.children["C:"]
    assert drive.kind is Kind.DIR_WIN
    assert drive.children["Users"].children["x.txt"].path == "C:/Users/x.txt"
    assert tree.mark(["C:/Users"]) == 1  # Users was not saved: only x.txt counts
    assert tree.selection().indexes() == {1: [1]}


@pytest.mark.parametrize(
    ("word", "command"),
    [("d", "delete"), ("di", "dir"), ("m", "mark"), ("e", "estimate"), ("ls", "ls"),
     ("lsm", "lsmark"), ("q", "quit"), ("?", "?"), (".l", ".ls"), ("ab", "abort")],
)  # fmt: skip
def test_tree_commands_match_in_bareos_table_order(word: str, command: str) -> None:
    found = find_tree_command(word)
    assert found is not None and found.name == command
    assert find_tree_command("xyz") is None
    assert [c.name for c in TREE_COMMANDS][:3] == ["abort", "add", "cd"]


def test_split_words_keeps_quoted_blanks() -> None:
    assert split_words('mark "dir with spaces" b*') == ["mark", "dir with spaces", "b*"]
    assert split_words("  ls  ") == ["ls"] and split_words("") == []


def test_mark_all_of_one_job_needs_no_order() -> None:
    """The rows of one job come unsorted (the catalog's order); the selection, as runs, and the
    counts are the tree's from the rows in FileIndex order."""
    rows_in_order = [RestoreFile(7, 1, "/", "", lstat(DIR), "")]  # the root's own row
    for d in range(3):
        base = 2 + d * 30
        for i in range(25):
            rows_in_order.append(RestoreFile(7, base + i, f"/srv/d{d}/", f"f{i}", lstat(FILE, i), ""))
        rows_in_order.append(RestoreFile(7, base + 25, f"/srv/d{d}/empty/", "", lstat(DIR), ""))
        rows_in_order.append(RestoreFile(7, base + 26, f"/srv/d{d}/", "", lstat(DIR), ""))
    rows_in_order.append(RestoreFile(7, 200, "/srv/", "", lstat(DIR), ""))
    tree = RestoreTree.build(rows_in_order, mark_all=True)
    asked = []

    def unsorted(ordered: bool) -> list[RestoreFile]:
        asked.append(ordered)
        return sorted(rows_in_order, key=lambda f: (f.path, f.name))  # as by (PathId, Name)

    marked = mark_all(unsorted, 1)
    assert marked.selection.indexes() == tree.selection().indexes()
    assert marked.selection.ranges(7, 0, 1000) == [(2, 28), (32, 58), (62, 88), (200, 200)]
    assert (marked.entries, marked.inserted) == (tree.entries, tree.file_count) == (83, 78)
    assert asked == [False]
