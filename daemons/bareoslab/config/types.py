"""Value types of directives: how a value is scanned and what Python value it becomes.

Pure converters (:func:`parse_bool`, :func:`parse_duration`, :func:`parse_size`,
:func:`parse_speed`, :func:`password_md5`, :func:`name_problem`) do the arithmetic;
the :class:`ValueType` objects read tokens from a :class:`TokenStream` and call them.
Block values (RunScript, Messages destinations, FileSet Include/Exclude, ...) live in
:mod:`bareoslab.config.blocks` and :mod:`bareoslab.config.fileset`.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from bareoslab.config.errors import ConfigError
from bareoslab.config.lexer import WORD_KINDS, LexMode, Token, TokenKind

if TYPE_CHECKING:
    from bareoslab.config.schema import Directive

MAX_NAME_LENGTH = 127
_NAME_EXTRA = frozenset(":.-_/ ")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")
_MD5_HEX = re.compile(r"[0-9a-fA-F]{32}")

# Units are matched by prefix, case-insensitively, the first match wins (Bareos order):
# "m" is months, "mi"/"min" minutes, "s" seconds, "n" minutes.
_DURATION_UNITS: tuple[tuple[str, int], ...] = (
    ("n", 60),
    ("seconds", 1),
    ("months", 30 * 86400),
    ("minutes", 60),
    ("mins", 60),
    ("hours", 3600),
    ("days", 86400),
    ("weeks", 7 * 86400),
    ("quarters", 91 * 86400),
    ("years", 365 * 86400),
)
# A single letter is binary, two letters decimal: "k" 1024, "kb" 1000.
_SIZE_UNITS: tuple[tuple[str, int], ...] = (
    ("*", 1),
    ("k", 1024),
    ("kb", 1000),
    ("m", 1024**2),
    ("mb", 1000**2),
    ("g", 1024**3),
    ("gb", 1000**3),
    ("t", 1024**4),
    ("tb", 1000**4),
    ("p", 1024**5),
    ("pb", 1000**5),
    ("e", 1024**6),
    ("eb", 1000**6),
)
_SPEED_UNITS: tuple[tuple[str, int], ...] = (
    ("*", 1),
    ("k/s", 1024),
    ("kb/s", 1000),
    ("m/s", 1024**2),
    ("mb/s", 1000**2),
)
_TRUE = frozenset({"yes", "true", "1"})
_FALSE = frozenset({"no", "false", "0"})


# -- pure converters ----------------------------------------------------------------


def parse_bool(text: str) -> bool | None:
    """``yes``/``no`` (also the deprecated ``true``/``false``/``1``/``0``); None if neither."""
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return None


def _parse_units(text: str, units: tuple[tuple[str, int], ...]) -> int:
    """Sum ``<number>[<unit>]`` parts; raise ValueError on anything else."""
    rest, total, parts = text.strip(), 0, 0
    while rest:
        match = _NUMBER.match(rest)
        if not match:
            raise ValueError(text)
        digits = match.group(0)
        number: int | float = float(digits) if "." in digits else int(digits)
        rest = rest[match.end() :].lstrip(" \t")
        end = 0
        while end < len(rest) and not rest[end].isdigit() and not rest[end].isspace():
            end += 1
        unit, rest = rest[:end].lower(), rest[end:].lstrip(" \t\r\n")
        if not unit:
            total += int(number)
        else:
            factor = next((mult for word, mult in units if word.startswith(unit)), None)
            if factor is None:
                raise ValueError(text)
            total += int(number * factor)
        parts += 1
    if parts == 0 or total < 0:
        raise ValueError(text)
    return total


def parse_duration(text: str) -> int:
    """A duration in seconds: ``90``, ``1 min``, ``30 days``, ``1 day 12 hours``, ``2m`` (months)."""
    return _parse_units(text, _DURATION_UNITS)


def parse_size(text: str) -> int:
    """A size in bytes: ``4096``, ``10G`` (GiB), ``10 GB`` (10**10), ``1.5 m``."""
    return _parse_units(text, _SIZE_UNITS)


def parse_speed(text: str) -> int:
    """A bandwidth in bytes per second: ``100``, ``10 k/s``, ``5 mb/s``."""
    return _parse_units(text, _SPEED_UNITS)


def password_md5(text: str) -> str:
    """The lowercase MD5 hex of a clear password, or the hash of ``[md5]<32 hex>``."""
    if text.startswith("[md5]"):
        digest = text[5:]
        if not _MD5_HEX.fullmatch(digest):
            raise ValueError("an [md5] password needs exactly 32 hex digits")
        return digest.lower()
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def name_problem(text: str) -> str | None:
    """Why ``text`` is not a valid resource name, or None if it is one."""
    if not text:
        return "a name must be at least one character long"
    if text[0] == " " or text[-1] == " ":
        return "a name cannot start or end with a blank"
    for ch in text:
        if not (ch.isascii() and ch.isalnum()) and ch not in _NAME_EXTRA:
            return f'illegal character "{ch}" in name'
    if len(text) > MAX_NAME_LENGTH:
        return f"a name is at most {MAX_NAME_LENGTH} characters long"
    return None


def snake(name: str) -> str:
    """The attribute name of a directive: ``Maximum Concurrent Jobs`` -> ``maximum_concurrent_jobs``."""
    return "_".join(name.lower().split())


def keyword(name: str) -> str:
    """How keywords compare: case-insensitive, blanks and underscores dropped."""
    return "".join(ch for ch in name.lower() if ch not in " \t_")


# -- reading tokens -----------------------------------------------------------------


class TokenStream(Protocol):
    """What a value type reads from: the parser's lexer with push-back."""

    def next(self, mode: LexMode = LexMode.NORMAL) -> Token: ...

    def unget(self, token: Token) -> None: ...


