"""FileSets as the File Daemon receives them, and the walk that turns one into files.

The Director sends a FileSet as lines (protocol.md §7.1 B4)::

    I                     start of an Include block
    Z .nobackup           Exclude Dir Containing
    O MS2Z6               an Options block: option letters (codes.md §7)
    WF *.tmp              ... its pattern lines (R RD RF W WD WF WB B X XD G D T)
    N                     end of the Options block
    F /srv/data           file items
    N
    P python3:...         plugin items
    N
    E                     start of an Exclude block (same shape)

:func:`parse_fileset_lines` reads them into a :class:`FileSetSpec`;
:func:`fileset_lines` writes them back (the Director side).

:func:`walk` yields :class:`FileEntry` objects in the order Bareos saves them:
per top-level file item a depth-first walk with names sorted bytewise,
each directory after its contents (``FT_DIREND``, name ending in ``/``).

Rules, as in Bareos' find library:

* Options blocks of an Include are tried in order; the first block with a
  wild/regex pattern matching the path decides (excluded if that block has
  ``exclude=yes``). A block with ``exclude=yes`` and no pattern rejects
  everything that reached it. A path matched by nothing gets the options of
  the *last* block. Top-level file items are always taken (with the last
  block's options). Patterns match the whole path (``*`` also matches ``/``).
* Exclude blocks: their ``F`` items and wild patterns are fnmatch patterns
  against the whole path.
* An excluded directory is not descended into.
* A directory holding an ``Exclude Dir Containing`` file is skipped entirely.
* ``onefs`` (default yes): a directory on another device than its parent is
  saved as an entry but not descended into (an info issue is reported).
* ``recurse=no``: sub-directories of a top-level directory are saved as
  entries but not descended into.
* Incremental/differential (``since``, Bareos' ``CheckChanges``): an entry is
  unchanged when its mtime and its ctime are both before ``since`` (``mtimeonly``:
  its mtime alone). Unchanged files, links and special files are not sent. An
  unchanged directory is still descended into but not sent itself (Bareos'
  ``FT_DIRNOCHG``), except one that is not descended into (another file system,
  ``recurse=no``): that one is sent as Bareos does, whatever its times.
  ``mtime_only`` on the Director's ``level`` line is ignored, as Bareos' FD
  ignores it: the option letter is what counts. In accurate mode a
  :class:`ChangeCheck` against the Director's list decides instead (``accurate.py``).
* Hard links (``st_nlink > 1`` on a non-directory, unless ``hardlinks=no``): the
  first name met is sent in full; later names are ``FT_LNKSAVED`` with
  ``link`` = the first name. All names share one :class:`HardLink`, which the
  backup side fills with the FileIndex (LinkFI of the others) and digest.
* Sockets are skipped (as Bareos does); FIFOs and devices are ``FT_SPEC``.

Problems never raise out of the walk: they are reported through ``on_error``
as :class:`WalkIssue` (file type ``NOSTAT``, ``NOACCESS``, ``NOOPEN``,
``NOFOLLOW`` for errors, ``NOFSCHG``/``NORECURSE``/``SPEC`` for notices) and the
entry is not yielded, like Bareos which sends no record for such files.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import re
import stat as statmod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from bareoslab.codes import FileType

__all__ = [
    "COMPRESSIONS",
    "SIGNATURES",
    "ExcludeBlock",
    "FileEntry",
    "FileSetSpec",
    "HardLink",
    "ChangeCheck",
    "IncludeBlock",
    "Options",
    "SinceCheck",
    "WalkIssue",
    "fileset_lines",
    "parse_fileset_lines",
    "parse_option_letters",
    "walk",
]

log = logging.getLogger(__name__)

# Signature value <-> option letters (codes.md §7)
SIGNATURES = {"MD5": "M", "SHA1": "S", "SHA256": "S2", "SHA512": "S3", "XXH128": "S4"}
_SIGNATURE_BY_LETTERS = {v: k for k, v in SIGNATURES.items()}

# Compression value <-> letters; GZIP is GZIP6. GZIPn is "Z<n>".
COMPRESSIONS = {"LZO": "Zo", "LZFAST": "Zff", "LZ4": "Zf4", "LZ4HC": "Zfh"}
_COMPRESSION_BY_LETTERS = {v: k for k, v in COMPRESSIONS.items()}

# single-letter yes/no options: letter -> (Options attribute, value when present)
_FLAG_LETTERS: dict[str, tuple[str, bool]] = {
    "f": ("onefs", False),
    "h": ("recurse", False),
    "s": ("sparse", True),
    "H": ("hardlinks", False),
    "r": ("readfifo", True),
    "p": ("portable", True),
    "m": ("mtimeonly", True),
    "k": ("keepatime", True),
    "e": ("exclude", True),
    "A": ("acl", True),
    "i": ("ignorecase", True),
    "R": ("hfsplus", True),
    "K": ("noatime", True),
    "c": ("checkfilechanges", True),
    "N": ("honornodump", True),
    "X": ("xattr", True),
    "x": ("autoexclude", False),
}
_REPLACE_LETTERS = "awno"
# letters followed by an argument that runs to the next ':' (verify, accurate, basejob,
# strip path, size match)
_COLON_LETTERS = "VCJPz"

# pattern line prefixes inside an Options block -> Options attribute
_PATTERN_LINES = {
    "R": "regex",
    "RD": "regex_dir",
    "RF": "regex_file",
    "W": "wild",
    "WD": "wild_dir",
    "WF": "wild_file",
    "WB": "wild_base",
    "B": "base",
    "X": "fstype",
    "XD": "drivetype",
}
_SINGLE_LINES = {"G": "plugin", "D": "reader", "T": "writer"}


@dataclass
class Options:
    """One Options { } block. Defaults are Bareos' defaults."""

    signature: str | None = None  # MD5 SHA1 SHA256 SHA512 XXH128
    compression: str | None = None  # GZIP GZIP1..GZIP9 LZO LZFAST LZ4 LZ4HC
    encryption: str | None = None  # letters after E (b, 3, a1..a3, c1..c3, h1, h2)
    onefs: bool = True
    recurse: bool = True
    sparse: bool = False
    hardlinks: bool = True
    readfifo: bool = False
    portable: bool = False
    mtimeonly: bool = False
    keepatime: bool = False
    noatime: bool = False
    exclude: bool = False
    ignorecase: bool = False
    acl: bool = False
    xattr: bool = False
    hfsplus: bool = False
    checkfilechanges: bool = False
    honornodump: bool = False
    autoexclude: bool = True
    force_encryption: bool = False
    replace: str | None = None  # a w n o
    shadowing: int = 0  # 1..4
    accurate: str = ""  # the ``accurate`` letters (``C...:``); empty: Bareos' default, mtime ctime size
    extra: str = ""  # letters this lab does not interpret (kept for the round trip)
    wild: list[str] = field(default_factory=list)
    wild_dir: list[str] = field(default_factory=list)
    wild_file: list[str] = field(default_factory=list)
    wild_base: list[str] = field(default_factory=list)
    regex: list[str] = field(default_factory=list)
    regex_dir: list[str] = field(default_factory=list)
    regex_file: list[str] = field(default_factory=list)
    base: list[str] = field(default_factory=list)
    fstype: list[str] = field(default_factory=list)
    drivetype: list[str] = field(default_factory=list)
    plugin: str | None = None
    reader: str | None = None
    writer: str | None = None

    def __post_init__(self) -> None:
        if self.signature is not None:
            self.signature = self.signature.upper()
            if self.signature not in SIGNATURES:
                raise ValueError(f"unknown signature {self.signature!r}")
        if self.compression is not None:
            self.compression = self.compression.upper()
            _compression_letters(self.compression)  # validates
        self._compiled: _CompiledPatterns | None = None

    @property
    def gzip_level(self) -> int | None:
        """zlib level when compression is GZIP/GZIPn, else None."""
        c = self.compression
        if c is None or not c.startswith("GZIP"):
            return None
        return int(c[4:]) if len(c) > 4 else 6

    @property
    def has_patterns(self) -> bool:
        return bool(
            self.wild
            or self.wild_dir
            or self.wild_file
            or self.wild_base
            or self.regex
            or self.regex_dir
            or self.regex_file
        )

    def letters(self) -> str:
        """The option letters of the ``O`` line (codes.md §7); ``"0"`` if none."""
        out: list[str] = []
        if self.signature:
            out.append(SIGNATURES[self.signature])
        if self.compression:
            out.append(_compression_letters(self.compression))
        if self.encryption:
            out.append("E" + self.encryption)
        if self.force_encryption:
            out.append("Ef")
        for letter, (attr, value) in _FLAG_LETTERS.items():
            if getattr(self, attr) == value:
                out.append(letter)
        if self.replace:
            out.append(self.replace)
        if self.shadowing:
            out.append(f"d{self.shadowing}")
        if self.accurate:
            out.append(f"C{self.accurate}:")
        out.append(self.extra)
        return "".join(out) or "0"

    def matcher(self) -> _CompiledPatterns:
        if self._compiled is None:
            self._compiled = _CompiledPatterns(self)
        return self._compiled


