"""The restore's file tree and its file selection mode (Bareos' ``lib/tree.cc`` and
``dird/ua_tree.cc``).

The tree is built from the catalog's newest version of every file of the chosen jobs.
Directories a job did not save itself (the parents of what it saved) are *new* nodes:
they can be walked and marked but have nothing to restore. In file selection mode the
user walks it (``cd``, ``ls``, ``dir``, ``find``), marks and unmarks with shell wildcards
(``**`` matches any depth) and leaves with ``done`` (restore what is marked) or ``quit``.
"""

from __future__ import annotations

import enum
import heapq
import stat
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from ...catalog.api import RestoreFile
from ...filed.attribs import LStat, decode_lstat, mode_and_link_fi
from ...lsformat import encode_mode, group_name, user_name
from ...net.framing import Signal
from ..bsr import FileSelection

if TYPE_CHECKING:
    from .commands import UserAgent


class Kind(enum.Enum):
    ROOT = "root"
    DIR = "dir"
    DIR_WIN = "dirwin"  # a drive letter: no leading slash
    NEW_DIR = "newdir"  # a parent the jobs did not save
    FILE = "file"


class Node:
    __slots__ = (
        "name", "parent", "children", "kind", "job_id", "file_index", "lstat",
        "link_fi", "soft_link", "extract", "descendant",
    )  # fmt: skip

    def __init__(self, name: str, parent: Node | None, kind: Kind) -> None:
        self.name = name
        self.parent = parent
        self.children: dict[str, Node] = {}
        self.kind = kind
        self.job_id = 0
        self.file_index = 0
        self.lstat = ""
        self.link_fi = 0
        self.soft_link = False
        self.extract = False
        self.descendant = False  # something below is marked

    @property
    def listed(self) -> list[Node]:
        return [self.children[k] for k in sorted(self.children)]

    @property
    def is_dir(self) -> bool:
        return self.kind is not Kind.FILE or (self.soft_link and bool(self.children))

    @property
    def saved(self) -> bool:
        """It has a version in the catalog to restore."""
        return self.file_index > 0

    @property
    def path(self) -> str:
        """The full name, directories with a trailing slash (``tree_getpath``)."""
        path = ""
        for node in self._chain():
            if node.kind is Kind.DIR_WIN and path == "/":
                path = ""
            path += node.name
            if node.is_dir and path != "/":
                path += "/"
        return path

    def _chain(self) -> list[Node]:
        chain: list[Node] = []
        node: Node | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain[::-1]

    @property
    def tag(self) -> str:
        return "*" if self.extract else "+" if self.descendant else ""

    def stat(self) -> LStat | None:
        try:
            return decode_lstat(self.lstat) if self.lstat else None
        except ValueError:
            return None


