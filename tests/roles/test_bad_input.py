"""A broken topology stops site.yml in its first play, before any host is changed.

Each case breaks a copy of ``inventories/one-sd`` and checks that ``playbooks/site.yml``
fails on localhost with a message naming the variable (or group) and the host, and that
no deployment play started.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from ansible_run import INVENTORIES, ansible_playbooks

pytestmark = pytest.mark.timeout(120)


def _edit(path: Path, change: Callable[[dict], None]) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


def _drop_group(group: str) -> Callable[[Path], None]:
    def breaker(inventory: Path) -> None:
        _edit(inventory / "hosts.yml", lambda d: d["all"]["children"].pop(group))

    return breaker


def _set_host_var(host: str, var: str, value: object) -> Callable[[Path], None]:
    def breaker(inventory: Path) -> None:
        _edit(inventory / "host_vars" / f"{host}.yml", lambda d: d.__setitem__(var, value))

    return breaker


def _drop_host_var(host: str, var: str) -> Callable[[Path], None]:
    def breaker(inventory: Path) -> None:
        _edit(inventory / "host_vars" / f"{host}.yml", lambda d: d.pop(var))

    return breaker


CASES = {
    "no-director": (_drop_group("directors"), ["directors"]),
    "no-catalog": (_drop_group("catalogs"), ["catalogs"]),
    "unknown-connection": (
        _set_host_var("lab-fd-passive", "bareoslab_client_connection", "sideways"),
        ["bareoslab_client_connection", "lab-fd-passive", "sideways"],
    ),
    "storage-without-devices": (
        _set_host_var("lab-sd1", "bareoslab_storage_devices", []),
        ["bareoslab_storage_devices", "lab-sd1"],
    ),
    "empty-client-password": (
        _set_host_var("lab-fd-client", "bareoslab_client_password", ""),
        ["bareoslab_client_password", "lab-fd-client"],
    ),
    "missing-storage-password": (
        _drop_host_var("lab-sd1", "bareoslab_storage_password"),
        ["bareoslab_storage_password", "lab-sd1"],
    ),
    "empty-director-password": (
        _set_host_var("lab-dir", "bareoslab_director_password", ""),
        ["bareoslab_director_password", "lab-dir"],
    ),
    "empty-catalog-password": (
        _set_host_var("lab-db", "bareoslab_catalog_db_password", ""),
        ["bareoslab_catalog_db_password", "lab-db"],
    ),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory):
    """site.yml on every broken inventory, all run at the same time."""
    runs = {}
    for case, (breaker, _) in CASES.items():
        inventory = tmp_path_factory.mktemp(case) / "one-sd"
        shutil.copytree(INVENTORIES / "one-sd", inventory)
        breaker(inventory)
        runs[case] = (inventory, "site.yml", [])
    return ansible_playbooks(runs)


@pytest.mark.parametrize("case", sorted(CASES))
def test_site_stops_before_changing_anything(case: str, results) -> None:
    _, expected = CASES[case]
    result = results[case]
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-3000:]
    for word in expected:
        assert word in out, f"{word!r} not in the failure:\n{out[-3000:]}"
    assert "PLAY [Deploy" not in out, "a deployment play ran"
    assert "example-" not in out, "a password was printed"