def _compression_letters(value: str) -> str:
    if value == "GZIP":
        return "Z6"
    if value.startswith("GZIP") and value[4:].isdigit() and 1 <= int(value[4:]) <= 9:
        return "Z" + value[4:]
    if value in COMPRESSIONS:
        return COMPRESSIONS[value]
    raise ValueError(f"unknown compression {value!r}")


@dataclass
class IncludeBlock:
    options: list[Options] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    plugins: list[str] = field(default_factory=list)
    exclude_dir_containing: list[str] = field(default_factory=list)


@dataclass
class ExcludeBlock:
    files: list[str] = field(default_factory=list)
    options: list[Options] = field(default_factory=list)


@dataclass
class FileSetSpec:
    include: list[IncludeBlock] = field(default_factory=list)
    exclude: list[ExcludeBlock] = field(default_factory=list)


# ---------------------------------------------------------------------------
# wire lines


def parse_option_letters(letters: str) -> Options:
    """Decode the letters of an ``O`` line into an :class:`Options` (patterns empty)."""
    opts = Options()
    extra: list[str] = []
    i, n = 0, len(letters)
    while i < n:
        c = letters[i]
        i += 1
        if c == "0":
            continue
        if c == "M":
            opts.signature = "MD5"
        elif c == "S":
            key = "S" + letters[i] if i < n and letters[i] in "234" else "S"
            i += len(key) - 1
            opts.signature = _SIGNATURE_BY_LETTERS[key]
        elif c == "Z":
            if i < n and letters[i].isdigit():
                level = int(letters[i])
                i += 1
                opts.compression = "GZIP" if level == 6 else f"GZIP{level}"
            elif letters.startswith("o", i):
                opts.compression, i = "LZO", i + 1
            elif letters[i : i + 2] in ("ff", "f4", "fh"):
                opts.compression = _COMPRESSION_BY_LETTERS["Z" + letters[i : i + 2]]
                i += 2
            else:
                raise ValueError(f"bad compression letters in {letters!r}")
        elif c == "E":
            if letters.startswith("f", i):
                opts.force_encryption, i = True, i + 1
            elif i < n and letters[i] in "b3":
                opts.encryption, i = letters[i], i + 1
            elif i + 1 < n and letters[i] in "ach" and letters[i + 1].isdigit():
                opts.encryption, i = letters[i : i + 2], i + 2
            else:
                raise ValueError(f"bad encryption letters in {letters!r}")
        elif c == "d":
            if i < n and letters[i] in "1234":
                opts.shadowing, i = int(letters[i]), i + 1
            else:
                raise ValueError(f"bad shadowing letters in {letters!r}")
        elif c in _FLAG_LETTERS:
            attr, value = _FLAG_LETTERS[c]
            setattr(opts, attr, value)
        elif c in _REPLACE_LETTERS:
            opts.replace = c
        elif c == "C":
            end = letters.find(":", i)
            end = n if end < 0 else end
            opts.accurate, i = letters[i:end], end + 1
        elif c in _COLON_LETTERS:
            end = letters.find(":", i)
            end = n if end < 0 else end + 1
            extra.append(c + letters[i:end])
            i = end
        else:
            extra.append(c)
    opts.extra = "".join(extra)
    return opts


