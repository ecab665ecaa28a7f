"""Scenarios as the container lab reads them, and molecule's output as progress lines."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import yaml
from bareoslab.lab.containers import lab as containers
from bareoslab.lab.containers.lab import ContainersError, Scenario
from molecule.interpolation import Interpolator, TemplateWithDefaults

ROOT = Path(__file__).resolve().parents[3]
SCENARIOS = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))


def test_the_scenarios_make_test_runs_exist() -> None:
    assert set(containers.TEST_SCENARIOS) == set(SCENARIOS)
    assert containers.DEFAULT_SCENARIO in SCENARIOS


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_containers_are_the_hosts_of_its_inventory(name: str) -> None:
    """Adding a host to an example inventory needs a platform in each scenario using it."""
    scenario = Scenario(name, ROOT)
    hosts = yaml.safe_load((scenario.inventory / "hosts.yml").read_text())
    names = {h for group in hosts["all"]["children"].values() for h in (group.get("hosts") or {})}
    assert sorted(scenario.hosts) == sorted(names)
    assert scenario.network == f"bareoslab-{name}"


@pytest.mark.parametrize("name", SCENARIOS)
def test_molecule_platforms_come_from_the_topology(name: str) -> None:
    """molecule.yml names no host: its platforms are the topology's (BAREOSLAB_PLATFORMS)."""
    scenario = Scenario(name, ROOT)
    assert scenario.config()["platforms"] == "${BAREOSLAB_PLATFORMS}"
    platforms = scenario.platforms("bareoslab/debian:test")
    assert [p["name"] for p in platforms] == scenario.topology.hosts
    assert {p["image"] for p in platforms} == {"bareoslab/debian:test"}
    assert all(p["networks"][0]["name"] == scenario.network for p in platforms)
    env = containers.molecule_env("bareoslab/debian:test", scenario)
    # what molecule does with molecule.yml: substitute the environment in the text, read YAML
    interpolator = Interpolator(TemplateWithDefaults, env)
    text = interpolator.interpolate((scenario.directory / "molecule.yml").read_text(), "MOLECULE_")
    assert yaml.safe_load(text)["platforms"] == platforms
    if name == "ssh":  # reached by address: fixed ones, on a network molecule creates with the subnet
        addresses = [p["networks"][0]["ipv4_address"] for p in platforms]
        assert addresses[0] == "172.30.99.10" and len(set(addresses)) == len(platforms)
        assert platforms[0]["docker_networks"] == [{"name": "bareoslab-ssh",
                                                     "ipam_config": [{"subnet": "172.30.99.0/24"}]}]


def test_unknown_scenario_lists_the_known_ones() -> None:
    with pytest.raises(ContainersError, match="no scenario 'nope'.*default"):
        Scenario("nope", ROOT).config()


def test_molecule_output_becomes_steps_plays_and_failures(tmp_path: Path, monkeypatch) -> None:
    log = (
        "INFO     [two-sd > create] Executing\n"
        "  │ PLAY [Deploy the director] ******************************\n"
        "  │ TASK [bareoslab_common : Create the service user] *******\n"
        "  │ fatal: [lab-dir]: FAILED! => {\"msg\": \"boom\"}\n"
        "  │ ====== 1 failed, 9 passed in 7.2s ======\n"
    )
    fake = tmp_path / "molecule"
    fake.write_text(f"#!/bin/sh\ncat <<'EOF'\n{log}EOF\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(containers.sys, "executable", str(tmp_path / "python"))
    project = tmp_path / "project"  # a scenario and its inventory, as in the repository
    (project / "molecule" / "two-sd").mkdir(parents=True)
    shutil.copy(ROOT / "molecule" / "two-sd" / "molecule.yml", project / "molecule" / "two-sd")
    shutil.copytree(ROOT / "inventories" / "two-sd", project / "inventories" / "two-sd")
    out = io.StringIO()
    with pytest.raises(ContainersError, match=r"molecule test -s two-sd failed \(exit 3\)"):
        containers.molecule("test", Scenario("two-sd", project), "img", out)
    lines = [line.split("] ", 1)[1] for line in out.getvalue().splitlines() if line.startswith("[")]
    assert lines == [
        "two-sd: create",
        "two-sd:   Deploy the director",
        'two-sd:   fatal: [lab-dir]: FAILED! => {"msg": "boom"}',
        "two-sd:   1 failed, 9 passed in 7.2s",
    ]
    assert (project / "lab" / "molecule-two-sd-test.log").read_text() == log


def test_without_the_docker_cli_the_lab_says_so(monkeypatch) -> None:
    monkeypatch.setattr(containers.shutil, "which", lambda name: None)
    with pytest.raises(ContainersError, match="docker CLI is not installed"):
        containers.check_docker()


def test_an_unreachable_engine_is_reported_with_dockers_reason(tmp_path: Path, monkeypatch) -> None:
    if containers.shutil.which("docker") is None:
        pytest.skip("no docker CLI here")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    with pytest.raises(ContainersError, match="Docker Engine is not reachable: .*no-engine.sock"):
        containers.check_docker()
