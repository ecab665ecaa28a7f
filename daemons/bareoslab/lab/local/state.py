"""The local lab's persistent state: ``DIR/lab.json``.

It keeps what ``render`` needs to write the same configuration again (ports,
passwords, names, catalog settings), so ``bareoslab local up`` after ``down``
brings back the same lab, and ``status``/``down``/``demo`` find it.  The
directory itself is not stored: the state belongs to the directory it is in,
so a lab can be moved as a whole (``up`` renders the configuration again).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..errors import LabError
from .render import CatalogSettings, LocalTopology

STATE_FILE = "lab.json"
STATE_VERSION = 1

# LocalTopology fields written as they are (scalars)
_SCALARS = ("host", "dir_port", "sd_port", "fd_port", "director", "storage", "client",
            "console_password", "sd_password", "fd_password", "signature", "client_connect_wait")




class NoLab(LabError):
    """No lab here: run ``bareoslab local up`` first."""

    exit_code = 3


class BadState(LabError):
    """The lab's state file cannot be read."""

    exit_code = 4


def state_path(base: Path) -> Path:
    return Path(base) / STATE_FILE


def to_dict(t: LocalTopology) -> dict[str, Any]:
    """The topology as JSON-ready data; ``paths`` is informational only."""
    data: dict[str, Any] = {"version": STATE_VERSION}
    data.update({name: getattr(t, name) for name in _SCALARS})
    data["catalog"] = asdict(t.catalog)
    data["data_dir"] = str(t.data_dir) if t.data_dir is not None else None
    data["inventory"] = str(t.inventory) if t.inventory is not None else None
    data["ports"] = dict(t.ports)
    data["passwords"] = dict(t.passwords)
    data["paths"] = {
        "etc": str(t.etc),
        "bconsole": str(t.etc / "bconsole.conf"),
        "data": str(t.fileset_dir),
        "storage": str(t.storage_dir),
        "restores": str(t.restore_dir),
        "run": str(t.base / "run"),
    }
    return data


def from_dict(data: dict[str, Any], base: Path) -> LocalTopology:
    """Rebuild the topology of the lab in ``base`` from ``to_dict`` data."""
    version = data.get("version")
    if version != STATE_VERSION:
        raise BadState(f"{state_path(base)}: unsupported state version {version!r} (expected {STATE_VERSION})")
    try:
        fields = {name: data[name] for name in _SCALARS}
        for port in ("dir_port", "sd_port", "fd_port", "client_connect_wait"):
            fields[port] = int(fields[port])
        catalog = CatalogSettings(**data.get("catalog", {}))
        ports = {str(h): int(p) for h, p in (data.get("ports") or {}).items()}
        passwords = {str(h): str(p) for h, p in (data.get("passwords") or {}).items()}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadState(f"{state_path(base)}: missing or bad field: {exc}") from exc
    data_dir, inventory = data.get("data_dir"), data.get("inventory")
    return LocalTopology(Path(base), catalog=catalog, data_dir=Path(data_dir) if data_dir else None,
                         inventory=Path(inventory) if inventory else None, ports=ports, passwords=passwords,
                         **fields)


def save(t: LocalTopology) -> Path:
    """Write ``lab.json`` atomically, readable by its owner only (it holds passwords)."""
    path = state_path(t.base)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(to_dict(t), fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)
    return path


def exists(base: Path) -> bool:
    return state_path(base).is_file()


def load(base: Path) -> LocalTopology:
    path = state_path(base)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NoLab(f"no lab in {Path(base)} (no {STATE_FILE}): run `bareoslab local up --dir {base}` first") from None
    except OSError as exc:
        raise BadState(f"{path}: {exc}") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BadState(f"{path}: not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadState(f"{path}: not a JSON object")
    return from_dict(data, Path(base))