def fail(token: Token, reason: str) -> NoReturn:
    """Raise a :class:`ConfigError` at ``token``."""
    raise ConfigError(token.file, token.line, reason)


def expect_word(
    ts: TokenStream, directive: str, *, mode: LexMode = LexMode.NORMAL, numbers: bool = True
) -> Token:
    """The value token of ``directive``; refuses punctuation and, unless ``numbers``, numbers."""
    token = ts.next(mode)
    if token.kind not in WORD_KINDS:
        fail(token, f"missing value for {directive}, got {token.describe()}")
    if token.kind is TokenKind.NUMBER and not numbers:
        fail(token, f"{directive}: expected a string, got number {token.text} (quote it)")
    return token


def expect(ts: TokenStream, kind: TokenKind, after: str) -> Token:
    """The next token, which must be of ``kind``."""
    token = ts.next()
    if token.kind is not kind:
        fail(token, f"expected {kind.value} after {after}, got {token.describe()}")
    return token


def next_skipping_eol(ts: TokenStream) -> Token:
    token = ts.next()
    while token.kind is TokenKind.EOL:
        token = ts.next()
    return token


def read_word_list(ts: TokenStream, directive: str, *, mode: LexMode = LexMode.NORMAL) -> list[str]:
    """``A, B, C``: words separated by commas, up to the first token that is not a comma."""
    items = [expect_word(ts, directive, mode=mode, numbers=False).text]
    while True:
        token = ts.next(mode)
        if token.kind is not TokenKind.COMMA:
            ts.unget(token)
            return items
        items.append(expect_word(ts, directive, mode=mode, numbers=False).text)


def read_run_of_words(ts: TokenStream, directive: str) -> tuple[Token, str, str]:
    """Words up to the end of the directive (``1 day 12 hours``).

    :returns: the first token, the words' values and their source text, blank-separated
    """
    first = expect_word(ts, directive)
    tokens = [first]
    while True:
        token = ts.next()
        if token.kind not in WORD_KINDS:
            ts.unget(token)
            break
        tokens.append(token)
    return first, " ".join(t.text for t in tokens), " ".join(t.raw or t.text for t in tokens)