def _strip_nl(line: str) -> str:
    return line[:-1] if line.endswith("\n") else line


def parse_fileset_lines(lines: Iterable[str]) -> FileSetSpec:
    """Parse the FileSet lines the FD receives after ``fileset`` (up to EOD).

    Each line may or may not end with ``\\n``; only that one newline is stripped
    (names may end with spaces). Unknown line types raise ValueError.
    """
    spec = FileSetSpec()
    block: IncludeBlock | ExcludeBlock | None = None
    opts: Options | None = None
    for lineno, raw in enumerate(lines, 1):
        line = _strip_nl(raw)
        if not line:
            continue
        key, _, arg = line.partition(" ")
        if key == "I":
            block, opts = IncludeBlock(), None
            spec.include.append(block)
            continue
        if key == "E":
            block, opts = ExcludeBlock(), None
            spec.exclude.append(block)
            continue
        if block is None:
            raise ValueError(f"fileset line {lineno}: {line[:60]!r} outside an I/E block")
        if key == "O":
            opts = parse_option_letters(arg)
            block.options.append(opts)
        elif key == "N":
            opts = None  # ends an Options block, the file list or the plugin list
        elif opts is not None and key in _PATTERN_LINES:
            getattr(opts, _PATTERN_LINES[key]).append(arg)
        elif opts is not None and key in _SINGLE_LINES:
            setattr(opts, _SINGLE_LINES[key], arg)
        elif key == "F":
            block.files.append(arg)
        elif key == "P" and isinstance(block, IncludeBlock):
            block.plugins.append(arg)
        elif key == "Z" and isinstance(block, IncludeBlock):
            block.exclude_dir_containing.append(arg)
        else:
            raise ValueError(f"fileset line {lineno}: unknown line {line[:60]!r}")
    return spec


