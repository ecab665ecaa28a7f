"""``bareoslab-console``: a bconsole-compatible console.

On a terminal it is interactive (readline editing, a history file, command
completion); otherwise stdin is a script: each line is echoed, lines starting
with ``@`` are handled here (``@output``, ``@tee``, ``@sleep``, ``@exit``, ...),
everything else goes to the Director, and a question the Director asks is
answered by the next line. Exit status: 0, or 1 when the configuration cannot
be read or the Director cannot be reached or refuses us.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator
from typing import IO, TextIO

from ..config import ConfigError
from ..net.errors import AuthenticationError, ProtocolError
from ..net.tls import TlsError
from ..version import VERSION, VERSION_DATE
from .client import Console
from .config import ConsoleSettings, director_names, load_settings

log = logging.getLogger(__name__)

#: command names offered by completion before the Director has told its own (``.help all``)
COMMAND_NAMES = (
    "autodisplay",
    "cancel",
    "delete",
    "exit",
    "help",
    "label",
    "list",
    "llist",
    "messages",
    "prune",
    "purge",
    "quit",
    "reload",
    "restore",
    "run",
    "setdebug",
    "show",
    "sqlquery",
    "status",
    "update",
    "version",
    "wait",
    "whoami",
    ".api",
    ".clients",
    ".filesets",
    ".jobs",
    ".messages",
    ".msgs",
    ".pools",
    ".sql",
    ".status",
    ".storages",
)
#: second words offered after a command
SUBCOMMANDS = {
    "list": (
        "jobs",
        "jobid=",
        "job=",
        "volumes",
        "volume=",
        "pools",
        "clients",
        "storages",
        "filesets",
        "files",
        "joblog",
        "jobmedia",
    ),
    "llist": (
        "jobs",
        "jobid=",
        "job=",
        "volumes",
        "volume=",
        "pools",
        "clients",
        "storages",
        "filesets",
    ),
    "status": ("dir", "director", "storage=", "client="),
    "show": (
        "jobs",
        "pools",
        "clients",
        "storages",
        "filesets",
        "schedules",
        "messages",
        "catalogs",
        "consoles",
        "profiles",
        "directors",
        "all",
    ),
    "update": ("volume=",),
    "prune": ("volume=",),
    "purge": ("volume=", "jobid="),
    "delete": ("volume=", "jobid="),
    "run": ("job=",),
    "restore": ("client=", "jobid="),
    "cancel": ("jobid=", "job=", "all"),
    "wait": ("jobid=", "job="),
    "label": ("volume=", "storage=", "pool="),
}
#: ``key=`` arguments whose values the Director lists (bconsole asks the same dot commands)
VALUE_LISTS = {
    "job": ".jobs", "client": ".clients", "restoreclient": ".clients", "fd": ".clients",
    "storage": ".storages", "pool": ".pools", "nextpool": ".pools", "fileset": ".filesets",
    "schedule": ".schedule", "catalog": ".catalogs", "volume": ".media",
}  # fmt: skip
LOCAL_COMMANDS = (
    "@version",
    "@output",
    "@tee",
    "@sleep",
    "@exit",
    "@quit",
    "@echo",
    "@time",
    "@input",
    "@#",
    "@separator",
)


class Output:
    """Where console output goes: stdout, a file (``@output``), or both (``@tee``)."""

    def __init__(self, stdout: TextIO) -> None:
        self.stdout = stdout
        self.file: IO[str] | None = None
        self.tee = False

    def write(self, text: str) -> None:
        if self.file is None or self.tee:
            self.stdout.write(text)
            self.stdout.flush()
        if self.file is not None:
            self.file.write(text)
            self.file.flush()

    def redirect(self, path: str | None, mode: str, tee: bool) -> None:
        self.close()
        if path:
            self.file = open(os.path.expanduser(path), _open_mode(mode), encoding="utf-8")  # noqa: SIM115
            self.tee = tee

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
        self.file, self.tee = None, False


def _open_mode(mode: str) -> str:
    """bconsole modes (``w``, ``a``, ``a+b``...) as text modes."""
    return "w" if mode.startswith("w") else "a"


class Session:
    """Feeds lines to the Director and local ``@`` commands to itself."""

    def __init__(self, console: Console, out: Output, echo: bool) -> None:
        self.console = console
        self.out = out
        self.echo = echo
        self.closed = False
        self.separator = ""  # ``@separator c``: several commands on one line

    def commands(self, line: str) -> list[str]:
        """The commands of one input line (split at the ``@separator`` character, if set)."""
        return [p.strip() for p in line.split(self.separator)] if self.separator else [line.strip()]

    def local(self, line: str, lines: Iterator[str]) -> None:
        """An ``@`` command; ``lines`` lets ``@input`` read another script."""
        word, _, rest = line.partition(" ")
        word, rest = word.lower(), rest.strip()
        if word.startswith("@#"):
            return
        if word in ("@output", "@out", "@tee"):
            parts = rest.split()
            try:
                self.out.redirect(
                    parts[0] if parts else None,
                    parts[1] if len(parts) > 1 else "a",
                    tee=word == "@tee",
                )
            except OSError as exc:
                self.out.write(f"Cannot open {parts[0]}: {exc}\n")
        elif word == "@sleep":
            try:
                time.sleep(float(rest or 0))
            except ValueError:
                self.out.write(f"@sleep: bad number {rest!r}\n")
        elif word in ("@exit", "@quit"):
            self.closed = True
        elif word == "@echo":
            self.out.write(rest + "\n")
        elif word == "@time":
            self.out.write(time.strftime("%d-%b-%Y %H:%M:%S") + "\n")
        elif word == "@input":
            try:
                with open(os.path.expanduser(rest), encoding="utf-8") as fh:
                    self.run_script(iter(fh.read().splitlines()))
            except OSError as exc:
                self.out.write(f"Cannot open {rest}: {exc}\n")
        elif word == "@separator":
            if not rest:
                self.separator = ""
            elif rest[0] in "!$%&'()*+,-/:;<>?[]^`{|}~":
                self.separator = rest[0]
            else:
                self.out.write("Illegal separator character.\n")
        elif word == "@version":
            self.out.write(f"Version: {VERSION} ({VERSION_DATE}) {platform.system()}\n")
        else:
            self.out.write(f"Unknown command: {word}\n")

    def send(self, line: str, answers: Callable[[str], str | None]) -> None:
        """One command; questions are answered by ``answers(prompt)`` (None: give up with ``.``)."""
        while True:
            reply = self.console.command(line, timeout=None, on_text=self.out.write)
            if reply.closed:
                self.closed = True
                return
            if not reply.prompt:
                return
            answer = answers(reply.text)
            line = "." if answer is None else answer

    def run_script(self, lines: Iterator[str]) -> None:
        def answer(prompt: str) -> str | None:
            for next_line in lines:
                self.out.write(next_line + "\n")
                return next_line.rstrip("\r")
            return None

        for raw in lines:
            if self.closed:
                return
            line = raw.rstrip("\r")
            if self.echo:
                self.out.write(line + "\n")
            stripped = line.strip()
            if stripped.startswith("@"):
                self.local(stripped, lines)
                continue
            for command in self.commands(stripped):
                if command and not self.closed:
                    self.send(command, answer)


class Completion:
    """What tab completes: the Director's commands (``.help all``), a command's keywords,
    and the names ``job=``, ``client=``, ``pool=`` ... take (asked once, when first needed)."""

    def __init__(self, console: Console | None) -> None:
        self.console = console
        self._lists: dict[str, list[str]] = {}
        self.names = self._ask(".help all") or list(COMMAND_NAMES)

    def _ask(self, command: str) -> list[str]:
        if command not in self._lists:
            if self.console is None or self.console.session.asked:
                return []  # the Director waits for an answer: a command now would be taken as one
            words: list[str] = []
            try:
                reply = self.console.command(command, timeout=10)
                if not reply.prompt:
                    words = [w.strip() for w in reply.text.splitlines() if w.strip() and " " not in w.strip()]
            except (ProtocolError, OSError, TimeoutError):
                self.console = None  # a reply may still come: never ask again in this session
            self._lists[command] = words
        return self._lists[command]

    def candidates(self, buffer: str, text: str) -> list[str]:
        words = buffer.split()
        if len(words) <= 1 and not buffer.endswith(" "):
            return [c for c in (*self.names, *LOCAL_COMMANDS) if c.startswith(text)]
        key, eq, value = text.partition("=")
        if eq and key.lower() in VALUE_LISTS:
            return [f"{key}={n}" for n in self._ask(VALUE_LISTS[key.lower()]) if n.startswith(value)]
        first = next((c for c in self.names if c.startswith(words[0].lower())), "")
        return [s for s in SUBCOMMANDS.get(first, ()) if s.startswith(text)]


def _setup_readline(settings: ConsoleSettings, console: Console | None = None) -> Callable[[], None]:
    """Line editing, history and completion; returns the function that saves the history."""
    try:
        import readline
    except ImportError:  # pragma: no cover - platforms without readline
        return lambda: None

    completion = Completion(console)

    def complete(text: str, state: int) -> str | None:
        candidates = completion.candidates(readline.get_line_buffer().lstrip(), text)
        return candidates[state] if state < len(candidates) else None

    readline.set_completer(complete)
    readline.set_completer_delims(" \t")
    readline.parse_and_bind("tab: complete")
    history = settings.history_file
    if history:
        try:
            readline.read_history_file(history)
        except OSError:
            pass
        readline.set_history_length(settings.history_length)

    def save() -> None:
        if history:
            try:
                readline.write_history_file(history)
            except OSError as exc:
                log.debug("cannot write history %s: %s", history, exc)

    return save


def interactive(session: Session, settings: ConsoleSettings) -> None:
    save_history = _setup_readline(settings, session.console)

    def answer(prompt: str) -> str | None:
        try:
            return input("")
        except (EOFError, KeyboardInterrupt):
            return None

    try:
        while not session.closed:
            try:
                line = input("*").strip()
            except KeyboardInterrupt:
                session.out.write("\n")
                continue
            except EOFError:
                session.out.write("\n")
                session.send("quit", answer)
                break
            if line.startswith("@"):
                session.local(line, iter(()))
                continue
            for command in session.commands(line):
                if command and not session.closed:
                    session.send(command, answer)
    finally:
        save_history()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bareoslab-console", description="bareoslab console (bconsole-compatible)"
    )
    p.add_argument(
        "-c",
        dest="config",
        default="/etc/bareos/bconsole.conf",
        help="configuration file or directory (default: %(default)s)",
    )
    p.add_argument("-D", dest="director", help="select a Director by name")
    p.add_argument("-C", dest="console", help="select a Console resource by name")
    p.add_argument("-t", dest="test", action="store_true", help="test the configuration and exit")
    p.add_argument(
        "-u", dest="timeout", type=float, default=15.0, help="connect timeout in seconds"
    )
    p.add_argument("-d", dest="debug", type=int, default=0, help="debug level")
    p.add_argument(
        "-n", dest="no_conio", action="store_true", help="no line editing (like a script)"
    )
    p.add_argument(
        "-s", dest="no_signals", action="store_true", help="accepted for bconsole compatibility"
    )
    p.add_argument(
        "-l", dest="list_directors", action="store_true", help="list the Directors of the configuration and exit"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="bareoslab-console: %(message)s",
    )
    try:
        if args.list_directors:
            for name in director_names(args.config):
                print(name)
            return 0
        settings = load_settings(args.config, args.director, args.console)
    except ConfigError as exc:
        print(f"bareoslab-console: {exc}", file=sys.stderr)
        return 1
    if args.test:
        return 0
    out = Output(sys.stdout)
    tty = sys.stdin.isatty() and not args.no_conio
    if tty:
        out.write(f"Connecting to Director {settings.host}:{settings.port}\n")
    try:
        console = Console.open(
            settings.host, settings.port, settings.key, settings.name, args.timeout, settings.tls
        )
    except (AuthenticationError, TlsError) as exc:
        what = "TLS negotiation failed" if isinstance(exc, TlsError) else "refused"
        print(
            f'bareoslab-console: Director "{settings.director}" at {settings.host}:{settings.port}: '
            f'{what} for console "{settings.name}": {exc}\nDirector authorization problem.\n'
            "Most likely the passwords do not agree.",
            file=sys.stderr,
        )
        return 1
    except (OSError, ProtocolError, TimeoutError) as exc:
        print(
            f'bareoslab-console: Failed to connect to Director "{settings.director}" at '
            f"{settings.host}:{settings.port}: {exc or type(exc).__name__}",
            file=sys.stderr,
        )
        return 1
    session = Session(console, out, echo=not tty)
    try:
        if tty:
            out.write(f" Encryption: {console.encryption}\n")
            for line in console.banner.splitlines():
                out.write(("1000 " if line.startswith("OK:") else "") + line + "\n")
            out.write("Enter a period to cancel a command.\n")
            interactive(session, settings)
        else:
            session.run_script(line.rstrip("\n") for line in sys.stdin)
    except ProtocolError as exc:
        print(f"bareoslab-console: connection to the Director lost: {exc}", file=sys.stderr)
        return 1
    finally:
        out.close()
        try:
            console.close()
        except (OSError, ProtocolError):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
