"""Hosts provisioned over SSH (the ssh scenario): each accepts the run's key and has its own host key."""

from __future__ import annotations

from pathlib import Path

import paramiko
import pytest
from bareoslab.lab.deployed import DeployedLab


@pytest.mark.needs("ssh")
def test_every_host_logs_in_over_ssh_with_its_own_host_key(lab: DeployedLab, key: Path) -> None:
    seen = set()
    for host in sorted(lab.topology.hostvars):
        address = lab.sh(host, "hostname -I").split()[0]
        own = lab.sh(host, "cat /etc/ssh/ssh_host_ed25519_key.pub").split()[1]
        with paramiko.SSHClient() as ssh:
            ssh.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            ssh.connect(address, username="root", key_filename=str(key), look_for_keys=False,
                        allow_agent=False, timeout=10)
            offered = ssh.get_transport().get_remote_server_key()
            _, out, _ = ssh.exec_command("hostname")
            assert out.read().decode().strip() == host
        if offered.get_name() == "ssh-ed25519":
            assert offered.get_base64() == own, f"{host} offers a host key that is not its own"
        seen.add(offered.get_base64())
    assert len(seen) == len(lab.topology.hostvars), "hosts share SSH host keys"
