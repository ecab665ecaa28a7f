"""Bareos' console table layouts and the values the list commands print."""

from __future__ import annotations

from bareoslab.config.types import edit_utime
from bareoslab.director.ua.listing import duration
from bareoslab.director.ua.output import format_table, format_vertical, json_rows


def test_format_table_numbers_right_aligned_with_commas_except_jobid() -> None:
    lines = format_table(
        ["jobid", "name", "jobbytes", "type"], [(1, "backup", 1048576, "B"), (12, "b2", None, "F")]
    )
    assert lines == [
        "+-------+--------+-----------+------+",
        "| jobid | name   | jobbytes  | type |",
        "+-------+--------+-----------+------+",
        "|     1 | backup | 1,048,576 | B    |",
        "|    12 | b2     |           | F    |",  # NULL: empty, as libpq gives it to Bareos
        "+-------+--------+-----------+------+",
    ]


def test_format_table_count_column_like_the_systemtests_grep() -> None:
    assert "|     1 |" in format_table(["count"], [(1,)])


def test_format_table_empty() -> None:
    assert format_table(["a"], []) == ["No results to list."]


def test_format_vertical_names_right_aligned() -> None:
    assert format_vertical(["jobid", "jobstatus", "jobbytes"], [(1, "T", 2048)]) == [
        "     jobid: 1",
        " jobstatus: T",
        "  jobbytes: 2,048",
        "",
    ]


def test_json_rows_are_strings_and_null_is_empty() -> None:
    assert json_rows(["JobId", "name", "x"], [(1, "b", None)]) == [
        {"jobid": "1", "name": "b", "x": ""}
    ]


def test_edit_utime() -> None:
    assert edit_utime(1) == "1 sec"
    assert edit_utime(30 * 86400) == "1 month"
    assert edit_utime(365 * 86400 + 2 * 86400 + 61) == "1 year 2 days 1 min 1 sec"
    assert edit_utime(0) == "0 secs"


def test_duration() -> None:
    assert duration("2025-08-21 06:54:12", "2025-08-21 07:55:16") == "01:01:04"
    assert duration(None, "2025-08-21 06:54:12") == ""
