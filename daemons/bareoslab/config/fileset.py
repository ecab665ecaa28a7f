"""FileSet ``Include``/``Exclude`` blocks and their ``Options``, and the FileSet as text.

File entries keep their raw text: ``</path`` (list on the director), ``\\\\</path``
(list on the client) and ``|command`` are expanded later by the director.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bareoslab.config.blocks import read_block
from bareoslab.config.lexer import LexMode, Token, TokenKind
from bareoslab.config.types import (
    ChoiceType,
    TokenStream,
    ValueType,
    expect,
    expect_word,
    fail,
    next_skipping_eol,
    parse_bool,
)

if TYPE_CHECKING:
    from bareoslab.config.schema import Directive

#: yes/no options: canonical key -> Bareos spelling
FLAG_OPTIONS = {
    "onefs": "OneFS",
    "recurse": "Recurse",
    "sparse": "Sparse",
    "hardlinks": "HardLinks",
    "readfifo": "ReadFifo",
    "portable": "Portable",
    "mtimeonly": "MtimeOnly",
    "keepatime": "KeepAtime",
    "exclude": "Exclude",
    "aclsupport": "AclSupport",
    "ignorecase": "IgnoreCase",
    "hfsplussupport": "HfsPlusSupport",
    "noatime": "NoAtime",
    "enhancedwild": "EnhancedWild",
    "checkfilechanges": "CheckFileChanges",
    "honornodumpflag": "HonorNoDumpFlag",
    "xattrsupport": "XAttrSupport",
    "autoexclude": "AutoExclude",
    "forceencryption": "ForceEncryption",
}
#: keyword options: canonical key -> (Bareos spelling, accepted values)
CHOICE_OPTIONS = {
    "signature": ("Signature", ChoiceType(("MD5", "SHA1", "SHA256", "SHA512", "XXH128"))),
    "compression": (
        "Compression",
        ChoiceType(("GZIP", *(f"GZIP{n}" for n in range(1, 10)), "LZO", "LZFAST", "LZ4", "LZ4HC")),
    ),
    "encryption": (
        "Encryption",
        ChoiceType(
            (
                "blowfish",
                "3des",
                "aes128",
                "aes192",
                "aes256",
                "camellia128",
                "camellia192",
                "camellia256",
                "aes128hmacsha1",
                "aes256hmacsha1",
            )
        ),
    ),
    "replace": ("Replace", ChoiceType(("Always", "IfNewer", "Never"))),
    "shadowing": (
        "Shadowing",
        ChoiceType(("None", "LocalWarn", "LocalRemove", "GlobalWarn", "GlobalRemove")),
    ),
}
#: free-text options: canonical key -> (Bareos spelling, pattern the value must match)
TEXT_OPTIONS = {
    "verify": ("Verify", re.compile(r"[a-zA-Z0-9]+")),
    "accurate": ("Accurate", re.compile(r"[a-zA-Z0-9]+")),
    "size": (
        "Size",
        re.compile(r"[<>]?\s*[0-9][0-9.]*\s*[a-zA-Z]*(\s*-\s*[0-9][0-9.]*\s*[a-zA-Z]*)?"),
    ),
    "strippath": ("StripPath", re.compile(r"[0-9]+")),
    "plugin": ("Plugin", re.compile(r".+", re.S)),
}
#: pattern lists: canonical key -> (attribute of OptionsBlock, Bareos spelling)
PATTERN_OPTIONS = {
    "wild": ("wild", "Wild"),
    "wilddir": ("wild_dir", "WildDir"),
    "wildfile": ("wild_file", "WildFile"),
    "regex": ("regex", "Regex"),
    "regexdir": ("regex_dir", "RegexDir"),
    "regexfile": ("regex_file", "RegexFile"),
    "fstype": ("fstype", "FsType"),
    "drivetype": ("drivetype", "DriveType"),
    "meta": ("meta", "Meta"),
}
#: what an option is when no Options block sets it (Bareos' file daemon defaults)
OPTION_DEFAULTS: dict[str, bool | str | int] = {
    "onefs": True,
    "recurse": True,
    "sparse": False,
    "hardlinks": False,
    "readfifo": False,
    "portable": False,
    "mtimeonly": False,
    "keepatime": False,
    "exclude": False,
    "aclsupport": True,
    "ignorecase": False,
    "hfsplussupport": False,
    "noatime": False,
    "enhancedwild": False,
    "checkfilechanges": False,
    "honornodumpflag": False,
    "xattrsupport": True,
    "autoexclude": True,
    "forceencryption": False,
    "shadowing": "None",
}


@dataclass(frozen=True)
class OptionsBlock:
    """One ``Options { ... }`` block: plain options and pattern lists.

    ``options`` maps canonical lowercase keys to ``bool`` (yes/no options), ``int``
    (``strippath``) or ``str`` (``signature``, ``compression``, ``replace``, ``verify``,
    ``accurate``, ``size``, ``plugin`` ...), only for what the block sets.
    """

    options: dict[str, bool | str | int] = field(default_factory=dict)
    wild: list[str] = field(default_factory=list)
    wild_dir: list[str] = field(default_factory=list)
    wild_file: list[str] = field(default_factory=list)
    regex: list[str] = field(default_factory=list)
    regex_dir: list[str] = field(default_factory=list)
    regex_file: list[str] = field(default_factory=list)
    fstype: list[str] = field(default_factory=list)
    drivetype: list[str] = field(default_factory=list)
    meta: list[str] = field(default_factory=list)

    def get(self, key: str) -> bool | str | int | None:
        """The option as set here, else Bareos' default (None for options without one)."""
        key = key.lower().replace(" ", "").replace("_", "")
        return self.options.get(key, OPTION_DEFAULTS.get(key))


