"""bareoslab.lab.local.state: lab.json keeps the topology across up/down."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from bareoslab.lab.local import state
from bareoslab.lab.local.render import CatalogSettings, LocalTopology


def test_state_save_load_round_trip(tmp_path: Path) -> None:
    t = LocalTopology(tmp_path / "lab", dir_port=19101, sd_port=19103, fd_port=19102,
                      catalog=CatalogSettings(name="labcat"))
    path = state.save(t)
    assert path == tmp_path / "lab" / "lab.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds the passwords
    loaded = state.load(tmp_path / "lab")
    assert loaded == t
    data = json.loads(path.read_text())
    assert data["paths"]["bconsole"] == str(tmp_path / "lab" / "etc" / "bconsole.conf")
    assert data["data_dir"] is None


def test_state_belongs_to_its_directory(tmp_path: Path) -> None:
    state.save(LocalTopology(tmp_path / "old"))
    (tmp_path / "old").rename(tmp_path / "new")
    moved = state.load(tmp_path / "new")
    assert moved.base == tmp_path / "new" and moved.fileset_dir == tmp_path / "new" / "data"


def test_state_load_without_a_lab(tmp_path: Path) -> None:
    assert not state.exists(tmp_path)
    with pytest.raises(state.NoLab, match="bareoslab local up"):
        state.load(tmp_path)


@pytest.mark.parametrize("text, message", [
    ("{", "not JSON"),
    ("[]", "not a JSON object"),
    ('{"version": 99}', "unsupported state version 99"),
    ('{"version": 1, "host": "127.0.0.1"}', "missing or bad field"),
])
def test_state_load_reports_a_bad_file(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "lab.json").write_text(text)
    with pytest.raises(state.BadState, match=message) as info:
        state.load(tmp_path)
    assert info.value.exit_code == 4
