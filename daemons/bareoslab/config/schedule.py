"""Schedule ``Run`` lines, as Bareos reads them (``dird/run_conf.cc``), and when they fire.

A Run line is ``[overrides] [date-time spec]``: overrides ``Level=``, ``Pool=``,
``FullPool=``, ``IncrementalPool=``, ``DifferentialPool=``, ``NextPool=``, ``Storage=``,
``Messages=``, ``Priority=``, ``SpoolData=``, ``Accurate=``, ``MaxRunSchedTime=`` (or a
bare level name, the old form); then any of: ``hourly``/``daily``/``weekly``/``monthly``,
``on``, ``at HH:MM[am|pm]``, days of the month (``1``..``31``, ranges ``1-15``, modulo
``1/7``), week days (``mon``, ``monday``, ranges ``mon-fri``), months (``jan``..``dec``),
weeks of the month (``1st``..``5th``, ``first``..``fifth``, ``last``), weeks of the year
(``w00``..``w53``, ranges, modulo ``w01/w02``); commas separate list items.

Every field not named is "any" (so without ``at`` a line fires every hour at minute 0,
as in Bareos). A run fires at a minute when that minute is its ``minute`` and the day
matches every field (day of month, week day, month, week of month or the last seven
days of the month, ISO-like week of the year) and the hour is one of its hours.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

__all__ = ["RunSpec", "parse_run"]

_WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
_WEEKDAY_NAMES = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december"]
_WOM = {"1st": 0, "2nd": 1, "3rd": 2, "4th": 3, "5th": 4,
        "first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4}

# keyword -> (field, code): the time words Bareos knows
_KEYWORDS: dict[str, tuple[str, int]] = {"on": ("none", 0), "at": ("at", 0), "last": ("last", 0),
                                         "daily": ("daily", 0), "weekly": ("weekly", 0),
                                         "monthly": ("monthly", 0), "hourly": ("hourly", 0)}
_KEYWORDS.update({w: ("wday", i) for i, w in enumerate(_WEEKDAYS)})
_KEYWORDS.update({w: ("wday", i) for i, w in enumerate(_WEEKDAY_NAMES)})
_KEYWORDS.update({m: ("month", i) for i, m in enumerate(_MONTHS)})
_KEYWORDS.update({m: ("month", i) for i, m in enumerate(_MONTH_NAMES)})
_KEYWORDS.update({w: ("wom", i) for w, i in _WOM.items()})

#: Run overrides: keyword -> attribute
OVERRIDES = {"level": "level", "pool": "pool", "fullpool": "full_pool", "incrementalpool": "incremental_pool",
             "differentialpool": "differential_pool", "nextpool": "next_pool", "storage": "storage",
             "messages": "messages", "priority": "priority", "spooldata": "spool_data",
             "accurate": "accurate", "maxrunschedtime": "max_run_sched_time"}
#: the resources each reference override names
REFERENCES = {"pool": "Pool", "full_pool": "Pool", "incremental_pool": "Pool", "differential_pool": "Pool",
              "next_pool": "Pool", "storage": "Storage", "messages": "Messages"}
#: job levels a Run line may name (Bareos' joblevels table)
LEVELS = {name.lower(): name for name in ("Full", "Base", "Incremental", "Differential", "Since",
                                          "VirtualFull", "InitCatalog", "Catalog", "VolumeToCatalog",
                                          "DiskToCatalog", "Data")}
_BOOLS = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}
_RANGES = {"hour": 24, "mday": 31, "wday": 7, "month": 12, "wom": 5, "woy": 54}


@dataclass
class RunSpec:
    """One parsed Run line: its overrides and its date-time mask."""

    text: str
    level: str | None = None
    pool: str | None = None
    full_pool: str | None = None
    incremental_pool: str | None = None
    differential_pool: str | None = None
    next_pool: str | None = None
    storage: str | None = None
    messages: str | None = None
    priority: int | None = None
    spool_data: bool | None = None
    accurate: bool | None = None
    max_run_sched_time: str | None = None
    minute: int = 0
    hour: set[int] = field(default_factory=lambda: set(range(24)))
    mday: set[int] = field(default_factory=lambda: set(range(31)))  # 0-based day of the month
    wday: set[int] = field(default_factory=lambda: set(range(7)))  # 0 = Sunday
    month: set[int] = field(default_factory=lambda: set(range(12)))
    wom: set[int] = field(default_factory=lambda: set(range(5)))  # week of the month, 0-based
    woy: set[int] = field(default_factory=lambda: set(range(54)))
    last_week: bool = False  # the last seven days of the month

    def references(self) -> list[tuple[str, str]]:
        """(resource type, name) of every resource an override names."""
        return [(rtype, getattr(self, attr)) for attr, rtype in REFERENCES.items() if getattr(self, attr)]

    # -- when it fires ---------------------------------------------------------------
    def triggers_on_day(self, when: float) -> bool:
        tm = time.localtime(when)
        mday = tm.tm_mday - 1
        return (mday in self.mday and (tm.tm_wday + 1) % 7 in self.wday and tm.tm_mon - 1 in self.month
                and (mday // 7 in self.wom or (self.last_week and _in_last_week(tm)))
                and week_of_year(when) in self.woy)

    def triggers_on_hour(self, when: float) -> bool:
        """The day matches and so does the hour of ``when`` (Bareos TriggersOnDayAndHour)."""
        return self.triggers_on_day(when) and time.localtime(when).tm_hour in self.hour

    def runtime_in_hour(self, when: float) -> float:
        """The moment in the hour of ``when`` this run would fire (its minute, second 0)."""
        tm = time.localtime(when)
        return time.mktime((tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, self.minute, 0, 0, 0, -1))

    def next_runs(self, start: float, end: float) -> list[float]:
        """Every moment in [start, end) this run fires, hour by hour as Bareos' scheduler looks."""
        out: list[float] = []
        tm = time.localtime(start)
        hour = time.mktime((tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, 0, 0, 0, 0, -1))
        while hour < end:
            if self.triggers_on_hour(hour):
                runtime = self.runtime_in_hour(hour)
                if start <= runtime < end:
                    out.append(runtime)
            hour += 3600
        return out