# -- value types --------------------------------------------------------------------


class ValueType:
    """How a directive's value is read and what it becomes.

    :ivar name: the type's name in schema dumps (``bool``, ``duration``, ``ref`` ...)
    :ivar accumulate: repeated directives add to a list instead of replacing the value
    :ivar no_equals: the directive opens a block without ``=`` (``Include {``)
    :ivar store_key: store under this attribute instead of the directive's own
    :ivar ref_type: resource type a reference (list) points to, checked in pass 2
    :ivar choices: canonical spellings of an enumeration
    """

    name = "string"
    accumulate = False
    no_equals = False
    store_key: str | None = None
    ref_type: str | None = None
    choices: tuple[str, ...] = ()

    def read(self, ts: TokenStream, directive: Directive) -> Any:
        raise NotImplementedError

    def zero(self) -> Any:
        """The value of an unset directive without a default."""
        return [] if self.accumulate else None

    def references(self, value: Any) -> list[tuple[str, str]]:
        """(resource type, name) of the resources a value names inside it, checked in pass 2
        like a reference directive's (a Schedule Run line's ``Pool=``)."""
        return []

    def __repr__(self) -> str:
        extra = self.ref_type or ",".join(self.choices)
        return f"<{self.name}{':' + extra if extra else ''}>"


class BoolType(ValueType):
    name = "bool"

    def read(self, ts: TokenStream, directive: Directive) -> bool:
        token = expect_word(ts, directive.name)
        value = parse_bool(token.text)
        if value is None:
            fail(token, f'bad bool value "{token.text}" for {directive.name} (expected yes or no)')
        return value

    def zero(self) -> bool:
        return False


class IntType(ValueType):
    name = "int"

    def __init__(self, low: int = 0, high: int = 2**32 - 1) -> None:
        self.low, self.high = low, high

    def read(self, ts: TokenStream, directive: Directive) -> int:
        token = expect_word(ts, directive.name)
        text = token.text.strip()
        if not re.fullmatch(r"[+-]?\d+", text) or not self.low <= int(text) <= self.high:
            expected = "a positive integer" if self.low == 0 else "an integer"
            fail(token, f'bad number "{token.text}" for {directive.name} (expected {expected})')
        return int(text)

    def zero(self) -> int:
        return 0


class DurationType(ValueType):
    name = "duration"

    def read(self, ts: TokenStream, directive: Directive) -> int:
        first, text, raw = read_run_of_words(ts, directive.name)
        try:
            return parse_duration(text)
        except ValueError:
            fail(first, f'bad duration "{raw}" for {directive.name}')

    def zero(self) -> int:
        return 0


class SizeType(ValueType):
    name = "size"

    def __init__(self, speed: bool = False) -> None:
        self.speed = speed
        if speed:
            self.name = "speed"

    def read(self, ts: TokenStream, directive: Directive) -> int:
        first, text, raw = read_run_of_words(ts, directive.name)
        try:
            return parse_speed(text) if self.speed else parse_size(text)
        except ValueError:
            fail(first, f'bad {self.name} "{raw}" for {directive.name}')

    def zero(self) -> int:
        return 0


class StringType(ValueType):
    """One word. ``name`` validates resource-name characters, ``directory`` expands ``~``/``$VAR``."""

    def __init__(self, kind: str = "string") -> None:
        if kind not in ("string", "name", "strname", "directory"):
            raise ValueError(kind)
        self.name = kind

    def read(self, ts: TokenStream, directive: Directive) -> str:
        token = expect_word(ts, directive.name, numbers=False)
        value = token.text
        if self.name == "name":
            problem = name_problem(value)
            if problem:
                fail(token, f'bad name "{value}" for {directive.name}: {problem}')
        elif self.name == "directory" and not value.startswith("|"):
            value = os.path.expandvars(os.path.expanduser(value))
        return value


