"""What every subject of the catalog stands on: the driver, statement helpers, shared lookups.

Only portable SQL is used by the subjects (``RETURNING``, ``ON CONFLICT``, window functions
work on SQLite >= 3.35 and PostgreSQL); what differs between engines lives in the drivers
(connection, transactions, bulk loading with COPY, table listing; ``driver.py``,
``sqlite.py``, ``postgresql.py``) or in ``queries/<name>.<flavour>.sql``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

from ..codes import JobStatus
from .driver import Driver, plain_value, query_text
from .errors import CatalogError, NotFoundError
from .records import MediaRow, PoolRow
from .rows import MEDIA, POOL

VOL_STATUSES = (
    "Unlabeled", "Full", "Archive", "Append", "Recycle", "Purged", "Read-Only",
    "Disabled", "Error", "Busy", "Used", "Cleaning", "Scratch",
)  # fmt: skip

FLAVOURS = {"sqlite3": "sqlite", "postgresql": "postgresql"}
"""Driver name -> file name part of its schema (``schema/<flavour>.sql``) and queries."""

OK_STATUSES = (JobStatus.TERMINATED.value, JobStatus.WARNINGS.value)


class SqlBase:
    """One connection through a driver; the subjects' classes add the domain methods."""

    def __init__(self, db: Driver) -> None:
        self._db = db
        self.driver = db.name
        self.flavour = FLAVOURS[db.name]

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self._db.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def _named(self, name: str, **slots: str) -> str:
        return query_text(name, self.flavour, **slots)

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def describe(self) -> str:
        """Where this catalog lives, for messages (file name or database@host)."""
        return self._db.describe()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the connection."""
        self.close()

    def _update_num_vols(self, pool_id: int) -> None:
        self._db.execute(
            "UPDATE Pool SET NumVols = (SELECT count(*) FROM Media WHERE Media.PoolId = ?) "
            "WHERE PoolId = ?",
            (pool_id, pool_id),
        )

    def get_pool(self, name_or_id: str | int) -> PoolRow | None:
        key = "PoolId" if isinstance(name_or_id, int) else "Name"
        row = self._db.execute(
            f"SELECT {POOL.select} FROM Pool WHERE {key} = ? ORDER BY PoolId LIMIT 1", (name_or_id,)
        ).fetchone()
        return None if row is None else POOL.row(row)

    def _update_job(self, job_id: int, sql: str, params: Sequence[Any]) -> None:
        if self._db.execute(sql, [*params, job_id]).rowcount == 0:
            raise NotFoundError(f"no Job record with JobId {job_id}")

    @staticmethod
    def _check_vol_status(status: str) -> None:
        if status not in VOL_STATUSES:
            raise CatalogError(f"invalid VolStatus {status!r}; one of {', '.join(VOL_STATUSES)}")

    def get_media(self, name_or_id: str | int) -> MediaRow | None:
        key = "MediaId" if isinstance(name_or_id, int) else "VolumeName"
        row = self._db.execute(
            f"SELECT {MEDIA.select} FROM Media WHERE {key} = ?", (name_or_id,)
        ).fetchone()
        return None if row is None else MEDIA.row(row)

    def query(
        self, sql: str, params: Sequence[Any] = ()
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run any statement; return lower-case column names and rows.  Times come
        back as 'YYYY-MM-DD HH:MM:SS' strings and NUMERIC as int on both drivers."""
        columns, rows = self._db.raw_query(sql, params)
        return (
            [c.lower() for c in columns],
            [tuple(plain_value(v) for v in row) for row in rows],
        )

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; return the affected row count."""
        return self._db.execute(sql, params).rowcount
