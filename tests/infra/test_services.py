"""Every daemon runs under its systemd unit and listens; the catalog is ready; secrets stay private."""

from __future__ import annotations

import pytest
from bareoslab.lab.deployed import CONFIG_ROOT, UNITS, DeployedLab

#: group -> (daemon, port variable, default port)
DAEMONS = {
    "directors": ("dir", "bareoslab_director_port", 9101),
    "storages": ("sd", "bareoslab_storage_port", 9103),
    "clients": ("fd", "bareoslab_client_port", 9102),
}


def _daemons(lab: DeployedLab):
    for group, (daemon, port_var, port) in DAEMONS.items():
        for host in lab.topology.groups[group]:
            yield host, daemon, int(lab.topology.var(host, port_var, str(port)))


def test_daemons_run_under_their_units_and_listen(lab: DeployedLab, hosts) -> None:
    for host, daemon, port in _daemons(lab):
        unit = hosts[host].service(UNITS[daemon])
        assert unit.is_running, f"{UNITS[daemon]} is not running on {host}"
        assert unit.is_enabled, f"{UNITS[daemon]} is not enabled on {host}"
        assert hosts[host].socket(f"tcp://0.0.0.0:{port}").is_listening, f"{host}: nothing listens on {port}"
        process = hosts[host].process.get(comm="bareoslab-" + daemon)
        assert process.user == ("root" if daemon == "fd" else "bareos"), f"{host}: runs as {process.user}"


def test_catalog_listens_and_has_the_schema(lab: DeployedLab, hosts) -> None:
    host = lab.topology.catalog
    assert hosts[host].socket("tcp://0.0.0.0:5432").is_listening
    out = lab.sh(host, f"/opt/bareoslab/venv/bin/bareoslab-catalog check -c {CONFIG_ROOT}/catalog")
    assert "schema version" in out and out.rstrip().endswith(": OK"), out
    tables = {r[0] for r in lab.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"job", "jobmedia", "media", "pool", "client", "file", "path"} <= tables


@pytest.mark.parametrize("group", sorted(DAEMONS))
def test_configuration_is_readable_only_by_the_service_group(lab: DeployedLab, hosts, group: str) -> None:
    daemon = DAEMONS[group][0]
    for host in lab.topology.groups[group]:
        active = hosts[host].file(f"{CONFIG_ROOT}/{daemon}/active")
        assert active.is_directory and active.mode == 0o750 and active.group == "bareos"
        found = lab.sh(host, f"find {CONFIG_ROOT}/{daemon}/active -type f -printf '%m %u %g %p\\n'").splitlines()
        assert found, f"{host}: no configuration files"
        loose = [line for line in found if not line.startswith("640 root bareos ")]
        assert not loose, f"{host}: files others can read or write: {loose}"


def test_director_reloads_in_place(lab: DeployedLab) -> None:
    """``systemctl reload``: the unit checks the configuration, then SIGHUP; the same process
    goes on serving (Bareos' Director reloads, it does not restart)."""
    host, unit = lab.topology.director, UNITS["dir"]
    before = lab.sh(host, f"systemctl show -p MainPID --value {unit}").strip()
    lab.sh(host, f"systemctl reload {unit}")
    after = lab.sh(host, f"systemctl show -p MainPID --value {unit}").strip()
    assert before == after and before not in ("", "0")
    assert "Version:" in lab.console("version")
