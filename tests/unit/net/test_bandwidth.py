"""The bandwidth limit's accounting (Bareos' ControlBwlimit), on a clock the test moves."""

from __future__ import annotations

import pytest
from bareoslab.net.bandwidth import BandwidthLimit, parse_setbandwidth, setbandwidth_line
from bareoslab.trace.rates import data_rate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def send(limit: BandwidthLimit, clock: Clock, chunks: list[int], work: float = 0.001) -> float:
    """Send ``chunks`` as a sender would (``work`` seconds each, then the pause); the time taken."""
    start = clock.now
    for size in chunks:
        clock.now += work
        clock.now += limit.pause_for(size)
    return clock.now - start


def test_a_fast_sender_is_held_to_the_rate() -> None:
    clock = Clock()
    limit = BandwidthLimit(1_000_000, clock=clock)
    elapsed = send(limit, clock, [100_000] * 101)
    # every chunk pays 0.1 s, the first one too (it starts the meter owing its bytes)
    assert elapsed == pytest.approx(10.1, rel=0.001)


def test_a_sender_slower_than_the_limit_never_waits() -> None:
    clock = Clock()
    limit = BandwidthLimit(1_000_000, clock=clock)
    pauses = []
    for _ in range(50):
        clock.now += 0.2  # 100 kB per 0.2 s = 0.5 MB/s
        pauses.append(limit.pause_for(100_000))
    assert pauses == [0.0] * 50


def test_without_bursting_a_slow_spell_earns_no_credit() -> None:
    clock = Clock()
    limit = BandwidthLimit(1_000_000, clock=clock)
    limit.pause_for(1)
    clock.now += 5.0  # idle: 5 MB of credit with bursting
    assert limit.pause_for(1_000_000) == 0.0
    clock.now += 0.001
    assert limit.pause_for(1_000_000) == pytest.approx(0.999, rel=0.01)


def test_with_bursting_a_slow_spell_is_made_up() -> None:
    clock = Clock()
    limit = BandwidthLimit(1_000_000, bursting=True, clock=clock)
    limit.pause_for(1)
    clock.now += 5.0
    paused = 0.0
    for _ in range(5):
        clock.now += 0.001
        paused += limit.pause_for(1_000_000)
    assert paused == 0.0  # the credit of the idle five seconds
    clock.now += 0.001
    assert limit.pause_for(1_000_000) > 0.9


def test_a_clock_jump_is_not_paid_back() -> None:
    clock = Clock()
    limit = BandwidthLimit(1_000, clock=clock)
    limit.pause_for(10)
    clock.now += 60
    assert limit.pause_for(10_000) == 0.0


def test_a_limit_is_positive() -> None:
    with pytest.raises(ValueError):
        BandwidthLimit(0)


@pytest.mark.parametrize("line, parsed", [
    ("setbandwidth=1024000 Job=backup.2026-12-05_10.00.00_04\n", (1024000, "backup.2026-12-05_10.00.00_04")),
    ("setbandwidth=0 Job=\n", (0, "")),
    ("setbandwidth=-5 Job=x\n", None),
    ("setbandwidth=fast Job=x\n", None),
    ("setbandwidth=5\n", None),
    ("setbandwidth=5 Job=a b\n", (5, "a")),  # Bareos' %s stops at the blank
])
def test_parse_setbandwidth(line: str, parsed: tuple[int, str] | None) -> None:
    assert parse_setbandwidth(line) == parsed


def test_setbandwidth_line_round_trips() -> None:
    assert parse_setbandwidth(setbandwidth_line(4_000_000, "copy.1")) == (4_000_000, "copy.1")


def test_data_rate_is_the_slope_of_a_paced_staircase() -> None:
    # 1 MB batches of 16 frames, one batch every 0.25 s: 4 MB/s; headers and other jobs left out
    records = []
    for batch in range(12):
        for frame in range(16):
            t = 100 + batch * 0.25 + frame * 0.001
            records.append({"t": t, "dir": "recv", "job": "j", "peer": "fd", "len": 62_500})
            records.append({"t": t, "dir": "recv", "job": "j", "peer": "fd", "len": 20})
            records.append({"t": t, "dir": "recv", "job": "other", "peer": "fd", "len": 62_500})
    rate, size = data_rate(records, "j", "fd")
    assert size == 12_000_000
    assert rate == pytest.approx(4_000_000, rel=0.05)
    assert data_rate(records, "j", "fd", start=101.0)[1] == 8_000_000
    assert data_rate(records, "nobody", "fd") == (0.0, 0)
