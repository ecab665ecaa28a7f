"""Rates from protocol traces: how fast a job's data arrived."""

from __future__ import annotations

from typing import Any


def data_rate(records: list[dict[str, Any]], job: str, peer: str, min_size: int = 1024,
              start: float = 0.0, end: float = float("inf")) -> tuple[float, int]:
    """(bytes per second, bytes) of the data frames a daemon received for ``job`` from a peer
    whose label starts with ``peer`` between ``start`` and ``end`` (epoch seconds): the
    least-squares slope of bytes so far over arrival time.

    A bandwidth limit paces the sender one batch at a time; the slope of that staircase is the
    rate the limit allowed. Frames under ``min_size`` bytes (record headers) are left out.
    """
    times: list[float] = []
    totals: list[int] = []
    total = 0
    for r in records:
        if (r.get("dir") == "recv" and r.get("job") == job and str(r.get("peer", "")).startswith(peer)
                and r.get("len", 0) >= min_size and start <= r["t"] <= end):
            total += r["len"]
            times.append(r["t"])
            totals.append(total)
    if len(times) < 2 or times[-1] == times[0]:
        return 0.0, total
    mt, mb = sum(times) / len(times), sum(totals) / len(totals)
    covariance = sum((t - mt) * (b - mb) for t, b in zip(times, totals, strict=True))
    return covariance / sum((t - mt) ** 2 for t in times), total
