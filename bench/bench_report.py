"""Medians, targets and the tables printed at the end of a benchmark."""

from __future__ import annotations

import os
import re
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MiB = 1 << 20

# The project's targets (issue: speed near the machine's limits, and flat memory).
TARGET_BACKUP_LARGE_OF_MD5 = 0.80  # backup of `large` >= 80 % of the md5sum rate
TARGET_SMALL_FILES_S = 12000.0  # backup of `small` >= 12,000 files/s, catalog included
TARGET_RESTORE_LARGE_MB_S = 500.0  # restore of `large` >= 500 MB/s or >= 80 % of tar -x, the lower
TARGET_RESTORE_LARGE_OF_TAR_X = 0.80
TARGET_RESTORE_SMALL_FILES_S = 8000.0  # restore of `small` >= 8,000 files/s
TARGET_BACKUP_OVERHEAD_S = 0.1  # a one-file backup, end to end
TARGET_OVERHEAD_S = 0.5  # a one-file restore, end to end (no newer target)
TARGET_PEAK_RSS_MIB = 32.0  # every daemon's peak RSS, every job kind
CONTENTION_SHARE = (
    0.10  # other processes' CPU above this share of one core marks a job as contended
)


def median(values: Sequence[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


# -- terminal -------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Style:
    def __init__(self, stream: Any = sys.stdout) -> None:
        self.color = bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get(
            "NO_COLOR"
        )
        enc = (getattr(stream, "encoding", None) or "").lower()
        self.unicode = "utf" in enc

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def good(self, text: str) -> str:
        return self._wrap("32", text)

    def bad(self, text: str) -> str:
        return self._wrap("31;1", text)


def _width(text: str) -> int:
    return len(_ANSI.sub("", text))


def table(style: Style, header: list[str], rows: list[list[str]], align: str | None = None) -> str:
    """A boxed table; ``align`` has one of ``l``/``r`` per column (default: first left, rest right)."""
    ncol = len(header)
    align = align or ("l" + "r" * (ncol - 1))
    widths = [max(_width(r[i]) for r in [header] + rows if r) for i in range(ncol)]
    if style.unicode:
        h, v, tl, tm, tr, ml, mm, mr, bl, bm, br = "─│┌┬┐├┼┤└┴┘"
    else:
        h, v, tl, tm, tr, ml, mm, mr, bl, bm, br = "-|+++++++++"

    def line(left: str, mid: str, right: str) -> str:
        return left + mid.join(h * (w + 2) for w in widths) + right

    def cells(row: list[str], bold: bool = False) -> str:
        out = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - _width(cell))
            text = cell + pad if align[i] == "l" else pad + cell
            out.append(" " + (style.bold(text) if bold else text) + " ")
        return v + v.join(out) + v

    lines = [line(tl, tm, tr), cells(header, bold=True), line(ml, mm, mr)]
    lines += [cells(r) if r else line(ml, mm, mr) for r in rows]
    lines.append(line(bl, bm, br))
    return "\n".join(lines)


def fmt(value: float | None, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{unit}"


def rate(value: float | None) -> str:
    """A rate with as many decimals as it needs (0.47 files/s, 2,890 files/s)."""
    if value is None:
        return "–"
    return fmt(value, 2 if value < 10 else 1 if value < 100 else 0)


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def spread(values: Sequence[float | None], digits: int = 1) -> str:
    vals = [v for v in values if v is not None]
    if len(vals) < 2:
        return ""
    return f"{min(vals):,.{digits}f}–{max(vals):,.{digits}f}"


# -- summary ----------------------------------------------------------------------------


@dataclass
class Verdict:
    name: str
    measured: str
    target: str
    ok: bool | None  # None: not measured


def summarize_profile(profile: dict[str, Any]) -> dict[str, Any]:
    """Medians over the runs whose jobs ended OK and whose restore was byte-identical."""
    good = [r for r in profile["runs"] if r.get("valid")]
    m: dict[str, Any] = {"valid_runs": len(good), "runs": len(profile["runs"])}

    def med(path: str) -> float | None:
        vals = []
        for r in good:
            node: Any = r
            for key in path.split("."):
                node = node.get(key) if isinstance(node, dict) else None
            vals.append(node)
        return median(vals)

    for name in ("md5sum", "tar", "tar_x"):
        m[f"{name}_seconds"] = med(f"limits.{name}.seconds")
    for job in ("backup", "restore"):
        m[f"{job}_seconds"] = med(f"{job}.seconds")
        m[f"{job}_director_elapsed_s"] = med(f"{job}.director_elapsed_s")
        m[f"{job}_director_rate_mb_s"] = med(f"{job}.director_rate_mb_s")
        m[f"{job}_submit_seconds"] = med(f"{job}.submit_seconds")
    ds = profile["dataset"]
    for key in ("md5sum", "tar", "tar_x", "backup", "restore"):
        s = m[f"{key}_seconds"]
        m[f"{key}_mb_s"] = ds["bytes"] / 1e6 / s if s else None
        m[f"{key}_files_s"] = ds["files"] / s if s else None
    for job in ("backup", "restore"):
        for lim in ("md5sum", "tar", "tar_x"):
            a, b = m[f"{job}_seconds"], m[f"{lim}_seconds"]
            m[f"{job}_of_{lim}"] = b / a if a and b else None
        d = m[f"{job}_director_rate_mb_s"]
        m[f"{job}_director_of_md5sum"] = d / m["md5sum_mb_s"] if d and m["md5sum_mb_s"] else None
    for job in ("backup", "restore"):
        m[f"{job}_cpu_s"] = {kind: med(f"{job}.cpu_s.{kind}") for kind in ("dir", "sd", "fd")}
        m[f"{job}_other_cpu_s"] = med(f"{job}.other_cpu_s")
        others = [r.get(job, {}).get("other_cpu_s") for r in good]
        walls = [r.get(job, {}).get("seconds") for r in good]
        m[f"{job}_other_cpu_max_share"] = max(
            (o / w for o, w in zip(others, walls, strict=True) if o is not None and w), default=None
        )
    rss: dict[str, int] = {}
    for r in profile["runs"]:
        for kind, kib in (
            r.get("rss_kib", {}).get("after_restore")
            or r.get("rss_kib", {}).get("after_backup")
            or {}
        ).items():
            if kib:
                rss[kind] = max(rss.get(kind, 0), kib)
    m["peak_rss_kib"] = rss
    return m


def verdicts(results: dict[str, Any]) -> list[Verdict]:
    out: list[Verdict] = []
    profiles = results["profiles"]
    large = profiles.get("large", {}).get("summary")
    small = profiles.get("small", {}).get("summary")
    if large:
        ratio = large.get("backup_of_md5sum")
        out.append(
            Verdict(
                "backup large vs md5sum",
                f"{fmt(large.get('backup_mb_s'))} of {fmt(large.get('md5sum_mb_s'))} MB/s = {pct(ratio)}",
                f">= {TARGET_BACKUP_LARGE_OF_MD5 * 100:.0f} %",
                None if ratio is None else ratio >= TARGET_BACKUP_LARGE_OF_MD5,
            )
        )
    if small:
        fs = small.get("backup_files_s")
        out.append(
            Verdict(
                "backup small files/s (with catalog)",
                f"{fmt(fs, 0)} files/s",
                f">= {TARGET_SMALL_FILES_S:,.0f} files/s",
                None if fs is None else fs >= TARGET_SMALL_FILES_S,
            )
        )
    if large:
        mb, tar_x = large.get("restore_mb_s"), large.get("tar_x_mb_s")
        want = min(TARGET_RESTORE_LARGE_MB_S, TARGET_RESTORE_LARGE_OF_TAR_X * tar_x) if tar_x else None
        out.append(
            Verdict(
                "restore large MB/s",
                f"{fmt(mb)} MB/s (tar -x: {fmt(tar_x)} MB/s)",
                f">= {fmt(want)} MB/s (the lower of {TARGET_RESTORE_LARGE_MB_S:.0f} and "
                f"{TARGET_RESTORE_LARGE_OF_TAR_X * 100:.0f} % of tar -x)",
                None if mb is None or want is None else mb >= want,
            )
        )
    if small:
        fs = small.get("restore_files_s")
        out.append(
            Verdict(
                "restore small files/s",
                f"{fmt(fs, 0)} files/s (tar -x: {fmt(small.get('tar_x_files_s'), 0)} files/s)",
                f">= {TARGET_RESTORE_SMALL_FILES_S:,.0f} files/s",
                None if fs is None else fs >= TARGET_RESTORE_SMALL_FILES_S,
            )
        )
    ov = results.get("overhead", {})
    for job, target in (("backup", TARGET_BACKUP_OVERHEAD_S), ("restore", TARGET_OVERHEAD_S)):
        s = ov.get(f"{job}_median_s")
        out.append(
            Verdict(
                f"one-file {job}, end to end",
                f"{fmt(s, 2)} s",
                f"<= {target} s",
                None if s is None else s <= target,
            )
        )
    for name, prof in sorted(profiles.items()):
        rss = (prof.get("summary") or {}).get("peak_rss_kib") or {}
        if rss:
            worst = max(rss.values()) / 1024
            out.append(
                Verdict(
                    f"peak RSS, {name} (backup and restore)",
                    " ".join(f"{kind} {kib / 1024:.1f}" for kind, kib in sorted(rss.items())) + " MiB",
                    f"<= {TARGET_PEAK_RSS_MIB:.0f} MiB each",
                    worst <= TARGET_PEAK_RSS_MIB,
                )
            )
    return out


TARGET_REMOTE_COPY_MB_S = 400.0  # remote copy of `large` (two SDs on loopback)
TARGET_SCALE_RATIO = 0.90  # files/s at scales 2 and 4 no more than 10 % below scale 1's
# The scale series measures each job's limit on the same files right before the job: the key
# of its seconds ("<key>_s" in a run, "of_<key>" in the job's medians), its name, how it is taken.
SCALE_LIMITS = {
    "backup": ("md5sum", "md5sum", "md5sum of the same files right before it"),
    "restore": ("tar_x", "tar -x", "tar -x into the same file system right before it"),
}
TARGET_RSS_GROWTH = 1.10  # peak RSS at scale 4 within 10 % of scale 1's: flat with the files
TLS_WITHIN = 0.85  # with TLS-PSK on, every throughput target holds within 15 %


def tls_verdicts(tls: dict[str, Any]) -> list[Verdict]:
    """The throughput targets with TLS off, and with TLS-PSK within 15 % of them (tls_bench.py)."""
    out: list[Verdict] = []
    large, small = tls.get("large"), tls.get("small")
    figures: list[tuple[str, dict[str, Any], str, float, Any, Any]] = []
    if large:
        md5 = large["md5sum_mb_s"]
        figures.append(("backup large vs md5sum", large, "backup", TARGET_BACKUP_LARGE_OF_MD5,
                        lambda f: f["mb_s"] / md5, pct))
        # tls_bench has no tar -x limit of its own: judged against the 500 MB/s of the target
        figures.append(("restore large MB/s", large, "restore", TARGET_RESTORE_LARGE_MB_S,
                        lambda f: f["mb_s"], lambda v: f"{fmt(v)} MB/s"))
    if small:
        figures.append(("backup small files/s", small, "backup", TARGET_SMALL_FILES_S,
                        lambda f: f["files_s"], lambda v: f"{fmt(v, 0)} files/s"))
        figures.append(("restore small files/s", small, "restore", TARGET_RESTORE_SMALL_FILES_S,
                        lambda f: f["files_s"], lambda v: f"{fmt(v, 0)} files/s"))
    for name, summary, kind, target, value, show in figures:
        off, psk = value(summary[f"{kind}_off"]), value(summary[f"{kind}_psk"])
        out.append(Verdict(f"{name}, TLS off", show(off), f">= {show(target)}", off >= target))
        out.append(Verdict(f"{name}, TLS-PSK", f"{show(psk)} ({psk / off:.2f} of TLS off)",
                           f">= {show(TLS_WITHIN * target)} (within 15 %)", psk >= TLS_WITHIN * target))
    return out


def highest_rss(by_scale: dict[str, dict[str, Any]]) -> tuple[str, float, str]:
    """The daemon with the highest peak RSS over every scale of a scale series: (daemon, MiB,
    scale)."""
    return max(((kind, mib, f"{float(scale):g}") for scale, s in by_scale.items()
                for kind, mib in s["peak_rss_mib"].items()), key=lambda found: found[1])


def extra_verdicts(extras: dict[str, Any]) -> list[Verdict]:
    """Remote copy, the scale series (files/s and memory) and the memory per queued job."""
    out: list[Verdict] = []
    copy = extras.get("copy") or {}
    if copy:
        remote = (copy.get("copy-remote") or {}).get("mb_s")
        out.append(Verdict(
            "remote copy large",
            f"{fmt(remote)} MB/s (durable copy of the volume {fmt(copy.get('synced_copy_mb_s'))} MB/s)",
            f">= {TARGET_REMOTE_COPY_MB_S:.0f} MB/s",
            None if remote is None else remote >= TARGET_REMOTE_COPY_MB_S,
        ))
    scale = extras.get("scale") or {}
    scales = [str(s) for s in scale.get("scales", [])]
    for driver, by_scale in sorted((scale.get("catalogs") or {}).items()):
        if not scales or any(s not in by_scale for s in scales):
            continue
        first = by_scale[scales[0]]
        for kind, (limit, name, _) in SCALE_LIMITS.items():
            ratios = [by_scale[s][kind]["files_s"] / first[kind]["files_s"] for s in scales]
            shares = [by_scale[s][kind].get(f"of_{limit}") for s in scales]
            out.append(Verdict(
                f"{kind} small at scale x1/x2/x4, {driver}",
                " / ".join(f"{by_scale[s][kind]['files_s']:,.0f}" for s in scales)
                + " files/s (" + " / ".join(f"{r:.2f}" for r in ratios) + ")"
                + ("" if None in shares else f"; of {name} " + " / ".join(f"{v:.2f}" for v in shares)),
                f">= {TARGET_SCALE_RATIO:.2f} of x1",
                min(ratios) >= TARGET_SCALE_RATIO,
            ))
        kind, mib, at = highest_rss({s: by_scale[s] for s in scales})
        out.append(Verdict(
            f"peak RSS at scale x1/x2/x4, {driver}",
            f"{kind} {mib:.1f} MiB at x{at} (the highest)",
            f"<= {TARGET_PEAK_RSS_MIB:.0f} MiB each",
            mib <= TARGET_PEAK_RSS_MIB,
        ))
        rss_first, rss_last = first["peak_rss_mib"], by_scale[scales[-1]]["peak_rss_mib"]
        growth = max(rss_last[k] / rss_first[k] for k in rss_first if rss_first[k])
        out.append(Verdict(
            f"peak RSS flat with files, {driver}",
            " ".join(f"{k} {rss_first[k]:.0f}->{rss_last.get(k, 0):.0f}" for k in sorted(rss_first)) + " MiB",
            f"x4 <= {TARGET_RSS_GROWTH:.2f} of x1",
            growth <= TARGET_RSS_GROWTH,
        ))
    queue = extras.get("queue") or {}
    if queue:
        out.append(Verdict(
            f"Director memory per queued job ({queue['queue_jobs']} queued)",
            f"{queue['kib_per_job']:.1f} KiB (VmRSS after - before, over the jobs)",
            "measured",
            None,
        ))
    if extras.get("tls"):
        out += tls_verdicts(extras["tls"])
    return out


def profile_section(name: str, prof: dict[str, Any], style: Style) -> list[str]:
    """The table of one profile: limits, jobs, ratios; the restore checks and failures."""
    out: list[str] = []
    ds, m = prof["dataset"], prof.get("summary") or {}
    out.append("")
    out.append(
        style.bold(f"{name}") + f" — {ds['files']:,} files, {ds['bytes'] / 1e6:,.1f} MB "
        f"({ds['bytes'] / MiB:,.0f} MiB) — median of {m.get('valid_runs', 0)} valid of "
        f"{m.get('runs', 0)} runs"
    )
    runs = [r for r in prof["runs"] if r.get("valid")]
    if not runs:
        out.append(style.bad("no valid run: no figures"))
        for r in prof["runs"]:
            out.append(
                style.bad(f"  run {r['run']}: {(r.get('error') or '?').splitlines()[0][:300]}")
            )
        return out

    def vals(path: str) -> list[float | None]:
        res = []
        for r in runs:
            node: Any = r
            for key in path.split("."):
                node = node.get(key) if isinstance(node, dict) else None
            res.append(
                ds["bytes"] / 1e6 / node if isinstance(node, (int, float)) and node else None
            )
        return res

    def row(label: str, key: str, path: str, ratios: bool) -> list[str]:
        return [
            label,
            fmt(m.get(f"{key}_seconds"), 2),
            fmt(m.get(f"{key}_mb_s")),
            rate(m.get(f"{key}_files_s")),
            pct(m.get(f"{key}_of_md5sum")) if ratios else "",
            pct(m.get(f"{key}_of_tar")) if ratios else "",
            pct(m.get(f"{key}_of_tar_x")) if ratios else "",
            spread(vals(path)),
        ]

    rows = [
        row("md5sum (1 core) — FD ceiling", "md5sum", "limits.md5sum.seconds", False),
        row("tar -cf - | cat — read+pipe", "tar", "limits.tar.seconds", False),
        row("tar -c | tar -x — create+write", "tar_x", "limits.tar_x.seconds", False),
        [],
        row("backup, end to end", "backup", "backup.seconds", True),
        [
            "backup, Director report",
            fmt(m.get("backup_director_elapsed_s"), 0),
            fmt(m.get("backup_director_rate_mb_s")),
            "",
            pct(m.get("backup_director_of_md5sum")),
            "",
            "",
            "",
        ],
        row("restore, end to end", "restore", "restore.seconds", True),
        [
            "restore, Director report",
            fmt(m.get("restore_director_elapsed_s"), 0),
            fmt(m.get("restore_director_rate_mb_s")),
            "",
            pct(m.get("restore_director_of_md5sum")),
            "",
            "",
            "",
        ],
    ]
    out.append(
        table(
            style,
            [
                "",
                "seconds",
                "MB/s",
                "files/s",
                "of md5sum",
                "of tar|cat",
                "of tar -x",
                "MB/s range",
            ],
            rows,
        )
    )
    checks = [r.get("verify", {}) for r in prof["runs"]]
    n_ok = sum(1 for c in checks if c.get("identical"))
    line = f"restore check: byte-identical in {n_ok}/{len(prof['runs'])} runs"
    out.append(style.good(line) if n_ok == len(prof["runs"]) and n_ok else style.bad(line))
    for r in prof["runs"]:
        if r.get("error"):
            out.append(style.bad(f"  run {r['run']}: {r['error']}"))
        elif r.get("verify") and not (
            r["verify"].get("identical") and not r["verify"]["counts"]["metadata_differs"]
        ):
            out.append(style.bad(f"  run {r['run']}: {r['verify'].get('summary')}"))
    discarded = prof.get("discarded") or []
    if discarded:
        out.append(
            style.dim(
                f"  {len(discarded)} run(s) discarded and run again: "
                + "; ".join(f"run {r['run']}: {r['discarded']}" for r in discarded)
            )
        )
    for r in runs:
        share = r.get("contention_max_share")
        if share is not None and share > CONTENTION_SHARE:
            out.append(
                style.bad(
                    f"  run {r['run']} kept although other processes used {share * 100:.0f} % of a core "
                    f"during {r.get('contention_where')} (retries exhausted)"
                )
            )
    if m.get("restore_submit_seconds"):
        out.append(
            style.dim(
                f"  restore command to 'Job queued' (building the tree from the catalog): "
                f"{m['restore_submit_seconds']:.2f} s, included above"
            )
        )
    return out


def machine_facts(meta: dict[str, Any]) -> str:
    """What of the machine bounds the TLS and restore figures, as far as the run could tell."""
    facts = []
    if meta.get("kernel_tls") is False:
        facts.append("no kernel TLS (no `tls` ULP): OpenSSL encrypts every record in user space")
    elif meta.get("kernel_tls"):
        facts.append("kernel TLS available (the daemons do not use it)")
    if meta.get("free_page_reporting"):
        facts.append(
            "free memory goes back to the host (virtio-balloon free page reporting): "
            "a page taken anew costs several times the copy"
        )
    return "; ".join(facts)


def render(results: dict[str, Any], style: Style) -> str:
    meta = results["meta"]
    out: list[str] = []
    out.append(
        style.bold("bareoslab benchmark")
        + style.dim(
            f"  {meta['started']}  commit {meta.get('git', '?')}  catalog {meta['catalog']}  "
            f"scale {meta['scale']:g}  seed {meta['seed']}"
        )
    )
    out.append(
        style.dim(
            f"{meta['cpu']} x{meta['cpus']}, {meta['mem_gib']:.0f} GiB, Python {meta['python']}, "
            f"work {meta['work']} ({meta['fs_type']})"
        )
    )
    machine = machine_facts(meta)
    if machine:
        out.append(style.dim(machine))
    out.append(
        style.dim(
            "Warm page cache: each run reads the data once (tar | cat) before measuring; the page "
            "cache is not dropped. Restores are not fsync'ed. MB = 10^6 bytes."
        )
    )
    if len(meta.get("git_states", [])) > 1:
        out.append(
            style.bad(
                f"The daemons' code changed during the benchmark: {', '.join(meta['git_states'])}"
            )
        )
    for name, prof in results["profiles"].items():
        out += profile_section(name, prof, style)

    ov = results.get("overhead", {})
    out.append("")
    out.append(
        style.bold("Per-job overhead") + " — backup and restore of a 1-file FileSet, end to end, "
        f"{ov.get('jobs', 0)} jobs of each"
    )
    out.append(
        table(
            style,
            ["job", "median s", "min s", "max s", "target"],
            [
                [
                    "backup (1 file)",
                    fmt(ov.get("backup_median_s"), 3),
                    fmt(ov.get("backup_min_s"), 3),
                    fmt(ov.get("backup_max_s"), 3),
                    f"<= {TARGET_BACKUP_OVERHEAD_S} s",
                ],
                [
                    "restore (1 file)",
                    fmt(ov.get("restore_median_s"), 3),
                    fmt(ov.get("restore_min_s"), 3),
                    fmt(ov.get("restore_max_s"), 3),
                    f"<= {TARGET_OVERHEAD_S} s",
                ],
            ],
        )
    )

    out.append("")
    out.append(
        style.bold("CPU per job")
        + " — user+system seconds of each daemon (all threads) during the job, "
        "median; % = share of one core over the job's end-to-end time; other processes = "
        "everything else but kernel threads (contention)"
    )
    rows = []
    for name, prof in results["profiles"].items():
        m = prof.get("summary") or {}
        for job in ("backup", "restore"):
            cpu, wall = m.get(f"{job}_cpu_s") or {}, m.get(f"{job}_seconds")
            cells = []
            for kind in ("dir", "sd", "fd"):
                c = cpu.get(kind)
                cells.append(
                    "–"
                    if c is None
                    else f"{c:,.2f} s" + (f" ({c / wall * 100:.0f} %)" if wall else "")
                )
            total = sum(v for v in cpu.values() if v is not None)
            cells.append(
                f"{total:,.2f} s" + (f" ({total / wall * 100:.0f} %)" if wall and cpu else "")
            )
            other, worst = m.get(f"{job}_other_cpu_s"), m.get(f"{job}_other_cpu_max_share")
            o = (
                "–"
                if other is None
                else f"{other:,.2f} s" + (f" ({other / wall * 100:.0f} %)" if wall else "")
            )
            if worst is not None and worst > CONTENTION_SHARE:
                o = style.bad(o + f", worst run {worst * 100:.0f} %")
            rows.append([f"{name} {job}", fmt(wall, 2), *cells, o])
    out.append(
        table(
            style,
            ["job", "wall s", "Director", "Storage", "File", "all three", "other processes"],
            rows,
        )
    )
    if any(
        ((p.get("summary") or {}).get(f"{j}_other_cpu_max_share") or 0) > CONTENTION_SHARE
        for p in results["profiles"].values()
        for j in ("backup", "restore")
    ):
        out.append(
            style.bad(
                "Other processes used the CPUs during some jobs (above "
                f"{CONTENTION_SHARE * 100:.0f} % of a core): those figures are low; run again on a quiet machine."
            )
        )

    out.append("")
    out.append(style.bold("Peak RSS") + " — VmHWM of each daemon, highest over the runs (MiB)")
    rows = []
    for name, prof in results["profiles"].items():
        rss = (prof.get("summary") or {}).get("peak_rss_kib", {})
        rows.append(
            [name] + [fmt(rss[k] / 1024, 1) if rss.get(k) else "–" for k in ("dir", "sd", "fd")]
        )
    out.append(table(style, ["profile", "Director", "Storage", "File"], rows))

    out.append("")
    out.append(style.bold("Targets"))
    if (results.get("extras") or {}).get("tls"):
        out.append("The profiles' rows: the lab as run above (TLS-PSK, Bareos' default) against the targets "
                   "as filed. The TLS rows (tls_bench.py, its own md5sum): the same jobs with TLS off against "
                   "the targets, and with TLS-PSK against 85 % of them (target 6: within 15 %).")
    rows = []
    for v in verdicts(results) + extra_verdicts(results.get("extras") or {}):
        mark = "–" if v.ok is None else (style.good("met") if v.ok else style.bad("NOT met"))
        rows.append([v.name, v.measured, v.target, mark])
    out.append(table(style, ["", "measured", "target", ""], rows, align="llll"))
    return "\n".join(out)
