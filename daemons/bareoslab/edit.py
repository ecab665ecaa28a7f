"""Numbers and times as Bareos prints them in messages, reports and status (``lib/edit.cc``,
``lib/btime.cc``)."""

from __future__ import annotations

import time

SUFFIXES = ("", "K", "M", "G", "T", "P", "E", "Z", "Y")


def with_suffix(n: int) -> str:
    """``edit_uint64_with_suffix``: the thousands as a decimal point and a suffix, five
    characters at most before it (``3.850 M``, ``123.4 G``); below a thousand the number
    and an empty suffix (``850 ``)."""
    groups = f"{n:,}".split(",")
    if len(groups) == 1:
        return f"{n} "
    return f"{(groups[0] + '.' + groups[1])[:5]} {SUFFIXES[min(len(groups) - 1, len(SUFFIXES) - 1)]}"


def short_date(when: float) -> str:
    """``bstrftime_nc``: ``dd-Mon-yy hh:mm`` in local time."""
    return time.strftime("%d-%b-%y %H:%M", time.localtime(when))
