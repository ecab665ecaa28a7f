"""Questions the console asks in the middle of a command, as Bareos' ``ua_input.cc`` and
``DoPrompt`` (``ua_select.cc``) ask them: a line of text, a date, one item of a numbered list."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ...net.framing import Signal
from .args import CommandFailed

if TYPE_CHECKING:
    from .commands import UserAgent

#: a wrong answer is asked again, but not for ever
MAX_ANSWERS = 20
_WINDOW_WIDTH = 80
_COLUMNS_FROM = 20  # more items than this go into columns
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H", "%Y-%m-%d")


async def get_cmd(ua: UserAgent, prompt: str) -> str | None:
    """One line from the user; None when there is no user to ask (api 2) or they gave up
    with a lone ``.``."""
    if ua.api == 2:
        return None
    answer = await ua.ask(prompt)
    return None if answer == "." else answer


def format_prompts(items: Sequence[str]) -> str:
    """The numbered list, in columns when it is long and narrow enough (``FormatPrompts``)."""
    index_width = len(str(len(items)))
    item_width = max(1, *(len(i) for i in items))
    cell = item_width + index_width + 4
    per_line = max(1, _WINDOW_WIDTH // (cell - 1))
    if len(items) > _COLUMNS_FROM and _WINDOW_WIDTH > cell * 2:
        lines = -(-len(items) // per_line)
        cells = [f"{n:>{index_width}}: {item:<{item_width}} " for n, item in enumerate(items, 1)]
        return "".join("".join(cells[row::lines]) + "\n" for row in range(lines))
    return "".join(f"{n:>{index_width}}: {item}\n" for n, item in enumerate(items, 1))


async def choose(
    ua: UserAgent, header: str, items: Sequence[str], automsg: str, question: str
) -> int | None:
    """The index of the item the user picks; a single item is picked without asking.
    None when the list is empty, in batch mode (api 2) with a choice to make, or when
    the user gives up."""
    if not items:
        await ua.error(f'Selection list for "{automsg}" is empty!')
        return None
    if len(items) == 1:
        if ua.api == 0:
            await ua.send(f"Automatically selected {automsg}: {items[0]}")
        return 0
    if ua.api == 2:
        raise CommandFailed(
            f'Your request has multiple choices for "{automsg}". '
            "Selection is not possible in batch mode."
        )
    if ua.api:
        await ua.conn.signal(Signal.START_SELECT)
        await ua.send(header)
        for item in items:
            await ua.send(item)
        await ua.conn.signal(Signal.END_SELECT)
    else:
        await ua.send(header + format_prompts(items))
    for _ in range(MAX_ANSWERS):
        if ua.api:
            await ua.conn.signal(Signal.SELECT_INPUT)
        answer = await get_cmd(ua, f"{question} (1-{len(items)}): ")
        if answer is None:
            break
        if not answer.isdigit():
            await ua.send(f"Expected a positive integer, got: {answer}")
            continue
        if not 1 <= int(answer) <= len(items):
            await ua.send(f"Please enter a number between 1 and {len(items)}")
            continue
        return int(answer) - 1
    await ua.send("Selection aborted, nothing done.")
    return None


def parse_date(text: str) -> float | None:
    """Epoch seconds of ``YYYY-MM-DD [HH[:MM[:SS]]]`` (a short date is completed, as
    Bareos' ``CompensateShortDate``), None when it is no date."""
    for fmt in _DATE_FORMATS:
        try:
            return time.mktime(time.strptime(text.strip(), fmt))
        except ValueError:
            continue
    return None


async def get_date(ua: UserAgent) -> float | None:
    """Ask for the date a restore goes back to."""
    await ua.send(
        "The restored files will the most current backup\nBEFORE the date you specify below.\n\n"
    )
    for _ in range(MAX_ANSWERS):
        answer = await get_cmd(ua, "Enter date as YYYY-MM-DD HH:MM:SS :")
        if answer is None:
            return None
        when = parse_date(answer)
        if when is not None:
            return when
        await ua.send(f"Improper date format: {answer}")
    return None
