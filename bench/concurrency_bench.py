#!/usr/bin/env python3
"""Many jobs at once: total throughput of N simultaneous backups, and the job queue's rate.

Each run brings up a fresh loopback lab with two File daemons and Storage ``File`` of two
devices on one directory (``topology_extra.render_concurrency``); with ``--sds 2`` a second
Storage Daemon joins (Storage ``File2``) and the jobs alternate between the two SDs. For
N = 1, 2, 4, 8 (``--jobs``) the N Full backups of the whole data set are queued at once,
alternating clients and pools (Full, Incremental), and timed from the first ``run`` to the
end of the last ``wait``: total MB/s and files/s = N x the data set / that time. Every
job must end ``T``; every JobMedia row must point at a volume of its job's pool. The
``md5sum`` rate of the data set, measured in the same run, is the limit one core sets.

The Director's memory per queued job: ``--queue-jobs`` backups queued to start in the far
future (``when=``), the Director's VmRSS before and after, divided by their number; then they
are cancelled.

The queue's rate: ``--queue-jobs`` (200) backups of a one-file FileSet queued at once,
end to end, in jobs per second.

    .venv/bin/python bench/concurrency_bench.py --profiles small,large --scale 0.25 --runs 3 \\
        --json /tmp/concurrency.json
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bareoslab.lab.local.topology_extra import (  # noqa: E402
    SecondClient,
    SecondStorage,
    render_concurrency,
    render_copy_migrate,
    start_fd2,
    start_sd2,
    stop_extra,
)
from bench_data import DEFAULT_GENERATOR, BenchError, ensure_dataset  # noqa: E402
from bench_lab import TINY_FILESET, BenchLab, read_status_kib  # noqa: E402
from bench_limits import md5sum_rate, warm_cache  # noqa: E402
from bench_rev import common_arguments  # noqa: E402

POOLS = ("Full", "Incremental")
_QUEUED = re.compile(r"Job queued\. JobId=(\d+)")


class ConcurrencyLab(BenchLab):
    """A BenchLab with a second FD, a second device on Storage File and, optionally, a second SD."""

    def __init__(self, base: Path, data: Path, tiny: Path, sds: int, job_jobs: int) -> None:
        super().__init__(base, data, tiny)
        self.fd2 = SecondClient()
        self.sd2 = SecondStorage() if sds > 1 else None
        self.job_jobs = job_jobs

    def start(self) -> None:
        super().start()
        start_fd2(self.topology, self.fd2, trace=False)
        if self.sd2 is not None:
            start_sd2(self.topology, self.sd2, trace=False)

    def close(self) -> None:
        stop_extra(self.topology, "fd2")
        stop_extra(self.topology, "sd2")
        super().close()

    def configure(self) -> None:
        """Called by BenchLab.start between rendering and starting the daemons."""
        t = self.topology
        render_concurrency(t, self.fd2, device_jobs=self.job_jobs, job_jobs=self.job_jobs)
        if self.sd2 is not None:
            render_copy_migrate(t, self.sd2)

    def storages(self) -> list[str]:
        return ["File", "File2"] if self.sd2 is not None else ["File"]

    def queue(self, lines: list[str], timeout: float) -> tuple[float, list[str]]:
        """Queue every line at once, wait for each; (seconds, final statuses)."""
        t0 = time.monotonic()
        jobids = []
        for line in lines:
            m = _QUEUED.search(self._command(line))
            if not m:
                raise BenchError(f"the Director did not queue {line!r}")
            jobids.append(int(m.group(1)))
        for jobid in jobids:
            self._command(f"wait jobid={jobid} timeout={int(timeout)}", timeout=timeout + 60)
        seconds = time.monotonic() - t0
        statuses = [self._catalog_row(j).get("jobstatus", "?") for j in jobids]
        return seconds, statuses

    def memory_per_queued_job(self, count: int) -> float:
        """KiB of Director VmRSS per job while ``count`` one-file backups wait (``when=`` in
        2099); they are cancelled afterwards."""
        line = f'run job=backup fileset={TINY_FILESET} level=Full when="2099-12-31 00:00:00" yes'
        before = read_status_kib(self.pids["dir"], "VmRSS")
        jobids = []
        for _ in range(count):
            m = _QUEUED.search(self._command(line))
            if not m:
                raise BenchError(f"the Director did not queue {line!r}")
            jobids.append(int(m.group(1)))
        after = read_status_kib(self.pids["dir"], "VmRSS")
        self._command(f"cancel jobid={','.join(map(str, jobids))} yes")
        if before is None or after is None:
            raise BenchError("cannot read the Director's VmRSS")
        return (after - before) / len(jobids)

    def pool_rule_violations(self) -> int:
        self._command("sqlquery")
        try:
            text = self._command("SELECT COUNT(*) AS n FROM JobMedia jm JOIN Job j ON j.JobId = jm.JobId "
                                 "JOIN Media m ON m.MediaId = jm.MediaId WHERE j.PoolId <> m.PoolId;")
        finally:
            self._command("")
        found = re.search(r"\|\s*(\d+)\s*\|", text)
        return int(found.group(1)) if found else -1


def backup_lines(lab: ConcurrencyLab, n: int) -> list[str]:
    jobs, storages = ("backup", "backup2"), lab.storages()
    return [f"run job={jobs[i % 2]} level=Full pool={POOLS[(i // 2) % 2]} storage={storages[i % len(storages)]} yes"
            for i in range(n)]


def one_run(work: Path, ds: Any, ns: list[int], sds: int, queue_jobs: int, run: int) -> dict[str, Any]:
    base = work / "labs" / f"concurrency-{ds.profile}-sd{sds}-run{run}"
    shutil.rmtree(base, ignore_errors=True)
    tiny = base / "tiny"
    tiny.parent.mkdir(parents=True, exist_ok=True)
    tiny.write_text("x\n")
    out: dict[str, Any] = {"n": {}}
    try:
        with ConcurrencyLab(base / "lab", ds.root, tiny, sds, job_jobs=max(ns + [10])) as lab:
            if queue_jobs:  # first, while the Director's heap holds only what its start left
                out["dir_kib_per_queued_job"] = lab.memory_per_queued_job(queue_jobs)
                print(f"  Director memory: {out['dir_kib_per_queued_job']:.1f} KiB per queued job "
                      f"({queue_jobs} waiting)", file=sys.stderr)
            for n in ns:
                seconds, statuses = lab.queue(backup_lines(lab, n), timeout=3600)
                if statuses != ["T"] * n:
                    raise BenchError(f"N={n}: the jobs ended {statuses}")
                out["n"][n] = {"seconds": seconds, "mb_s": n * ds.bytes / seconds / 1e6,
                               "files_s": n * ds.files / seconds}
                print(f"  {ds.profile} sd={sds} N={n}: {seconds:.2f} s, {out['n'][n]['mb_s']:.0f} MB/s, "
                      f"{out['n'][n]['files_s']:.0f} files/s", file=sys.stderr)
            violations = lab.pool_rule_violations()
            if violations:
                raise BenchError(f"{violations} JobMedia rows point at a volume of another pool")
            if queue_jobs:
                lines = [f"run job={('backup', 'backup2')[i % 2]} fileset={TINY_FILESET} level=Full "
                         f"pool={POOLS[i % 2]} yes" for i in range(queue_jobs)]
                seconds, statuses = lab.queue(lines, timeout=3600)
                if statuses != ["T"] * queue_jobs:
                    raise BenchError(f"queue: {sum(s != 'T' for s in statuses)} of {queue_jobs} jobs failed")
                out["queue_jobs_s"] = queue_jobs / seconds
                print(f"  queue: {queue_jobs} one-file jobs in {seconds:.1f} s = {out['queue_jobs_s']:.1f} jobs/s",
                      file=sys.stderr)
        return out
    finally:
        shutil.rmtree(base, ignore_errors=True)


def queued_job_memory(work: Path, runs: int, queue_jobs: int) -> dict[str, Any]:
    """The Director's KiB per queued job, ``runs`` fresh labs of one SD (median and each)."""
    tiny_dir = work / "labs" / "queue-memory-data"
    tiny_dir.mkdir(parents=True, exist_ok=True)
    tiny = tiny_dir / "tiny"
    tiny.write_text("x\n")
    each = []
    try:
        for run in range(runs):
            base = work / "labs" / f"queue-memory-run{run}"
            shutil.rmtree(base, ignore_errors=True)
            try:
                with ConcurrencyLab(base / "lab", tiny_dir, tiny, 1, job_jobs=10) as lab:
                    each.append(lab.memory_per_queued_job(queue_jobs))
            finally:
                shutil.rmtree(base, ignore_errors=True)
    finally:
        shutil.rmtree(tiny_dir, ignore_errors=True)
    return {"queue_jobs": queue_jobs, "kib_per_job": statistics.median(each), "runs": each}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profiles", default="small,large")
    p.add_argument("--jobs", default="1,2,4,8", help="the numbers of simultaneous backups")
    p.add_argument("--sds", default="1,2", help="one SD, and two")
    p.add_argument("--queue-jobs", type=int, default=200)
    common_arguments(p, scale=0.25)
    args = p.parse_args(argv)
    ns = [int(n) for n in args.jobs.split(",")]
    results: dict[str, Any] = {}
    for profile in args.profiles.split(","):
        ds = ensure_dataset(args.work, profile, args.scale, args.seed, DEFAULT_GENERATOR)
        for sds in (int(s) for s in args.sds.split(",")):
            runs = []
            for run in range(args.runs):
                warm_cache(ds)
                limit = md5sum_rate(ds)
                result = one_run(args.work, ds, ns, sds, args.queue_jobs if profile == "small" else 0, run)
                result["md5sum_mb_s"] = limit.mb_s
                runs.append(result)
            key = f"{profile}-sd{sds}"
            med = {n: {k: statistics.median(r["n"][n][k] for r in runs) for k in ("mb_s", "files_s")} for n in ns}
            results[key] = {"runs": runs, "median": med,
                            "md5sum_mb_s": statistics.median(r["md5sum_mb_s"] for r in runs)}
            for measure in ("queue_jobs_s", "dir_kib_per_queued_job"):
                if any(measure in r for r in runs):
                    results[key][measure] = statistics.median(r[measure] for r in runs if measure in r)
    print(f"{'data set':<14} {'N':>3} {'MB/s':>8} {'files/s':>9} {'x N=1':>6} {'of md5sum':>9}")
    for key, r in results.items():
        base = r["median"][ns[0]]["mb_s"]
        for n in ns:
            m = r["median"][n]
            print(f"{key:<14} {n:>3} {m['mb_s']:>8.0f} {m['files_s']:>9.0f} {m['mb_s'] / base:>6.2f} "
                  f"{m['mb_s'] / r['md5sum_mb_s']:>9.2f}")
        if "queue_jobs_s" in r:
            print(f"{key:<14} queue of {args.queue_jobs} one-file jobs: {r['queue_jobs_s']:.1f} jobs/s; "
                  f"Director memory {r['dir_kib_per_queued_job']:.1f} KiB per queued job")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