@dataclass(frozen=True)
class IncludeBlock:
    """One ``Include { ... }`` (or ``Exclude { ... }``, which only has ``files``)."""

    options: list[OptionsBlock] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    plugins: list[str] = field(default_factory=list)
    exclude_dir_containing: list[str] = field(default_factory=list)


def _path_word(ts: TokenStream, name: str) -> str:
    token = expect_word(ts, name, numbers=False)
    if token.kind is not TokenKind.QUOTED and "\\" in token.text:
        fail(token, f'backslash in unquoted {name} "{token.text}": use forward slashes or quote it')
    return token.text


def _read_options(ts: TokenStream) -> OptionsBlock:
    block = OptionsBlock()

    def plain(key: str) -> Callable[[Token], None]:
        def handler(tok: Token) -> None:
            expect(ts, TokenKind.EQUALS, tok.raw)
            word = expect_word(ts, tok.raw, mode=LexMode.FORCE_STRING)
            block.options[key] = _option_value(key, word)

        return handler

    def pattern(attr: str) -> Callable[[Token], None]:
        def handler(tok: Token) -> None:
            expect(ts, TokenKind.EQUALS, tok.raw)
            getattr(block, attr).append(expect_word(ts, tok.raw).text)

        return handler

    items: dict[str, Callable[[Token], None]] = {key: plain(key) for key in FLAG_OPTIONS}
    items.update({key: plain(key) for key in CHOICE_OPTIONS})
    items.update({key: plain(key) for key in TEXT_OPTIONS})
    items.update({key: pattern(attr) for key, (attr, _) in PATTERN_OPTIONS.items()})
    read_block(ts, "Options", items)
    return block


def _option_value(key: str, word: Token) -> bool | str | int:
    if key in FLAG_OPTIONS:
        value = parse_bool(word.text)
        if value is None:
            fail(word, f'bad value "{word.text}" for {FLAG_OPTIONS[key]} (expected yes or no)')
        return value
    if key in CHOICE_OPTIONS:
        spelling, choice = CHOICE_OPTIONS[key]
        canonical = choice.canonical(word.text)
        if canonical is None:
            fail(
                word,
                f'bad value "{word.text}" for {spelling} (expected one of {", ".join(choice.choices)})',
            )
        return canonical
    spelling, pattern = TEXT_OPTIONS[key]
    if not pattern.fullmatch(word.text):
        fail(word, f'bad value "{word.text}" for {spelling}')
    return int(word.text) if key == "strippath" else word.text


