"""Catalog times: local 'YYYY-MM-DD HH:MM:SS' strings and epoch seconds."""

from __future__ import annotations

from datetime import datetime

from .records import TimeLike

DB_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def local_datetime(value: TimeLike) -> datetime:
    """A naive local datetime without fractions."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone().replace(tzinfo=None)
        return value.replace(microsecond=0)
    return datetime.fromtimestamp(int(value))


def db_time(value: TimeLike | None) -> str | None:
    """The stored form of a time; None stays None (NULL)."""
    if value is None:
        return None
    return local_datetime(value).strftime(DB_TIME_FORMAT)


def epoch(value: TimeLike) -> int:
    """Epoch seconds of a time (naive datetimes are local time)."""
    if isinstance(value, datetime):
        return int(value.timestamp())
    return int(value)


def parse_db_time(value: object) -> datetime | None:
    """A column value (PostgreSQL datetime, SQLite text, NULL) as a naive datetime."""
    if value is None or value == "" or value == 0:
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0)
    text = str(value)
    if text.startswith("0000-00-00"):
        return None
    return datetime.strptime(text[:19], DB_TIME_FORMAT)


def now() -> datetime:
    return datetime.now().replace(microsecond=0)