class RestoreTree:
    """The tree of one restore: the nodes in the order they were inserted, as Bareos walks them."""

    def __init__(self) -> None:
        self.root = Node("", None, Kind.ROOT)
        self.nodes: list[Node] = []
        self.by_index: dict[tuple[int, int], Node] = {}
        self.file_count = 0  # entries that made a node of their own
        self.entries = 0  # catalog entries read
        self.cwd = self.root

    @classmethod
    def build(cls, files: Iterable[RestoreFile], mark_all: bool = False) -> RestoreTree:
        tree = cls()
        for f in files:
            tree.insert(f, mark_all)
        return tree

    def _child(self, parent: Node, name: str, kind: Kind) -> tuple[Node, bool]:
        node = parent.children.get(name)
        if node is not None:
            return node, False
        node = parent.children[name] = Node(name, parent, kind)
        self.nodes.append(node)
        return node, True

    def _parent_of(self, components: list[str], absolute: bool) -> Node:
        node = self.root
        for i, part in enumerate(components):
            kind = Kind.DIR_WIN if i == 0 and not absolute else Kind.NEW_DIR
            node, _ = self._child(node, part, kind)
        return node

    def insert(self, f: RestoreFile, mark_all: bool = False) -> None:
        self.entries += 1
        absolute = f.path.startswith("/")
        components = [p for p in f.path.split("/") if p]
        if f.name:
            name, kind = f.name, Kind.FILE
        elif components:
            name = components.pop()
            kind = Kind.DIR if absolute or components else Kind.DIR_WIN
        else:  # the root directory itself
            self.root.job_id, self.root.file_index, self.root.lstat = f.job_id, f.file_index, f.lstat
            return
        node, created = self._child(self._parent_of(components, absolute), name, kind)
        node.kind = kind
        node.job_id, node.file_index, node.lstat = f.job_id, f.file_index, f.lstat
        try:
            mode, node.link_fi = mode_and_link_fi(f.lstat)
            node.soft_link = stat.S_ISLNK(mode)
        except ValueError:
            pass  # no lstat (or a bad one): a plain entry, as Bareos reads a zeroed stat
        self.by_index[(f.job_id, f.file_index)] = node
        if mark_all:
            node.extract = True
            up = node.parent
            while up is not None and not up.descendant:  # an ancestor marked has all above marked
                up.descendant = True
                up = up.parent
        if created:
            self.file_count += 1

    def walk(self) -> Iterator[Node]:
        return iter(self.nodes)

    # -- marking -----------------------------------------------------------------------
    def set_extract(self, node: Node, extract: bool) -> int:
        """Mark or unmark a node and all below it; the number of nodes that changed."""
        changed: list[Node] = []
        count = self._set_extract(node, extract, changed)
        self._update_parents(changed, extract)
        return count

    def _set_extract(self, node: Node, extract: bool, changed: list[Node]) -> int:
        """:meth:`set_extract` without the directories above: what changed is added to ``changed``."""
        count = 0
        stack = [node]
        while stack:
            n = stack.pop()
            if n.extract != extract and n.kind not in (Kind.NEW_DIR, Kind.ROOT):
                count += 1
            n.extract = extract
            changed.append(n)
            if n.is_dir:
                stack.extend(n.children.values())
            elif extract and n.link_fi:
                # a hard link restores from the file it links to: mark that one too
                target = self.by_index.get((n.job_id, n.link_fi))
                if target is not None and not target.extract:
                    stack.append(target)
        return count

    @staticmethod
    def _update_parents(changed: list[Node], extract: bool) -> None:
        """The ``+`` of the directories above what changed: each directory looked at once."""
        if extract:
            for node in changed:
                parent = node.parent
                while parent is not None and not parent.descendant:
                    parent.descendant = True
                    parent = parent.parent
            return
        queued: set[int] = set()
        heap: list[tuple[int, int, Node]] = []  # the deepest first: settled before its parent

        def push(node: Node | None) -> None:
            if node is not None and id(node) not in queued:
                queued.add(id(node))
                heapq.heappush(heap, (-len(node._chain()), id(node), node))

        for node in changed:
            push(node.parent)
        while heap:
            _, _, directory = heapq.heappop(heap)
            now = any(c.extract or c.descendant for c in directory.children.values())
            if now != directory.descendant:
                directory.descendant = now
                push(directory.parent)

    def mark(self, patterns: Iterable[str], extract: bool = True) -> int:
        """Mark what each pattern names, from the current directory or the root
        (Bareos' ``MarkElements``: shell wildcards per component, ``**`` any depth)."""
        count = 0
        changed: list[Node] = []  # the directories above are settled once, at the end
        for pattern in patterns:
            pattern = pattern[:-1] if pattern.endswith("/") else pattern
            parts = pattern.split("/")
            if parts[-1] in ("", "**"):
                parts[-1] = "*"
            stack: list[tuple[Node, int]]
            if parts[0] == "":
                if len(parts) == 1:
                    parts.append("*")
                stack = [(self.root, 1)]
            else:
                roots = [
                    (c, 1)
                    for c in self.root.children.values()
                    if len(parts[0]) == 2 and parts[0][1] == ":" and c.kind is Kind.DIR_WIN
                    and fnmatchcase(c.name, parts[0])
                ]
                if roots and len(parts) == 1:
                    parts.append("*")
                stack = roots or [(self.cwd, 0)]
            seen: set[tuple[int, int]] = set()  # consecutive ** would reach a node many ways
            while stack:
                node, index = stack.pop()
                if (id(node), index) in seen:
                    continue
                seen.add((id(node), index))
                part = parts[index]
                if part == "**":
                    stack.append((node, index + 1))
                    stack.extend((c, index) for c in node.children.values() if c.kind is not Kind.FILE)
                    continue
                for child in node.children.values():
                    if not fnmatchcase(child.name, part):
                        continue
                    if index + 1 == len(parts):
                        count += self._set_extract(child, extract, changed)
                    elif child.kind is not Kind.FILE:
                        stack.append((child, index + 1))
        self._update_parents(changed, extract)
        return count

    def mark_dirs(self, patterns: Iterable[str], extract: bool) -> int:
        """Mark or unmark directories of the current directory themselves, not what is in them."""
        count = 0
        for pattern in patterns:
            pattern = pattern.rstrip("/") or pattern
            for child in self.cwd.children.values():
                if child.kind in (Kind.DIR, Kind.DIR_WIN) and fnmatchcase(child.name, pattern):
                    child.extract = extract
                    count += 1
        return count

    # -- walking -----------------------------------------------------------------------
    def lookup(self, path: str) -> Node | None:
        """The directory ``path`` names from the current one (``tree_cwd``), or None."""
        node = self.cwd
        if path.startswith("/"):
            node, path = self.root, path[1:]
        for part in path.split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                node = node.parent or node
                continue
            found = node.children.get(part) or next(
                (c for c in node.listed if fnmatchcase(c.name, part)), None
            )
            if found is None or (found.kind is Kind.FILE and not found.children):
                return None
            node = found
        return node

    def selection(self) -> FileSelection:
        """FileIndexes to restore per JobId."""
        wanted = FileSelection()
        for node in [self.root, *self.nodes]:
            if node.extract and node.saved:
                wanted.add(node.job_id, node.file_index)
        return wanted


