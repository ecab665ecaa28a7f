#!/usr/bin/env python3
"""Copy and migrate throughput: local copy, local migrate and remote copy of a data set.

For each run, on a warm page cache, in a fresh lab (Director, two Storage Daemons,
File Daemon as processes on loopback, SQLite catalog):

1. a Full backup of the data set (not timed);
2. the raw copy rate of the backup's volume file (``cat VOL > COPY``, same file system),
   and the same copy made durable (``cat VOL > COPY && sync COPY``): the Storage daemon
   fsyncs a volume before the catalog counts its blocks, so that is the copy's limit;
3. ``run job=copy-local yes`` (second device on the same SD), ``run job=copy-remote yes``
   (SD to SD replication over loopback) and ``run job=migrate-local yes``, each timed
   from sending the command to the return of ``wait`` (the control job and its worker
   ended, catalog included). MB/s = data set bytes / seconds. The CPU seconds of each
   daemon and of the kernel's threads (writeback) during each job come beside it.

Every job must end ``T``; medians over the runs are printed.

    .venv/bin/python bench/copy_bench.py --profile large --runs 3 [--scale 0.25] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bareoslab.console.client import Console  # noqa: E402
from bareoslab.lab.local import processes  # noqa: E402
from bareoslab.lab.local.render import LocalTopology, render  # noqa: E402
from bareoslab.lab.local.topology_extra import render_copy_migrate, start_sd2, stop_sd2  # noqa: E402
from bareoslab.net.auth import password_key  # noqa: E402
from bench_cpu import CpuWindow  # noqa: E402
from bench_data import DEFAULT_GENERATOR, ensure_dataset  # noqa: E402
from bench_lab import byte_compile  # noqa: E402
from bench_rev import common_arguments  # noqa: E402

MB = 1_000_000
JOBS = ("copy-local", "migrate-local", "copy-remote")


def _jobid(out: str) -> int:
    if "Job queued. JobId=" not in out:
        raise RuntimeError(out)
    return int(out.split("JobId=")[1].split()[0])


def one_run(work: Path, data: Path, data_bytes: int, index: int) -> dict[str, Any]:
    base = work / f"copybench-{index}"
    shutil.rmtree(base, ignore_errors=True)
    t = LocalTopology(base, data_dir=data)
    render(t)
    sd2 = render_copy_migrate(t)
    byte_compile()
    second = start_sd2(t, sd2, trace=False, debug=0)
    processes.start(t, trace=False, debug=0)
    pids = {kind: d.pid() for kind, d in processes.daemon_processes(t).items()}
    pids["sd2"] = second.pid()
    pids = {kind: pid for kind, pid in pids.items() if pid is not None}
    console = Console.open(t.host, t.dir_port, password_key(t.console_password))
    result: dict[str, Any] = {"run": index}
    try:
        backup = _jobid(console.run("run job=backup level=Full yes"))
        console.command(f"wait jobid={backup}", timeout=3600)
        volume = t.storage_dir / "Full-0001"
        target = base / "raw-copy"
        result["volume_bytes"] = volume.stat().st_size
        for key, command in (("raw_copy_mb_s", f"cat '{volume}' > '{target}'"),
                             ("synced_copy_mb_s", f"cat '{volume}' > '{target}' && sync '{target}'")):
            subprocess.run("sync", check=True)
            t0 = time.perf_counter()
            subprocess.run(command, shell=True, check=True)
            result[key] = volume.stat().st_size / (time.perf_counter() - t0) / MB
            target.unlink()
        subprocess.run("sync", check=True)
        # copy-local and copy-remote read the backup; migrate-local then moves it
        for job in ("copy-local", "copy-remote", "migrate-local"):
            window = CpuWindow(pids)
            t0 = time.perf_counter()
            control = _jobid(console.run(f"run job={job} yes"))
            console.command("wait", timeout=3600)
            seconds = time.perf_counter() - t0
            use = window.stop()
            statuses = console.run(
                f'.sql query="SELECT JobStatus FROM Job WHERE JobId >= {control}"'
            )
            rows = [
                line.strip(" |")
                for line in statuses.splitlines()
                if line.strip(" |") in tuple("TEfAW")
            ]
            result[job] = {
                "seconds": seconds,
                "mb_s": data_bytes / seconds / MB,
                "statuses": rows,
                "ok": bool(rows) and all(r == "T" for r in rows),
                "cpu_s": {**use.daemons, "kernel": use.kernel, "other": use.other},
            }
    finally:
        console.close()
        processes.stop(t)
        stop_sd2(t)
        shutil.rmtree(base, ignore_errors=True)
    return result


def _cpu(seconds: dict[str, float | None]) -> str:
    return " ".join(f"{kind} {value:.1f}" for kind, value in seconds.items() if value is not None)


def measure(work: Path, profile: str, scale: float, seed: int, runs: int,
            say: Any = print) -> dict[str, Any]:
    """The runs and their medians: ``synced_copy_mb_s`` (the limit) and each job's MB/s."""
    ds = ensure_dataset(work, profile, scale, seed, DEFAULT_GENERATOR)
    subprocess.run(
        f"tar -cf - -C '{ds.root}' . | cat > /dev/null", shell=True, check=True
    )  # warm the cache
    say(f"data set {ds.label}: {ds.files} files, {ds.bytes / MB:,.0f} MB")
    done = []
    for i in range(runs):
        r = one_run(work, ds.root, ds.bytes, i)
        done.append(r)
        say(
            f"run {i + 1}: raw volume copy {r['raw_copy_mb_s']:,.0f} MB/s, synced "
            f"{r['synced_copy_mb_s']:,.0f} MB/s; "
            + "; ".join(
                f"{j} {r[j]['mb_s']:,.0f} MB/s ({r[j]['seconds']:.2f} s{'' if r[j]['ok'] else ', FAILED'}; "
                f"CPU s {_cpu(r[j]['cpu_s'])})"
                for j in JOBS
            )
        )
    good = [r for r in done if all(r[j]["ok"] for j in JOBS)]
    summary: dict[str, Any] = {
        "dataset": ds.label, "bytes": ds.bytes, "runs": done, "good_runs": len(good),
        "raw_copy_mb_s": statistics.median(r["raw_copy_mb_s"] for r in done),
        "synced_copy_mb_s": statistics.median(r["synced_copy_mb_s"] for r in done),
    }
    for job in JOBS:
        if good:
            summary[job] = {"mb_s": statistics.median(r[job]["mb_s"] for r in good),
                            "seconds": statistics.median(r[job]["seconds"] for r in good)}
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profile", default="large")
    common_arguments(parser)
    args = parser.parse_args(argv)
    summary = measure(args.work, args.profile, args.scale, args.seed, args.runs,
                      say=lambda text: print(text, flush=True))
    print(f"\nmedians over {summary['good_runs']} good run(s) of {len(summary['runs'])}:")
    print(f"  {'raw volume copy (cat)':<24}{summary['raw_copy_mb_s']:>8,.0f} MB/s")
    synced = summary["synced_copy_mb_s"]
    print(f"  {'  ... and sync (limit)':<24}{synced:>8,.0f} MB/s")
    for job in JOBS:
        if job in summary:
            mb_s, secs = summary[job]["mb_s"], summary[job]["seconds"]
            print(f"  {job + ' (end to end)':<24}{mb_s:>8,.0f} MB/s  {secs:6.2f} s  "
                  f"{mb_s / synced * 100:5.0f} % of the synced copy")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0 if summary["good_runs"] == len(summary["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