def _block_lines(
    head: str,
    options: list[Options],
    files: list[str],
    plugins: list[str],
    ignore_dirs: list[str],
) -> list[str]:
    out = [f"{head}\n"]
    out += [f"Z {d}\n" for d in ignore_dirs]
    for o in options:
        out.append(f"O {o.letters()}\n")
        for key, attr in _PATTERN_LINES.items():
            out += [f"{key} {p}\n" for p in getattr(o, attr)]
        for key, attr in _SINGLE_LINES.items():
            if getattr(o, attr) is not None:
                out.append(f"{key} {getattr(o, attr)}\n")
        out.append("N\n")
    out += [f"F {f}" for f in files]  # the Director sends file items without "\n"
    out.append("N\n")
    out += [f"P {p}" for p in plugins]
    out.append("N\n")
    return out


def fileset_lines(spec: FileSetSpec) -> list[str]:
    """The lines the Director sends for ``spec`` (one message each, EOD not included)."""
    out: list[str] = []
    for inc in spec.include:
        out += _block_lines("I", inc.options, inc.files, inc.plugins, inc.exclude_dir_containing)
    for exc in spec.exclude:
        out += _block_lines("E", exc.options, exc.files, [], [])
    return out


# ---------------------------------------------------------------------------
# matching


class _CompiledPatterns:
    """An Options block's patterns, compiled once."""

    def __init__(self, o: Options) -> None:
        flags = re.IGNORECASE if o.ignorecase else 0

        def wild(pats: list[str]) -> list[re.Pattern[str]]:
            return [re.compile(fnmatch.translate(p), flags) for p in pats]

        def regex(pats: list[str]) -> list[re.Pattern[str]]:
            return [re.compile(p, flags) for p in pats]

        self.dir_wild = wild(o.wild_dir) + wild(o.wild)
        self.dir_regex = regex(o.regex_dir) + regex(o.regex)
        self.file_wild = wild(o.wild_file) + wild(o.wild)
        self.base_wild = wild(o.wild_base)
        self.file_regex = regex(o.regex_file) + regex(o.regex)

    def matches(self, path: str, is_dir: bool) -> bool:
        if is_dir:
            return any(p.match(path) for p in self.dir_wild) or any(
                p.search(path) for p in self.dir_regex
            )
        base = path.rsplit("/", 1)[-1]
        return (
            any(p.match(path) for p in self.file_wild)
            or any(p.match(base) for p in self.base_wild)
            or any(p.search(path) for p in self.file_regex)
        )