@dataclass
class MarkedAll:
    """What :func:`mark_all` found: the selection, and the counts the tree would give."""

    selection: FileSelection
    entries: int = 0  # catalog entries read
    inserted: int = 0  # entries that would have made a node of their own (``file_count``)


def _parent_dir(path: str) -> str:
    """``/srv/data/`` -> ``/srv/``; ``C:/`` and ``/`` -> ``""``."""
    return path[: path.rfind("/", 0, len(path) - 1) + 1]


def mark_all(read: Callable[[bool], Iterable[RestoreFile]], jobs: int) -> MarkedAll:
    """``restore ... all done`` without the tree: what :meth:`RestoreTree.build` with
    ``mark_all`` selects and counts, from the catalog's rows as they stream by, so that memory
    grows with the directories, not with the files. ``read(ordered)`` gives the rows, in
    JobId and FileIndex order when ``ordered``.

    One exception to the tree's way comes from two jobs: a name saved as a file by one and as a
    directory by the other is one node of the tree, which keeps the later row. To find those,
    the directories' rows of a restore of several jobs are read first (``read`` is called twice)
    and added at the end; a file row loses to a later directory row of its name and the
    other way round. One job needs neither that nor the order (:func:`_mark_one_job`).
    """
    if jobs <= 1:
        return _mark_one_job(read(False))
    dir_rows: dict[str, tuple[int, int]] = {}  # directory -> its (JobId, FileIndex)
    for f in read(True):
        if not f.name and f.file_index > 0:
            dir_rows[f.path] = (f.job_id, f.file_index)
    marked = MarkedAll(FileSelection())
    nodes: set[str] = set()  # the directories the tree would have as nodes so far
    for f in read(True):
        marked.entries += 1
        path = f.path
        if f.name:
            as_dir = path + f.name + "/"
            if as_dir not in nodes:
                marked.inserted += 1
            newer_dir = dir_rows.get(as_dir)
            if f.file_index > 0 and (newer_dir is None or newer_dir < (f.job_id, f.file_index)):
                marked.selection.add(f.job_id, f.file_index)
                dir_rows.pop(as_dir, None)  # the file is newer: not its directory
        elif path not in ("/", "") and path not in nodes:  # a directory (marked from dir_rows)
            marked.inserted += 1
        while path and path != "/" and path not in nodes:  # this directory and those above
            nodes.add(path)
            path = _parent_dir(path)
    for job_id, file_index in dir_rows.values():
        marked.selection.add(job_id, file_index)
    return marked


