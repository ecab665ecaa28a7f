"""The catalog's errors: one base class, an exit code each for ``bareoslab-catalog``."""

from __future__ import annotations


class CatalogError(Exception):
    """Catalog error."""

    exit_code = 1

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "catalog error").strip())


#: why a text parameter could not reach the catalog (a console's bytes that are not UTF-8)
NOT_UTF8 = "text that is not valid UTF-8 cannot be stored or looked up"


class DatabaseError(CatalogError):
    """The database refused a statement."""


class SchemaMissingError(CatalogError):
    """The catalog has no schema (create it with ``bareoslab-catalog create``)."""

    exit_code = 2


class SchemaVersionError(CatalogError):
    """The catalog schema has a version this program does not support."""

    exit_code = 3


class SchemaExistsError(CatalogError):
    """The catalog schema already exists."""

    exit_code = 4


class NotFoundError(CatalogError):
    """No such catalog record."""


class VolumeExistsError(CatalogError):
    """A volume with this name already exists."""