_DEFAULT_OPTIONS = Options()


def _accept(
    path: str, is_dir: bool, inc: IncludeBlock, excludes: list[_CompiledExclude]
) -> Options | None:
    """Bareos' AcceptFile: the Options that apply, or None if the path is excluded."""
    for o in inc.options:
        if o.matcher().matches(path, is_dir):
            return None if o.exclude else o
        if o.exclude and not o.has_patterns:
            return None
    for exc in excludes:
        if exc.matches(path):
            return None
    return inc.options[-1] if inc.options else _DEFAULT_OPTIONS


class _CompiledExclude:
    def __init__(self, block: ExcludeBlock) -> None:
        self.patterns: list[re.Pattern[str]] = []
        for o in block.options:
            flags = re.IGNORECASE if o.ignorecase else 0
            self.patterns += [re.compile(fnmatch.translate(p), flags) for p in o.wild]
        ignorecase = any(o.ignorecase for o in block.options)
        flags = re.IGNORECASE if ignorecase else 0
        self.patterns += [
            re.compile(fnmatch.translate(f.rstrip("/") or "/"), flags) for f in block.files
        ]

    def matches(self, path: str) -> bool:
        return any(p.match(path) for p in self.patterns)


# ---------------------------------------------------------------------------
# the walk


@dataclass(eq=False)
class HardLink:
    """One inode seen under several names (Bareos' CurLink).

    ``file_index``, ``saved_name``, ``digest`` and ``digest_stream`` are filled
    by the backup side once the data has been sent under one name; the other
    names then go out as FT_LNKSAVED with LinkFI = ``file_index``.
    """

    dev: int
    ino: int
    first: FileEntry
    file_index: int = 0
    saved_name: str = ""
    digest: bytes | None = None
    digest_stream: int = 0


@dataclass(eq=False)
class FileEntry:
    """One file the walk decided to save."""

    path: str  # the OS path (str, surrogateescape), no trailing slash
    file_type: FileType
    stat: os.stat_result
    options: Options
    link: str = ""  # FT_LNK: symlink target; FT_LNKSAVED: the first name saved
    hardlink: HardLink | None = None  # set on every name of a multi-link inode
    top_level: bool = False

    @property
    def name(self) -> str:
        """The name as it goes into the attribute record (directories end in ``/``)."""
        if self.file_type == FileType.DIREND and not self.path.endswith("/"):
            return self.path + "/"
        return self.path

    @property
    def hardlink_to(self) -> FileEntry | None:
        """For FT_LNKSAVED: the entry first saved for this inode."""
        if self.file_type == FileType.LNKSAVED and self.hardlink is not None:
            return self.hardlink.first
        return None


@dataclass(frozen=True)
class WalkIssue:
    """Something the walk did not save (error) or saved only partly (notice)."""

    path: str
    # errors: NOSTAT NOACCESS NOOPEN NOFOLLOW; notices: NOFSCHG NORECURSE SPEC
    file_type: FileType
    message: str  # a complete sentence naming the path, ready for a job message
    error: OSError | None = None

    @property
    def is_error(self) -> bool:
        return self.file_type in _ERROR_TYPES