class PasswordType(ValueType):
    """A password; ``md5`` stores the MD5 hex (CRAM-MD5 and TLS-PSK use it), else clear text."""

    def __init__(self, md5: bool = True) -> None:
        self.md5 = md5
        self.name = "password" if md5 else "clear_password"

    def read(self, ts: TokenStream, directive: Directive) -> str:
        token = expect_word(ts, directive.name, numbers=False)
        if directive.required and token.text in ("", "[md5]d41d8cd98f00b204e9800998ecf8427e"):
            fail(token, f"empty {directive.name} not allowed")
        if not self.md5:
            return token.text
        try:
            return password_md5(token.text)
        except ValueError as exc:
            fail(token, f"bad {directive.name}: {exc}")


class RefType(ValueType):
    """The name of another resource, checked once every file is read."""

    name = "ref"

    def __init__(self, rtype: str) -> None:
        self.ref_type = rtype

    def read(self, ts: TokenStream, directive: Directive) -> str:
        return expect_word(ts, directive.name, numbers=False).text


class ListType(ValueType):
    """``A, B`` and/or the directive repeated; ``ref_type`` makes it a list of references."""

    accumulate = True

    def __init__(self, name: str = "string_list", ref_type: str | None = None) -> None:
        self.name = name
        self.ref_type = ref_type

    def read(self, ts: TokenStream, directive: Directive) -> list[str]:
        return read_word_list(ts, directive.name)


class DirListType(ValueType):
    """One directory per directive, repeated to make a list (``Allowed Script Dir``)."""

    name = "directory_list"
    accumulate = True

    def read(self, ts: TokenStream, directive: Directive) -> list[str]:
        value = expect_word(ts, directive.name, numbers=False).text
        if not value.startswith("|"):
            value = os.path.expandvars(os.path.expanduser(value))
        return [value]


class PluginNamesType(ValueType):
    """``Plugin Names = python3, bpipe`` or ``"python3:bpipe"``."""

    name = "plugin_names"
    accumulate = True

    def read(self, ts: TokenStream, directive: Directive) -> list[str]:
        words = read_word_list(ts, directive.name, mode=LexMode.FORCE_STRING)
        return [part for word in words for part in word.split(":") if part]


class ChoiceType(ValueType):
    """One keyword out of ``choices``, stored in its canonical spelling.

    :param choices: canonical spellings, compared case-insensitively without blanks
    :param synonyms: more accepted words, mapped to a canonical spelling
    """

    name = "enum"

    def __init__(self, choices: Iterable[str], synonyms: Mapping[str, str] | None = None) -> None:
        self.choices = tuple(choices)
        self._lookup = {keyword(choice): choice for choice in self.choices}
        for word, canonical in (synonyms or {}).items():
            self._lookup[keyword(word)] = canonical

    def canonical(self, text: str) -> str | None:
        return self._lookup.get(keyword(text))

    def read(self, ts: TokenStream, directive: Directive) -> str:
        token = expect_word(ts, directive.name)
        value = self.canonical(token.text)
        if value is None:
            fail(
                token,
                f'bad value "{token.text}" for {directive.name} '
                f"(expected one of {', '.join(self.choices)})",
            )
        return value


# -- shared instances ---------------------------------------------------------------

BOOL = BoolType()
INT = IntType()
INT32 = IntType(-(2**31), 2**31 - 1)
INT16 = IntType(0, 2**16 - 1)
DURATION = DurationType()
SIZE = SizeType()
SPEED = SizeType(speed=True)
STRING = StringType()
NAME = StringType("name")
STRNAME = StringType("strname")
DIRECTORY = StringType("directory")
PASSWORD = PasswordType()
CLEAR_PASSWORD = PasswordType(md5=False)
STRING_LIST = ListType()
ACL = ListType("acl")
DIRECTORY_LIST = DirListType()
PLUGIN_NAMES = PluginNamesType()


