"""Topologies from Ansible inventories.

:func:`read_inventory` reads the YAML inventories the project ships (``hosts.yml``,
``group_vars/``, ``host_vars/``) without Ansible: what ``bareoslab local`` needs on a base
install. :func:`from_ansible_inventory` asks ``ansible-inventory --list`` (vault, plugins,
every inventory format): what the deployed-lab helpers use. Both give a
:class:`~bareoslab.topology.model.Topology` whose settings are the ``bareoslab_common``
role's defaults (:func:`role_settings`) overridden by the inventory's group variables.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .model import GROUPS, Settings, Topology, TopologyError

#: the project's roles, next to the package in a source checkout
ROLES = Path(__file__).resolve().parents[3] / "roles"


class VaultValue(str):
    """A value encrypted with ansible-vault: readable by Ansible only (here: its cipher text)."""


class _Loader(yaml.SafeLoader):
    pass


def _vault(loader: yaml.SafeLoader, node: yaml.Node) -> VaultValue:
    return VaultValue(loader.construct_scalar(node))


_Loader.add_constructor("!vault", _vault)
_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def _load(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (a SafeLoader)
    except (OSError, UnicodeDecodeError) as exc:
        raise TopologyError(f"{path}: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise TopologyError(f"{where}: not YAML: {getattr(exc, 'problem', None) or exc}") from exc


def _vars_of(directory: Path, name: str) -> dict[str, Any]:
    """``<dir>/<name>.yml`` (or ``.yaml``, or every file of ``<dir>/<name>/``)."""
    files = [directory / f"{name}{ext}" for ext in (".yml", ".yaml", "")]
    found = [f for f in files if f.is_file()]
    if (directory / name).is_dir():
        found += sorted(p for p in (directory / name).iterdir() if p.suffix in (".yml", ".yaml"))
    out: dict[str, Any] = {}
    for path in found:
        data = _load(path)
        if data is None:
            continue
        if not isinstance(data, dict):
            raise TopologyError(f"{path}: variables must be a mapping, not {type(data).__name__}")
        out.update(data)
    return out


def read_inventory(path: str | Path, settings: Settings | None = None) -> Topology:
    """The topology of a YAML inventory: a directory with ``hosts.yml`` (or that file)."""
    path = Path(path)
    hosts_file = path if path.is_file() else path / "hosts.yml"
    base = hosts_file.parent
    if not hosts_file.is_file():
        raise TopologyError(f"{path}: no inventory here (no hosts.yml)")
    data = _load(hosts_file) or {}
    if not isinstance(data, dict) or not isinstance(data.get("all"), dict):
        raise TopologyError(f"{hosts_file}: an inventory starts with 'all:'")

    groups: dict[str, list[str]] = {}
    inline: dict[str, dict[str, Any]] = {}  # host -> variables set in hosts.yml
    group_vars: dict[str, dict[str, Any]] = {}

    def walk(name: str, spec: Any, parents: list[str]) -> list[str]:
        if spec is None:
            spec = {}
        if not isinstance(spec, dict):
            raise TopologyError(f"{hosts_file}: group {name} must be a mapping")
        members: list[str] = []
        for host, hvars in (spec.get("hosts") or {}).items():
            members.append(str(host))
            inline.setdefault(str(host), {}).update(hvars or {})
        group_vars.setdefault(name, {}).update(spec.get("vars") or {})
        for child, child_spec in (spec.get("children") or {}).items():
            members += [h for h in walk(str(child), child_spec, [*parents, name]) if h not in members]
        groups[name] = members
        return members

    walk("all", data["all"], [])
    membership = {host: [g for g in groups if host in groups[g] and g != "all"] for host in groups["all"]}
    hostvars: dict[str, dict[str, Any]] = {}
    for host in groups["all"]:
        merged: dict[str, Any] = {}
        for group in ["all", *membership[host]]:
            merged.update(group_vars.get(group, {}))
            merged.update(_vars_of(base / "group_vars", group))
        merged.update(inline.get(host, {}))
        merged.update(_vars_of(base / "host_vars", host))
        merged["inventory_hostname"] = host
        hostvars[host] = merged
    everyone = {**group_vars.get("all", {}), **_vars_of(base / "group_vars", "all")}
    return _topology({g: groups.get(g, []) for g in GROUPS}, hostvars, settings, everyone)


def from_ansible_inventory(inventory: str | Path, ansible_inventory: str | None = None,
                           settings: Settings | None = None) -> Topology:
    """The topology of any inventory Ansible reads (``ansible-inventory --list``)."""
    exe = ansible_inventory or str(Path(sys.executable).parent / "ansible-inventory")
    try:
        proc = subprocess.run([exe, "-i", str(inventory), "--list"], capture_output=True, text=True)
    except OSError as exc:
        raise TopologyError(f"{exe}: {exc.strerror}; install the [lab] extra") from exc
    if proc.returncode != 0:
        raise TopologyError(f"ansible-inventory -i {inventory} failed: {proc.stderr.strip()}")
    data = json.loads(proc.stdout)
    hostvars = data.get("_meta", {}).get("hostvars", {})

    def members(group: str) -> list[str]:
        spec = data.get(group, {})
        hosts = list(spec.get("hosts", []))
        for child in spec.get("children", []):
            hosts += [h for h in members(child) if h not in hosts]
        return hosts

    first: Mapping[str, Any] = next(iter(hostvars.values()), {})
    return _topology({g: members(g) for g in GROUPS}, hostvars, settings, first)


def role_settings(roles: Path = ROLES) -> Settings:
    """The ``bareoslab_common`` role's defaults (those that are plain values)."""
    path = roles / "bareoslab_common" / "defaults" / "main.yml"
    return Settings.from_vars(_load(path) or {}) if path.is_file() else Settings()


def _topology(groups: dict[str, list[str]], hostvars: Mapping[str, Mapping[str, Any]],
              settings: Settings | None, common: Mapping[str, Any]) -> Topology:
    """Settings: the given ones, else the role's defaults under the inventory's own values."""
    if settings is None:
        defaults = role_settings()
        settings = Settings.from_vars({**{f"bareoslab_common_{k}": v for k, v in vars(defaults).items()},
                                       **common})
    return Topology(groups, hostvars, settings)
