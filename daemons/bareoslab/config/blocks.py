"""Values with structure: Messages destinations, RunScript, Addresses, Schedule Run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, NamedTuple, TypedDict

from bareoslab.config.lexer import LexMode, Token, TokenKind
from bareoslab.config.schedule import parse_run
from bareoslab.config.types import (
    RUNS_WHEN,
    ChoiceType,
    TokenStream,
    ValueType,
    expect,
    expect_word,
    fail,
    keyword,
    next_skipping_eol,
    parse_bool,
    read_word_list,
    skip_to_eol,
)

if TYPE_CHECKING:
    from bareoslab.config.schema import Directive

#: message types a destination can take, each optionally negated with ``!``
MESSAGE_TYPES = (
    "debug",
    "abort",
    "fatal",
    "error",
    "warning",
    "info",
    "saved",
    "notsaved",
    "skipped",
    "mount",
    "terminate",
    "restored",
    "security",
    "alert",
    "volmgmt",
    "audit",
    "all",
)
_MESSAGE_TYPES = frozenset(MESSAGE_TYPES)


def read_block(ts: TokenStream, what: str, items: Mapping[str, Callable[[Token], None]]) -> None:
    """Read ``{ item ... }``; ``items`` maps keywords to handlers.

    A handler gets the keyword token and reads its own ``=`` and value; what is left
    of the line is skipped afterwards.
    """
    opener = next_skipping_eol(ts)
    if opener.kind is not TokenKind.LBRACE:
        fail(opener, f"expected '{{' after {what}, got {opener.describe()}")
    while True:
        token = ts.next()
        if token.kind is TokenKind.EOL:
            continue
        if token.kind is TokenKind.RBRACE:
            return
        if token.kind is TokenKind.EOF:
            fail(opener, f"unterminated {what} block: missing '}}'")
        if token.kind is not TokenKind.IDENT:
            fail(token, f"expected a directive in {what} block, got {token.describe()}")
        handler = items.get(keyword(token.text))
        if handler is None:
            fail(token, f'unknown directive "{token.raw or token.text}" in {what} block')
        handler(token)
        skip_to_eol(ts)


def _read_bool(ts: TokenStream, name: str) -> bool:
    token = expect_word(ts, name)
    value = parse_bool(token.text)
    if value is None:
        fail(token, f'bad bool value "{token.text}" for {name} (expected yes or no)')
    return value


# -- Messages -------------------------------------------------------------------------


class MessageDestination(NamedTuple):
    """One destination line of a Messages resource.

    ``dest`` is the directive (``Director``, ``Console``, ``Append``, ``MailOnError`` ...),
    ``address`` the director name, mail addresses (blank-separated), file name or syslog
    facility (None for ``Console``, ``Catalog``, ``Stdout``, ``Stderr``), ``types`` the
    message types in order, lower case, negations kept (``["all", "!skipped"]``).
    """

    dest: str
    address: str | None
    types: list[str]


class MessageDestinationType(ValueType):
    """``Console = all, !skipped``, ``Director = dir = all``, ``Append = "/f" = all``.

    :param dest: canonical destination name
    :param address: ``none``, ``list`` (comma-separated names), ``file`` (one string) or
        ``optional`` (syslog: an optional facility)
    """

    name = "messages_destination"
    accumulate = True
    store_key = "destinations"

    def __init__(self, dest: str, address: str) -> None:
        self.dest, self.address = dest, address

    def read(self, ts: TokenStream, directive: Directive) -> list[MessageDestination]:
        address: str | None = None
        first: Token | None = None
        if self.address in ("list", "file"):
            names = [expect_word(ts, directive.name, numbers=self.address == "list").text]
            while self.address == "list":
                token = ts.next()
                if token.kind is TokenKind.COMMA:
                    names.append(expect_word(ts, directive.name).text)
                    continue
                ts.unget(token)
                break
            expect(ts, TokenKind.EQUALS, f"the {directive.name} destination")
            address = " ".join(names)
        elif self.address == "optional":
            first = expect_word(ts, directive.name)
            token = ts.next()
            if token.kind is TokenKind.EQUALS:
                address, first = first.text, None
            else:
                ts.unget(token)
        types = self._types(ts, directive, first)
        return [MessageDestination(self.dest, address, types)]

    def _types(self, ts: TokenStream, directive: Directive, first: Token | None) -> list[str]:
        types: list[str] = []
        token = first or expect_word(ts, directive.name)
        while True:
            word = token.text.lower()
            if word.lstrip("!") not in _MESSAGE_TYPES or word.startswith("!!"):
                fail(token, f'unknown message type "{token.text}" for {directive.name}')
            types.append(word)
            sep = ts.next()
            if sep.kind is not TokenKind.COMMA:
                ts.unget(sep)
                return types
            token = expect_word(ts, directive.name)


# -- RunScript -------------------------------------------------------------------------


class RunScript(TypedDict):
    """One script of a Job: exactly one of ``command`` (shell) and ``console`` is set."""

    command: str | None
    console: str | None
    runs_when: str
    runs_on_client: bool
    runs_on_success: bool
    runs_on_failure: bool
    fail_job_on_error: bool


_RUNS_WHEN = ChoiceType(RUNS_WHEN)


def _target(ts: TokenStream, name: str) -> bool:
    token = expect_word(ts, name)
    if token.text == "%c":
        return True
    value = parse_bool(token.text) if token.text else False
    if value is None:
        fail(token, f'{name} takes yes, no or "%c" in this lab, got "{token.text}"')
    return value


class RunScriptType(ValueType):
    """``RunScript { Command = ...; Runs When = After; ... }``, one entry per command."""

    name = "runscript"
    accumulate = True
    no_equals = True
    store_key = "runscript"

    def read(self, ts: TokenStream, directive: Directive) -> list[RunScript]:
        commands: list[tuple[str, str]] = []
        settings = {
            "runs_when": "Never",
            "runs_on_client": True,
            "runs_on_success": True,
            "runs_on_failure": False,
            "fail_job_on_error": True,
        }

        def command(kind: str) -> Callable[[Token], None]:
            def handler(tok: Token) -> None:
                expect(ts, TokenKind.EQUALS, tok.raw)
                commands.append((kind, expect_word(ts, tok.raw, numbers=False).text))

            return handler

        def flag(key: str) -> Callable[[Token], None]:
            def handler(tok: Token) -> None:
                expect(ts, TokenKind.EQUALS, tok.raw)
                settings[key] = _read_bool(ts, tok.raw)

            return handler

        def target(tok: Token) -> None:
            expect(ts, TokenKind.EQUALS, tok.raw)
            settings["runs_on_client"] = _target(ts, tok.raw)

        def when(tok: Token) -> None:
            expect(ts, TokenKind.EQUALS, tok.raw)
            word = expect_word(ts, tok.raw)
            value = _RUNS_WHEN.canonical(word.text)
            if value is None or value == "Never":
                fail(
                    word,
                    f'bad value "{word.text}" for Runs When (expected Before, After, Always or AfterVSS)',
                )
            settings["runs_when"] = value

        items = {
            "command": command("command"),
            "console": command("console"),
            "target": target,
            "runsonclient": target,
            "runsonsuccess": flag("runs_on_success"),
            "runsonfailure": flag("runs_on_failure"),
            "failjobonerror": flag("fail_job_on_error"),
            "abortjobonerror": flag("fail_job_on_error"),
            "runswhen": when,
        }
        read_block(ts, "RunScript", items)
        scripts: list[RunScript] = []
        for kind, text in commands:
            scripts.append(
                RunScript(
                    command=text if kind == "command" else None,
                    console=text if kind == "console" else None,
                    runs_when=str(settings["runs_when"]),
                    # console commands always run on the director
                    runs_on_client=bool(settings["runs_on_client"]) and kind == "command",
                    runs_on_success=bool(settings["runs_on_success"]),
                    runs_on_failure=bool(settings["runs_on_failure"]),
                    fail_job_on_error=bool(settings["fail_job_on_error"]),
                )
            )
        return scripts


class ShortRunScriptType(ValueType):
    """``Run Before Job = "cmd"`` and friends: a RunScript with fixed settings."""

    name = "short_runscript"
    accumulate = True
    store_key = "runscript"

    def __init__(self, runs_when: str, on_client: bool, on_success: bool, on_failure: bool) -> None:
        self.runs_when, self.on_client = runs_when, on_client
        self.on_success, self.on_failure = on_success, on_failure

    def read(self, ts: TokenStream, directive: Directive) -> list[RunScript]:
        text = expect_word(ts, directive.name, numbers=False).text
        return [
            RunScript(
                command=text,
                console=None,
                runs_when=self.runs_when,
                runs_on_client=self.on_client,
                runs_on_success=self.on_success,
                runs_on_failure=self.on_failure,
                fail_job_on_error=self.runs_when == "Before",
            )
        ]


RUNSCRIPT = RunScriptType()
RUN_BEFORE_JOB = ShortRunScriptType("Before", on_client=False, on_success=True, on_failure=False)
RUN_AFTER_JOB = ShortRunScriptType("After", on_client=False, on_success=True, on_failure=False)
RUN_AFTER_FAILED_JOB = ShortRunScriptType(
    "After", on_client=False, on_success=False, on_failure=True
)
CLIENT_RUN_BEFORE_JOB = ShortRunScriptType(
    "Before", on_client=True, on_success=True, on_failure=False
)
CLIENT_RUN_AFTER_JOB = ShortRunScriptType(
    "After", on_client=True, on_success=True, on_failure=False
)


# -- Addresses -------------------------------------------------------------------------


class Address(TypedDict):
    family: str  # "ipv4" or "ipv6"
    addr: str | None
    port: int | None


class AddressesType(ValueType):
    """``Addresses = { ip = { addr = 0.0.0.0; port = 9101 } ipv6 = { ... } }``."""

    name = "addresses"

    def read(self, ts: TokenStream, directive: Directive) -> list[Address]:
        opener = next_skipping_eol(ts)
        if opener.kind is not TokenKind.LBRACE:
            fail(opener, f"expected '{{' after {directive.name} =, got {opener.describe()}")
        addresses: list[Address] = []
        while True:
            token = next_skipping_eol(ts)
            if token.kind is TokenKind.RBRACE:
                break
            if token.kind is TokenKind.EOF:
                fail(opener, f"unterminated {directive.name} block: missing '}}'")
            word = token.kind in (TokenKind.IDENT, TokenKind.STRING)
            family = keyword(token.text) if word else ""
            if family not in ("ip", "ipv4", "ipv6"):
                fail(
                    token, f"expected ip, ipv4 or ipv6 in {directive.name}, got {token.describe()}"
                )
            expect(ts, TokenKind.EQUALS, token.text)
            entry = Address(family="ipv6" if family == "ipv6" else "ipv4", addr=None, port=None)

            def addr(tok: Token, entry: Address = entry) -> None:
                expect(ts, TokenKind.EQUALS, "addr")
                entry["addr"] = expect_word(ts, "addr").text

            def port(tok: Token, entry: Address = entry) -> None:
                expect(ts, TokenKind.EQUALS, "port")
                word = expect_word(ts, "port")
                if not word.text.isdigit() or not 0 < int(word.text) < 65536:
                    fail(word, f'bad port "{word.text}" in {directive.name}')
                entry["port"] = int(word.text)

            read_block(ts, f"{directive.name} {family}", {"addr": addr, "port": port})
            addresses.append(entry)
        if not addresses:
            fail(opener, f"empty {directive.name} block")
        return addresses


ADDRESSES = AddressesType()


# -- Schedule Run ----------------------------------------------------------------------


class ScheduleRunType(ValueType):
    """``Run = Level=Full Pool=Weekly 1st sat at 21:00``, kept as normalised text and checked
    against Bareos' grammar (:mod:`bareoslab.config.schedule`) as it is read."""

    name = "schedule_run"
    accumulate = True

    def read(self, ts: TokenStream, directive: Directive) -> list[str]:
        first = expect_word(ts, directive.name, mode=LexMode.NO_IDENT)
        text = first.text
        while True:
            token = ts.next(LexMode.NO_IDENT)
            if token.kind in (TokenKind.EOL, TokenKind.EOF, TokenKind.RBRACE):
                ts.unget(token)
                break
            if token.kind in (TokenKind.EQUALS, TokenKind.COMMA) or text.endswith(("=", ",")):
                text += token.text
            else:
                text += " " + token.text
        try:
            parse_run(text)
        except ValueError as exc:
            fail(first, f"Run = {text}: {exc}")
        return [text]

    def references(self, value: list[str]) -> list[tuple[str, str]]:
        return [ref for text in value for ref in parse_run(text).references()]


SCHEDULE_RUN = ScheduleRunType()


# -- word lists with a mode ------------------------------------------------------------


class AuditType(ValueType):
    """``Audit Events = label, update``: console commands to audit."""

    name = "string_list"
    accumulate = True

    def read(self, ts: TokenStream, directive: Directive) -> list[str]:
        return read_word_list(ts, directive.name, mode=LexMode.FORCE_STRING)


AUDIT_EVENTS = AuditType()
