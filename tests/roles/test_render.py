"""Every example inventory renders, for every host, configurations the daemons accept.

``playbooks/render-check.yml`` runs the roles on the controller (connection local,
no services, files below a temporary root) and runs ``bareoslab-<d> -t`` on each
staged configuration. Then the configurations are loaded and compared across hosts:
the passwords, names and devices the Director uses are those of the daemons.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from ansible_run import INVENTORIES, ansible_playbooks
from bareoslab.config.loader import load_config

pytestmark = pytest.mark.timeout(300)


def _hosts(inventory: Path) -> dict[str, list[str]]:
    data = yaml.safe_load((inventory / "hosts.yml").read_text())
    return {
        group: list((spec or {}).get("hosts") or {})
        for group, spec in data["all"]["children"].items()
    }


NAMES = sorted(p.name for p in INVENTORIES.iterdir())
REJECTED = "rejected"


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory):
    """Every inventory's render check, run at the same time (each takes tens of seconds)."""
    roots = {name: tmp_path_factory.mktemp(name) for name in [*NAMES, REJECTED]}
    runs = {
        name: (
            INVENTORIES / name,
            "render-check.yml",
            ["-e", f"bareoslab_render_root={roots[name]}"],
        )
        for name in NAMES
    }
    # The director of one-sd, already running on an old configuration, gets a pool the
    # daemon rejects.
    old = roots[REJECTED] / "lab-dir" / "dir" / "active" / "bareos-dir.d" / "director" / "old.conf"
    old.parent.mkdir(parents=True)
    old.write_text("# the old configuration\n")
    broken = {"bareoslab_director_pools": [{"name": "Broken", "volume_retention": "soon"}]}
    runs[REJECTED] = (
        INVENTORIES / "one-sd",
        "render-check.yml",
        [
            "--limit",
            "localhost,lab-dir",
            "-e",
            f"bareoslab_render_root={roots[REJECTED]}",
            "-e",
            json.dumps(broken),
        ],
    )
    results = ansible_playbooks(runs)
    return {name: (runs[name][0], roots[name], results[name]) for name in runs}


@pytest.fixture(params=NAMES)
def rendered(request: pytest.FixtureRequest, renders):
    inventory, root, result = renders[request.param]
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return inventory, root, result


def test_render_check_accepts_every_host(rendered) -> None:
    inventory, root, result = rendered
    groups = _hosts(inventory)
    for group, daemon in (("directors", "dir"), ("storages", "sd"), ("clients", "fd")):
        for host in groups[group]:
            staging = root / host / daemon / "staging"
            assert (staging / f"bareos-{daemon}.d").is_dir(), f"{host}: nothing rendered"
            load_config(staging, daemon)  # the -t in the playbook passed; loads here too
    assert "failed=0" in result.stdout


def test_rendered_files_begin_with_ansible_managed_and_are_private(rendered) -> None:
    _, root, _ = rendered
    files = list(root.glob("*/*/staging/bareos-*.d/*/*.conf"))
    assert files
    for file in files:
        assert file.read_text().startswith("#\n# Ansible managed"), file
        assert file.stat().st_mode & 0o007 == 0, f"{file} is readable by others"


def test_rendered_configuration_keeps_bareos_tls_defaults(rendered) -> None:
    """No resource switches TLS off: every connection of the topology runs TLS (PSK by default)."""
    _, root, _ = rendered
    files = list(root.glob("**/*.conf"))
    assert files
    for file in files:
        assert "TLS Enable = no" not in file.read_text(), file


def test_director_matches_the_daemons(rendered) -> None:
    inventory, root, _ = rendered
    groups = _hosts(inventory)
    director = load_config(root / groups["directors"][0] / "dir" / "staging", "dir")
    dir_name = director.one("Director").name
    clients = {c.name: c for c in director.resources("Client")}
    assert len(clients) == len(groups["clients"])
    for host in groups["clients"]:
        fd = load_config(root / host / "fd" / "staging", "fd")
        name = fd.one("Client").name
        mode = yaml.safe_load((inventory / "host_vars" / f"{host}.yml").read_text())[
            "bareoslab_client_connection"
        ]
        client = clients[name]
        fd_director = fd.get("Director", dir_name)
        assert fd_director is not None, f"{host}: no Director {dir_name}"
        assert fd_director.get("Password") == client.get("Password"), host
        assert client.get("Passive") is (mode == "passive"), host
        assert client.get("Connection From Client To Director") is (mode == "client"), host
        assert fd_director.get("Connection From Client To Director") is (mode == "client"), host
        if mode == "client":
            assert fd_director.get("Address"), host
        # Bareos' TLS defaults: no TLS directive, TLS-PSK required on both ends
        assert not client.is_set("TLS Enable") and not fd_director.is_set("TLS Enable"), host
        assert client.get("TLS Require") is True and fd_director.get("TLS Require") is True, host
    storages = director.resources("Storage")
    devices = {}
    for host in groups["storages"]:
        sd = load_config(root / host / "sd" / "staging", "sd")
        sd_director = sd.get("Director", dir_name)
        for device in sd.resources("Device"):
            devices[device.name] = (sd_director.get("Password"), device.get("Media Type"))
    listed = [d for s in storages for d in s.get("Device")]
    assert sorted(listed) == sorted(devices)  # every device in exactly one Storage
    for storage in storages:
        for device in storage.get("Device"):
            password, media_type = devices[device]
            assert storage.get("Password") == password, storage.name
            assert storage.get("Media Type") == media_type, storage.name
    # devices sharing a director_storage make one Storage: File writes two pools at once
    file_storage = director.get("Storage", "File")
    assert file_storage.get("Device") == ["FileStorage", "FileStorage-B"]
    assert file_storage.get("Maximum Concurrent Jobs") == 10
    catalog = director.one("Catalog")
    assert catalog.get("DB Driver") == "postgresql"
    jobs = {j.name: j.get("Type") for j in director.resources("Job")}
    assert {f"backup-{name}" for name in clients} <= set(jobs)
    assert jobs["RestoreFiles"] == "Restore"
    assert "Copy" in jobs.values() and "Migrate" in jobs.values()


def test_two_sd_copies_to_the_second_storage(renders) -> None:
    """Only the two-SD topology copies between SDs."""
    _, root, result = renders["two-sd"]
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    director = load_config(root / "lab-dir" / "dir" / "staging", "dir")
    full = director.get("Pool", "Full")
    assert full.get("Next Pool") == "FullCopy"
    assert director.get("Pool", "FullCopy").get("Storage") == ["File2"]
    assert director.get("Storage", "File2").get("Address") != director.get("Storage", "File").get(
        "Address"
    )


def test_rejected_configuration_is_never_activated(renders) -> None:
    """A resource the Director rejects fails the handler's -t; active/ keeps the old files."""
    _, root, bad = renders[REJECTED]
    out = bad.stdout + bad.stderr
    assert bad.returncode != 0, out[-3000:]
    assert "Check the staged configuration of bareoslab-dir" in out
    assert "Broken.conf" in out and "soon" in out, out[-3000:]
    assert "Activate the configuration of bareoslab-dir" not in out.split("Check the staged")[-1]
    config = root / "lab-dir" / "dir"
    assert (config / "staging" / "bareos-dir.d" / "pool" / "Broken.conf").exists()
    assert [p.name for p in (config / "active").rglob("*.conf")] == ["old.conf"]