_ERROR_TYPES = frozenset({FileType.NOSTAT, FileType.NOACCESS, FileType.NOOPEN, FileType.NOFOLLOW})

OnError = Callable[[WalkIssue], None]


class ChangeCheck(Protocol):
    """Decides, for an Incremental or Differential, whether an entry is sent (Bareos' CheckChanges
    and the function accurate mode puts in its place). ``key`` is the path, with a trailing ``/``
    for a directory."""

    def changed(self, key: str, st: os.stat_result, opts: Options) -> bool: ...


@dataclass(frozen=True)
class SinceCheck:
    """Bareos' CheckChanges: unchanged when the mtime and the ctime are both before ``since``
    (``mtimeonly``: the mtime alone)."""

    since: float

    def changed(self, key: str, st: os.stat_result, opts: Options) -> bool:
        if st.st_mtime >= self.since:
            return True
        return not opts.mtimeonly and st.st_ctime >= self.since

# indirections tests can monkeypatch
_lstat = os.lstat
_scandir = os.scandir


def _log_issue(issue: WalkIssue) -> None:
    log.log(logging.WARNING if issue.is_error else logging.INFO, "%s", issue.message)


@dataclass
class _DirFrame:
    entry: FileEntry
    children: Iterator[str]
    dev: int
    changed: bool  # False: an Incremental walks through it without sending it


