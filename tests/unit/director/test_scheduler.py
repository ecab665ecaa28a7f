"""The scheduler's decisions (Bareos' scheduler.cc): what is due now, what is dropped, when to look again."""

from __future__ import annotations

import time

from bareoslab.config import load_config_text
from bareoslab.director.daemon import Director

CONFIG = """\
Director { Name = bareos-dir; Password = "secret" }
Messages { Name = Standard; Console = all }
Catalog { Name = MyCatalog; DB Name = ":memory:"; DB User = bareos }
Storage { Name = File; Address = sd.lab; Password = "sd"; Device = FileStorage; Media Type = File }
Pool { Name = Full; Storage = File }
Client { Name = fd; Address = fd.lab; Password = "fd" }
FileSet { Name = fs; Include { File = /etc } }
Schedule { Name = Nightly; Run = Level=Full mon-fri at 21:10 }
Schedule { Name = Off; Enabled = no; Run = daily at 01:00 }
Job { Name = backup; Type = Backup; Client = fd; FileSet = fs; Pool = Full; Messages = Standard; Schedule = Nightly }
Job { Name = other; Type = Backup; Client = fd; FileSet = fs; Pool = Full; Messages = Standard; Schedule = Off }
"""


class ManualClock:
    def __init__(self, now: float) -> None:
        self.t = now

    def now(self) -> float:
        return self.t

    async def wait(self, until: float) -> None:  # the tests call the decisions directly
        raise AssertionError("not used")


def at(y: int, mo: int, d: int, h: int, mi: int, s: int = 0) -> float:
    return time.mktime((y, mo, d, h, mi, s, 0, 0, -1))


def director(now: float) -> Director:
    return Director(load_config_text(CONFIG, "dir", "test-dir.conf"), clock=ManualClock(now))


def test_a_run_is_due_in_its_minute_once() -> None:
    d = director(at(2026, 11, 30, 21, 10, 5))
    sched = d.scheduler
    (due,) = sched.due(d.scheduler.clock.now())
    assert (due.job.name, due.runtime) == ("backup", at(2026, 11, 30, 21, 10))
    sched.last[(due.job.name, due.schedule.name, due.index)] = due.runtime  # what serve() records
    assert sched.due(at(2026, 11, 30, 21, 10, 40)) == []  # not twice within 61 s


def test_a_run_more_than_59_seconds_late_is_dropped() -> None:
    d = director(0)
    assert d.scheduler.due(at(2026, 11, 30, 21, 11, 0)) == []
    assert len(d.scheduler.due(at(2026, 11, 30, 21, 10, 59))) == 1


def test_disabled_schedules_jobs_and_clients_start_nothing() -> None:
    d = director(0)
    assert [j.name for j, _ in d.scheduler.scheduled_jobs()] == ["backup"]  # Schedule Off is disabled
    d.enabled[("Client", "fd")] = False
    assert d.scheduler.scheduled_jobs() == []
    d.enabled[("Client", "fd")] = True
    d.enabled[("Job", "backup")] = False
    assert d.scheduler.due(at(2026, 11, 30, 21, 10, 5)) == []


def test_the_scheduler_wakes_at_the_next_run_or_within_a_minute() -> None:
    d = director(0)
    assert d.scheduler.next_time(at(2026, 11, 30, 21, 9, 30)) == at(2026, 11, 30, 21, 10)
    now = at(2026, 11, 30, 12, 0)
    assert d.scheduler.next_time(now) == now + 60


def test_a_clock_file_caught_empty_while_rewritten_keeps_its_last_time(tmp_path) -> None:
    """Writing a file truncates it first: a reader in between sees it empty. The clock stays at
    the last time it read, not the system's (a scheduler would see days pass both ways)."""
    from bareoslab.director.scheduler import FileClock

    path = tmp_path / "clock"
    clock = FileClock(str(path))
    assert abs(clock.now() - time.time()) < 5  # no file: the system's time
    path.write_text("2026-11-30 21:10:05\n")
    assert clock.now() == at(2026, 11, 30, 21, 10, 5)
    path.write_text("")
    assert clock.now() == at(2026, 11, 30, 21, 10, 5)
    path.write_text("1800000000\n")
    assert clock.now() == 1800000000.0
    path.write_text("soon\n")  # no time at all: the system's, with a warning
    assert abs(clock.now() - time.time()) < 5
