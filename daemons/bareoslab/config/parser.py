"""Pass 1: read resources and their values from one file (and the files it includes).

References are only recorded here (:class:`RefUse`); :mod:`bareoslab.config.resolve`
checks them once every file is read, so forward references are fine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bareoslab.config.lexer import Lexer, Token, TokenKind
from bareoslab.config.schema import (
    SCHEMAS,
    Directive,
    ResourceSchema,
    resource_schema,
    resource_type,
)
from bareoslab.config.types import fail, keyword, next_skipping_eol, skip_to_eol

PROGRAMS = {"dir": "bareos-dir", "sd": "bareos-sd", "fd": "bareos-fd", "console": "bconsole"}


@dataclass(frozen=True)
class RefUse:
    """A reference met in pass 1: ``directive`` names the ``rtype`` resource ``name``."""

    directive: str
    rtype: str
    name: str
    file: str
    line: int


@dataclass
class RawResource:
    """A resource as read in pass 1, before references and JobDefs are resolved."""

    schema: ResourceSchema
    file: str
    line: int
    values: dict[str, Any] = field(default_factory=dict)
    #: attribute -> (file, line) where it was set
    lines: dict[str, tuple[str, int]] = field(default_factory=dict)
    refs: list[RefUse] = field(default_factory=list)

    @property
    def rtype(self) -> str:
        return self.schema.rtype

    @property
    def name(self) -> str:
        return str(self.values.get("name", ""))

    def label(self) -> str:
        """``Job "backup-client1"`` for messages."""
        return f'{self.rtype} "{self.name}"'


@dataclass
class ParsedFile:
    """What pass 1 got from one file."""

    #: resources in reading order
    resources: list[RawResource]
    #: every file read: the file itself, then its includes
    files: list[str]
    #: ``file:line: ...`` notes about deprecated directives
    warnings: list[str]


def parse_file(path: str, daemon: str, text: str | None = None) -> ParsedFile:
    """Read every resource of ``path`` (or of ``text``, named ``path``).

    :raises ConfigError: at the first problem
    """
    if daemon not in SCHEMAS:
        raise ValueError(f"unknown daemon {daemon!r}, expected one of {', '.join(SCHEMAS)}")
    lexer = Lexer(path, text)
    parser = _Parser(lexer, daemon)
    resources = parser.parse()
    return ParsedFile(resources, lexer.files, parser.warnings)


class _Parser:
    def __init__(self, lexer: Lexer, daemon: str) -> None:
        self.lexer = lexer
        self.daemon = daemon
        self.warnings: list[str] = []

    def parse(self) -> list[RawResource]:
        resources: list[RawResource] = []
        while True:
            token = self.lexer.next()
            if token.kind is TokenKind.EOF:
                return resources
            if token.kind is TokenKind.EOL:
                continue
            if token.kind is not TokenKind.IDENT:
                fail(token, f"expected a resource type, got {token.describe()}")
            rtype = resource_type(self.daemon, token.text)
            if rtype is None:
                known = ", ".join(SCHEMAS[self.daemon])
                fail(
                    token,
                    f'unknown resource type "{token.raw}" for {PROGRAMS[self.daemon]} '
                    f"(expected one of {known})",
                )
            resources.append(self._resource(resource_schema(self.daemon, rtype), token))

    def _resource(self, schema: ResourceSchema, head: Token) -> RawResource:
        brace = next_skipping_eol(self.lexer)
        if brace.kind is not TokenKind.LBRACE:
            fail(brace, f"expected '{{' after {schema.rtype}, got {brace.describe()}")
        raw = RawResource(schema, head.file, head.line)
        while True:
            token = self.lexer.next()
            if token.kind is TokenKind.EOL:
                continue
            if token.kind is TokenKind.RBRACE:
                break
            if token.kind is TokenKind.EOF:
                fail(head, f"unterminated {schema.rtype} resource: missing '}}'")
            if token.kind is not TokenKind.IDENT:
                fail(
                    token,
                    f"expected a directive in {schema.rtype} resource, got {token.describe()}",
                )
            directive = schema.by_keyword.get(keyword(token.text))
            if directive is None:
                hint = ""
                if resource_type(self.daemon, token.text) is not None:
                    hint = f" (is the '}}' of the {schema.rtype} resource missing?)"
                fail(token, f'unknown directive "{token.raw}" in resource {schema.rtype}{hint}')
            if directive.deprecated:
                self.warnings.append(
                    f"{token.file}:{token.line}: {directive.name} is deprecated in {schema.rtype}"
                )
            if not directive.effect:
                self.warnings.append(
                    f"{token.file}:{token.line}: directive {directive.name} is accepted but has no effect"
                )
            self._directive(raw, directive, token)
        if "name" not in raw.values:
            fail(head, f'{schema.rtype} resource: missing required directive "Name"')
        return raw

    def _directive(self, raw: RawResource, directive: Directive, token: Token) -> None:
        if not directive.type.no_equals:
            equals = next_skipping_eol(self.lexer)
            if equals.kind is not TokenKind.EQUALS:
                hint = ""
                if equals.kind is TokenKind.LBRACE and resource_type(self.daemon, token.text):
                    hint = f" (is the '}}' of the {raw.rtype} resource missing?)"
                fail(equals, f"expected '=' after {token.raw}, got {equals.describe()}{hint}")
        value = directive.type.read(self.lexer, directive)
        key = directive.key
        if directive.type.accumulate:
            raw.values.setdefault(key, []).extend(value)
        else:
            if key in raw.values and (key == "name" or directive.type.ref_type):
                first = raw.lines[key][1]
                fail(token, f"{raw.label()}: {directive.name} set twice (first on line {first})")
            raw.values[key] = value
        raw.lines[key] = (token.file, token.line)
        target = directive.type.ref_type
        if target is not None:
            for name in value if isinstance(value, list) else [value]:
                raw.refs.append(RefUse(directive.name, target, name, token.file, token.line))
        for rtype, name in directive.type.references(value):
            raw.refs.append(RefUse(directive.name, rtype, name, token.file, token.line))
        skip_to_eol(self.lexer)
