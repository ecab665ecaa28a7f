"""Fixtures of the verifier suites molecule runs against a deployed topology.

The topology comes from the scenario's inventory (``$MOLECULE_INVENTORY_FILE``: molecule's
generated file beside the linked ``hosts``, ``group_vars`` and ``host_vars`` of an example
inventory). Hosts are the scenario's containers, named as in the inventory, reached
through testinfra's docker backend. A failing test gets the daemons' journals attached.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import testinfra
from bareoslab.lab.deployed import DeployedLab, connection_lines, load_topology
from bareoslab.topology import Topology

ENV = "MOLECULE_INVENTORY_FILE"
_topology: Topology | None = None
_lab: DeployedLab | None = None


def topology() -> Topology:
    global _topology
    if _topology is None:
        inventory = os.environ.get(ENV)
        if not inventory:
            pytest.exit(f"tests/infra are run by molecule verify (needs ${ENV})", returncode=4)
        _topology = load_topology(Path(inventory).parent)
    return _topology


def ssh_key() -> Path:
    """The key the ssh scenario provisions with (absent in the others)."""
    return Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "ssh" / "id_ed25519"


@pytest.fixture(scope="module")
def key() -> Path:
    """The ssh scenario's key (tests that use it are marked ``needs("ssh")``)."""
    return ssh_key()


def features() -> set[str]:
    """What this scenario's topology offers, for the ``needs`` marker."""
    t = topology()
    found = {name for name, present in (("local copy", t.copy_pools(remote=False)),
                                        ("remote copy", t.copy_pools(remote=True))) if present}
    return (found | ({"ssh"} if ssh_key().is_file() else set())
            | ({"faults"} if os.environ.get("BAREOSLAB_FAULTS") == "1" else set()))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked ``needs("remote copy")`` and the like is collected only where the
    topology offers it (deselected elsewhere, not skipped); the faults scenario runs only the
    fault tests."""
    offered = features()
    kept, dropped = [], []
    for item in items:
        needed = {m.args[0] for m in item.iter_markers("needs")}
        wanted = needed <= offered and ("faults" in needed) == ("faults" in offered)
        (kept if wanted else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "client" in metafunc.fixturenames:
        clients = topology().clients
        metafunc.parametrize("client", clients, ids=[f"{c.host}[{c.connection}]" for c in clients])


@pytest.fixture(scope="session")
def hosts() -> dict[str, testinfra.host.Host]:
    return {name: testinfra.get_host(f"docker://root@{name}") for name in topology().hostvars}


@pytest.fixture(scope="session")
def lab(hosts) -> Iterator[DeployedLab]:
    global _lab

    def run(host: str, command: str) -> tuple[int, str, str]:
        result = hosts[host].run(command)
        return result.rc, result.stdout, result.stderr

    _lab = DeployedLab(topology(), run)
    yield _lab
    _lab = None


@pytest.fixture(scope="session")
def assert_encrypted(lab: DeployedLab) -> Callable[[str], list[str]]:
    """Check that every connection line of a job log names a TLS cipher (Bareos' defaults:
    TLS-PSK), a certificate suite toward a host with a certificate of the lab CA; returns them."""
    cert_hosts = [h for h, v in lab.topology.hostvars.items() if v.get("bareoslab_common_tls_certificate")]

    def check(log: str) -> list[str]:
        found = connection_lines(log)
        assert found, f"no connection line in the job log:\n{log}"
        for line, cipher in found:
            assert cipher.endswith(" TLSv1.2"), line
            if any(f" at {host}:" in line for host in cert_hosts):
                assert "PSK" not in cipher, line
            elif ", encryption: " in line:
                assert "PSK" in cipher, line
        return [line for line, _ in found]

    return check


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when == "call" and _lab is not None:
        report.sections.append(("daemon journals", _lab.daemon_logs()))
