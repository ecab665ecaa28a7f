"""Tokens of the Bareos configuration language.

The rules follow Bareos' own scanner (``lib/lex.cc``):

* ``#`` starts a comment that runs to the end of the line (not inside quotes);
* a newline or ``;`` ends a directive (both give an :attr:`TokenKind.EOL` token);
* a word that starts with an ASCII letter is an *identifier*: blanks inside it are
  dropped (``Maximum Concurrent Jobs`` reads ``MaximumConcurrentJobs``) and any
  character other than a letter, a blank or a terminator turns it into an unquoted
  string (``client1-fd``);
* a word that starts with a digit is a number until a non-digit that is not a
  terminator turns it into an unquoted string (``50G``, ``192.168.0.1``);
* quoted strings take ``\\x`` as ``x``, keep newlines, and continue when the closing
  quote is followed on the same line, or at the start of the next line, by another
  quoted string;
* ``@path`` or ``@"path"`` reads another file in place; the path may be a glob (a glob
  that matches nothing is ignored), relative paths are taken from the directory of the
  including file, and ``@|command`` is refused;
* a UTF-8 byte order mark at the start of a file is skipped; UTF-16 is refused.
"""

from __future__ import annotations

import enum
import glob
import os
from dataclasses import dataclass, field
from typing import NoReturn

from bareoslab.config.errors import ConfigError

#: characters that end an identifier or an unquoted string
_TERMINATORS = frozenset('\n\r;={},#"')
#: blanks that separate tokens (Bareos' ``isspace`` minus the newline)
_BLANKS = frozenset(" \t\r\f\v")
_GLOB_CHARS = frozenset("*?[")
#: nested includes deeper than this are refused (a file that includes itself)
MAX_INCLUDE_DEPTH = 32


class TokenKind(enum.Enum):
    IDENT = "identifier"
    STRING = "unquoted string"
    QUOTED = "quoted string"
    NUMBER = "number"
    EQUALS = "'='"
    COMMA = "','"
    LBRACE = "'{'"
    RBRACE = "'}'"
    EOL = "end of line"
    EOF = "end of file"


#: token kinds that carry a word (a value or a keyword)
WORD_KINDS = frozenset({TokenKind.IDENT, TokenKind.STRING, TokenKind.QUOTED, TokenKind.NUMBER})


class LexMode(enum.Enum):
    """How a word that starts with a letter or a digit is scanned."""

    NORMAL = "normal"  # letters: identifier, digits: number
    NO_IDENT = "no-ident"  # letters: unquoted string, digits: number
    FORCE_STRING = "force-string"  # letters and digits: unquoted string


@dataclass(frozen=True)
class Token:
    """One token; ``text`` is its value, ``raw`` the source text it came from."""

    kind: TokenKind
    text: str
    file: str
    line: int
    raw: str = ""

    def describe(self) -> str:
        """The token for an error message."""
        if self.kind is TokenKind.QUOTED:
            return f"{self.kind.value} {self.raw}"
        if self.kind in WORD_KINDS:
            return f'{self.kind.value} "{self.raw or self.text}"'
        return str(self.kind.value)


@dataclass
class _Source:
    file: str
    text: str
    pos: int = 0
    line: int = 1


