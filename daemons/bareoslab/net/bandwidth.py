"""Bandwidth limits on a connection, as Bareos applies them to a job's data.

Bareos meters every read and write of a limited socket (``lib/bsock.cc``
``ControlBwlimit``): bytes since the last tick are owed, the time elapsed pays
for ``rate`` bytes per second of them, and what is still owed is slept off.
Without bursting, credit from a slow spell is dropped, so the rate never rises
above the limit to catch up; with ``Allow Bandwidth Bursting`` it is kept and
the average holds the limit instead.

Where the limits come from (Bareos' rules, kept by the daemons):

* Director: a backup's Job ``Maximum Bandwidth``, else its Client's ``Maximum
  Bandwidth Per Job``, is sent to the FD as ``setbandwidth=<bytes/s> Job=<job>``;
  a remote copy/migrate's Job, else the writing, else the reading Storage's,
  to the reading SD. The console's ``setbandwidth`` sends one to a running job's
  daemon, or daemon-wide with an empty ``Job=``.
* File Daemon: the job's limit, else its Director resource's ``Maximum
  Bandwidth Per Job``, else its own, on the job's connection to the SD (both
  ways: restores are limited too).
* Storage Daemon: on a replication, the job's limit, else the Director
  resource's, else its own Storage resource's, on the connection to the writing
  SD; the writing SD limits what it receives by its own Storage resource's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .framing import Connection

__all__ = ["OK_BANDWIDTH", "BandwidthLimit", "parse_setbandwidth", "serve_setbandwidth", "setbandwidth_line"]

OK_BANDWIDTH = "2000 OK Bandwidth\n"

_MIN_INTERVAL = 100e-6  # Bareos meters nothing finer than 0.1 ms
_MIN_SLEEP = 100e-6
_CLOCK_JUMP = 10.0  # a gap this long is a clock problem, not a pause to pay back


class BandwidthLimit:
    """The pause that keeps a stream of bytes at ``rate`` bytes per second."""

    def __init__(self, rate: int, bursting: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("a bandwidth limit is a positive number of bytes per second")
        self.rate = rate
        self.bursting = bursting
        self._clock = clock
        self._owed = 0.0  # bytes beyond what the elapsed time allowed
        self._last: float | None = None

    def pause_for(self, nbytes: int) -> float:
        """Account for ``nbytes`` just sent or received; the seconds to wait before the next."""
        if nbytes <= 0:
            return 0.0
        now = self._clock()
        if self._last is None:
            self._owed, self._last = float(nbytes), now
            return 0.0
        elapsed = now - self._last
        self._owed += nbytes
        if elapsed < _MIN_INTERVAL:
            return 0.0
        self._last = now
        if elapsed > _CLOCK_JUMP:
            return 0.0
        self._owed -= elapsed * self.rate
        if self._owed < 0:
            if not self.bursting:
                self._owed = 0.0
            return 0.0
        pause = self._owed / self.rate
        if pause <= _MIN_SLEEP:
            return 0.0
        # the caller sleeps now; the next call counts from the end of the pause
        self._last = now + pause
        self._owed = 0.0
        return pause


def setbandwidth_line(rate: int, job: str = "") -> str:
    """The Director's command to an FD or SD: limit ``job`` (or the daemon's later jobs) to ``rate`` bytes/s."""
    return f"setbandwidth={rate} Job={job}\n"


def parse_setbandwidth(line: str) -> tuple[int, str] | None:
    """``setbandwidth=<bytes/s> Job=<job>`` -> (bytes per second, job or ""); None if malformed."""
    head, found, job = line.strip().partition(" Job=")
    value = head.removeprefix("setbandwidth=")
    if not found or value == head or not value.isdigit():
        return None
    return int(value), job.split(" ", 1)[0]  # like Bareos' scan: the name ends at a blank


class LimitedJob(Protocol):
    def limit_bandwidth(self, rate: int, bursting: bool) -> None: ...


async def serve_setbandwidth(conn: Connection, line: str, jobs: Mapping[str, LimitedJob],
                             set_default: Callable[[int], None], bursting: bool) -> bool:
    """The FD's and SD's ``setbandwidth`` command: limit the named running job, or, with no
    job, replace the daemon's Maximum Bandwidth Per Job. False ends the session (bad command)."""
    parsed = parse_setbandwidth(line)
    if parsed is None:
        await conn.send(f"2991 Bad setbandwidth command: {line.rstrip()}\n")
        return False
    rate, name = parsed
    if not name:
        set_default(rate)
    elif (job := jobs.get(name)) is None:
        await conn.send(f"2901 Job {name} not found.\n")  # and the OK after it, as Bareos
    else:
        job.limit_bandwidth(rate, bursting)  # 0 lifts the job's limit
    await conn.send(OK_BANDWIDTH)
    return True