class _Walker:
    def __init__(self, spec: FileSetSpec, check: ChangeCheck | None, on_error: OnError) -> None:
        self.spec = spec
        self.check = check
        self.on_error = on_error
        self.excludes = [_CompiledExclude(b) for b in spec.exclude]
        self.hardlinks: dict[tuple[int, int], HardLink] = {}
        self.top_names = {f.rstrip("/") or "/" for inc in spec.include for f in inc.files}

    def issue(self, path: str, ftype: FileType, message: str, error: OSError | None = None) -> None:
        self.on_error(WalkIssue(path, ftype, message, error))

    def run(self) -> Iterator[FileEntry]:
        for inc in self.spec.include:
            for p in inc.plugins:
                self.issue(p, FileType.NOACCESS, f'Plugin "{p}" not supported by this File Daemon')
            for item in inc.files:
                path = item.rstrip("/") or "/"
                yield from self.walk_top(inc, path)

    def walk_top(self, inc: IncludeBlock, top: str) -> Iterator[FileEntry]:
        stack: list[_DirFrame] = []
        first = self.visit(inc, top, top_level=True, parent_dev=None)
        if isinstance(first, _DirFrame):
            stack.append(first)
        elif first is not None:
            yield first
        while stack:
            frame = stack[-1]
            child = next(frame.children, None)
            if child is None:
                stack.pop()
                if frame.changed:
                    yield frame.entry
                continue
            parent = frame.entry.path
            path = parent + child if parent.endswith("/") else parent + "/" + child
            got = self.visit(inc, path, top_level=False, parent_dev=frame.dev)
            if isinstance(got, _DirFrame):
                stack.append(got)
            elif got is not None:
                yield got

    def visit(
        self, inc: IncludeBlock, path: str, top_level: bool, parent_dev: int | None
    ) -> FileEntry | _DirFrame | None:
        """Decide about one path: an entry to yield, a directory to descend, or nothing."""
        try:
            st = _lstat(path)
        except OSError as exc:
            self.issue(path, FileType.NOSTAT, f'Could not stat "{path}": ERR={exc.strerror}', exc)
            return None
        mode = st.st_mode
        is_dir = statmod.S_ISDIR(mode)
        if top_level:
            opts: Options | None = inc.options[-1] if inc.options else _DEFAULT_OPTIONS
        else:
            opts = _accept(path, is_dir, inc, self.excludes)
        if opts is None:
            return None
        if is_dir:
            return self.visit_dir(inc, path, st, opts, top_level, parent_dev)
        if not self.changed(path, st, opts):
            return None
        if statmod.S_ISREG(mode):
            ftype = FileType.REG if st.st_size > 0 else FileType.REGE
            entry = FileEntry(path, ftype, st, opts, top_level=top_level)
        elif statmod.S_ISLNK(mode):
            try:
                target = os.readlink(path)
            except OSError as exc:
                self.issue(
                    path,
                    FileType.NOFOLLOW,
                    f'Could not follow link "{path}": ERR={exc.strerror}',
                    exc,
                )
                return None
            return FileEntry(path, FileType.LNK, st, opts, link=target, top_level=top_level)
        elif statmod.S_ISSOCK(mode):
            self.issue(path, FileType.SPEC, f"Socket file skipped: {path}")
            return None
        else:  # fifo, character or block device
            entry = FileEntry(path, FileType.SPEC, st, opts, top_level=top_level)
        if st.st_nlink > 1 and opts.hardlinks:
            return self.hardlinked(entry)
        return entry

    def hardlinked(self, entry: FileEntry) -> FileEntry | None:
        st = entry.stat
        key = (st.st_dev, st.st_ino)
        hl = self.hardlinks.get(key)
        if hl is None:
            entry.hardlink = self.hardlinks[key] = HardLink(st.st_dev, st.st_ino, entry)
            return entry
        if hl.first.path == entry.path:
            return None  # the same name reached twice
        entry.file_type = FileType.LNKSAVED
        entry.link = hl.first.path
        entry.hardlink = hl
        return entry

    def changed(self, key: str, st: os.stat_result, opts: Options) -> bool:
        return self.check is None or self.check.changed(key, st, opts)

    def visit_dir(
        self,
        inc: IncludeBlock,
        path: str,
        st: os.stat_result,
        opts: Options,
        top_level: bool,
        parent_dev: int | None,
    ) -> FileEntry | _DirFrame | None:
        for marker in inc.exclude_dir_containing:
            if os.path.lexists(os.path.join(path, marker)):
                return None
        entry = FileEntry(path, FileType.DIREND, st, opts, top_level=top_level)
        # a directory not descended into is sent whatever its times (Bareos' FT_NOFSCHG
        # and FT_NORECURSE replace FT_DIRNOCHG before the entry is saved)
        if parent_dev is not None and st.st_dev != parent_dev and opts.onefs:
            if path not in self.top_names:
                self.issue(
                    path,
                    FileType.NOFSCHG,
                    f"{path} is a different filesystem. Will not descend into it.",
                )
            return entry
        if not top_level and not opts.recurse:
            self.issue(
                path, FileType.NORECURSE, f"Recursion turned off. Will not descend into {path}"
            )
            return entry
        try:
            with _scandir(path) as it:
                names = sorted((d.name for d in it), key=os.fsencode)
        except OSError as exc:
            self.issue(
                path, FileType.NOOPEN, f'Could not open directory "{path}": ERR={exc.strerror}', exc
            )
            return None
        key = path if path.endswith("/") else path + "/"
        return _DirFrame(entry, iter(names), st.st_dev, self.changed(key, st, opts))


def walk(
    spec: FileSetSpec,
    since: float | None = None,
    on_error: OnError | None = None,
    check: ChangeCheck | None = None,
) -> Iterator[FileEntry]:
    """Yield the entries to save for ``spec`` in Bareos order (see the module doc).

    :param since: for Incremental/Differential, the time (seconds since the epoch)
        of the reference job; None for Full.
    :param on_error: called with a :class:`WalkIssue` for every path not saved
        (or saved without its contents); by default issues are logged.
    :param check: decides which entries changed instead of ``since`` (accurate mode).
    """
    if check is None and since is not None:
        check = SinceCheck(since)
    return _Walker(spec, check, on_error or _log_issue).run()
