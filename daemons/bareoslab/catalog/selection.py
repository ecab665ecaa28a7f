"""Which jobs a Copy/Migrate control job picks (catalog.md 6.3, Bareos ``migrate.cc``).

Names are matched with the Selection Pattern as an unanchored regular expression (Bareos
uses POSIX extended regexes; Python's ``re.search`` agrees on the usual patterns).  The
matching runs in Python so it is the same on both drivers; the SQL is in
``queries/mig_*.sql``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any, TypedDict, Unpack

from .driver import Driver, marks, query_text
from .errors import CatalogError
from .records import TimeLike
from .rows import to_int
from .times import db_time, epoch
from .times import now as _now


class SelectionType(str, Enum):
    """``Selection Type`` values of a Copy/Migrate Job resource."""

    SMALLEST_VOLUME = "SmallestVolume"
    OLDEST_VOLUME = "OldestVolume"
    POOL_OCCUPANCY = "PoolOccupancy"
    POOL_TIME = "PoolTime"
    POOL_UNCOPIED_JOBS = "PoolUncopiedJobs"
    CLIENT = "Client"
    VOLUME = "Volume"
    JOB = "Job"
    SQL_QUERY = "SQLQuery"

    @classmethod
    def parse(cls, value: SelectionType | str) -> SelectionType:
        if isinstance(value, SelectionType):
            return value
        for member in cls:
            if member.value.lower() == str(value).lower():
                return member
        raise CatalogError(f"unknown Selection Type {value!r}")


class SelectionLimits(TypedDict, total=False):
    """What the time and size selections compare with (the Job's Migration Time, Migration
    High/Low Bytes; ``now``: the time PoolTime counts back from)."""

    now: TimeLike | None
    migration_time: int
    migration_high_bytes: int
    migration_low_bytes: int


class JobSelector:
    """Runs the selection queries of one catalog connection."""

    def __init__(self, db: Driver, flavour: str) -> None:
        self._db = db
        self._flavour = flavour

    def _rows(self, name: str, params: Sequence[Any] = (), **slots: str) -> list[Any]:
        sql = query_text(name, self._flavour, **slots)
        return list(self._db.execute(sql, params).fetchall())

    def select(
        self,
        selection: SelectionType | str,
        pool_id: int,
        pattern: str = "",
        **limits: Unpack[SelectionLimits],
    ) -> list[int]:
        """JobIds a Copy/Migrate control job selects from the read pool ``pool_id``
        (Selection Type Volume, Job, Client, SQLQuery, SmallestVolume, OldestVolume,
        PoolOccupancy, PoolTime, PoolUncopiedJobs), de-duplicated, by StartTime."""
        now = limits.get("now")
        migration_time = limits.get("migration_time", 0)
        migration_high_bytes = limits.get("migration_high_bytes", 0)
        migration_low_bytes = limits.get("migration_low_bytes", 0)
        kind = SelectionType.parse(selection)
        if kind is SelectionType.VOLUME:
            ids = self._by_names(
                "mig_volume_names", "mig_jobids_from_volume", pool_id, pattern, False
            )
        elif kind is SelectionType.JOB:
            ids = self._by_names("mig_job_names", "mig_jobids_from_job", pool_id, pattern, True)
        elif kind is SelectionType.CLIENT:
            ids = self._by_names(
                "mig_client_names", "mig_jobids_from_client", pool_id, pattern, True
            )
        elif kind is SelectionType.SQL_QUERY:
            if not pattern.strip():
                raise CatalogError("Selection Type SQLQuery needs a Selection Pattern")
            ids = [to_int(r[0]) for r in self._db.execute(pattern).fetchall()]
        elif kind in (SelectionType.SMALLEST_VOLUME, SelectionType.OLDEST_VOLUME):
            order = (
                "ORDER BY VolBytes, MediaId"
                if kind is SelectionType.SMALLEST_VOLUME
                else "ORDER BY LastWritten IS NULL, LastWritten, MediaId"
            )
            volumes = self._volumes(pool_id, order)
            ids = self._jobs_on_media(volumes[:1])
        elif kind is SelectionType.POOL_OCCUPANCY:
            ids = self._pool_occupancy(pool_id, migration_high_bytes, migration_low_bytes)
        elif kind is SelectionType.POOL_TIME:
            limit = epoch(now if now is not None else _now()) - int(migration_time)
            ids = [to_int(r[0]) for r in self._rows("mig_pool_time", (pool_id, db_time(limit)))]
        else:
            ids = [to_int(r[0]) for r in self._rows("mig_uncopied_jobs", (pool_id,))]
        return self._in_start_order(ids)

    @staticmethod
    def _matcher(pattern: str) -> re.Pattern[str]:
        try:
            return re.compile(pattern)
        except re.error as exc:
            raise CatalogError(f'Could not compile regex pattern "{pattern}" ERR={exc}') from exc

    def _by_names(
        self, names_query: str, ids_query: str, pool_id: int, pattern: str, with_pool: bool
    ) -> list[int]:
        matcher = self._matcher(pattern)
        names = sorted({str(r[0]) for r in self._rows(names_query, (pool_id,))})
        ids: list[int] = []
        for name in names:
            if matcher.search(name):
                params: tuple[Any, ...] = (name, pool_id) if with_pool else (name,)
                ids += [to_int(r[0]) for r in self._rows(ids_query, params)]
        return ids

    def _volumes(self, pool_id: int, order: str) -> list[tuple[int, int]]:
        sql = query_text("mig_volumes_by", self._flavour) + " " + order
        return [(to_int(r[0]), to_int(r[1])) for r in self._db.execute(sql, (pool_id,)).fetchall()]

    def _jobs_on_media(self, volumes: Iterable[tuple[int, int]]) -> list[int]:
        media_ids = [v[0] for v in volumes]
        if not media_ids:
            return []
        rows = self._rows("mig_jobids_from_media", media_ids, media_ids=marks(len(media_ids)))
        return [to_int(r[0]) for r in rows]

    def _pool_occupancy(self, pool_id: int, high: int, low: int) -> list[int]:
        row = self._rows("mig_pool_bytes", (pool_id,))
        pool_bytes = to_int(row[0][0]) if row else 0
        if pool_bytes < high:
            return []
        ids: list[int] = []
        for media_id, _ in self._volumes(
            pool_id, "ORDER BY LastWritten IS NULL, LastWritten, MediaId"
        ):
            if pool_bytes <= low:
                break
            rows = self._rows("mig_jobids_from_media", (media_id,), media_ids="?")
            fresh = [r for r in rows if to_int(r[0]) not in ids]
            ids += [to_int(r[0]) for r in fresh]
            pool_bytes -= sum(to_int(r[2]) for r in fresh)
        return ids

    def _in_start_order(self, ids: list[int]) -> list[int]:
        unique = list(dict.fromkeys(ids))
        if len(unique) < 2:
            return unique
        rows = self._db.execute(
            f"SELECT JobId FROM Job WHERE JobId IN ({marks(len(unique))}) "
            "ORDER BY StartTime IS NULL, StartTime, JobId",
            unique,
        ).fetchall()
        return [to_int(r[0]) for r in rows]
