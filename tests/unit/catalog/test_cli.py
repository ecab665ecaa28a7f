"""``bareoslab-catalog create|upgrade|check``, driven with already-extracted settings."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from bareoslab.catalog import CatalogError, open_catalog
from bareoslab.catalog.cli import CatalogParams, build_parser, main, params_from_config, run


def run_cli(command: str, params: CatalogParams) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(command, params, out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def sqlite_params(tmp_path: Path) -> CatalogParams:
    return CatalogParams(
        driver="sqlite3", db_name="bareos", working_directory=str(tmp_path), name="MyCatalog"
    )


def test_cli_sqlite_create_check_upgrade(sqlite_params: CatalogParams, tmp_path: Path) -> None:
    code, out, err = run_cli("check", sqlite_params)
    assert code == 2 and "bareos.db does not exist" in err and out == ""
    assert not (tmp_path / "bareos.db").exists()
    code, out, err = run_cli("create", sqlite_params)
    assert (code, err) == (0, "")
    assert (
        out
        == f"Catalog MyCatalog: created schema version 2250 in SQLite database {tmp_path}/bareos.db.\n"
    )
    code, out, _ = run_cli("create", sqlite_params)
    assert code == 0 and "schema version 2250 already exists" in out
    code, out, _ = run_cli("check", sqlite_params)
    assert code == 0 and out.startswith("Catalog MyCatalog: schema version 2250 in SQLite database")
    assert out.endswith(": OK\n")
    code, out, _ = run_cli("upgrade", sqlite_params)
    assert code == 0 and "2250 is current" in out


def test_cli_check_wrong_version(sqlite_params: CatalogParams) -> None:
    run_cli("create", sqlite_params)
    with sqlite_params.open() as catalog:
        catalog.execute("UPDATE Version SET VersionId = 2192")
    code, out, err = run_cli("check", sqlite_params)
    assert code == 3 and out == ""
    assert "schema version is 2192, this program needs 2250" in err
    code, _, err = run_cli("create", sqlite_params)
    assert code == 3 and "upgrade" in err
    code, _, err = run_cli("upgrade", sqlite_params)
    assert code == 3 and "cannot upgrade" in err


def test_cli_check_empty_database(sqlite_params: CatalogParams, tmp_path: Path) -> None:
    (tmp_path / "bareos.db").touch()
    code, _, err = run_cli("check", sqlite_params)
    assert code == 2 and "no catalog schema" in err
    code, out, _ = run_cli("create", sqlite_params)
    assert code == 0 and "created schema version 2250" in out


def test_cli_unknown_command(sqlite_params: CatalogParams) -> None:
    assert run_cli("drop", sqlite_params)[0] == 2


@pytest.mark.postgresql
def test_cli_postgresql_create_database_and_schema(pg_server: Any) -> None:
    kwargs = pg_server.catalog_kwargs()
    name = pg_server.unique_name("cli")
    params = CatalogParams(driver="postgresql", db_name=name, user=kwargs.get("user"),
                           password=kwargs.get("password"), address=kwargs.get("address"),
                           port=kwargs.get("port"), socket=kwargs.get("socket"))  # fmt: skip
    try:
        code, _, err = run_cli("check", params)
        assert code == 1 and "cannot connect" in err
        code, out, err = run_cli("create", params)
        assert (code, err) == (0, "")
        assert out.splitlines() == [
            f"Created database {name}.",
            f"Catalog: created schema version 2250 in PostgreSQL database {name} on "
            f"{kwargs.get('socket') or kwargs.get('address')}:{kwargs['port']}.",
        ]
        code, out, _ = run_cli("check", params)
        assert code == 0 and "schema version 2250" in out
        code, out, _ = run_cli("create", params)
        assert code == 0 and "already exists" in out and "Created database" not in out
        with open_catalog("postgresql", name, **kwargs) as catalog:
            encoding = catalog.query(
                "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = ?", (name,)
            )
        assert encoding[1] == [("SQL_ASCII",)]
    finally:
        pg_server.drop_database(name)


def test_params_from_config() -> None:
    catalog = SimpleNamespace(name="MyCatalog", db_driver="postgresql", db_name="bareos", db_user="bareos",
                              db_password="secret", db_address="db.lab", db_port=5433, db_socket=None)  # fmt: skip
    director = SimpleNamespace(name="bareos-dir", working_directory="/var/lib/bareos")
    cfg = SimpleNamespace(
        resources=lambda kind: {"Catalog": [catalog], "Director": [director]}[kind]
    )
    params = params_from_config(cfg)
    assert params == CatalogParams("postgresql", "bareos", "bareos", "secret", "db.lab", 5433, None,
                                   "/var/lib/bareos", "MyCatalog")  # fmt: skip
    # defaults: sqlite3, and the first Catalog unless one is named
    other = SimpleNamespace(name="Other", db_name="other")
    cfg = SimpleNamespace(resources=lambda kind: {"Catalog": {"Other": other, "MyCatalog": catalog},
                                                  "Director": [director]}[kind])  # fmt: skip
    assert params_from_config(cfg).driver == "sqlite3"
    assert params_from_config(cfg, "MyCatalog").user == "bareos"
    with pytest.raises(CatalogError, match="no Catalog resource named 'X'"):
        params_from_config(cfg, "X")
    empty = SimpleNamespace(resources=lambda kind: [])
    with pytest.raises(CatalogError, match="no Catalog resource"):
        params_from_config(empty)


def test_parser() -> None:
    args = build_parser().parse_args(["check", "-c", "/etc/bareos"])
    assert (args.command, args.config, args.catalog) == ("check", "/etc/bareos", None)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["drop"])


DIRECTOR_CONF = """\
Director {
  Name = bareos-dir
  Password = "secret"
  Working Directory = "%s"
  Messages = Daemon
}
Messages {
  Name = Daemon
  Console = all
}
Catalog {
  Name = MyCatalog
  DB Name = bareos
  DB User = bareos
}
"""


def test_main_reads_director_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """End to end through the config layer (skipped while it cannot load a config)."""
    config = pytest.importorskip("bareoslab.config")
    if not hasattr(config, "load_config"):
        pytest.skip("bareoslab.config.load_config not available yet")
    conf = tmp_path / "bareos-dir.conf"
    conf.write_text(DIRECTOR_CONF % tmp_path)
    assert main(["check", "-c", str(conf)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["create", "-c", str(conf)]) == 0
    assert (tmp_path / "bareos.db").exists()
    assert main(["check", "-c", str(conf), "--catalog", "MyCatalog"]) == 0
    assert "Catalog MyCatalog: schema version 2250" in capsys.readouterr().out
    assert main(["check", "-c", str(tmp_path / "missing.conf")]) == 1
    assert "missing.conf" in capsys.readouterr().err