def _in_last_week(tm: time.struct_time) -> bool:
    days = [31, 29 if _leap(tm.tm_year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][tm.tm_mon - 1]
    return days - 7 < tm.tm_mday


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def week_of_year(when: float) -> int:
    """Bareos' TmWoy: 0..53, week 1 being the one holding the first Thursday of the year."""
    tm = time.localtime(when)
    jan4 = time.localtime(time.mktime((tm.tm_year, 1, 4, 0, 0, 0, 0, 0, 0)))
    fty = 1 - (jan4.tm_wday + 1) % 7  # struct_time weeks start on Monday, Bareos' on Sunday
    if fty <= 0:
        fty += 7
    woy = (tm.tm_yday - 1) - fty + 4
    return 0 if woy < 0 else 1 + woy // 7


# -- parsing ------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.spec = RunSpec(text)
        self.have: set[str] = set()
        self.have_at = False

    def clear_once(self, name: str) -> set[int]:
        bits: set[int] = getattr(self.spec, name)
        if name not in self.have:
            bits.clear()
            self.have.add(name)
        return bits

    def set_range(self, name: str, first: int, last: int) -> None:
        bits = self.clear_once(name)
        if first < last:
            bits.update(range(first, last + 1))
        else:  # wraps around, as Bareos accepts
            bits.update(range(first, _RANGES[name]))
            bits.update(range(0, last + 1))


def parse_run(text: str) -> RunSpec:
    """A Run line's text (as the config keeps it) -> :class:`RunSpec`; ValueError with Bareos'
    reason for what it refuses."""
    p = _Parser(text)
    words = [w for chunk in text.split() for w in chunk.split(",") if w]
    i = 0
    while i < len(words):  # the overrides come first
        word = words[i]
        key, eq, value = word.partition("=")
        if eq and key.lower() in OVERRIDES:
            _override(p.spec, key.lower(), value)
        elif not eq and word.lower() in LEVELS:
            p.spec.level = LEVELS[word.lower()]
        else:
            break
        i += 1
    for word in words[i:]:
        _time_word(p, word)
    return p.spec


def _override(spec: RunSpec, key: str, value: str) -> None:
    attr = OVERRIDES[key]
    if not value:
        raise ValueError(f"Expected a value after {key}=")
    if attr == "level":
        if value.lower() not in LEVELS:
            raise ValueError(f"Job level field: {value} not found in run record")
        spec.level = LEVELS[value.lower()]
    elif attr == "priority":
        if not value.isdigit() or int(value) == 0:
            raise ValueError(f"expected a positive integer, got: {value}")
        spec.priority = int(value)
    elif attr in ("spool_data", "accurate"):
        if value.lower() not in _BOOLS:
            raise ValueError(f"Expect YES or NO, got: {value}")
        setattr(spec, attr, _BOOLS[value.lower()])
    else:
        setattr(spec, attr, value)


def _time_word(p: _Parser, word: str) -> None:
    low = word.lower()
    spec = p.spec
    if word.isdigit():
        day = int(word) - 1
        if not 0 <= day <= 30:
            raise ValueError("Day number out of range (1-31)")
        p.clear_once("mday").add(day)
    elif "-" in word:
        _range(p, low)
    elif ":" in word:
        _clock(p, low)
    elif "/" in word:
        _modulo(p, low)
    elif len(low) == 3 and low[0] == "w" and low[1:].isdigit():
        week = int(low[1:])
        if not 0 <= week <= 53:
            raise ValueError("Week number out of range (0-53)")
        p.clear_once("woy").add(week)
    elif low in _KEYWORDS:
        kind, code = _KEYWORDS[low]
        if kind in ("wday", "month", "wom"):
            p.clear_once(kind).add(code)
        elif kind == "at":
            p.have_at = True
        elif kind == "last":
            spec.last_week = True
            p.clear_once("wom")
        elif kind == "hourly":
            p.have.add("hour")
            spec.hour.update(range(24))
        elif kind == "weekly":
            p.have.update(("mday", "wom", "woy"))
            spec.mday.update(range(31))
            spec.wom.update(range(5))
            spec.woy.update(range(54))
        elif kind == "daily":
            p.have.add("mday")
            spec.wday.update(range(7))
        elif kind == "monthly":
            p.have.add("month")
            spec.month.update(range(12))
    else:
        raise ValueError(f"Job type field: {word} in run record not found")


def _clock(p: _Parser, low: str) -> None:
    if not p.have_at:
        raise ValueError("Time must be preceded by keyword AT.")
    hour_text, _, rest = low.partition(":")
    minute_text, suffix = rest[:2], rest[2:]
    if suffix not in ("", "am", "pm") or (not suffix and len(rest) != 2):
        raise ValueError("Bad time specification.")
    try:
        hour, minute = int(hour_text or "0"), int(minute_text)
    except ValueError:
        raise ValueError("Bad time specification.") from None
    if suffix == "pm" and hour != 12:
        hour += 12
    elif suffix == "am" and hour == 12:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError("Bad time specification.")
    bits = p.spec.hour
    if "hour" not in p.have:
        bits.clear()
        p.have.add("hour")
    bits.add(hour)
    p.spec.minute = minute


def _modulo(p: _Parser, low: str) -> None:
    first, _, second = low.partition("/")
    if first.isdigit() and second.isdigit():
        offset, every = int(first) - 1, int(second)
        if not (0 <= offset <= 30 and 0 <= every <= 30):
            raise ValueError("Bad day specification in modulo.")
        if offset > every:
            raise ValueError("Bad day specification, offset must always be <= than modulo.")
        bits = p.clear_once("mday")
        bits.update(i + offset for i in range(31) if every and i % every == 0 and i + offset <= 30)
    elif _is_week(first) and _is_week(second):
        offset, every = int(first[1:]), int(second[1:])
        if not 0 <= offset <= 53:
            raise ValueError("Week number out of range (0-53) in modulo")
        if not 0 < every <= 53:
            raise ValueError("Week interval out of range (1-53) in modulo")
        if offset > every:
            raise ValueError("Bad week number specification in modulo, offset must always be <= than modulo.")
        p.clear_once("woy").update(range(offset, 54, every))
    else:
        raise ValueError("Bad modulo time specification. Format for weekdays is '01/02', for yearweeks is 'w01/w02'.")


def _is_week(word: str) -> bool:
    return len(word) == 3 and word[0] == "w" and word[1:].isdigit()


def _range(p: _Parser, low: str) -> None:
    first, _, second = low.partition("-")
    if first.isdigit() and second.isdigit():
        a, b = int(first) - 1, int(second) - 1
        if not (0 <= a <= 30 and 0 <= b <= 30):
            raise ValueError("Bad day range specification.")
        p.set_range("mday", a, b)
    elif _is_week(first) and _is_week(second):
        a, b = int(first[1:]), int(second[1:])
        if not (0 <= a <= 53 and 0 <= b <= 53):
            raise ValueError("Week number out of range (0-53)")
        p.set_range("woy", a, b)
    else:
        start, end = _KEYWORDS.get(first), _KEYWORDS.get(second)
        if start is None or start[0] not in ("month", "wday", "wom"):
            raise ValueError("Invalid month, week or position day range")
        if end is None or end[0] != start[0] or end[1] == start[1]:
            raise ValueError("Invalid month, weekday or position range")
        p.set_range(start[0], start[1], end[1])
