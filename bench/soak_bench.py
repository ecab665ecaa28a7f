#!/usr/bin/env python3
"""Soak: backups back to back for ``--minutes`` while one daemon at a time is killed.

A fresh loopback lab (SQLite catalog) backs up a small data set again and again. A killer
thread sends ``SIGKILL`` to the Director, the Storage or the File daemon (chosen at random,
every ``--kill-every`` seconds on average) and starts it again at once. At the end:

* jobs run, and how they ended;
* jobs failed by a kill: not ``T``, and a daemon was killed while they ran;
* jobs wrongly failed: not ``T`` with no kill while they ran (must be 0);
* jobs hung: still running ``--job-timeout`` seconds after they were queued (must be 0);
* bytes lost: of the jobs that ended ``T``, the bytes of those whose restore is not
  byte-identical to the data, and of volumes shorter on disk than the catalog says (must be 0);
  every ``T`` job within 1 s of a kill is restored, and ``--sample`` others;
* each daemon's resident set (``VmRSS``) at the start and at the end of its longest life.

    .venv/bin/python bench/soak_bench.py --minutes 10 --kill-every 20
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import random
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bareoslab.lab.local import processes  # noqa: E402
from bareoslab.lab.local.render import port_of, started_here  # noqa: E402
from bench_data import BenchError  # noqa: E402
from bench_lab import BenchLab, parse_table, read_status_kib  # noqa: E402
from bench_rev import DEFAULT_WORK  # noqa: E402

NEAR_KILL = 1.0  # seconds: a T job this close to a kill is always restored and compared


@dataclass
class Life:
    """One run of a daemon: its pid, resident set when first and last seen (KiB)."""

    pid: int
    started: float
    first_kib: int | None = None
    last_kib: int | None = None
    ended: float | None = None


@dataclass
class Soak:
    lab: BenchLab
    rng: random.Random
    kill_every: float
    kills: list[tuple[float, str]] = field(default_factory=list)  # (monotonic time, daemon)
    lives: dict[str, list[Life]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sample_rss(self) -> None:
        with self.lock:
            for lives in self.lives.values():
                kib = read_status_kib(lives[-1].pid, "VmRSS")
                if kib is not None:
                    lives[-1].first_kib = lives[-1].first_kib or kib
                    lives[-1].last_kib = kib

    def killer(self) -> None:
        t = self.lab.topology
        hosts = started_here(t)
        while not self.stop.wait(min(self.rng.expovariate(1 / self.kill_every), 4 * self.kill_every)):
            kind = self.rng.choice(sorted(hosts))
            self.sample_rss()
            with self.lock:
                life = self.lives[kind][-1]
                try:
                    os.kill(life.pid, signal.SIGKILL)  # a daemon this bench started
                except ProcessLookupError:
                    pass
                life.ended = time.monotonic()
                self.kills.append((life.ended, kind))
            _reap(life.pid)
            proc = processes.launch(t, kind, hosts[kind], port_of(t, kind), trace=False)
            pid = proc.pid()
            if pid is None:
                raise BenchError(f"bareoslab-{kind} did not come back; see {proc.log_file}")
            with self.lock:
                self.lives[kind].append(Life(pid, time.monotonic()))


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass  # started by processes.launch in its own session: not our child


def command(lab: BenchLab, line: str, timeout: float = 60) -> str:
    """A console command, reconnecting while the Director comes back (bounded)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            if lab.console is None:
                from bareoslab.console.client import Console
                from bareoslab.net.auth import password_key
                t = lab.topology
                lab.console = Console.open(t.host, t.dir_port, password_key(t.console_password))
            return lab._command(line, timeout=timeout)
        except (BenchError, OSError) as exc:
            if lab.console is not None:
                try:
                    lab.console.close()
                except Exception:  # the Director is gone: nothing to close cleanly
                    pass
            lab.console = None
            if time.monotonic() > deadline:
                raise BenchError(f"the Director did not answer {line!r} for 60 s: {exc}") from exc
            time.sleep(0.5)


def run_soak(base: Path, data: Path, tiny: Path, minutes: float, kill_every: float, seed: int,
             job_timeout: float, sample: int) -> dict[str, Any]:
    shutil.rmtree(base, ignore_errors=True)
    rng = random.Random(seed)
    windows: dict[int, tuple[float, float]] = {}  # JobId -> (queued, seen finished)
    hung: list[int] = []
    with BenchLab(base, data, tiny) as lab:
        soak = Soak(lab, rng, kill_every)
        soak.lives = {kind: [Life(pid, time.monotonic())] for kind, pid in lab.pids.items()}
        killer = threading.Thread(target=soak.killer, name="killer", daemon=True)
        end = time.monotonic() + minutes * 60
        shown = 0.0
        killer.start()
        try:
            while time.monotonic() < end:
                queued = time.monotonic()
                reply = command(lab, "run job=backup level=Full yes")
                if "JobId=" not in reply:
                    continue  # refused while a daemon was down: asked again
                jobid = int(reply.split("JobId=")[1].split()[0])
                waited = command(lab, f"wait jobid={jobid} timeout={int(job_timeout)}", timeout=job_timeout + 30)
                if "JobStatus=" in waited and ("(R)" in waited or "(C)" in waited):
                    hung.append(jobid)
                    command(lab, f"cancel jobid={jobid} yes")
                windows[jobid] = (queued, time.monotonic())
                soak.sample_rss()
                if time.monotonic() - shown >= 5:
                    shown = time.monotonic()
                    print(f"  {len(windows)} jobs, {len(soak.kills)} kills, {max(0, end - shown):.0f} s left",
                          file=sys.stderr, flush=True)
        finally:
            soak.stop.set()
            killer.join()
        soak.sample_rss()
        command(lab, "wait", timeout=job_timeout)
        rows = {int(r["jobid"]): r for r in parse_table(command(lab, "list jobs"))
                if r.get("jobid", "").isdigit()}
        result = classify(windows, rows, soak.kills, hung)
        result["lost_bytes"], result["verified"] = verify(lab, data, rows, windows, soak.kills, rng, sample)
        result["volume_shortfall"] = volume_shortfall(lab)
        result["rss"] = {kind: longest_life(lives) for kind, lives in soak.lives.items()}
    shutil.rmtree(base, ignore_errors=True)
    return result