@dataclass
class Lexer:
    """Pull tokens from a configuration file and the files it includes.

    :param file: the file name used in tokens and error messages
    :param text: the file contents; read from ``file`` when omitted
    """

    file: str
    text: str | None = None
    #: every file read so far, includes too, in the order they were opened
    files: list[str] = field(default_factory=list)
    _stack: list[_Source] = field(default_factory=list)
    _pushed: list[Token] = field(default_factory=list)
    _last_file: str = ""
    _last_line: int = 0

    def __post_init__(self) -> None:
        text = self.text if self.text is not None else _read_file(self.file, self.file, 0)
        self._open(self.file, text)

    # -- public -----------------------------------------------------------------

    def next(self, mode: LexMode = LexMode.NORMAL) -> Token:
        """Return the next token; the end of an included file reads as an end of line."""
        if self._pushed:
            return self._pushed.pop()
        while self._stack:
            src = self._stack[-1]
            if src.pos >= len(src.text):
                self._stack.pop()
                self._last_file, self._last_line = src.file, src.line
                if self._stack:
                    return Token(TokenKind.EOL, "", src.file, src.line)
                break
            token = self._scan(src, mode)
            if token is not None:
                return token
        return Token(TokenKind.EOF, "", self._last_file or self.file, self._last_line)

    def unget(self, token: Token) -> None:
        """Push ``token`` back; the next :meth:`next` returns it whatever the mode."""
        self._pushed.append(token)

    # -- scanning ---------------------------------------------------------------

    def _open(self, file: str, text: str, record: bool = True) -> None:
        if len(self._stack) >= MAX_INCLUDE_DEPTH:
            top = self._stack[-1]
            self._fail(
                top.file, top.line, f"includes nested deeper than {MAX_INCLUDE_DEPTH}: {file}"
            )
        if text.startswith("\ufeff"):
            text = text[1:]
        if record:
            self.files.append(file)
        self._stack.append(_Source(file, text))

    def _scan(self, src: _Source, mode: LexMode) -> Token | None:
        """Scan one token at ``src.pos``; None when only blanks, a comment or an include were read."""
        text, ch = src.text, src.text[src.pos]
        if ch == "\n":
            src.pos += 1
            src.line += 1
            return Token(TokenKind.EOL, "", src.file, src.line - 1)
        if ch in _BLANKS:
            src.pos += 1
            return None
        if ch == "#":
            end = text.find("\n", src.pos)
            src.pos = len(text) if end < 0 else end
            return None
        simple = _SIMPLE.get(ch)
        if simple is not None:
            src.pos += 1
            return Token(simple, ch, src.file, src.line, ch)
        if ch == '"':
            return self._quoted(src)
        if ch == "@":
            self._include(src)
            return None
        if ch.isascii() and ch.isalpha() and mode is LexMode.NORMAL:
            return self._identifier(src)
        if ch.isascii() and ch.isdigit() and mode is not LexMode.FORCE_STRING:
            return self._number(src)
        return self._unquoted(src, src.pos, "")

    def _identifier(self, src: _Source) -> Token:
        text, start, pos = src.text, src.pos, src.pos
        chars: list[str] = []
        while pos < len(text):
            ch = text[pos]
            if ch.isascii() and ch.isalpha():
                chars.append(ch)
            elif ch in _BLANKS:
                pass
            elif ch in _TERMINATORS:
                break
            else:  # some other character: the word is an unquoted string
                src.pos = pos
                return self._unquoted(src, start, "".join(chars))
            pos += 1
        src.pos = pos
        return Token(TokenKind.IDENT, "".join(chars), src.file, src.line, text[start:pos].rstrip())

    def _number(self, src: _Source) -> Token:
        text, start, pos = src.text, src.pos, src.pos
        while pos < len(text) and text[pos].isascii() and text[pos].isdigit():
            pos += 1
        if pos < len(text) and text[pos] not in _BLANKS and text[pos] not in "\n,;":
            src.pos = pos
            return self._unquoted(src, start, text[start:pos])
        src.pos = pos
        return Token(TokenKind.NUMBER, text[start:pos], src.file, src.line, text[start:pos])

    def _unquoted(self, src: _Source, start: int, prefix: str) -> Token:
        text, pos = src.text, src.pos
        while pos < len(text) and text[pos] not in _TERMINATORS and text[pos] not in _BLANKS:
            pos += 1
        value = prefix + text[src.pos : pos]
        src.pos = pos
        return Token(TokenKind.STRING, value, src.file, src.line, text[start:pos])

    def _quoted(self, src: _Source) -> Token:
        text, line, start = src.text, src.line, src.pos
        pos = start + 1
        chars: list[str] = []
        while True:
            if pos >= len(text):
                self._fail(src.file, line, "unterminated quoted string")
            ch = text[pos]
            pos += 1
            if ch == "\\" and pos < len(text):
                if text[pos] == "\n":
                    src.line += 1
                chars.append(text[pos])
                pos += 1
            elif ch == "\n":
                src.line += 1
                chars.append("\n")
            elif ch == '"':
                cont = _continuation(text, pos)
                if cont is None:
                    break
                pos, lines = cont
                src.line += lines
            else:
                chars.append(ch)
        src.pos = pos
        return Token(TokenKind.QUOTED, "".join(chars), src.file, line, text[start:pos])

    def _include(self, src: _Source) -> None:
        text, line, pos = src.text, src.line, src.pos + 1
        start = pos
        while pos < len(text) and text[pos] not in _TERMINATORS and text[pos] not in _BLANKS:
            pos += 1
        path = text[start:pos]
        if pos < len(text) and text[pos] == '"':  # @"path" or @|"command"
            pos += 1
            chars: list[str] = []
            while True:
                if pos >= len(text) or text[pos] == "\n":
                    self._fail(src.file, line, "unterminated quoted include path")
                ch = text[pos]
                pos += 1
                if ch == "\\" and pos < len(text):
                    chars.append(text[pos])
                    pos += 1
                elif ch == '"':
                    break
                else:
                    chars.append(ch)
            path += "".join(chars)
        src.pos = pos
        if not path:
            self._fail(src.file, line, "empty include path after '@'")
        if path.startswith("|"):
            self._fail(src.file, line, f"@|command includes are not supported: {path}")
        if "\0" in path:
            self._fail(src.file, line, f"include path with a NUL byte: {path!r}")
        if not os.path.isabs(path):
            path = os.path.join(os.path.dirname(src.file), path)
        if _GLOB_CHARS.intersection(path):
            matches = sorted(glob.glob(path))
        else:
            matches = [path]
        texts = [_read_file(match, src.file, line) for match in matches]
        self.files.extend(matches)
        for match, content in reversed(
            list(zip(matches, texts, strict=True))
        ):  # a stack: first read first
            self._open(match, content, record=False)

    @staticmethod
    def _fail(file: str, line: int, reason: str) -> NoReturn:
        raise ConfigError(file, line, reason)


