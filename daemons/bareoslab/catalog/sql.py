"""The catalog: one class made of its subjects, the same SQL on every driver.

Each subject is a module of its own: ``schema_sql`` (create, upgrade, check),
``resource_sql`` (pools, clients, storages, filesets), ``job_sql`` (Job rows, logs,
copy/migrate selection), ``media_sql`` (volumes and JobMedia), ``file_sql`` (File rows
and restore selection), ``restore_sql`` (the console restore's lookups), ``bvfs_sql``
(the bvfs cache and listings), ``prune_sql`` (purging and pruning), ``listing_sql`` (what
the console lists); ``base`` holds what they share. No SQL is written outside this
package but what a user types (``sqlquery``, ``.sql``).
"""

from __future__ import annotations

from .base import FLAVOURS, VOL_STATUSES
from .batch import SqlFileBatch
from .bvfs_sql import BvfsSql
from .file_sql import FileSql
from .job_sql import JobSql
from .listing_sql import ListingSql
from .media_sql import MediaSql
from .prune_sql import PruneSql
from .resource_sql import ResourceSql
from .restore_sql import RestoreSql
from .schema_sql import SCHEMA_VERSION, TABLES, UPGRADES, SchemaSql


class SqlCatalog(
    SchemaSql, ResourceSql, JobSql, MediaSql, FileSql, RestoreSql, BvfsSql, PruneSql, ListingSql
):
    """The catalog API (:data:`bareoslab.catalog.api.Catalog`), on SQLite or PostgreSQL."""


__all__ = [
    "FLAVOURS",
    "SCHEMA_VERSION",
    "SqlCatalog",
    "SqlFileBatch",
    "TABLES",
    "UPGRADES",
    "VOL_STATUSES",
]
