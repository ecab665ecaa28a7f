#!/usr/bin/env python3
"""Hostile connections: what unauthenticated peers cost each daemon, and that jobs still run.

Each run brings up a fresh loopback lab, runs one backup (so every daemon has done real
work), then, for each attack, opens ``--connections`` connections to each daemon's port
that announce a frame and send part of it, never authenticating:

* ``oversized``: a 1,000,000-byte frame (the largest after authentication), 900,000 bytes sent;
* ``half hello``: a frame of the largest size allowed before authentication, all but 384
  bytes of it sent, so the daemon must hold it while it waits for the rest.

It reports, per daemon and attack, how many connections the daemon still held a second
later, its resident set (``VmRSS``) before and while they were open, and whether a backup
run while they were open ended ``T``. Medians over ``--runs``.

    .venv/bin/python bench/hostile_bench.py --connections 80 --runs 3
"""

from __future__ import annotations

import argparse
import json
import select
import shutil
import socket
import statistics
import struct
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bareoslab.net.framing import MAX_PACKET, PREAUTH_MAX_PACKET  # noqa: E402
from bareoslab.net.server import MAX_UNAUTHENTICATED  # noqa: E402
from bench_lab import BenchLab, read_status_kib  # noqa: E402
from bench_rev import DEFAULT_WORK  # noqa: E402

ATTACKS = {"oversized": (MAX_PACKET, 900_000), "half hello": (PREAUTH_MAX_PACKET, PREAUTH_MAX_PACKET - 384)}


def attack(host: str, port: int, count: int, length: int, body: int) -> list[socket.socket]:
    """``count`` connections each sending a ``length``-byte frame's header and ``body`` bytes
    of it; the ones the daemon kept open."""
    frame = struct.pack(">i", length) + b"x" * body
    opened = []
    for _ in range(count):
        sock = socket.create_connection((host, port), timeout=10)
        try:
            sock.sendall(frame)
        except OSError:  # refused while sending: the daemon hung up
            sock.close()
            continue
        opened.append(sock)
    # a connection the daemon closed turns readable (TERMINATE, EOF or reset) within a second
    deadline = time.monotonic() + 1.0
    waiting = list(opened)
    while waiting and (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select(waiting, [], [], left)
        for sock in readable:
            try:
                sock.recv(16)
            except OSError:
                pass
            sock.close()
            waiting.remove(sock)
    return waiting


def one_run(base: Path, data: Path, tiny: Path, count: int) -> dict[str, Any]:
    shutil.rmtree(base, ignore_errors=True)
    result: dict[str, Any] = {}
    with BenchLab(base, data, tiny) as lab:
        lab.backup()
        t = lab.topology
        for name, (length, body) in ATTACKS.items():
            before = {kind: read_status_kib(pid, "VmRSS") for kind, pid in lab.pids.items()}
            held: dict[str, list[socket.socket]] = {}
            try:
                for kind, port in (("sd", t.sd_port), ("fd", t.fd_port), ("dir", t.dir_port)):
                    held[kind] = attack(t.host, port, count, length, body)
                during = {kind: read_status_kib(pid, "VmRSS") for kind, pid in lab.pids.items()}
                backup_ok = lab.backup().ok
            finally:
                for socks in held.values():
                    for sock in socks:
                        sock.close()
            result[name] = {"before_kib": before, "during_kib": during,
                            "held": {k: len(v) for k, v in held.items()}, "backup_ok": backup_ok}
    shutil.rmtree(base, ignore_errors=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=80, help="hostile connections per daemon")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    data = args.work / "hostile-data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "file").write_bytes(b"hostile bench\n" * 1000)
    tiny = args.work / "hostile-tiny"
    tiny.write_text("x\n")
    runs = []
    for run in range(args.runs):
        result = one_run(args.work / "labs" / f"hostile-run{run}", data, tiny, args.connections)
        runs.append(result)
        for name, r in result.items():
            print(f"  run {run + 1}, {name}: held {r['held']}, backup meanwhile "
                  f"{'T' if r['backup_ok'] else 'FAILED'}", file=sys.stderr)
    bound = MAX_UNAUTHENTICATED * (PREAUTH_MAX_PACKET + 4) // 1024
    print(f"\n{args.connections} connections per daemon and attack, medians of {args.runs} runs "
          f"(limits: {MAX_UNAUTHENTICATED} connections waiting to authenticate, frames of "
          f"{PREAUTH_MAX_PACKET} B before authentication: {bound} KiB of frames held at most)")
    print(f"{'attack':>10} {'daemon':>6} {'held':>5} {'RSS before MiB':>15} {'RSS during MiB':>15} "
          f"{'growth MiB':>11}")
    out: dict[str, Any] = {"runs": runs, "summary": {}}
    for name in ATTACKS:
        for kind in ("sd", "fd", "dir"):
            held = statistics.median(r[name]["held"][kind] for r in runs)
            before = statistics.median(r[name]["before_kib"][kind] or 0 for r in runs) / 1024
            during = statistics.median(r[name]["during_kib"][kind] or 0 for r in runs) / 1024
            out["summary"].setdefault(name, {})[kind] = {
                "held": held, "rss_before_mib": before, "rss_during_mib": during}
            print(f"{name:>10} {kind:>6} {held:>5.0f} {before:>15.1f} {during:>15.1f} "
                  f"{during - before:>11.1f}")
    oks = [r[name]["backup_ok"] for r in runs for name in ATTACKS]
    print(f"backups run meanwhile: {sum(oks)} of {len(oks)} ended T")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0 if all(oks) else 1

if __name__ == "__main__":
    raise SystemExit(main())
