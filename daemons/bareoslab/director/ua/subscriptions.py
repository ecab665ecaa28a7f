"""``status subscriptions``: the backup units a subscription counts (Bareos'
``DoSubscriptionStatus`` and its ``subscription_*`` queries).

What is counted is the newest successful Full with data of each client and FileSet. A
client counts one unit for all its file data, and one more per FileSet that runs a
plugin; the volume-based count is one unit per started TB of those Fulls. The greater
count is what the subscription uses. The sums are made here, not in SQL: Bareos' queries
need PostgreSQL's regular expressions, the lab's catalog may be SQLite.
"""

from __future__ import annotations

import math
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...net.auth import os_info
from ...version import VERSION
from . import acl
from .args import Args, CommandFailed, arg, has
from .output import format_table, format_vertical

if TYPE_CHECKING:
    from decimal import Decimal

    from .commands import UserAgent

NO_PLUGIN = "none (file data)"
#: the plugin a FileSet runs, tried in Bareos' order on its text without quotes
_PLUGIN_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"plugin = python3?:(?:.*:)*module_name=bareos-fd-([^:\s]+)",
        r"plugin = python3?:(?:.*:)?module_name=bareos-([^:\s]+)",
        r"plugin = python3?:(?:.*:)?module_name=([^:\s]+)",
        r"plugin = grpc:([^:\s]+)",
        r"plugin = ([^:\s]+)",
    )
]


def plugin_of(fileset_text: str) -> str | None:
    text = re.sub(r"\\.", "§", fileset_text).replace('"', "")
    text = re.sub(r"(?i)plugin = grpc:bareos-grpc-fd-plugin-bridge:", "plugin = ", text)
    for i, pattern in enumerate(_PLUGIN_PATTERNS):
        if i == 3 and re.search(r"(?i)plugin = python3?(:|\Z)", text):
            return "other python plugin"
        found = pattern.search(text)
        if found:
            return found.group(1).lower()
    return None


@dataclass
class Unit:
    client: str
    plugin: str
    count: int
    size_gb: float


def units(rows: list[tuple[Any, ...]]) -> list[Unit]:
    """Units per client and plugin (``client_aggregated``)."""
    filesets: dict[tuple[str, str], list[float]] = defaultdict(list)
    for client, _client_id, _fileset, nbytes, text in rows:
        plugin = plugin_of(str(text or "")) or NO_PLUGIN
        filesets[(str(client), plugin)].append(int(nbytes or 0) / 1e9)
    return [
        Unit(client, plugin, 1 if plugin == NO_PLUGIN else len(sizes), sum(sizes))
        for (client, plugin), sizes in sorted(filesets.items())
    ]


def _gb(value: float) -> Decimal:
    """Gigabytes with two decimals, a number (right-aligned in tables, as PostgreSQL's NUMERIC)."""
    from decimal import Decimal  # only here: a Director on SQLite has no other use for it

    return Decimal(f"{value:.2f}")


async def _aggregated(ua: UserAgent, column: str, keyed: list[tuple[str, Unit]]) -> list[dict[str, str]]:
    """Units summed per client or per plugin, with the total last."""
    counts: dict[str, int] = defaultdict(int)
    sizes: dict[str, float] = defaultdict(float)
    for key, unit in keyed:
        counts[key] += unit.count
        sizes[key] += unit.size_gb
    table: list[tuple[Any, ...]] = [(k, counts[k], _gb(sizes[k])) for k in sorted(counts)]
    table.append(("TOTAL", sum(counts.values()), _gb(sum(sizes.values()))))
    await ua.lines(format_table([column, "count", "size_gb"], table))
    return [{column: str(k), "count": str(n), "size_gb": str(g)} for k, n, g in table]


async def status_subscriptions(ua: UserAgent, args: Args) -> bool:
    if any(ua.acl.restricted(kind) for kind in (acl.CLIENT, acl.JOB, acl.FILESET)):
        raise CommandFailed(
            "status subscriptions: needs access to all client, job and fileset resources."
        )
    director = ua.director
    await ua.open_catalog(private=False)
    rows = await director.db(director.catalog.latest_full_backups)
    client = arg(args, "client")
    if client:
        await ua.send(f"\nDetailed backup unit report for client '{client}':")
        detail = [
            (r[2], plugin_of(str(r[4] or "")) or NO_PLUGIN, _gb(int(r[3] or 0) / 1e9))
            for r in rows
            if r[0] == client
        ]
        await ua.lines(format_table(["fileset", "plugin", "size_gb"], detail))
        await ua.send("All plugin jobs and the first non-plugin job are counted.")
        ua.json_result = {
            "unit-detail": [{"fileset": f, "plugin": p, "size_gb": g} for f, p, g in detail]
        }
        return True
    found = units(rows)
    count = sum(u.count for u in found)
    size = sum(u.size_gb for u in found)
    result: dict[str, object] = {}
    everything = has(args, "all") or not (has(args, "clients") or has(args, "plugins"))
    if everything:
        await ua.send(f"Bareos version: {VERSION} ({os_info()})")
        await ua.send("Binary info: bareoslab")
        await ua.send(f"Report time: {time.strftime('%Y-%m-%d %H:%M:%S')}")
        await ua.send("\nDetailed backup unit report:")
        table: list[tuple[Any, ...]] = [(u.client, u.plugin, u.count, _gb(u.size_gb)) for u in found]
        table.append(("TOTAL", "", count, _gb(size)))
        await ua.lines(format_table(["client", "plugin", "count", "size_gb"], table))
        result["unit-detail"] = [
            {"client": str(c), "plugin": str(p), "count": str(n), "size_gb": str(g)} for c, p, n, g in table
        ]
    if has(args, "all") or has(args, "clients"):
        await ua.send("\nBackup unit report aggregated by client:")
        result["unit-clients"] = await _aggregated(ua, "client", [(u.client, u) for u in found])
        await ua.send(
            "For a detailed per-client report run 'status subscriptions client=<client-name>'"
        )
    if has(args, "all") or has(args, "plugins"):
        await ua.send("\nBackup unit report aggregated by plugin:")
        result["unit-plugins"] = await _aggregated(ua, "plugin", [(u.plugin, u) for u in found])
    size_units = math.ceil(size / 1000)
    configured = int(director.res.get("Subscriptions") or 0)
    used = max(count, size_units)
    mode = (
        f"volume-based ({size_units} volume-based units >= {count} count-based units)"
        if size_units >= count
        else f"count-based ({size_units} volume-based < {count} count-based)"
    )
    summary = [("accounting_mode", mode), ("used", used), ("configured", configured),
               ("remaining", configured - used)]  # fmt: skip
    await ua.send("\nBackup unit summary:")
    await ua.lines(format_vertical([k for k, _ in summary], [tuple(v for _, v in summary)]))
    result["unit-summary"] = {k: str(v) for k, v in summary}
    ua.json_result = result
    return True
