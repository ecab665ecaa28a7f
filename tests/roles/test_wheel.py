"""The wheel the roles install on every host has the daemons and none of the lab."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(180)


def _wheel(tmp_path: Path, **env: str) -> zipfile.ZipFile:
    out = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(ROOT)],
                   check=True, capture_output=True, env={**os.environ, **env})
    (wheel,) = out.glob("bareoslab-*.whl")
    return zipfile.ZipFile(wheel)


def test_hosts_wheel_leaves_the_lab_out(tmp_path: Path) -> None:
    with _wheel(tmp_path, BAREOSLAB_WHEEL="daemons") as wheel:
        names = wheel.namelist()
        entry_points = next(wheel.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert not [n for n in names if n.startswith(("bareoslab/lab/", "bareoslab/topology/"))]
    for package in ("director", "storage", "filed", "console", "catalog", "net", "config", "volume"):
        assert f"bareoslab/{package}/__init__.py" in names, package
    sources = ROOT / "daemons"
    data = {str(f.relative_to(sources)) for pattern in ("catalog/schema/*.sql", "catalog/queries/*.sql")
            for f in (sources / "bareoslab").glob(pattern)}
    assert data and data <= set(names)  # the catalog's SQL files come along
    commands = {line.split(" = ")[0] for line in entry_points.splitlines() if " = " in line}
    assert commands == {"bareoslab-dir", "bareoslab-sd", "bareoslab-fd", "bareoslab-console", "bareoslab-catalog"}


def test_full_wheel_has_the_lab(tmp_path: Path) -> None:
    with _wheel(tmp_path) as wheel:
        names = wheel.namelist()
    assert "bareoslab/lab/cli.py" in names and "bareoslab/topology/model.py" in names
    assert "bareoslab/lab/local/render.py" in names
