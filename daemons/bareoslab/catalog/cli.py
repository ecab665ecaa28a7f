"""``bareoslab-catalog create|upgrade|check -c PATH``: what Bareos' database scripts do.

The connection comes from the Director configuration's Catalog resource (the first one,
or ``--catalog NAME``) and, for SQLite, the Director's Working Directory.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from . import normalise_driver, open_catalog, sqlite_path
from .api import SCHEMA_VERSION, Catalog, CatalogError, SchemaVersionError

DEFAULT_CONFIG = "/etc/bareos"
COMMANDS = ("create", "upgrade", "check")


@dataclass(frozen=True, slots=True)
class CatalogParams:
    """The connection settings of one Catalog resource."""

    driver: str = "sqlite3"
    db_name: str = "bareos"
    user: str | None = None
    password: str | None = None
    address: str | None = None
    port: int | None = None
    socket: str | None = None
    working_directory: str | None = None
    name: str = ""

    def open(self, *, create: bool = False) -> Catalog:
        return open_catalog(
            self.driver,
            self.db_name,
            user=self.user,
            password=self.password,
            address=self.address,
            port=self.port,
            socket=self.socket,
            working_directory=self.working_directory,
            create=create,
        )

    @property
    def label(self) -> str:
        return f"Catalog {self.name}" if self.name else "Catalog"


# ---------------------------------------------------------------------- config adapter


def _resources(cfg: Any, kind: str) -> list[Any]:
    found = cfg.resources(kind)
    if isinstance(found, dict):
        return list(found.values())
    return list(found or ())


def _plain(value: Any) -> str | None:
    """A config value as plain text (the DB password is used in clear text)."""
    if value is None:
        return None
    for attr in ("clear", "clear_text", "plain", "text"):
        inner = getattr(value, attr, None)
        if isinstance(inner, str):
            return inner or None
    text = str(value)
    return text or None


def params_from_config(cfg: Any, catalog_name: str | None = None) -> CatalogParams:
    """Extract the Catalog resource's settings from a loaded Director configuration."""
    catalogs = _resources(cfg, "Catalog")
    if catalog_name is not None:
        catalogs = [c for c in catalogs if getattr(c, "name", None) == catalog_name]
        if not catalogs:
            raise CatalogError(f"no Catalog resource named {catalog_name!r} in the configuration")
    if not catalogs:
        raise CatalogError("the configuration has no Catalog resource")
    res = catalogs[0]
    directors = _resources(cfg, "Director")
    workdir = getattr(directors[0], "working_directory", None) if directors else None
    port = getattr(res, "db_port", None)
    return CatalogParams(
        driver=normalise_driver(getattr(res, "db_driver", None)),
        db_name=str(getattr(res, "db_name", None) or "bareos"),
        user=_plain(getattr(res, "db_user", None)),
        password=_plain(getattr(res, "db_password", None)),
        address=_plain(getattr(res, "db_address", None)),
        port=int(port) if port else None,
        socket=_plain(getattr(res, "db_socket", None)),
        working_directory=_plain(workdir),
        name=str(getattr(res, "name", "") or ""),
    )


def catalog_from_config(
    cfg: Any, catalog_name: str | None = None, *, create: bool = True
) -> Catalog:
    """Open the catalog a Director configuration names (creating a new SQLite file)."""
    return params_from_config(cfg, catalog_name).open(create=create)


# ---------------------------------------------------------------------- commands


def _where(params: CatalogParams, catalog: Catalog | None = None) -> str:
    if catalog is not None:
        return catalog.describe()
    if params.driver == "sqlite3":
        return f"SQLite database {sqlite_path(params.db_name, params.working_directory)}"
    return f"PostgreSQL database {params.db_name}"


def cmd_create(params: CatalogParams, out: TextIO) -> int:
    if params.driver == "postgresql":
        from .postgresql import PgParams, create_database

        pg = PgParams(
            params.db_name, params.user, params.password, params.address, params.port, params.socket
        )
        if create_database(pg):
            print(f"Created database {params.db_name}.", file=out)
    else:
        path = sqlite_path(params.db_name, params.working_directory)
        if path != ":memory:" and not os.path.exists(path):
            with params.open(create=True) as catalog:
                print(
                    f"{params.label}: created schema version {catalog.check()} in "
                    f"{catalog.describe()}.",
                    file=out,
                )
            return 0
    with params.open(create=False) as catalog:
        if catalog.schema_exists():
            version = catalog.schema_version()
            if version != SCHEMA_VERSION:
                raise SchemaVersionError(
                    f"{params.label}: schema version {version} already exists in "
                    f"{catalog.describe()}; run 'bareoslab-catalog upgrade'"
                )
            print(
                f"{params.label}: schema version {version} already exists in {catalog.describe()}.",
                file=out,
            )
            return 0
        catalog.create_schema()
        print(
            f"{params.label}: created schema version {catalog.check()} in {catalog.describe()}.",
            file=out,
        )
    return 0


def cmd_upgrade(params: CatalogParams, out: TextIO) -> int:
    with params.open(create=False) as catalog:
        start, end = catalog.upgrade_schema()
        if start == end:
            print(f"{params.label}: schema version {end} is current, nothing to upgrade.", file=out)
        else:
            print(f"{params.label}: upgraded schema from version {start} to {end}.", file=out)
    return 0


def cmd_check(params: CatalogParams, out: TextIO) -> int:
    with params.open(create=False) as catalog:
        version = catalog.check()
        print(f"{params.label}: schema version {version} in {catalog.describe()}: OK", file=out)
    return 0


HANDLERS = {"create": cmd_create, "upgrade": cmd_upgrade, "check": cmd_check}


def run(
    command: str, params: CatalogParams, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run one command with already-extracted settings; return the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    handler = HANDLERS.get(command)
    if handler is None:
        print(f"bareoslab-catalog: unknown command {command!r}", file=err)
        return 2
    try:
        return handler(params, out)
    except CatalogError as exc:
        print(f"bareoslab-catalog: {exc}", file=err)
        return exc.exit_code


# ---------------------------------------------------------------------- entry point


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bareoslab-catalog",
        description="Create, upgrade or check the catalog named by the Director configuration.",
    )
    parser.add_argument("command", choices=COMMANDS)
    parser.add_argument(
        "-c",
        "--config",
        default=DEFAULT_CONFIG,
        help=f"Director configuration (default {DEFAULT_CONFIG})",
    )
    parser.add_argument("--catalog", help="Catalog resource name (default: the first one)")
    return parser


def load_params(config_path: str, catalog_name: str | None) -> CatalogParams:
    from ..config import load_config

    return params_from_config(load_config(config_path, "dir"), catalog_name)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        params = load_params(args.config, args.catalog)
    except CatalogError as exc:
        print(f"bareoslab-catalog: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # the config layer reports file:line: reason
        text = str(exc)
        if args.config not in text:
            text = f"{args.config}: {text}"
        print(f"bareoslab-catalog: {text}", file=sys.stderr)
        return 1
    return run(args.command, params)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
