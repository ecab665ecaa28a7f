"""``bareoslab local --inventory``: an inventory's whole topology on loopback.

The project's inventories run as they are: every daemon host of the inventory starts here
on its own port, each client in its connection mode, the Director's resources come from
the topology model the roles deploy from, and the jobs the roles define run.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from bareoslab.console.client import Console
from bareoslab.lab import cli
from bareoslab.lab.local import processes, state
from bareoslab.net.auth import password_key
from bareoslab.topology import read_inventory

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["one-sd", "two-sd"])
def test_inventory_demo_on_loopback(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inventory = ROOT / "inventories" / name
    topo = read_inventory(inventory)
    base = tmp_path / "lab"
    try:
        assert cli.main(["local", "demo", "--dir", str(base), "--inventory", str(inventory)]) == 0
        out = capsys.readouterr().out
        for client in topo.clients:  # a Full by each client, whatever its connection mode
            assert re.search(rf"Full backup of .* by {client.name} \.\.\. JobId \d+: OK", out), out
        assert "entries identical" in out
        t = state.load(base)
        assert t.inventory == inventory.resolve()
        daemons = processes.daemon_processes(t)
        assert set(daemons) == {topo.director, *topo.storages, *(c.host for c in topo.clients)}
        assert all(p.pid() for p in daemons.values())
        assert cli.main(["local", "status", "--dir", str(base)]) == 0
        assert capsys.readouterr().out.count(" reachable") == len(daemons)
        for pool in topo.copy_pools(remote=name == "two-sd"):  # the roles' copy job of the pool
            with Console.open(t.host, t.dir_port, password_key(t.console_password)) as console:
                queued = console.command(f"run job=copy-{pool.name} yes").text
                jobid = int(re.search(r"JobId=(\d+)", queued).group(1))  # type: ignore[union-attr]
                console.command("wait", timeout=120)
                rows = [[cell.strip() for cell in line.split("|")[1:-1]]
                        for line in console.command("list jobs").text.splitlines() if line.startswith("|")]
            header, jobs = rows[0], [dict(zip(rows[0], row)) for row in rows[1:]]
            assert "jobstatus" in header
            ours = [j for j in jobs if int(j["jobid"]) >= jobid]
            assert ours and all(j["jobstatus"] == "T" for j in ours), ours  # control, workers, copies: OK
            assert [j for j in ours if j["type"] == "C"], ours  # the copies themselves
    finally:
        if state.exists(base):
            processes.stop(state.load(base))


def test_broken_inventory_is_refused_before_anything_starts(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    inventory = tmp_path / "inv"
    shutil.copytree(ROOT / "inventories" / "one-sd", inventory)
    (inventory / "host_vars" / "lab-fd-passive.yml").write_text("bareoslab_client_connection: sideways\n")
    base = tmp_path / "lab"
    assert cli.main(["local", "up", "--dir", str(base), "--inventory", str(inventory)]) == 11
    err = capsys.readouterr().err
    assert "bareoslab_client_connection on host lab-fd-passive: 'sideways' is not one of" in err
    assert "bareoslab_client_password on host lab-fd-passive: the password is missing or empty" in err
    assert not state.exists(base) and not (base / "run").exists()