def _mark_one_job(rows: Iterable[RestoreFile]) -> MarkedAll:
    """:func:`mark_all` of one job's rows in any order: the catalog need not sort them (SQLite's
    sorter holds 1 MiB whatever the result), memory still grows with the directories only.

    Every row is selected but the restore root's; which FileIndexes, a bitmap per job keeps.
    The counts are the tree's from rows in FileIndex order, where a directory comes after
    everything beneath it (a File daemon sends a directory's attributes after its contents):
    a file makes a node of its own, a directory only if no row lies beneath it.
    """
    marked = MarkedAll(FileSelection())
    chosen: dict[int, bytearray] = {}  # JobId -> bit per FileIndex
    above: set[str] = set()  # every directory with a row beneath it
    dirs: list[str] = []  # the directories' rows
    for f in rows:
        marked.entries += 1
        path = f.path
        if f.name:
            marked.inserted += 1
        elif path in ("/", ""):  # the root's own row is never marked
            continue
        else:
            dirs.append(path)
            path = _parent_dir(path)
        if f.file_index > 0:
            bits = chosen.setdefault(f.job_id, bytearray())
            byte = f.file_index >> 3
            if byte >= len(bits):
                bits.extend(bytes(max(byte + 1, 2 * len(bits)) - len(bits)))
            bits[byte] |= 1 << (f.file_index & 7)
        while path and path != "/" and path not in above:
            above.add(path)
            path = _parent_dir(path)
    marked.inserted += sum(1 for path in dirs if path not in above)
    for job_id, bits in chosen.items():
        for first, last in _runs(bits):
            marked.selection.add_range(job_id, first, last)
    return marked


def _runs(bits: bytearray) -> Iterator[tuple[int, int]]:
    """The runs of set bits (bit ``i`` is ``bits[i >> 3] >> (i & 7) & 1``), in order."""
    first = -1
    for byte_no, byte in enumerate(bits):
        if byte in (0, 0xFF) and (first < 0) == (byte == 0):
            continue  # a whole byte outside a run, or inside one
        for bit in range(8):
            index = byte_no * 8 + bit
            if byte >> bit & 1:
                if first < 0:
                    first = index
            elif first >= 0:
                yield first, index - 1
                first = -1
    if first >= 0:
        yield first, len(bits) * 8 - 1


# -- file selection mode -------------------------------------------------------------


def _commas(n: int) -> str:
    return f"{n:,}"


def dir_line(node: Node, tag: str, dot: bool) -> str:
    """One line of ``dir`` (or ``.dir``): mode, links, owner, group, size, time, tag, path."""
    st = node.stat()
    mode = encode_mode(st.st_mode) if st else "----------"
    nlink, uid, gid, size = (st.st_nlink, st.st_uid, st.st_gid, st.st_size) if st else (0, 0, 0, 0)
    user, group = user_name(uid), group_name(gid)
    if dot:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(st.st_mtime if st else 0))
        return f"{mode},{nlink},{uid}({user}),{gid}({group}),{size},{when},{tag or ' '},{node.path}"
    newest = max(st.st_mtime, st.st_ctime) if st else 0
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(newest))
    return (
        f"{mode}  {nlink:2d} {uid} ({user[:8]}) {gid} ({group[:8]})  "
        f"{str(size)[:12]:>12}  {when} {tag or ' '} {node.path}"
    )


@dataclass
class _Session:
    ua: UserAgent
    tree: RestoreTree
    quit: bool = False

    async def say(self, text: str) -> None:
        await self.ua.send(text)


TreeHandler = Callable[[_Session, list[str]], Awaitable[bool]]


def _matches(node: Node, words: list[str]) -> bool:
    return len(words) == 1 or fnmatchcase(node.name, words[1])


def _slash(node: Node) -> str:
    return "/" if node.children else ""


async def _mark(s: _Session, words: list[str]) -> bool:
    if len(words) < 2 or not s.tree.cwd.children:
        await s.say("No files marked.")
        return True
    await s.say(_newly(s.tree.mark(words[1:]), "marked"))
    return True


async def _unmark(s: _Session, words: list[str]) -> bool:
    if len(words) < 2 or not s.tree.cwd.children:
        await s.say("No files newly unmarked.")
        return True
    await s.say(_newly(s.tree.mark(words[1:], extract=False), "unmarked"))
    return True


def _newly(count: int, what: str) -> str:
    if count == 0:
        return f"No files newly {what}."
    return f"1 file newly {what}." if count == 1 else f"{_commas(count)} files newly {what}."


async def _markdir(s: _Session, words: list[str], extract: bool) -> bool:
    what = "marked" if extract else "unmarked"
    count = s.tree.mark_dirs(words[1:], extract) if len(words) >= 2 and s.tree.cwd.children else 0
    if count == 0:
        await s.say(f"No directories newly {what}.")
    else:
        plural = "1 directory" if count == 1 else f"{_commas(count)} directories"
        await s.say(f"{plural} newly {what}.")
    return True