def ref(rtype: str) -> RefType:
    return RefType(rtype)


def ref_list(rtype: str) -> ListType:
    return ListType("ref_list", rtype)


# -- enumerations (Bareos' canonical spellings) -------------------------------------

JOB_TYPES = ("Backup", "Restore", "Verify", "Admin", "Archive", "Copy", "Migrate", "Consolidate")
JOB_LEVELS = (
    "Full",
    "Incremental",
    "Differential",
    "VirtualFull",
    "Since",
    "Base",
    "InitCatalog",
    "Catalog",
    "VolumeToCatalog",
    "DiskToCatalog",
    "Data",
)
POOL_TYPES = ("Backup", "Copy", "Cloned", "Archive", "Migration", "Scratch")
SELECTION_TYPES = (
    "SmallestVolume",
    "OldestVolume",
    "PoolOccupancy",
    "PoolTime",
    "PoolUncopiedJobs",
    "Client",
    "Volume",
    "Job",
    "SqlQuery",
)
REPLACE_OPTIONS = ("Always", "IfNewer", "IfOlder", "Never")
RUNS_WHEN = ("Never", "Before", "After", "Always", "AfterVSS")

JOB_TYPE = ChoiceType(JOB_TYPES)
JOB_LEVEL = ChoiceType(JOB_LEVELS)
POOL_TYPE = ChoiceType(POOL_TYPES)
SELECTION_TYPE = ChoiceType(SELECTION_TYPES)
REPLACE = ChoiceType(REPLACE_OPTIONS)
BACKUP_PROTOCOL = ChoiceType(("Native", "NDMP_BAREOS", "NDMP_NATIVE"), {"NDMP": "NDMP_BAREOS"})
AUTH_PROTOCOL = ChoiceType(("Native", "NDMPV2", "NDMPV3", "NDMPV4"))
AUTH_TYPE = ChoiceType(("None", "Clear", "MD5"))
ACTION_ON_PURGE = ChoiceType(("None", "Truncate"))
LABEL_TYPE = ChoiceType(("Bareos", "ANSI", "IBM"))
IO_DIRECTION = ChoiceType(
    ("ReadOnly", "WriteOnly", "ReadWrite"),
    {
        "in": "ReadOnly",
        "read": "ReadOnly",
        "out": "WriteOnly",
        "write": "WriteOnly",
        "both": "ReadWrite",
    },
)
COMPRESSION_ALGORITHM = ChoiceType(("GZIP", "LZO", "LZFAST", "LZ4", "LZ4HC"))
PKI_CIPHER = ChoiceType(
    (
        "aes128",
        "aes192",
        "aes256",
        "camellia128",
        "camellia192",
        "camellia256",
        "aes128hmacsha1",
        "aes256hmacsha1",
        "3des",
        "blowfish",
    )
)
DB_DRIVER = ChoiceType(("sqlite3", "postgresql"), {"sqlite": "sqlite3", "postgres": "postgresql"})


def skip_to_eol(ts: TokenStream) -> None:
    """Ignore what is left of a directive, as Bareos does; a ``}`` is left for the caller."""
    while True:
        token = ts.next()
        if token.kind in (TokenKind.EOL, TokenKind.EOF):
            return
        if token.kind is TokenKind.RBRACE:
            ts.unget(token)
            return


_UNITS = (
    ("year", 365 * 86400),
    ("month", 30 * 86400),
    ("week", 7 * 86400),
    ("day", 86400),
    ("hour", 3600),
    ("min", 60),
    ("sec", 1),
)


def edit_utime(seconds: int) -> str:
    """Bareos' duration text: ``1 sec``, ``30 days``, ``1 year 5 days``."""
    parts = []
    for name, size in _UNITS:
        if seconds >= size:
            count, seconds = divmod(seconds, size)
            parts.append(f"{count} {name}{'s' if count != 1 else ''}")
    return " ".join(parts) or "0 secs"