_SIMPLE = {
    "{": TokenKind.LBRACE,
    "}": TokenKind.RBRACE,
    "=": TokenKind.EQUALS,
    ",": TokenKind.COMMA,
    ";": TokenKind.EOL,
}


def _continuation(text: str, pos: int) -> tuple[int, int] | None:
    """After a closing quote at ``pos``: where the continuing string starts, and lines skipped.

    A quoted string continues when the next non-blank character on the same line is a
    quote, or when the rest of the line is blank and the next line starts (after
    blanks) with a quote.
    """
    rest = pos
    while rest < len(text) and text[rest] in " \t":
        rest += 1
    if rest < len(text) and text[rest] == '"':
        return rest + 1, 0
    if rest < len(text) and text[rest] == "\r":
        rest += 1
    if rest >= len(text) or text[rest] != "\n":
        return None
    nxt = rest + 1
    while nxt < len(text) and text[nxt] in " \t":
        nxt += 1
    if nxt < len(text) and text[nxt] == '"':
        return nxt + 1, 1
    return None


def _read_file(path: str, including_file: str, line: int) -> str:
    """Read a configuration file as UTF-8; problems are reported where it was named."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except IsADirectoryError:
        raise ConfigError(including_file, line, f"cannot read {path}: is a directory") from None
    except OSError as exc:
        if line == 0:
            raise ConfigError(path, 0, f"cannot read config file: {exc.strerror}") from None
        raise ConfigError(
            including_file, line, f"cannot open included config file {path}: {exc.strerror}"
        ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(path, 1, "UTF-16 config files are not supported, save it as UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(path, bad_line, "invalid UTF-8 in config file") from None