async def _count(s: _Session, words: list[str]) -> bool:
    counted = [n for n in s.tree.walk() if n.kind is not Kind.NEW_DIR]
    marked = sum(1 for n in counted if n.extract)
    await s.say(f"{_commas(len(counted))} total files/dirs. {_commas(marked)} marked to be restored.")
    return True


async def _find(s: _Session, words: list[str]) -> bool:
    if len(words) == 1:
        await s.say("No file specification given.")
        return True
    for pattern in words[1:]:
        for node in s.tree.walk():
            if fnmatchcase(node.name, pattern):
                await s.say(f"{node.tag}{node.path}")
    return True


async def _ls(s: _Session, words: list[str]) -> bool:
    for node in s.tree.cwd.listed:
        if _matches(node, words):
            await s.say(f"{node.tag}{node.name}{_slash(node)}")
    return True


async def _dot_ls(s: _Session, words: list[str]) -> bool:
    for node in s.tree.cwd.listed:
        if _matches(node, words):
            await s.say(f"{node.name}{_slash(node)}")
    return True


async def _dot_lsdir(s: _Session, words: list[str]) -> bool:
    for node in s.tree.cwd.listed:
        if _matches(node, words) and node.children:
            await s.say(f"{node.name}/")
    return True


async def _dot_lsmark(s: _Session, words: list[str]) -> bool:
    for node in s.tree.cwd.listed:
        if _matches(node, words) and node.extract:
            await s.say(f"{node.name}{_slash(node)}")
    return True


async def _lsmark(s: _Session, words: list[str]) -> bool:
    async def walk(node: Node, level: int) -> None:
        for child in node.listed:
            if _matches(child, words) and (child.extract or child.descendant):
                await s.say(f"{'  ' * min(level, 100)}{child.tag}{child.name}{_slash(child)}")
                if child.children:
                    await walk(child, level + 1)

    await walk(s.tree.cwd, 0)
    return True


async def _dir(s: _Session, words: list[str], dot: bool = False) -> bool:
    if not s.tree.cwd.children:
        await s.say(f"Node {s.tree.cwd.name} has no children.")
        return True
    for node in s.tree.cwd.listed:
        if _matches(node, words):
            await s.say(dir_line(node, node.tag, dot))
    return True


async def _estimate(s: _Session, words: list[str]) -> bool:
    total = marked = size = 0
    for node in s.tree.walk():
        if node.kind is Kind.NEW_DIR:
            continue
        total += 1
        if node.extract and node.kind is Kind.FILE:
            marked += 1
            st = node.stat()
            if st is not None and stat.S_ISREG(st.st_mode) and st.st_size > 0:
                size += st.st_size
        elif node.extract or node.descendant:
            marked += 1
    await s.say(f"{total} total files; {marked} marked to be restored; {_commas(size)} bytes.")
    return True


async def _cd(s: _Session, words: list[str]) -> bool:
    if len(words) != 2:
        await s.say("Too few or too many arguments. Try using double quotes.")
        return True
    node = s.tree.lookup(words[1])
    if node is None and len(words[1]) > 1 and words[1][1] == ":":
        node = s.tree.lookup("/" + words[1])
    if node is None:
        await s.say("Invalid path given.")
    else:
        s.tree.cwd = node
    return await _pwd(s, words)


async def _pwd(s: _Session, words: list[str]) -> bool:
    path = s.tree.cwd.path
    await s.say(path if s.ua.api else f"cwd is: {path}")
    return True


async def _dot_pwd(s: _Session, words: list[str]) -> bool:
    await s.say(s.tree.cwd.path)
    return True


async def _help(s: _Session, words: list[str]) -> bool:
    lines = ["  Command    Description", "  =======    ==========="]
    lines += [f"  {c.name:<10} {c.help}" for c in TREE_COMMANDS if not c.name.startswith(".")]
    await s.ua.lines([*lines, ""])
    return True


async def _dot_help(s: _Session, words: list[str]) -> bool:
    await s.ua.lines([c.name for c in TREE_COMMANDS if not c.name.startswith(".")])
    return True


async def _done(s: _Session, words: list[str]) -> bool:
    return False


async def _quit(s: _Session, words: list[str]) -> bool:
    s.quit = True
    return False


@dataclass(frozen=True)
class TreeCommand:
    name: str
    handler: TreeHandler
    help: str


