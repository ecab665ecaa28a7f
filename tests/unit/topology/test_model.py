"""The topology model read from the project's inventories and from hand-made ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from bareoslab.topology import JobDefaults, Settings, TopologyError, read_inventory, role_settings

ROOT = Path(__file__).resolve().parents[3]


def test_two_sd_inventory_names_every_part_once() -> None:
    t = read_inventory(ROOT / "inventories" / "two-sd")
    assert t.director == "lab-dir" and t.catalog == "lab-db"
    assert t.storages == ["lab-sd1", "lab-sd2"]
    assert [(c.host, c.name, c.connection) for c in t.clients] == [
        ("lab-fd-director", "lab-fd-director-fd", "director"),
        ("lab-fd-client", "lab-fd-client-fd", "client"),
        ("lab-fd-passive", "lab-fd-passive-fd", "passive"),
    ]
    assert t.hosts == ["lab-dir", "lab-db", "lab-sd1", "lab-sd2", "lab-fd-director", "lab-fd-client",
                       "lab-fd-passive"]
    # devices sharing a director_storage make one Storage, its jobs the sum of theirs
    storages = {s["name"]: s for s in t.storage_resources()}
    assert storages["File"]["device"] == ["FileStorage", "FileStorage-B"]
    assert storages["File"]["maximum_concurrent_jobs"] == 10
    assert storages["File2"]["address"] == "lab-sd2" and storages["File2"]["port"] == 9103
    # a pool without Storage gets its host's first device's
    pools = {p["name"]: p for p in t.pool_resources()}
    assert pools["Full"]["storage"] == ["File"] and pools["LocalCopy"]["storage"] == ["FileCopy"]
    assert [p.name for p in t.copy_pools(remote=True)] == ["Full"]
    assert [p.name for p in t.copy_pools(remote=False)] == ["LocalFull"]
    assert [p.name for p in t.backup_pools()] == ["Full", "Incremental"]


def test_client_resources_follow_the_connection_mode() -> None:
    t = read_inventory(ROOT / "inventories" / "one-sd")
    modes = {c["name"]: (c["passive"], c["connection_from_client_to_director"],
                         c["connection_from_director_to_client"]) for c in t.client_resources()}
    assert modes == {"lab-fd-director-fd": (False, False, True), "lab-fd-client-fd": (False, True, False),
                     "lab-fd-passive-fd": (True, False, True)}


def test_default_jobs() -> None:
    t = read_inventory(ROOT / "inventories" / "two-sd")
    jobs = t.default_jobs(t.client_resources(), t.pool_resources(), JobDefaults(restore_where="/r"))
    names = [j["name"] for j in jobs]
    assert names == ["backup-lab-fd-director-fd", "backup-lab-fd-client-fd", "backup-lab-fd-passive-fd",
                     "RestoreFiles", "copy-Full", "migrate-Full", "copy-LocalFull", "migrate-LocalFull"]
    restore = jobs[3]
    assert (restore["client"], restore["pool"], restore["where"]) == ("lab-fd-director-fd", "Full", "/r")


def test_settings_come_from_the_common_role_and_the_inventory(tmp_path: Path) -> None:
    assert role_settings().client_port == 9102
    inv = tmp_path / "inv"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "hosts.yml").write_text("all:\n  children:\n    directors: {hosts: {d: }}\n"
                                   "    catalogs: {hosts: {c: {bareoslab_catalog_db_password: x}}}\n"
                                   "    clients:\n      hosts:\n        f:\n          bareoslab_client_password: p\n"
                                   "          bareoslab_client_port: 9999\n")
    (inv / "group_vars" / "all.yml").write_text("bareoslab_common_client_port: 19102\n"
                                                "bareoslab_common_catalog_name: Cat\n")
    t = read_inventory(inv)
    assert t.settings.client_port == 19102 and t.settings.catalog_name == "Cat"
    assert [c.port for c in t.clients] == [9999]  # the host's own wins
    assert t.catalog_resources()[0]["name"] == "Cat"
    assert t.catalog_resources()[0]["db_address"] == "c"


@pytest.mark.parametrize(("hosts", "message"), [
    ("all:\n  children:\n    directors: {hosts: {a: , b: }}\n", "group directors: a topology needs exactly one "
                                                                  "host, found 2 (a, b)"),
    ("all:\n  children:\n    clients: {hosts: {f: {bareoslab_client_connection: sideways}}}\n",
     "bareoslab_client_connection on host f: 'sideways' is not one of director, client, passive"),
    ("all:\n  children:\n    storages: {hosts: {s: {bareoslab_storage_password: p}}}\n",
     "bareoslab_storage_devices on host s: a storage needs at least one device"),
    ("all:\n  children:\n    clients: {hosts: {f: }}\n",
     "bareoslab_client_password on host f: the password is missing or empty"),
    ("all: [\n", "hosts.yml:2: not YAML"),
    ("- a\n", "an inventory starts with 'all:'"),
])
def test_bad_topologies_say_what_is_wrong(tmp_path: Path, hosts: str, message: str) -> None:
    (tmp_path / "hosts.yml").write_text(hosts)
    with pytest.raises(TopologyError) as err:
        read_inventory(tmp_path).check()
    assert any(message in line for line in str(err.value).splitlines())


def test_check_names_every_problem_at_once(tmp_path: Path) -> None:
    (tmp_path / "hosts.yml").write_text("all:\n  children:\n    clients: {hosts: {f: }}\n")
    with pytest.raises(TopologyError) as err:
        read_inventory(tmp_path).check()
    assert str(err.value).splitlines() == [
        "group directors: a topology needs exactly one host, found 0",
        "group catalogs: a topology needs exactly one host, found 0",
        "bareoslab_client_password on host f: the password is missing or empty",
    ]


def test_vault_values_are_kept_as_such(tmp_path: Path) -> None:
    (tmp_path / "hosts.yml").write_text(
        "all:\n  hosts:\n    f:\n      bareoslab_client_password: !vault |\n"
        "        $ANSIBLE_VAULT;1.1;AES256\n        6162\n")
    t = read_inventory(tmp_path)
    assert str(t.hostvars["f"]["bareoslab_client_password"]).startswith("$ANSIBLE_VAULT")


def test_settings_from_vars_skip_templates() -> None:
    s = Settings.from_vars({"bareoslab_common_venv": "{{ x }}", "bareoslab_common_storage_port": "19103"})
    assert s.venv == Settings().venv and s.storage_port == 19103


def test_what_the_file_and_storage_daemons_know_of_the_director() -> None:
    t = read_inventory(ROOT / "inventories" / "one-sd")
    assert t.client_directors("lab-fd-director") == [{"name": "bareos-dir",
                                                      "password": "example-fd-director-password"}]
    assert t.client_directors("lab-fd-client") == [{
        "name": "bareos-dir", "password": "example-fd-client-password", "address": "lab-dir", "port": 9101,
        "connection_from_client_to_director": True, "connection_from_director_to_client": False}]
    assert t.storage_directors("lab-sd1") == [{"name": "bareos-dir", "password": "example-sd1-password"}]
    assert t.storage_daemon("lab-sd1").name == "lab-sd1-sd"
    assert t.director_endpoint() == ("lab-dir", 9101)


def test_client_and_passive_at_once(tmp_path: Path) -> None:
    (tmp_path / "hosts.yml").write_text(
        "all:\n  children:\n    directors: {hosts: {d: {bareoslab_director_password: x}}}\n"
        "    clients: {hosts: {f: {bareoslab_client_password: p, bareoslab_client_connection: client+passive,"
        " bareoslab_client_maximum_concurrent_jobs: 3}}}\n")
    (resource,) = read_inventory(tmp_path).client_resources()
    assert (resource["passive"], resource["connection_from_client_to_director"],
            resource["connection_from_director_to_client"], resource["maximum_concurrent_jobs"]) == (True, True, False, 3)