def classify(windows: dict[int, tuple[float, float]], rows: dict[int, dict[str, str]],
             kills: list[tuple[float, str]], hung: list[int]) -> dict[str, Any]:
    ok, by_kill, wrong = [], [], []
    for jobid, (start, finish) in windows.items():
        status = rows.get(jobid, {}).get("jobstatus", "?")
        if status == "T":
            ok.append(jobid)
        elif any(start <= t <= finish for t, _ in kills):
            by_kill.append(jobid)
        else:
            wrong.append(jobid)
    return {"jobs": len(windows), "ended_T": len(ok), "failed_by_kill": len(by_kill),
            "wrongly_failed": wrong, "hung": hung, "kills": len(kills),
            "killed": {k: sum(1 for _, d in kills if d == k) for k in ("dir", "sd", "fd")}}


def verify(lab: BenchLab, data: Path, rows: dict[int, dict[str, str]], windows: dict[int, tuple[float, float]],
           kills: list[tuple[float, str]], rng: random.Random, sample: int) -> tuple[int, int]:
    """Restore the T jobs near a kill and ``sample`` others; bytes of those not identical."""
    good = [j for j in windows if rows.get(j, {}).get("jobstatus") == "T"]
    near = [j for j in good if any(windows[j][0] - NEAR_KILL <= t <= windows[j][1] + NEAR_KILL for t, _ in kills)]
    others = [j for j in good if j not in near]
    chosen = near + rng.sample(others, min(sample, len(others)))
    lost = 0
    for i, jobid in enumerate(chosen, 1):
        where = lab.base / "restores" / str(jobid)
        result = lab.restore(jobid, where, timeout=600)
        restored = where / str(data).lstrip(os.sep)
        if not (result.ok and same_tree(data, restored)):
            lost += int(rows[jobid].get("jobbytes", "0").replace(",", "") or 0)
        shutil.rmtree(where, ignore_errors=True)
        if i % 10 == 0 or i == len(chosen):
            print(f"  restored and compared {i} of {len(chosen)}", file=sys.stderr, flush=True)
    return lost, len(chosen)


def same_tree(a: Path, b: Path) -> bool:
    names = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    if names != sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file()):
        return False
    return all(filecmp.cmp(a / n, b / n, shallow=False) for n in names)


def volume_shortfall(lab: BenchLab) -> int:
    """Bytes the catalog counts on volumes beyond what their files hold."""
    text = command(lab, "list media")
    storage = lab.topology.base / "storage"
    short = 0
    for row in parse_table(text):
        name, counted_text = row.get("volumename", ""), row.get("volbytes", "").replace(",", "")
        if not counted_text.isdigit():
            continue  # the header of the next pool's table
        path, counted = storage / name, int(counted_text)
        if path.is_file() and counted > path.stat().st_size:
            short += counted - path.stat().st_size
    return short


def longest_life(lives: list[Life]) -> dict[str, Any]:
    life = max(lives, key=lambda one: (one.ended or time.monotonic()) - one.started)
    return {"lives": len(lives), "minutes": ((life.ended or time.monotonic()) - life.started) / 60,
            "first_mib": (life.first_kib or 0) / 1024, "last_mib": (life.last_kib or 0) / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--kill-every", type=float, default=20.0, help="mean seconds between kills")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--megabytes", type=int, default=32, help="size of the data set backed up")
    parser.add_argument("--job-timeout", type=float, default=120.0)
    parser.add_argument("--sample", type=int, default=20, help="T jobs far from kills restored too")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    data = args.work / "soak-data"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    rng = random.Random(args.seed)
    for i in range(8):
        (data / f"file-{i}.bin").write_bytes(rng.randbytes(args.megabytes * 1024 * 1024 // 8))
    tiny = args.work / "soak-tiny"
    tiny.write_text("x\n")
    r = run_soak(args.work / "labs" / "soak", data, tiny, args.minutes, args.kill_every, args.seed,
                 args.job_timeout, args.sample)
    print(f"\nsoak: {args.minutes:g} min, a kill every {args.kill_every:g} s on average "
          f"(seed {args.seed}), {args.megabytes} MB per backup")
    print(f"  jobs run             {r['jobs']}")
    print(f"  ended T              {r['ended_T']}")
    print(f"  failed by a kill     {r['failed_by_kill']}   (kills: {r['kills']}: {r['killed']})")
    print(f"  wrongly failed       {len(r['wrongly_failed'])}   {r['wrongly_failed'] or ''}")
    print(f"  hung                 {len(r['hung'])}   {r['hung'] or ''}")
    print(f"  bytes lost           {r['lost_bytes']}   ({r['verified']} T jobs restored and compared)")
    print(f"  volume shortfall     {r['volume_shortfall']} bytes (catalog VolBytes beyond the files)")
    for kind, life in r["rss"].items():
        print(f"  RSS {kind:<4} {life['first_mib']:6.1f} -> {life['last_mib']:6.1f} MiB over its longest life "
              f"({life['minutes']:.1f} min; {life['lives']} lives)")
    if args.json:
        args.json.write_text(json.dumps(r, indent=2))
    bad = r["wrongly_failed"] or r["hung"] or r["lost_bytes"] or r["volume_shortfall"]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
