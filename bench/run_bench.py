#!/usr/bin/env python3
"""End-to-end backup and restore throughput of bareoslab against the physical limits.

For each profile of ``make_dataset.py`` (``large``: 4 files, 2 GiB; ``small``: 50,000
files of 1..16 KiB) and each run, on a warm page cache:

1. the limits on the same data: ``md5sum`` over the files (one core, the File Daemon's
   ceiling with Signature = MD5), ``tar -cf - DIR | cat > /dev/null`` (read rate) and,
   right before the restore, ``tar -c | tar -x`` into a new directory (create and write);
2. a fresh local lab (Director, Storage Daemon, File Daemon as processes, SQLite catalog);
3. the per-job overhead: backups and restores of a 1-file FileSet, end to end;
4. a Full backup and a restore of the data set, timed from sending the console
   command to the return of ``wait jobid=N``, beside the Director's Elapsed/Rate, with
   the CPU seconds of each daemon and of the other processes on the machine;
5. the daemons' peak RSS (VmHWM), a byte-for-byte check of the restore, then the lab
   (catalog, volumes) is deleted; restores of many files wait in WORK/trash until the end.

Medians over the runs are printed as tables with the ratios to the limits and the
project's targets; ``--json`` writes everything, run by run. See bench/README.md.

Run with the project's venv:
  .venv/bin/python bench/run_bench.py --profiles large,small --runs 3 --rev HEAD
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import hashlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_rev import CODE_ENV, DEFAULT_WORK, REPO, reexec_for_rev  # noqa: E402

reexec_for_rev(__file__)  # --rev REV: before bareoslab is imported

from bench_cpu import CpuWindow, others_cpu_share  # noqa: E402
from bench_data import (  # noqa: E402
    DEFAULT_GENERATOR,
    BenchError,
    Dataset,
    GiB,
    Trash,
    check_space,
    dataset_key,
    ensure_dataset,
    estimate_bytes,
    free_bytes,
    run_need,
)
from bench_lab import TINY_FILESET, BenchLab, JobResult  # noqa: E402
from bench_limits import check_restore, md5sum_rate, tar_extract_rate, tar_rate, warm_cache  # noqa: E402
from bench_report import Style, median, render, summarize_profile  # noqa: E402


class Progress:
    """One line per step on stderr: wall clock, elapsed, where we are; a heartbeat during long waits."""

    def __init__(self, stream: Any = sys.stderr) -> None:
        self.stream = stream
        self.t0 = time.monotonic()
        self.where = ""
        self.tty = bool(getattr(stream, "isatty", lambda: False)())

    def say(self, text: str) -> None:
        elapsed = time.monotonic() - self.t0
        stamp = f"{time.strftime('%H:%M:%S')} +{int(elapsed) // 60:02d}:{int(elapsed) % 60:02d}"
        where = f" [{self.where}]" if self.where else ""
        self.stream.write(f"{stamp}{where} {text}\n")
        self.stream.flush()

    def waiting(self, what: str, every: float = 30.0) -> _Heartbeat:
        return _Heartbeat(self, what, every)


class _Heartbeat:
    def __init__(self, progress: Progress, what: str, every: float) -> None:
        self.progress, self.what, self.every = progress, what, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.t0 = time.monotonic()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.progress.say(f"  ... {self.what}: {time.monotonic() - self.t0:.0f} s")

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def machine_info(work: Path) -> dict[str, Any]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GiB
    except (ValueError, OSError):
        mem = 0.0
    fs = subprocess.run(
        ["stat", "-f", "-c", "%T", str(work)], capture_output=True, text=True
    ).stdout.strip()
    with contextlib.suppress(
        OSError
    ):  # the mount holding WORK: type and options say more than the magic
        best = ""
        for line in Path("/proc/mounts").read_text().splitlines():
            dev, mnt, fstype, opts = (line.split() + ["", "", "", ""])[:4]
            if (str(work) + "/").startswith(mnt.rstrip("/") + "/") and len(mnt) >= len(best):
                best, fs = mnt, f"{fstype} on {mnt} ({opts})"
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "mem_gib": mem,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "fs_type": fs or "?",
        "kernel_tls": kernel_tls(),
        "free_page_reporting": free_page_reporting(),
        "git": git_state(),
    }


TCP_ULP = getattr(socket, "TCP_ULP", 31)  # Linux's number; Python 3.11's socket module has no name for it
BALLOON_F_REPORTING = 5  # virtio-balloon feature bit: free page reporting


def kernel_tls() -> bool | None:
    """Whether the kernel offers TLS offload, the ``tls`` upper-layer protocol OpenSSL's kTLS
    needs: without it OpenSSL encrypts and decrypts every record in user space, on the
    daemons' CPU. Probed on a loopback connection (which also loads the module where it is
    one); None when the probe itself fails."""
    try:
        with (
            socket.create_server(("127.0.0.1", 0)) as server,
            socket.create_connection(server.getsockname()[:2]) as client,
        ):
            client.setsockopt(socket.IPPROTO_TCP, TCP_ULP, b"tls")
    except OSError as exc:
        return False if exc.errno == errno.ENOENT else None
    return True


def free_page_reporting() -> bool:
    """Whether a virtio balloon reports the guest's free pages to the host, which takes them
    back: the first write to such a page then costs several times the copy (writing 2 GiB into
    /dev/shm on the lab machine: 0.5-0.7 GB/s into pages freed seconds before, 1.9-2.9 GB/s into
    pages freed at once), so a job that takes more memory than the last one pays more per byte."""
    for device in Path("/sys/bus/virtio/drivers/virtio_balloon").glob("virtio*"):
        with contextlib.suppress(OSError):
            features = (device / "features").read_text().strip()
            if features[BALLOON_F_REPORTING : BALLOON_F_REPORTING + 1] == "1":
                return True
    return False


def git_state() -> str:
    """``<commit>`` or ``<commit>-dirty+<hash of the diff>``: tells whether two runs ran the same code."""
    if os.environ.get(CODE_ENV):
        return os.environ[CODE_ENV].split(":", 1)[0][:10] + " (--rev)"

    def git(*cmd: str) -> str:
        return subprocess.run(
            ["git", "-C", str(REPO), *cmd], capture_output=True, text=True
        ).stdout.strip()

    commit = git("rev-parse", "--short=10", "HEAD") or "?"
    diff = subprocess.run(
        ["git", "-C", str(REPO), "diff", "HEAD", "--", "daemons"], capture_output=True
    ).stdout
    untracked = git("ls-files", "--others", "--exclude-standard", "daemons")
    if not diff and not untracked:
        return commit
    h = hashlib.sha1(diff + untracked.encode())
    for name in sorted(untracked.splitlines()):
        with contextlib.suppress(OSError):
            h.update((REPO / name).read_bytes())
    return f"{commit}-dirty+{h.hexdigest()[:8]}"


def wait_until_quiet(progress: Progress, limit: float, share: float = 0.10) -> float | None:
    """Wait up to ``limit`` seconds until other processes use less than ``share`` of a core.

    Returns the last share measured. Other sessions' test suites on the same 2 cores
    would otherwise halve the figures; the jobs' "other processes" column shows what remained.
    """
    deadline = time.monotonic() + limit
    last = others_cpu_share()
    said = False
    while last is not None and last > share and time.monotonic() < deadline:
        if not said:
            progress.say(
                f"other processes use {last * 100:.0f} % of a core; waiting up to {limit:.0f} s "
                f"for a quiet machine (--quiet-wait) ..."
            )
            said = True
        time.sleep(3)
        last = others_cpu_share()
    if said:
        progress.say(
            f"  other processes now at {last * 100:.0f} % of a core"
            if last is not None
            else "  cannot read /proc/stat"
        )
    return last


def _rate(value: float) -> str:
    return f"{value:,.{2 if value < 10 else 1 if value < 100 else 0}f}"


def timed_job(progress: Progress, what: str, fn: Any, *args: Any, **kwargs: Any) -> JobResult:
    progress.say(f"{what} ...")
    with progress.waiting(what):
        result: JobResult = fn(*args, **kwargs)
    if not result.ok:
        raise BenchError(
            f"{what}: JobId {result.jobid} ended with JobStatus {result.status} "
            f"({result.report.get('Termination', 'no report')})"
        )
    return result


def one_run(
    args: argparse.Namespace,
    ds: Dataset,
    run: int,
    progress: Progress,
    tiny: Path,
    trash: Trash,
) -> dict[str, Any]:
    """One run of one profile; returns its record (``valid`` when its figures count)."""
    rec: dict[str, Any] = {
        "run": run,
        "valid": False,
        "error": None,
        "git": git_state(),
        "started": time.strftime("%H:%M:%S"),
    }
    base = args.work / "labs" / f"{ds.profile}-run{run}"
    many = ds.files > 1000  # trees of many files go to the trash, not away (see Trash)
    if base.exists():
        shutil.rmtree(base)
    check_space(
        args.work, run_need(ds.alloc_bytes, ds.bytes) + ds.alloc_bytes, f"one run of {ds.label}"
    )
    job_timeout = args.job_timeout or (600 + ds.bytes / 1e6 + ds.files * 0.02)

    progress.say("warming the page cache (tar | cat, not measured), sync ...")
    rec["warm_seconds"] = round(warm_cache(ds), 3)
    subprocess.run(["sync"], check=False)
    contention: dict[str, float | None] = {}

    def measured(name: str, fn: Any, *a: Any) -> Any:
        window = CpuWindow()
        value = fn(*a)
        contention[name] = window.stop().other_share
        return value

    progress.say("limit: md5sum over the files ...")
    md5 = measured("md5sum", md5sum_rate, ds)
    progress.say(
        f"  md5sum: {md5.seconds:.2f} s, {md5.mb_s:,.1f} MB/s, {_rate(md5.files_s)} files/s"
    )
    progress.say("limit: tar -cf - | cat > /dev/null ...")
    tar = measured("tar|cat", tar_rate, ds)
    progress.say(
        f"  tar|cat: {tar.seconds:.2f} s, {tar.mb_s:,.1f} MB/s, {_rate(tar.files_s)} files/s"
    )
    rec["limits"] = {"md5sum": md5.as_dict(), "tar": tar.as_dict()}

    lab = BenchLab(base, ds.root, tiny, catalog=args.catalog, trace=args.trace)
    failed = False
    where = base / "restores" / "full"
    try:
        progress.say(f"starting the daemons in {base} ...")
        lab.start()
        progress.say(f"  pids: {', '.join(f'{k}={v}' for k, v in lab.pids.items())}")
        ov: dict[str, list[float]] = {"backup": [], "restore": []}
        for k in range(1, args.overhead_jobs + 1):
            b = lab.backup(fileset=TINY_FILESET, timeout=120)
            if not b.ok:
                raise BenchError(
                    f"overhead backup {k}: JobId {b.jobid} ended with JobStatus {b.status}"
                )
            r = lab.restore(b.jobid, base / "restores" / f"tiny-{k}", timeout=120)
            if not r.ok:
                raise BenchError(
                    f"overhead restore {k}: JobId {r.jobid} ended with JobStatus {r.status}"
                )
            restored = base / "restores" / f"tiny-{k}" / tiny.relative_to(tiny.anchor)
            if not restored.is_file() or restored.read_bytes() != tiny.read_bytes():
                raise BenchError(
                    f"overhead restore {k}: {restored} is missing or differs from {tiny}"
                )
            ov["backup"].append(b.seconds)
            ov["restore"].append(r.seconds)
        progress.say(
            f"per-job overhead (1 file): backup {', '.join(f'{s:.3f}' for s in ov['backup'])} s; "
            f"restore {', '.join(f'{s:.3f}' for s in ov['restore'])} s"
        )
        rec["overhead"] = {k: [round(s, 4) for s in v] for k, v in ov.items()}

        backup = timed_job(
            progress,
            f"backup of {ds.files:,} files, {ds.bytes / 1e6:,.0f} MB",
            lab.backup,
            timeout=job_timeout,
        )
        rec["backup"] = backup.as_dict()
        rec["rss_kib"] = {"after_backup": lab.peak_rss_kib()}
        progress.say(
            f"  backup JobId {backup.jobid}: {backup.seconds:.2f} s end to end, "
            f"{ds.bytes / 1e6 / backup.seconds:,.1f} MB/s, {_rate(ds.files / backup.seconds)} files/s "
            f"(x{md5.seconds / backup.seconds:.3f} of md5sum); Director: "
            f"{backup.report.get('Elapsed time', '?')}, {backup.report.get('Rate', '?')}"
        )

        progress.say(
            "limit: tar -c | tar -x (creating the files, right before the restore), sync before and after ..."
        )
        subprocess.run(
            ["sync"], check=False
        )  # the volume's dirty pages: the restore does not pay for them
        tarx_dir = base / "tar-x"
        tarx = measured("tar -x", tar_extract_rate, ds, tarx_dir)
        if many:
            trash.put(tarx_dir)
        else:
            shutil.rmtree(tarx_dir)
        subprocess.run(["sync"], check=False)
        rec["limits"]["tar_x"] = tarx.as_dict()
        progress.say(
            f"  tar -x: {tarx.seconds:.2f} s, {tarx.mb_s:,.1f} MB/s, {_rate(tarx.files_s)} files/s"
        )

        restore = timed_job(
            progress,
            f"restore of JobId {backup.jobid}",
            lab.restore,
            backup.jobid,
            where,
            timeout=job_timeout,
        )
        rec["restore"] = restore.as_dict()
        rec["rss_kib"]["after_restore"] = lab.peak_rss_kib()
        progress.say(
            f"  restore JobId {restore.jobid}: {restore.seconds:.2f} s end to end, "
            f"{ds.bytes / 1e6 / restore.seconds:,.1f} MB/s, {_rate(ds.files / restore.seconds)} files/s "
            f"(x{tarx.seconds / restore.seconds:.3f} of tar -x); Director: "
            f"{restore.report.get('Elapsed time', '?')}, {restore.report.get('Rate', '?')}"
        )
        rss = rec["rss_kib"]["after_restore"]
        progress.say(
            "  peak RSS (VmHWM): "
            + ", ".join(f"{k} {v / 1024:.1f} MiB" if v else f"{k} ?" for k, v in rss.items())
        )
        lab.close()

        progress.say("checking the restore against the data set (md5sum, size, mode, mtime) ...")
        check = check_restore(ds, where)
        rec["verify"] = check.as_dict()
        progress.say(f"  {check.summary()} ({check.seconds:.1f} s)")
        if not check.identical:
            raise BenchError(f"the restore is not byte-identical: {check.summary()}")
        rec["valid"] = True
        for name, job in (("backup", backup), ("restore", restore)):
            contention[name] = job.other_share
        rec["contention"] = {k: None if v is None else round(v, 3) for k, v in contention.items()}
        known = {k: v for k, v in contention.items() if v is not None}
        if known:
            worst = max(known, key=lambda k: known[k])
            rec["contention_max_share"], rec["contention_where"] = known[worst], worst
            if known[worst] > args.contention:
                progress.say(
                    f"  contention: other processes used {known[worst] * 100:.0f} % of a core during {worst}"
                )
    except BenchError as exc:
        failed = True
        rec["error"] = str(exc)
        progress.say(f"RUN FAILED: {exc}")
    except BaseException:
        failed = True
        raise
    finally:
        lab.close()
        if failed:
            keep = args.work / "failed" / f"{ds.profile}-run{run}-{time.strftime('%Y%m%d-%H%M%S')}"
            keep.mkdir(parents=True, exist_ok=True)
            for f in lab.log_files():
                shutil.copy2(f, keep / f"{f.parent.name}-{f.name}")
            (keep / "console-messages.txt").write_text("".join(lab.messages))
            rec["logs"] = str(keep)
            progress.say(f"  daemon logs and console messages kept in {keep}")
        if not args.keep_lab:
            if many:
                trash.put(where)
            shutil.rmtree(base, ignore_errors=True)
    return rec


EXTRAS = ("copy", "scale", "queue", "tls")
QUEUE_JOBS = 200


def run_extras(args: argparse.Namespace, extras: list[str], progress: Progress, trash: Trash) -> dict[str, Any]:
    """The benches beside the profiles' whose figures the issue's targets name too."""
    import concurrency_bench
    import copy_bench
    import scale_bench
    import tls_bench

    unknown = sorted(set(extras) - set(EXTRAS))
    if unknown:
        raise BenchError(f"unknown --extras {', '.join(unknown)} (known: {', '.join(EXTRAS)})")
    out: dict[str, Any] = {}
    if "copy" in extras:
        progress.where = "remote copy"
        out["copy"] = copy_bench.measure(args.work, "large", args.scale, args.seed, args.runs, say=progress.say)
    if "scale" in extras:
        progress.where = "scale"
        scales = [args.scale * k for k in (1, 2, 4)]
        drivers, why_not = scale_bench.available_drivers()
        if why_not:
            progress.say(f"scale: SQLite only ({why_not})")
        out["scale"] = {"scales": scales, "catalogs": scale_bench.measure(
            args.work, "small", scales, drivers, args.seed, args.runs, Path("/dev/shm"), say=progress.say)}
    if "queue" in extras:
        progress.where = "queued jobs"
        out["queue"] = concurrency_bench.queued_job_memory(args.work, args.runs, QUEUE_JOBS)
    if "tls" in extras:
        progress.where = "TLS off and on"
        out["tls"] = tls_bench.measure(args.work, ["large", "small"], args.scale, args.seed, args.runs,
                                       trash, say=progress.say)
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--profiles",
        default="large,small",
        help="comma-separated make_dataset.py profiles (default: large,small)",
    )
    p.add_argument(
        "--runs", type=int, default=3, help="runs per profile; medians are reported (default 3)"
    )
    p.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="make_dataset.py --scale (default 1.0; 0.05 for a quick check)",
    )
    p.add_argument("--seed", type=int, default=1, help="make_dataset.py --seed (default 1)")
    p.add_argument(
        "--work",
        type=Path,
        default=DEFAULT_WORK,
        help=f"work directory; data sets are cached in "
        f"WORK/datasets by profile, scale and seed (default {DEFAULT_WORK})",
    )
    p.add_argument(
        "--catalog",
        default="sqlite3",
        choices=("sqlite3", "postgresql"),
        help="catalog driver (default sqlite3; postgresql is not supported by the benchmark yet)",
    )
    p.add_argument(
        "--json", type=Path, metavar="OUT", help="also write all results, run by run, to OUT"
    )
    p.add_argument(
        "--overhead-jobs",
        type=int,
        default=3,
        help="1-file backups and restores per run to measure the per-job overhead (default 3)",
    )
    p.add_argument(
        "--job-timeout",
        type=float,
        default=0,
        help="seconds a job may take before the run is "
        "abandoned (default: 600 s + 1 s per MB + 0.02 s per file)",
    )
    p.add_argument(
        "--generator",
        type=Path,
        default=DEFAULT_GENERATOR,
        help=f"the data set generator (default {DEFAULT_GENERATOR})",
    )
    p.add_argument(
        "--trace",
        action="store_true",
        help="let the daemons write protocol traces (slower; off by default)",
    )
    p.add_argument(
        "--extras",
        default="",
        help="comma-separated benches to run after the profiles and judge in the same table: "
        "copy (remote copy of `large`, copy_bench.py), scale (`small` at 1, 2 and 4 times --scale "
        "on SQLite and PostgreSQL, scale_bench.py), queue (the Director's memory per queued job, "
        "200 queued), tls (`large` and `small` with TLS off and TLS-PSK, tls_bench.py); `make bench` "
        "runs all four",
    )
    p.add_argument(
        "--rev",
        help="benchmark the daemons of this git revision (e.g. HEAD), exported to "
        "WORK/code/, instead of the working tree, which others may be editing",
    )
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=300,
        metavar="S",
        help="before each run, wait up to S seconds until other processes use < 10 %% of a core "
        "(default 300; 0: do not wait). Contention is reported per job either way",
    )
    p.add_argument(
        "--contention",
        type=float,
        default=0.10,
        metavar="SHARE",
        help="a run during which other processes used more than SHARE of a core in a measurement "
        "(limits or jobs) is run again (default 0.10)",
    )
    p.add_argument(
        "--contention-retries",
        type=int,
        default=2,
        metavar="N",
        help="how often a contended run is repeated before it is kept anyway (default 2)",
    )
    p.add_argument(
        "--keep-lab",
        action="store_true",
        help="do not delete the lab (volumes, restores, catalog) "
        "after each run (debugging; needs the disk space)",
    )
    args = p.parse_args(argv)
    args.profiles = [x.strip() for x in args.profiles.split(",") if x.strip()]
    if not args.profiles:
        p.error("--profiles is empty")
    if args.runs < 1:
        p.error("--runs must be >= 1")
    if args.scale <= 0:
        p.error("--scale must be > 0")
    if args.overhead_jobs < 1:
        p.error("--overhead-jobs must be >= 1")
    args.work = args.work.resolve()
    return args


def preflight(args: argparse.Namespace) -> None:
    if args.catalog != "sqlite3":
        raise BenchError(
            "--catalog postgresql: not supported by the benchmark yet (it needs a server and a "
            "fresh database per run); use --catalog sqlite3"
        )
    for tool in ("md5sum", "tar", "find", "xargs", "cat", "bash"):
        if shutil.which(tool) is None:
            raise BenchError(f"{tool} not found on PATH")
    # the data sets still to make, the trees kept in the trash until the end, and the biggest run
    to_make, trashed, per_run = 0, 0, 0
    for profile in args.profiles:
        apparent, alloc = estimate_bytes(profile, args.scale)
        if not (
            args.work / "datasets" / dataset_key(profile, args.scale, args.seed) / "dataset.json"
        ).exists():
            to_make += alloc
        need = run_need(alloc, apparent) + alloc  # volume, restore, the tar -x copy
        if profile != "large":  # many files: the restore and the tar -x copy wait in the trash
            trashed += 2 * alloc * args.runs
        per_run = max(per_run, need * (args.runs if args.keep_lab else 1))
    check_space(
        args.work,
        to_make + trashed + per_run,
        f"{', '.join(args.profiles)} at scale {args.scale:g} "
        f"({to_make / GiB:.1f} GiB of new data sets, {trashed / GiB:.1f} GiB of restores kept until "
        f"the end, {per_run / GiB:.1f} GiB for a run)",
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _sigterm)
    progress = Progress()
    args.work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "meta": {
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "argv": sys.argv,
            "scale": args.scale,
            "seed": args.seed,
            "runs": args.runs,
            "catalog": args.catalog,
            "work": str(args.work),
            "warm_cache": True,
            "trace": args.trace,
            "overhead_jobs": args.overhead_jobs,
            **machine_info(args.work),
        },
        "profiles": {},
    }
    trash = Trash(args.work, progress.say)
    try:
        trash.empty(args.work / "labs")  # left over by an interrupted benchmark
        preflight(args)
        progress.say(f"work directory {args.work}: {free_bytes(args.work) / GiB:.1f} GiB free")
        import bareoslab

        results["meta"]["daemons"] = str(Path(bareoslab.__file__).parent)
        progress.say(f"daemons: {results['meta']['daemons']} ({results['meta']['git']})")
        tiny = args.work / "tiny" / "one-file.txt"
        tiny.parent.mkdir(parents=True, exist_ok=True)
        tiny.write_bytes(b"bareoslab per-job overhead probe\n" * 32)
        datasets = {}
        for profile in args.profiles:
            progress.where = profile
            datasets[profile] = ensure_dataset(
                args.work, profile, args.scale, args.seed, args.generator, say=progress.say
            )
        for profile in args.profiles:
            ds = datasets[profile]
            prof: dict[str, Any] = {
                "dataset": {
                    "key": ds.label,
                    "root": str(ds.root),
                    "files": ds.files,
                    "dirs": ds.dirs,
                    "bytes": ds.bytes,
                    "alloc_bytes": ds.alloc_bytes,
                    "summary": ds.summary,
                },
                "runs": [],
            }
            results["profiles"][profile] = prof
            for run in range(1, args.runs + 1):
                progress.where = f"{profile} run {run}/{args.runs}"
                trash.settle()
                quiet = wait_until_quiet(progress, args.quiet_wait) if args.quiet_wait > 0 else None
                for attempt in range(args.contention_retries + 1):
                    if attempt:
                        trash.settle()
                        quiet = (
                            wait_until_quiet(progress, args.quiet_wait)
                            if args.quiet_wait > 0
                            else None
                        )
                    rec = one_run(args, ds, run, progress, tiny, trash)
                    rec["others_cpu_share_before"] = quiet
                    worst = rec.get("contention_max_share") or 0.0
                    if (
                        not rec["valid"]
                        or worst <= args.contention
                        or attempt == args.contention_retries
                    ):
                        break
                    rec["discarded"] = (
                        f"other processes used {worst * 100:.0f} % of a core during {rec['contention_where']}"
                    )
                    prof.setdefault("discarded", []).append(rec)
                    progress.say(f"run discarded ({rec['discarded']}); running it again")
                prof["runs"].append(rec)
            prof["summary"] = summarize_profile(prof)
        extras = [e for e in args.extras.split(",") if e]
        if extras:
            trash.settle()
            results["extras"] = run_extras(args, extras, progress, trash)
        progress.where = ""
    except BenchError as exc:
        progress.say(f"benchmark stopped: {exc}")
        results["error"] = str(exc)
    except KeyboardInterrupt as exc:
        progress.say(
            f"interrupted ({exc or 'Ctrl-C'}); the daemons of the current run were stopped"
        )
        results["error"] = f"interrupted: {exc}"
    except Exception as exc:  # report what we have, then fail
        traceback.print_exc()
        results["error"] = f"internal error: {exc!r}"
    finally:
        progress.where = ""
        if not args.keep_lab:
            progress.say("deleting the restores kept during the benchmark ...")
            trash.empty(args.work / "labs")

    overhead: dict[str, list[float]] = {"backup": [], "restore": []}
    for prof in results["profiles"].values():
        prof.setdefault("summary", summarize_profile(prof))
        for r in prof["runs"]:
            if r.get("valid"):
                for job in ("backup", "restore"):
                    overhead[job] += r.get("overhead", {}).get(job, [])
    n = len(overhead["backup"])
    results["overhead"] = {
        "jobs": n,
        **{
            f"{job}_{stat}_s": fn(overhead[job]) if overhead[job] else None
            for job in ("backup", "restore")
            for stat, fn in (("median", median), ("min", min), ("max", max))
        },
        "backup_all_s": [round(x, 4) for x in overhead["backup"]],
        "restore_all_s": [round(x, 4) for x in overhead["restore"]],
    }
    results["meta"]["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    states = sorted(
        {r["git"] for p in results["profiles"].values() for r in p["runs"]}
        | {results["meta"]["git"]}
    )
    results["meta"]["git_states"] = states
    if len(states) > 1:
        progress.say(
            f"WARNING: the daemons' code changed during the benchmark ({', '.join(states)}); "
            f"the runs did not all measure the same code"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
        progress.say(f"results written to {args.json}")
    if any(p["runs"] for p in results["profiles"].values()):
        print()
        print(render(results, Style(sys.stdout)))
    if results.get("error"):
        print(f"\nbenchmark incomplete: {results['error']}")
        return 2
    invalid = sum(1 for p in results["profiles"].values() for r in p["runs"] if not r.get("valid"))
    if invalid:
        print(f"\n{invalid} run(s) failed (see above); their figures are left out of the medians")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
