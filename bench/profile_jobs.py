#!/usr/bin/env python3
"""Where the daemons spend their time: py-spy samples of each daemon during a backup and a restore.

Starts one lab on a cached benchmark data set (the same as ``run_bench.py``), warms
the page cache, runs a 1-file backup (so the volume is labeled), then a Full backup
and its restore while ``py-spy record`` samples the Director, the Storage Daemon and
the File Daemon. For every job and daemon it writes the raw collapsed stacks
(``OUT/<profile>-<job>-<daemon>.txt``, to feed flamegraph.pl or speedscope) and prints
the functions with the most samples: *self* (the line on top of the stack) and
*total* (the function anywhere in the stack). Idle time (waiting in the event loop's
select) is not sampled, so the samples are CPU time (and I/O in system calls).

With ``--threads`` there is no py-spy: each daemon thread's CPU time and the share of samples
in which it was runnable are read from ``/proc`` every 10 ms instead (``bench_cpu.ThreadStates``),
with how many threads were runnable at once. That tells whether the two cores or one thread's
chain of waits set the pace of a job (a backup of ``large`` with TLS-PSK: the MD5 thread runnable
far more often than it ran).

py-spy is not a dependency of the project; install it into a separate venv:
  python3 -m venv /tmp/pyspy && /tmp/pyspy/bin/pip install py-spy

Example:
  .venv/bin/python bench/profile_jobs.py --profile small --py-spy /tmp/pyspy/bin/py-spy
  .venv/bin/python bench/profile_jobs.py --profile large --threads
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_rev import CODE_ENV, reexec_for_rev  # noqa: E402

reexec_for_rev(__file__)  # --rev REV: before bareoslab is imported

from bench_cpu import ThreadStates  # noqa: E402
from bench_data import DEFAULT_GENERATOR, BenchError, Trash, check_space, ensure_dataset, run_need  # noqa: E402
from bench_lab import TINY_FILESET, BenchLab  # noqa: E402
from bench_limits import check_restore, warm_cache  # noqa: E402

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
_SITE = re.compile(r".*/(?:site-packages|lib/python3\.\d+)/")


def short(path: str) -> str:
    """``.../daemons/bareoslab/filed/x.py`` -> ``bareoslab/filed/x.py``; stdlib as ``asyncio/x.py``."""
    i = path.find("bareoslab/")
    if i >= 0:
        return path[i:]
    return _SITE.sub("", path)


def parse_raw(path: Path) -> list[tuple[list[tuple[str, str, str]], int]]:
    """py-spy ``--format raw``: ``frame;frame;... count`` per line, root first."""
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = []
        for part in stack.split(";"):
            m = _FRAME.match(part)
            if m:
                frames.append((m.group("func"), short(m.group("file")), m.group("line") or ""))
        if frames:
            stacks.append((frames, int(count)))
    return stacks


def summarize(stacks: list[tuple[list[tuple[str, str, str]], int]], top: int) -> str:
    total = sum(c for _, c in stacks)
    if not total:
        return "    (no samples: the daemon was idle)"
    self_line: collections.Counter[str] = collections.Counter()
    self_func: collections.Counter[str] = collections.Counter()
    cumulative: collections.Counter[str] = collections.Counter()
    for frames, count in stacks:
        func, file, line = frames[-1]
        self_line[f"{func} ({file}:{line})"] += count
        self_func[f"{func} ({file})"] += count
        seen = set()
        for f, fl, _ in frames:
            key = f"{f} ({fl})"
            if key not in seen:
                seen.add(key)
                cumulative[key] += count
    out = [f"    {total} samples"]
    out.append("    self, by function:")
    out += [f"      {c / total * 100:5.1f} %  {k}" for k, c in self_func.most_common(top)]
    out.append("    self, by line:")
    out += [f"      {c / total * 100:5.1f} %  {k}" for k, c in self_line.most_common(top)]
    out.append("    total (anywhere in the stack):")
    out += [
        f"      {c / total * 100:5.1f} %  {k}"
        for k, c in cumulative.most_common(top + 8)
        if not k.startswith(
            (
                "<module>",
                "_run_module",
                "run (asyncio",
                "run_forever",
                "run_until_complete",
                "_run_once",
                "_run (asyncio",
                "main (",
                "run_daemon",
                "_serve_until_signal",
            )
        )
    ][:top]
    return "\n".join(out)


def record(
    py_spy: str, pids: dict[str, int], out: Path, rate: int
) -> dict[str, subprocess.Popen[bytes]]:
    procs = {}
    for kind, pid in pids.items():
        procs[kind] = subprocess.Popen(
            [
                py_spy,
                "record",
                "--pid",
                str(pid),
                "--rate",
                str(rate),
                "--format",
                "raw",
                "--nonblocking",
                "--output",
                str(out / f"{kind}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    time.sleep(1.0)  # let py-spy attach before the job starts
    return procs


def stop_recording(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    for p in procs.values():
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
    for kind, p in procs.items():
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        if p.returncode not in (0, -signal.SIGINT, 130) and p.stderr is not None:
            print(
                f"  py-spy for {kind} ended with {p.returncode}: {p.stderr.read().decode(errors='replace')[-300:]}"
            )


def stack_report(job_out: Path, top: int) -> list[str]:
    """The summary of each daemon's py-spy samples recorded into ``job_out``."""
    lines = []
    for kind in ("fd", "sd", "dir"):
        raw = job_out / f"{kind}.txt"
        lines.append(f"  {kind}:")
        lines.append(summarize(parse_raw(raw), top) if raw.exists() else "    (no output)")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--profile", default="small", help="data set profile (default small)")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--work", type=Path, default=Path("/tmp/bareoslab-bench"))
    p.add_argument(
        "--out", type=Path, help="where the raw stacks go (default WORK/profiles/<time>)"
    )
    p.add_argument("--py-spy", default=shutil.which("py-spy") or "/tmp/pyspy/bin/py-spy")
    p.add_argument("--rate", type=int, default=250, help="samples per second (default 250)")
    p.add_argument("--threads", action="store_true",
                   help="each thread's CPU and run state instead of py-spy's stacks")
    p.add_argument("--top", type=int, default=15)
    p.add_argument("--generator", type=Path, default=DEFAULT_GENERATOR)
    p.add_argument(
        "--rev", help="profile the daemons of this git revision (see run_bench.py --rev)"
    )
    args = p.parse_args(argv)
    import os

    import bareoslab

    print(
        f"daemons: {Path(bareoslab.__file__).parent} ({os.environ.get(CODE_ENV, 'working tree')})"
    )
    if not args.threads and not Path(args.py_spy).exists() and shutil.which(args.py_spy) is None:
        print(f"py-spy not found ({args.py_spy}); see --help", file=sys.stderr)
        return 2
    work = args.work.resolve()
    out = args.out or work / "profiles" / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    try:
        ds = ensure_dataset(work, args.profile, args.scale, args.seed, args.generator)
        check_space(work, run_need(ds.alloc_bytes, ds.bytes), f"profiling {ds.label}")
        warm_cache(ds)
        tiny = work / "tiny" / "one-file.txt"
        tiny.parent.mkdir(parents=True, exist_ok=True)
        tiny.write_bytes(b"bareoslab per-job overhead probe\n" * 32)
        base = work / "labs" / f"profile-{ds.profile}"
        trash = Trash(work)
        trash.empty(base)
        trash.settle()
        lab = BenchLab(base, ds.root, tiny)
        try:
            lab.start()
            lab.backup(fileset=TINY_FILESET, timeout=120)
            reports = []
            backup_jobid = 0
            for name in ("backup", "restore"):
                job_out = out / f"{ds.profile}-{name}"
                job_out.mkdir(exist_ok=True)
                states = ThreadStates(lab.pids).start() if args.threads else None
                procs = {} if states else record(args.py_spy, lab.pids, job_out, args.rate)
                try:
                    if name == "backup":
                        res = lab.backup(timeout=3600)
                        backup_jobid = res.jobid
                    else:
                        res = lab.restore(backup_jobid, base / "restores" / "full", timeout=3600)
                finally:
                    stop_recording(procs)
                    if states:
                        states.stop()
                mb_s = ds.bytes / 1e6 / res.seconds
                head = (
                    f"{ds.profile} {name} (JobId {res.jobid}, status {res.status}): {res.seconds:.2f} s "
                    f"end to end, {mb_s:,.1f} MB/s, {ds.files / res.seconds:,.0f} files/s "
                    + ("(threads sampled)" if states else "(under py-spy)")
                )
                print(head, flush=True)
                text = [head] + (states.report() if states else stack_report(job_out, args.top))
                reports.append("\n".join(text))
                print("\n".join(text[1:]), flush=True)
            lab.close()
            check = check_restore(ds, base / "restores" / "full")
            print(f"restore check: {check.summary()}")
            (out / "summary.txt").write_text(
                "\n\n".join(reports) + f"\n\nrestore check: {check.summary()}\n"
            )
            print(f"{'summary' if args.threads else 'raw stacks and summary'} in {out}")
        finally:
            lab.close()
            trash.empty(base)
    except BenchError as exc:
        print(f"profiling stopped: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