class IncludeExcludeType(ValueType):
    """``Include { Options { ... } File = ... Plugin = ... }`` or ``Exclude { File = ... }``."""

    name = "include_exclude"
    accumulate = True
    no_equals = True

    def __init__(self, include: bool) -> None:
        self.include = include

    def read(self, ts: TokenStream, directive: Directive) -> list[IncludeBlock]:
        block = IncludeBlock()
        what = "Include" if self.include else "Exclude"
        opener = next_skipping_eol(ts)
        ts.unget(opener)
        if opener.kind is not TokenKind.LBRACE:
            fail(opener, f"old style {what} is not supported, use {what} {{ File = ... }}")

        def only_in_include(tok: Token) -> None:
            if not self.include:
                fail(tok, f"{tok.raw} is not permitted in Exclude")

        def file(tok: Token) -> None:
            expect(ts, TokenKind.EQUALS, tok.raw)
            block.files.append(_path_word(ts, "File"))

        def plugin(tok: Token) -> None:
            only_in_include(tok)
            expect(ts, TokenKind.EQUALS, tok.raw)
            block.plugins.append(_path_word(ts, "Plugin"))

        def exclude_dir(tok: Token) -> None:
            only_in_include(tok)
            expect(ts, TokenKind.EQUALS, tok.raw)
            block.exclude_dir_containing.append(expect_word(ts, tok.raw, numbers=False).text)

        def options(tok: Token) -> None:
            only_in_include(tok)
            block.options.append(_read_options(ts))

        items = {
            "file": file,
            "plugin": plugin,
            "excludedircontaining": exclude_dir,
            "options": options,
        }
        read_block(ts, what, items)
        return [block]


INCLUDE = IncludeExcludeType(include=True)
EXCLUDE = IncludeExcludeType(include=False)


# -- the FileSet as text --------------------------------------------------------------


def quote(text: str) -> str:
    """``text`` as a quoted config string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _option_text(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or key in CHOICE_OPTIONS:
        return str(value)
    return quote(str(value))


def _spelling(key: str) -> str:
    if key in FLAG_OPTIONS:
        return FLAG_OPTIONS[key]
    if key in CHOICE_OPTIONS:
        return CHOICE_OPTIONS[key][0]
    return TEXT_OPTIONS[key][0]


def _block_lines(what: str, blocks: Iterable[IncludeBlock]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        lines.append(f"  {what} {{")
        for opts in block.options:
            lines.append("    Options {")
            for key in sorted(opts.options):
                lines.append(f"      {_spelling(key)} = {_option_text(key, opts.options[key])}")
            for attr, spelling in PATTERN_OPTIONS.values():
                lines.extend(f"      {spelling} = {quote(item)}" for item in getattr(opts, attr))
            lines.append("    }")
        lines.extend(f"    File = {quote(item)}" for item in block.files)
        lines.extend(f"    Plugin = {quote(item)}" for item in block.plugins)
        lines.extend(
            f"    Exclude Dir Containing = {quote(item)}" for item in block.exclude_dir_containing
        )
        lines.append("  }")
    return lines


def fileset_text(
    name: str, include: Iterable[IncludeBlock], exclude: Iterable[IncludeBlock]
) -> str:
    """The FileSet in config syntax, the same for the same content.

    Options inside a block are sorted by key; files, patterns and blocks keep their
    order (it matters for matching). This text is what the catalog stores as
    FileSetText and what the FileSet MD5 is computed over.
    """
    lines = ["FileSet {", f"  Name = {quote(name)}"]
    lines.extend(_block_lines("Include", include))
    lines.extend(_block_lines("Exclude", exclude))
    lines.append("}")
    return "\n".join(lines) + "\n"
