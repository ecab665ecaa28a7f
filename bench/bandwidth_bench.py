#!/usr/bin/env python3
"""Bandwidth limits: the rate a limited backup actually runs at, against its limit.

Each run brings up a fresh loopback lab (protocol traces on) with one Job per limit,
``bw-<N>`` with ``Maximum Bandwidth = <N> mb/s`` and its own FileSet of one random
file of ``--seconds`` x N MB, plus ``bw-none`` without a limit over the largest file:
the rate the lab reaches unlimited is the ceiling the limits sit under. The rate of
a job is the slope of bytes received over time of its data frames in the Storage
Daemon's trace (``bareoslab.net.trace.data_rate``), i.e. over its data phase;
end-to-end seconds are shown beside it. Medians over ``--runs``.

    .venv/bin/python bench/bandwidth_bench.py --limits 2,5,20 --runs 3 --json /tmp/bandwidth.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bareoslab.lab.local import processes  # noqa: E402
from bareoslab.net.trace import read_trace  # noqa: E402
from bareoslab.trace.rates import data_rate  # noqa: E402
from bench_data import BenchError  # noqa: E402
from bench_lab import BenchLab  # noqa: E402
from bench_rev import DEFAULT_WORK  # noqa: E402

MB = 1_000_000


class BandwidthLab(BenchLab):
    """A BenchLab with one FileSet and Job per limit."""

    def __init__(self, base: Path, files: dict[str, tuple[Path, int]], tiny: Path) -> None:
        super().__init__(base, next(iter(files.values()))[0], tiny, trace=True)
        self.files = files  # job name -> (file, limit in MB/s, 0 = none)

    def configure(self) -> None:
        d = self.topology.etc / "dir" / "bareos-dir.d"
        for job, (path, limit) in self.files.items():
            (d / "fileset" / f"{job}.conf").write_text(
                f'FileSet {{\n  Name = "{job}"\n  Include {{\n    File = "{path}"\n  }}\n}}\n')
            bandwidth = f"  Maximum Bandwidth = {limit} mb/s\n" if limit else ""
            (d / "job" / f"{job}.conf").write_text(
                f'Job {{\n  Name = "{job}"\n  JobDefs = "DefaultJob"\n  FileSet = "{job}"\n  Level = Full\n'
                f"{bandwidth}}}\n")

    def limited_backup(self, job: str) -> tuple[float, float]:
        """(data-phase bytes/s from the SD's trace, end-to-end seconds) of one backup."""
        result = self._job("backup", f"run job={job} level=Full yes", timeout=3600)
        if not result.ok:
            raise BenchError(f"{job}: JobId {result.jobid} ended {result.status}")
        trace = read_trace(str(processes.daemon_processes(self.topology)["sd"].trace_file))
        unique = next(r["job"] for r in trace if r.get("jobid") == result.jobid and r.get("job"))
        rate, _ = data_rate(trace, unique, self.topology.client)
        return rate, result.seconds


def make_files(work: Path, limits: list[int], seconds: float) -> dict[str, tuple[Path, int]]:
    files: dict[str, tuple[Path, int]] = {}
    data = work / "bandwidth-data"
    data.mkdir(parents=True, exist_ok=True)
    for limit in [*limits, 0]:
        size = int((limit or max(limits)) * MB * seconds)
        path = data / f"{limit or 'none'}.bin"
        if not path.exists() or path.stat().st_size != size:
            with open(path, "wb") as fh:
                for start in range(0, size, 1 << 20):
                    fh.write(os.urandom(min(1 << 20, size - start)))
        files[f"bw-{limit or 'none'}"] = (path, limit)
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limits", default="2,5,20", help="MB/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=4.0, help="data per job: this many seconds at its limit")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    limits = [int(x) for x in args.limits.split(",")]
    files = make_files(args.work, limits, args.seconds)
    tiny = args.work / "bandwidth-tiny"
    tiny.write_text("x\n")
    runs: dict[str, list[tuple[float, float]]] = {job: [] for job in files}
    for run in range(args.runs):
        base = args.work / "labs" / f"bandwidth-run{run}"
        shutil.rmtree(base, ignore_errors=True)
        with BandwidthLab(base, files, tiny) as lab:
            for job in files:
                rate, seconds = lab.limited_backup(job)
                runs[job].append((rate, seconds))
                print(f"  run {run + 1}: {job}: {rate / MB:.2f} MB/s over the data phase, "
                      f"{seconds:.2f} s end to end", file=sys.stderr)
        shutil.rmtree(base, ignore_errors=True)
    ceiling = statistics.median(r for r, _ in runs["bw-none"])
    print(f"\nbandwidth limits, medians of {args.runs} runs (unlimited: {ceiling / MB:.0f} MB/s)")
    print(f"{'limit MB/s':>10} {'measured MB/s':>14} {'of limit':>9} {'end to end s':>13}")
    out: dict[str, Any] = {"ceiling_mb_s": ceiling / MB, "limits": {}}
    for job, (_, limit) in files.items():
        if not limit:
            continue
        rate = statistics.median(r for r, _ in runs[job])
        seconds = statistics.median(s for _, s in runs[job])
        out["limits"][limit] = {"mb_s": rate / MB, "ratio": rate / (limit * MB), "seconds": seconds,
                                "runs": runs[job]}
        print(f"{limit:>10} {rate / MB:>14.3f} {rate / (limit * MB):>8.1%} {seconds:>13.2f}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
