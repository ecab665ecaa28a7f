"""Schedule Run lines: Bareos' grammar (dird/run_conf.cc) and when a line fires."""

from __future__ import annotations

import time

import pytest
from bareoslab.config import ConfigError
from bareoslab.config.schedule import parse_run, week_of_year

from .helpers import dir_config


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> float:
    return time.mktime((y, mo, d, h, mi, 0, 0, 0, -1))


@pytest.mark.parametrize("text, fields", [
    ("Full 1st sat at 21:00", {"level": "Full", "wom": {0}, "wday": {6}, "hour": {21}, "minute": 0}),
    ("Level=Differential Pool=Full 2nd-5th sat at 21:00",
     {"level": "Differential", "pool": "Full", "wom": {1, 2, 3, 4}, "wday": {6}, "hour": {21}}),
    ("Incremental mon-fri at 21:10", {"wday": {1, 2, 3, 4, 5}, "hour": {21}, "minute": 10}),
    ("Level=Full hourly at 0:15", {"hour": set(range(24)), "minute": 15}),
    ("daily at 11:05pm", {"hour": {23}, "minute": 5, "wday": set(range(7))}),
    ("at 12:30am", {"hour": {0}, "minute": 30}),
    ("1/7 at 03:00", {"mday": {0, 7, 14, 21, 28}}),
    ("w01/w02", {"woy": set(range(1, 54, 2)), "hour": set(range(24)), "minute": 0}),
    ("last fri at 23:00", {"last_week": True, "wom": set(), "wday": {5}}),
    ("jan,jul 1 at 03:00", {"month": {0, 6}, "mday": {0}}),
    ("sat-mon at 01:00", {"wday": {6, 0, 1}}),
    ("28-3 at 01:00", {"mday": {27, 28, 29, 30, 0, 1, 2}}),
    ("Level=Incremental Priority=5 Accurate=yes SpoolData=no Storage=File on mon at 1:00",
     {"priority": 5, "accurate": True, "spool_data": False, "storage": "File"}),
])
def test_run_lines_parse_as_bareos(text: str, fields: dict) -> None:
    spec = parse_run(text)
    for name, value in fields.items():
        assert getattr(spec, name) == value, name


@pytest.mark.parametrize("text, reason", [
    ("Full at 25:00", "Bad time specification."),
    ("Full at 21:5", "Bad time specification."),
    ("Full 21:00", "Time must be preceded by keyword AT."),
    ("Full 32 at 1:00", "Day number out of range (1-31)"),
    ("Full mon-jan", "Invalid month, weekday or position range"),
    ("Full 1-40", "Bad day range specification."),
    ("Full someday", "Job type field: someday in run record not found"),
    ("Level=Fast daily", "Job level field: Fast not found in run record"),
    ("Priority=x daily", "expected a positive integer, got: x"),
    ("Full w60", "Week number out of range (0-53)"),
    ("Full 9/3", "Bad day specification, offset must always be <= than modulo."),
])
def test_run_lines_bareos_refuses(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        parse_run(text)


def test_a_bad_run_line_is_a_config_error_at_its_line() -> None:
    with pytest.raises(ConfigError) as err:
        dir_config("Schedule {\n  Name = S\n  Run = Full mon at 25:00\n}\n")
    assert err.value.line == 9 and "Bad time specification." in str(err.value)


def test_a_run_line_naming_an_unknown_pool_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as err:
        dir_config("Schedule {\n  Name = S\n  Run = Level=Full Pool=Nowhere mon at 1:00\n}\n")
    assert "Nowhere" in str(err.value)


def test_weekdays_at_a_time_fire_once_each_weekday() -> None:
    spec = parse_run("Incremental mon-fri at 21:10")
    monday = at(2026, 11, 30)
    runs = spec.next_runs(monday, monday + 7 * 86400)
    assert [time.localtime(r)[:5] for r in runs] == [(2026, 11, d, 21, 10) for d in range(30, 31)] + [
        (2026, 12, d, 21, 10) for d in range(1, 5)]


def test_first_saturday_and_last_friday_of_the_month() -> None:
    start, end = at(2026, 12, 1), at(2027, 1, 1)
    assert [time.localtime(r)[:4] for r in parse_run("Full 1st sat at 21:00").next_runs(start, end)] == [
        (2026, 12, 5, 21)]
    assert [time.localtime(r)[:4] for r in parse_run("last fri at 23:00").next_runs(start, end)] == [
        (2026, 12, 25, 23)]


def test_without_at_a_line_fires_every_hour_at_minute_zero() -> None:
    runs = parse_run("Full sun").next_runs(at(2026, 12, 6), at(2026, 12, 7))  # a Sunday
    assert len(runs) == 24 and all(time.localtime(r).tm_min == 0 for r in runs)


def test_week_of_year_as_bareos_counts_it() -> None:
    assert week_of_year(at(2026, 12, 5)) == 49  # ISO week 49
    assert week_of_year(at(2027, 1, 1)) == 0  # before the week holding 4 January
    assert week_of_year(at(2026, 1, 1)) == 1
