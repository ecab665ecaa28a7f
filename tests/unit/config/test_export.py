"""``--xc`` and ``--xs``: the loaded configuration written back (and read again to the same
resources), and the schema as Bareos' JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from bareoslab.config import load_config
from bareoslab.config.export import export_config, schema_json
from bareoslab.config.loader import load_config_text
from bareoslab.config.schema import SCHEMAS
from bareoslab.lab.local.render import LocalTopology, render


@pytest.fixture(scope="module")
def etc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("export")
    (base / "data").mkdir()
    t = LocalTopology(base / "lab", data_dir=base / "data", tls="off")
    render(t)
    return t.etc


def resources(cfg, daemon: str) -> dict:
    return {(r.rtype, r.name): dict(r.items()) for rtype in SCHEMAS[daemon] for r in cfg.resources(rtype)}


@pytest.mark.parametrize("daemon", ["dir", "sd", "fd"])
def test_exported_configuration_reads_back_the_same(etc: Path, daemon: str) -> None:
    cfg = load_config(etc / daemon, daemon)
    text = export_config(cfg, daemon)
    again = load_config_text(text, daemon)
    assert resources(again, daemon) == resources(cfg, daemon)
    assert "[md5]" in text  # passwords as the hash the daemon keeps


def test_export_one_type_or_one_resource(etc: Path) -> None:
    cfg = load_config(etc / "dir", "dir")
    pools = export_config(cfg, "dir", "pool")
    assert pools.count("Pool {") == len(cfg.resources("Pool")) and "Job {" not in pools
    assert export_config(cfg, "dir", "Pool", "Full").count("Pool {") == 1
    assert "Append = " in export_config(cfg, "dir", "messages")  # destinations, one line each
    with pytest.raises(ValueError, match='no resource type "nosuch"'):
        export_config(cfg, "dir", "nosuch")


def test_schema_json_has_bareos_shape() -> None:
    schema = schema_json("dir")
    assert schema["format-version"] == 2 and schema["component"] == "bareos-dir"
    job = schema["resource"]["bareos-dir"]["Job"]
    assert job["Name"]["datatype"] == "NAME" and job["Name"]["required"] is True
    assert job["Client"]["datatype"] == "RES" and job["Maximum Concurrent Jobs"]["default_value"] == "1"
    aliases = [k for k, v in schema["resource"]["bareos-dir"]["Storage"].items() if v.get("alias")]
    assert "SdPort" in aliases


def test_daemon_command_line_exports(etc: Path) -> None:
    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bareoslab.storage.main", *argv],
                              capture_output=True, text=True, timeout=60)

    schema = run("--xs")
    assert schema.returncode == 0 and json.loads(schema.stdout)["component"] == "bareos-sd"
    exported = run("-c", str(etc / "sd"), "--xc", "device")
    assert exported.returncode == 0 and exported.stdout.startswith("Device {")
    bad = run("-c", str(etc / "sd"), "--xc", "nosuch")
    assert bad.returncode == 1 and 'no resource type "nosuch"' in bad.stderr
