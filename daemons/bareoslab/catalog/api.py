"""The catalog API: the ``Catalog`` class of domain methods, its records and errors.

Everything the Director asks of the catalog goes through these methods; the SQL behind
them is written once, one module per subject (``catalog/sql.py`` names them), and runs on
SQLite or PostgreSQL.

Conventions:

* Row dataclasses use the Bareos column names in snake case (``VolSessionId`` ->
  ``vol_session_id``).  ``type``, ``level`` and ``job_status`` are the one-letter codes
  as stored; compare them with the ``str`` enums of :mod:`bareoslab.codes`
  (``row.type == JobType.BACKUP``).
* Times come back as naive local ``datetime`` (``None`` when unset).  Methods accept a
  ``datetime`` (naive = local time) or epoch seconds; they are stored as
  ``'YYYY-MM-DD HH:MM:SS'`` local time.  ``JobTDate`` is epoch seconds.
* A ``Catalog`` object is one database connection.  Use it from one thread at a time.
"""

from __future__ import annotations

from .batch import SqlFileBatch as FileBatch
from .errors import (
    CatalogError,
    DatabaseError,
    NotFoundError,
    SchemaExistsError,
    SchemaMissingError,
    SchemaVersionError,
    VolumeExistsError,
)
from .records import (
    ClientRow,
    Code,
    FileSetRow,
    JobEnd,
    JobMediaRow,
    JobRow,
    LogRow,
    MediaRow,
    MediaUpdate,
    MediaUpdateResult,
    PoolRow,
    RestoreFile,
    StorageRow,
    TimeLike,
)
from .schema_sql import SCHEMA_VERSION
from .sql import SqlCatalog as Catalog

__all__ = [
    "SCHEMA_VERSION",
    "Catalog",
    "CatalogError",
    "ClientRow",
    "Code",
    "DatabaseError",
    "FileBatch",
    "FileSetRow",
    "JobEnd",
    "JobMediaRow",
    "JobRow",
    "LogRow",
    "MediaRow",
    "MediaUpdate",
    "MediaUpdateResult",
    "NotFoundError",
    "PoolRow",
    "RestoreFile",
    "SchemaExistsError",
    "SchemaMissingError",
    "SchemaVersionError",
    "StorageRow",
    "TimeLike",
    "VolumeExistsError",
]