async def _markdir_on(s: _Session, words: list[str]) -> bool:
    return await _markdir(s, words, True)


async def _markdir_off(s: _Session, words: list[str]) -> bool:
    return await _markdir(s, words, False)


async def _dot_dir(s: _Session, words: list[str]) -> bool:
    return await _dir(s, words, dot=True)


#: Bareos' table order: a command is the first whose name starts with the word typed
TREE_COMMANDS = [
    TreeCommand("abort", _quit, "abort and do not do restore"),
    TreeCommand("add", _mark, "add dir/file to be restored recursively, wildcards allowed"),
    TreeCommand("cd", _cd, "change current directory"),
    TreeCommand("count", _count, "count marked files in and below the cd"),
    TreeCommand("delete", _unmark, "delete dir/file to be restored recursively in dir"),
    TreeCommand("dir", _dir, "long list current directory, wildcards allowed"),
    TreeCommand(".dir", _dot_dir, "long list current directory, wildcards allowed"),
    TreeCommand("done", _done, "leave file selection mode"),
    TreeCommand("estimate", _estimate, "estimate restore size"),
    TreeCommand("exit", _done, "same as done command"),
    TreeCommand("find", _find, "find files, wildcards allowed"),
    TreeCommand("help", _help, "print help"),
    TreeCommand("ls", _ls, "list current directory, wildcards allowed"),
    TreeCommand(".ls", _dot_ls, "list current directory, wildcards allowed"),
    TreeCommand(".lsdir", _dot_lsdir, "list subdir in current directory, wildcards allowed"),
    TreeCommand("lsmark", _lsmark, "list the marked files in and below the cd"),
    TreeCommand(".lsmark", _dot_lsmark, "list the marked files in"),
    TreeCommand("mark", _mark, "mark dir/file to be restored recursively, wildcards allowed"),
    TreeCommand("markdir", _markdir_on, "mark directory name to be restored (no files)"),
    TreeCommand("pwd", _pwd, "print current working directory"),
    TreeCommand(".pwd", _dot_pwd, "print current working directory"),
    TreeCommand("unmark", _unmark, "unmark dir/file to be restored recursively in dir"),
    TreeCommand("unmarkdir", _markdir_off, "unmark directory name only no recursion"),
    TreeCommand("quit", _quit, "quit and do not do restore"),
    TreeCommand(".help", _dot_help, "print help"),
    TreeCommand("?", _help, "print help"),
]


def find_tree_command(word: str) -> TreeCommand | None:
    word = word.lower()
    return next((c for c in TREE_COMMANDS if c.name.startswith(word)), None)


def split_words(line: str) -> list[str]:
    """Blank-separated words, ``"..."`` keeping blanks inside a name."""
    words, current, quoted, started = [], "", False, False
    for ch in line:
        if ch == '"':
            quoted, started = not quoted, True
        elif ch.isspace() and not quoted:
            if started:
                words.append(current)
            current, started = "", False
        else:
            current, started = current + ch, True
    if started:
        words.append(current)
    return words


ENTER_TEXT = (
    "\nYou are now entering file selection mode where you add (mark) and\n"
    "remove (unmark) files to be restored. No files are initially added, unless\n"
    'you used the "all" keyword on the command line.\n'
    'Enter "done" to leave this mode.\n\n'
)


async def select_files(ua: UserAgent, tree: RestoreTree) -> bool:
    """File selection mode; False when the user quits (no restore)."""
    session = _Session(ua, tree)
    await ua.send(ENTER_TEXT)
    await ua.conn.signal(Signal.START_RTREE)
    tree.cwd = tree.root
    await ua.send(f"cwd is: {tree.root.path}")
    while ua.api != 2:
        line = await ua.ask("$ ")
        if line == ".":
            break
        if ua.api:
            await ua.conn.signal(Signal.CMD_BEGIN)
        words = split_words(line)
        command = find_tree_command(words[0]) if words else None
        if command is None:
            if words and words[0].startswith("."):
                continue  # an unknown dot command (.messages from a GUI): ignored
            await ua.send(f'Invalid command "{line}". Enter "done" to exit.')
            if ua.api:
                await ua.conn.signal(Signal.CMD_FAILED)
            continue
        go_on = await command.handler(session, words)
        if ua.api:
            await ua.conn.signal(Signal.CMD_OK)
        if not go_on:
            break
    await ua.conn.signal(Signal.END_RTREE)
    return not session.quit
