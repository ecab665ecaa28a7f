"""The bareoslab_config_tree module: a configuration directory written in one call."""

from __future__ import annotations

import importlib.util
import os
import stat
from pathlib import Path

import pytest

MODULE = Path(__file__).resolve().parents[2] / "roles" / "bareoslab_common" / "library" / "bareoslab_config_tree.py"
spec = importlib.util.spec_from_file_location("bareoslab_config_tree", MODULE)
tree = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tree)

FILES = {"director/bareos-dir.conf": "Director {\n}\n", "pool/Full.conf": "Pool {\n}\n"}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_sync_tree_writes_missing_files_and_parents_with_their_modes(tmp_path: Path) -> None:
    root = tmp_path / "etc" / "dir" / "staging" / "bareos-dir.d"
    written, removed, _ = tree.sync_tree(str(root), FILES)
    assert written == sorted(FILES) and removed == []
    assert (root / "pool" / "Full.conf").read_text() == "Pool {\n}\n"
    assert _mode(root / "pool" / "Full.conf") == 0o640
    assert {_mode(p) for p in (root, root / "pool", root.parent, tmp_path / "etc")} == {0o750}


def test_sync_tree_a_second_time_changes_nothing(tmp_path: Path) -> None:
    tree.sync_tree(str(tmp_path), FILES)
    assert tree.sync_tree(str(tmp_path), FILES) == ([], [], False)


def test_sync_tree_rewrites_changed_content_and_mode_and_removes_stale_files(tmp_path: Path) -> None:
    tree.sync_tree(str(tmp_path), {**FILES, "job/old.conf": "Job {\n}\n"})
    os.chmod(tmp_path / "director" / "bareos-dir.conf", 0o644)
    (tmp_path / "job" / "notes.txt").write_text("kept: not a .conf file")
    (tmp_path / "storage").mkdir()
    changed = {**FILES, "pool/Full.conf": "Pool {\n  Name = Full\n}\n"}
    written, removed, _ = tree.sync_tree(str(tmp_path), changed)
    assert written == sorted(FILES)  # one for its content, one for its mode
    assert removed == ["job/old.conf"]
    assert (tmp_path / "job" / "notes.txt").exists() and not (tmp_path / "storage").exists()


def test_sync_tree_check_mode_reports_and_touches_nothing(tmp_path: Path) -> None:
    written, removed, _ = tree.sync_tree(str(tmp_path / "new"), FILES, check=True)
    assert written == sorted(FILES) and removed == []
    assert not (tmp_path / "new").exists()


def test_sync_tree_refuses_paths_outside_the_tree(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outside"):
        tree.sync_tree(str(tmp_path / "root"), {"../escape.conf": "x"})
    assert not (tmp_path / "escape.conf").exists()


def test_sync_tree_reports_diffs_and_check_mode_writes_nothing(tmp_path: Path) -> None:
    tree.sync_tree(str(tmp_path), {**FILES, "job/old.conf": "Job {\n}\n"})
    changed = {"director/bareos-dir.conf": "Director {\n  Name = d\n}\n", "pool/Full.conf": "Pool {\n}\n"}
    diffs: list[dict] = []
    written, removed, _ = tree.sync_tree(str(tmp_path), changed, check=True, diffs=diffs)
    assert written == ["director/bareos-dir.conf"] and removed == ["job/old.conf"]
    assert (tmp_path / "director" / "bareos-dir.conf").read_text() == "Director {\n}\n"  # untouched
    assert (tmp_path / "job" / "old.conf").exists()
    by_file = {d["before_header"]: d for d in diffs}
    edit = by_file[str(tmp_path / "director" / "bareos-dir.conf")]
    assert edit["before"] == "Director {\n}\n" and edit["after"] == "Director {\n  Name = d\n}\n"
    gone = by_file[str(tmp_path / "job" / "old.conf")]
    assert gone["after"] == "" and gone["after_header"] == "(removed)"
    # the real run then makes exactly that change
    assert tree.sync_tree(str(tmp_path), changed)[:2] == (written, removed)
