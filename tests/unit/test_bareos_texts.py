"""Texts that tools and people parse, each against the Bareos format string it comes from.

Each row: where Bareos prints it (its source file), Bareos' format string (``PRIu32``
written as ``u``), and what bareoslab prints in its place. The format becomes a pattern
(``%s`` any text, ``%d``/``%u``/``%hd`` a number, ``%02d`` two digits) that the text must
match whole.
"""

from __future__ import annotations

import re

import pytest
from bareoslab.codes import JobType
from bareoslab.director.bsr import job_bootstrap
from bareoslab.director.report import (
    already_done_message,
    chosen_message,
    no_data_message,
    no_jobs_message,
    start_message,
    using_message,
    worker_started_message,
)
from bareoslab.edit import with_suffix
from bareoslab.filed.dir_cmd import ok_job
from bareoslab.filed.objects import BAD_RESTORE_OBJECT, OK_BOOTSTRAP, OK_RESTORE_OBJECT
from bareoslab.storage.dir_cmd import elapsed_message

_CONVERSIONS = re.compile(r"%(?:%|0?\d*h?[sducl])")


def printf_pattern(fmt: str) -> re.Pattern[str]:
    parts, last = [], 0
    for conv in _CONVERSIONS.finditer(fmt):
        parts.append(re.escape(fmt[last:conv.start()]))
        spec = conv.group()
        if spec == "%%":
            parts.append("%")
        elif spec.endswith("s"):
            parts.append(".*?")
        elif spec.endswith("c"):
            parts.append(".")
        else:
            width = re.match(r"%0?(\d*)", spec)
            parts.append(rf"\d{{{width[1]}}}" if width and width[1] else r"-?\d+")
        last = conv.end()
    parts.append(re.escape(fmt[last:]))
    return re.compile("".join(parts), re.S)


TEXTS = [
    ("stored/append.cc", "Elapsed time=%02d:%02d:%02d, Transfer rate=%s Bytes/second",
     elapsed_message(3725.4, 3_850_433)),
    ("stored/append.cc (0 s counts as 1)", "Elapsed time=%02d:%02d:%02d, Transfer rate=%s Bytes/second",
     elapsed_message(0.2, 850)),
    ("dird/migrate.cc", "%s JobId %u started.", worker_started_message(JobType.COPY, 12)),
    ("dird/migrate.cc", "%s using JobId=%s Job=%s", using_message(JobType.MIGRATE, 7, "backup.2026-12-05_10.00.00_03")),
    ("dird/migrate.cc", "Previous Job has no data to %s.", no_data_message(JobType.COPY)),
    ("dird/migrate.cc", "Start %s JobId %s, Job=%s", start_message(JobType.COPY, 13, "copy.2026-12-05_10.00.00_04")),
    ("dird/migrate.cc", "JobId %s already %s probably by another Job. %s stopped.",
     already_done_message(JobType.MIGRATE, 7)),
    ("dird/migrate.cc", "The following %u JobId%s chosen to be %s: %s", chosen_message(JobType.COPY, [1, 2, 3])),
    ("dird/migrate.cc", "The following %u JobId%s chosen to be %s: %s", chosen_message(JobType.MIGRATE, [4])),
    ("dird/migrate.cc", "No JobIds found to %s.", no_jobs_message(JobType.MIGRATE)),
    ("filed/dir_cmd.cc OKjob", "2000 OK Job %s (%s) %s,%s", ok_job()),
    ("filed/dir_cmd.cc OKbootstrap", "2000 OK bootstrap\n", OK_BOOTSTRAP),
    ("filed/dir_cmd.cc OKRestoreObject", "2000 OK ObjectRestored\n", OK_RESTORE_OBJECT),
    ("filed/dir_cmd.cc RestoreObjectCmd", "2909 Bad RestoreObject command.\n", BAD_RESTORE_OBJECT),
    ("dird/backup.cc UpdateBootstrapFile", "# %s - %s - %s%s",
     job_bootstrap([], "backup.2026-12-05_10.00.00_05", "Incremental", "2026-12-05 09:00:00", 0).rstrip("\n")),
]


@pytest.mark.parametrize(("source", "fmt", "text"), TEXTS, ids=[f"{s}: {f[:40]}" for s, f, _ in TEXTS])
def test_text_matches_the_bareos_format(source: str, fmt: str, text: str) -> None:
    assert printf_pattern(fmt).fullmatch(text), (source, fmt, text)


def test_the_values_inside_are_bareos_ones() -> None:
    """Where the pattern cannot tell: the values as Bareos edits them."""
    assert elapsed_message(3725.4, 3_850_433) == "Elapsed time=01:02:05, Transfer rate=1.033 K Bytes/second"
    assert elapsed_message(0.2, 850) == "Elapsed time=00:00:01, Transfer rate=850  Bytes/second"
    assert [with_suffix(n) for n in (0, 999, 1000, 3_850_433, 123_456_789_012)] == [
        "0 ", "999 ", "1.000 K", "3.850 M", "123.4 G"]
    assert worker_started_message(JobType.MIGRATE, 5) == "Migration JobId 5 started."
    assert chosen_message(JobType.COPY, [1, 2, 3]) == "The following 3 JobIds were chosen to be copied: 1,2,3"
    assert chosen_message(JobType.MIGRATE, [4]) == "The following 1 JobId was chosen to be migrated: 4"
    assert already_done_message(JobType.COPY, 7) == "JobId 7 already copied probably by another Job. Copying stopped."
    assert job_bootstrap([], "j.1", "Incremental", "2026-12-05 09:00:00", 0).endswith(
        " - j.1 - Incremental, since=2026-12-05 09:00:00\n")
    assert ", since=" not in job_bootstrap([], "j.1", "Full", "", 0)
