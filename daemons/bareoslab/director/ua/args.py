"""Console command lines: tokenising, the command table entry, and errors shown to the user."""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .commands import UserAgent

#: ``run job="a b" yes`` -> [("run", None), ("job", "a b"), ("yes", None)]
Args = list[tuple[str, str | None]]
Handler = Callable[["UserAgent", Args], Awaitable[bool]]


@dataclass(frozen=True)
class Command:
    """One entry of the console command table (as Bareos' ``commands[]``)."""

    name: str
    handler: Handler
    help: str
    usage: str


class CommandFailed(Exception):
    """The command could not run; the text is shown to the console (a JSON error in api 2)."""


class UsageError(CommandFailed):
    """Bad or missing arguments; the console is shown the command's usage line."""


def parse_args(line: str) -> Args:
    """Split on blanks with ``"..."`` quoting and ``\\x`` escapes; keywords lower-cased, values kept."""
    try:
        words = shlex.split(line, posix=True)
    except ValueError:  # an unbalanced quote: take the words as they are
        words = line.split()
    out: Args = []
    for word in words:
        key, sep, value = word.partition("=")
        out.append((key.lower(), value if sep else None))
    return out


def arg(args: Args, key: str) -> str | None:
    """The value of ``key=value`` (``""`` for a bare ``key``), None when absent."""
    for k, v in args[1:]:
        if k == key:
            return v if v is not None else ""
    return None


def has(args: Args, key: str) -> bool:
    return any(k == key for k, _ in args[1:])


def int_arg(args: Args, key: str) -> int | None:
    """An integer argument; ``UsageError``-free callers get ``CommandFailed`` on bad numbers."""
    value = arg(args, key)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise CommandFailed(f"Invalid {key} specified: {value}") from None


def int_list_arg(args: Args, key: str) -> list[int]:
    """``jobid=1,2,5-7`` -> [1, 2, 5, 6, 7]."""
    value = arg(args, key) or ""
    out: list[int] = []
    try:
        for part in filter(None, (p.strip() for p in value.split(","))):
            low, dash, high = part.partition("-")
            out.extend(range(int(low), int(high) + 1) if dash else [int(low)])
    except ValueError:
        raise CommandFailed(f"Invalid {key} specified: {value}") from None
    return out


def keyword(args: Args, index: int = 1) -> str:
    """The bare word at ``index`` (``list jobs`` -> ``jobs``), or ``""``."""
    return args[index][0] if len(args) > index else ""


def yesno(value: str) -> bool | None:
    """``yes``/``no`` style values (also 1/0, true/false); None for anything else."""
    word = value.strip().lower()
    if word in ("yes", "y", "1", "true", "on"):
        return True
    if word in ("no", "n", "0", "false", "off"):
        return False
    return None
