#!/usr/bin/env python3
"""The cost of TLS: backup and restore of the standard data sets with TLS-PSK on and off.

Each run brings up two fresh labs one after the other, one with Bareos' defaults
(TLS-PSK on every connection) and one with ``TLS Enable = no`` everywhere, and runs a
Full backup and a restore of the same data set in each, end to end (``run`` to the
return of ``wait jobid=N``). The order of the two alternates from run to run; restored
trees are set aside and deleted at the end (deleting many files slows creating files for a
minute on ext4, see bench/README.md). The limit of the same data measured in the same run
(``md5sum``, one core hashing, as the File daemon does with ``Signature = MD5``) comes
beside it. Every restore is checked byte for byte against the data set.

    .venv/bin/python bench/tls_bench.py --profiles large,small --runs 3 --json /tmp/tls.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_data import DEFAULT_GENERATOR, Trash, ensure_dataset  # noqa: E402
from bench_lab import BenchLab  # noqa: E402
from bench_limits import md5sum_rate, warm_cache  # noqa: E402
from bench_rev import common_arguments  # noqa: E402

MODES = ("off", "psk")


def one_lab(work: Path, ds: Any, mode: str, run: int, trash: Trash) -> dict[str, Any]:
    base = work / "labs" / f"tls-{ds.profile}-{mode}-run{run}"
    if base.exists():
        shutil.rmtree(base)
    tiny = base / "tiny"
    tiny.parent.mkdir(parents=True, exist_ok=True)
    tiny.write_text("x\n")
    try:
        with BenchLab(base / "lab", ds.root, tiny, tls=mode) as lab:
            where = base / "restore"
            backup, restore = lab.backup_and_restore(ds, where, mode, sync=True)
            if ds.files > 1000:  # deleting many files now would slow the next restore
                trash.put(where)
            return {"backup_s": backup.seconds, "restore_s": restore.seconds,
                    "backup_cpu": backup.cpu, "restore_cpu": restore.cpu}
    finally:
        shutil.rmtree(base, ignore_errors=True)


def measure(work: Path, profiles: list[str], scale: float, seed: int, runs: int, trash: Trash,
            say: Any = print) -> dict[str, Any]:
    """Per profile: every run (md5sum, then a lab with each mode, the order alternating) and
    the medians, ``backup_off``, ``restore_psk`` and so on, in seconds, MB/s and files/s."""
    results: dict[str, Any] = {}
    for profile in profiles:
        ds = ensure_dataset(work, profile, scale, seed, DEFAULT_GENERATOR, say=say)
        done: list[dict[str, Any]] = []
        for run in range(1, runs + 1):
            warm_cache(ds)
            md5 = md5sum_rate(ds)
            record: dict[str, Any] = {"md5sum_s": md5.seconds}
            for mode in MODES if run % 2 else reversed(MODES):
                say(f"[TLS {profile} run {run}/{runs}] TLS {mode} ...")
                record[mode] = one_lab(work, ds, mode, run, trash)
            done.append(record)
        summary: dict[str, Any] = {"files": ds.files, "bytes": ds.bytes, "runs": done,
                                   "md5sum_s": statistics.median(r["md5sum_s"] for r in done)}
        summary["md5sum_mb_s"] = ds.bytes / summary["md5sum_s"] / 1e6
        for mode in MODES:
            for kind in ("backup", "restore"):
                seconds = statistics.median(r[mode][f"{kind}_s"] for r in done)
                summary[f"{kind}_{mode}"] = {"seconds": seconds, "mb_s": ds.bytes / seconds / 1e6,
                                             "files_s": ds.files / seconds}
        results[profile] = summary
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profiles", default="large,small")
    common_arguments(p)
    args = p.parse_args(argv)
    trash = Trash(args.work, say=lambda text: print(text, file=sys.stderr))
    trash.settle()
    results = measure(args.work, args.profiles.split(","), args.scale, args.seed, args.runs, trash,
                      say=lambda text: print(text, file=sys.stderr, flush=True))
    for profile, summary in results.items():
        print(f"\n{profile}: {summary['files']:,} files, {summary['bytes'] / 1e6:,.1f} MB; "
              f"medians of {args.runs} runs")
        print(f"  md5sum (limit): {summary['md5sum_mb_s']:,.1f} MB/s")
        for kind in ("backup", "restore"):
            off, psk = summary[f"{kind}_off"], summary[f"{kind}_psk"]
            print(f"  {kind:7}  TLS off {off['mb_s']:8,.1f} MB/s {off['files_s']:9,.0f} files/s   "
                  f"TLS-PSK {psk['mb_s']:8,.1f} MB/s {psk['files_s']:9,.0f} files/s   "
                  f"TLS-PSK/off {psk['mb_s'] / off['mb_s']:.3f}")
    trash.empty()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
