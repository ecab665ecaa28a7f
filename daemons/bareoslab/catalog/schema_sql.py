"""Creating, upgrading and checking the catalog schema."""

from __future__ import annotations

from .base import SqlBase
from .driver import resource
from .errors import SchemaExistsError, SchemaMissingError, SchemaVersionError

SCHEMA_VERSION = 2250
"""The catalog schema this code writes and expects (Bareos 25)."""

TABLES = frozenset(
    name.lower()
    for name in (
        "Job", "JobHisto", "JobMedia", "Media", "Pool", "Client", "FileSet", "Storage",
        "MediaType", "Device", "Path", "File", "Log", "RestoreObject", "BaseFiles",
        "PathHierarchy", "PathVisibility", "Location", "LocationLog", "Counters", "Quota",
        "NDMPLevelMap", "NDMPJobEnvironment", "DeviceStats", "JobStats", "TapeAlerts",
        "Status", "Version",
    )
)  # fmt: skip
"""Every table of the schema (lower case, as PostgreSQL reports them)."""

UPGRADES: dict[tuple[str, int], tuple[int, str]] = {
    ("postgresql", 2240): (2250, "postgresql.2240_2250.sql"),
}
"""(flavour, from version) -> (to version, script in ``schema/``)."""


class SchemaSql(SqlBase):
    """Create, upgrade and check the schema."""

    def is_empty(self) -> bool:
        """True when the database holds no table at all (a new catalog)."""
        return not self._db.table_names()

    def schema_exists(self) -> bool:
        """True when the ``Version`` table exists."""
        return "version" in self._db.table_names()

    def create_schema(self) -> None:
        """Create all tables, indexes, static rows and the ``Version`` row.
        Raises :class:`SchemaExistsError` if the schema is already there."""
        if self.schema_exists():
            raise SchemaExistsError(
                f"catalog schema already exists in {self.describe()} "
                f"(version {self._one('SELECT MAX(VersionId) FROM Version')})"
            )
        script = resource(f"schema/{self.flavour}.sql") + "\n" + resource("schema/data.sql")
        self._db.run_script(script)

    def schema_version(self) -> int:
        """The ``Version`` row; :class:`SchemaMissingError` without schema."""
        if not self.schema_exists():
            raise SchemaMissingError(f"no catalog schema in {self.describe()}")
        version = self._one("SELECT MAX(VersionId) FROM Version")
        if version is None:
            raise SchemaVersionError(f"catalog in {self.describe()} has an empty Version table")
        return int(version)

    def upgrade_schema(self) -> tuple[int, int]:
        """Bring the schema to :data:`SCHEMA_VERSION`; return (from, to).  A no-op at
        2250; :class:`SchemaVersionError` for a version with no upgrade path."""
        start = version = self.schema_version()
        while version != SCHEMA_VERSION:
            if version > SCHEMA_VERSION:
                raise SchemaVersionError(
                    f"catalog schema version {version} is newer than {SCHEMA_VERSION}, "
                    "the version this program supports"
                )
            step = UPGRADES.get((self.flavour, version))
            if step is None:
                raise SchemaVersionError(
                    f"cannot upgrade the {self.driver} catalog schema from version {version}: "
                    f"no upgrade path to {SCHEMA_VERSION}"
                )
            self._db.run_script(resource(f"schema/{step[1]}"))
            version = self.schema_version()
        return start, version

    def check(self) -> int:
        """Verify version and tables; return the version or raise
        :class:`SchemaMissingError` / :class:`SchemaVersionError`."""
        version = self.schema_version()
        if version != SCHEMA_VERSION:
            raise SchemaVersionError(
                f"catalog schema version is {version}, this program needs {SCHEMA_VERSION}; "
                "run 'bareoslab-catalog upgrade'"
            )
        missing = TABLES - self._db.table_names()
        if missing:
            raise SchemaMissingError(
                f"catalog schema in {self.describe()} lacks tables: {', '.join(sorted(missing))}"
            )
        return version
