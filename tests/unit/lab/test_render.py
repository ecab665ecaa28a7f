"""The loopback lab's configuration: ports and TLS modes."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from bareoslab.config.loader import load_config
from bareoslab.lab.local.render import SECOND_DEVICE, LocalTopology, SecondClient, free_port, render
from bareoslab.lab.local.topology_extra import render_concurrency, render_copy_migrate


def test_free_port_never_hands_out_a_port_twice() -> None:
    """Daemons bind their ports only when they start, so two picks must differ (a lab once
    failed with "address already in use" when its Director and another daemon drew the same)."""
    ports = [free_port() for _ in range(400)]
    assert len(set(ports)) == len(ports)
    for port in ports[:5]:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))  # and each was free


def _files(t: LocalTopology) -> dict[str, str]:
    return {str(f.relative_to(t.etc)): f.read_text() for f in sorted(t.etc.rglob("*.conf"))}


def test_tls_directives_per_mode(tmp_path: Path) -> None:
    psk = LocalTopology(tmp_path / "psk")
    render(psk)
    assert not [f for f, text in _files(psk).items() if "TLS" in text]  # Bareos' defaults: TLS-PSK
    off = LocalTopology(tmp_path / "off", tls="off")
    render(off)
    network = [f for f in _files(off) if "/director/" in f or "/client/" in f or "/storage/" in f
               or f == "bconsole.conf"]
    assert len(network) == 8  # bconsole; Director, Client, Storage of dir; two of sd and fd
    assert all("  TLS Enable = no\n" in _files(off)[f] for f in network)
    with pytest.raises(ValueError, match="one of psk, off"):
        LocalTopology(tmp_path, tls="maybe")


def test_every_daemon_reads_its_configuration_back(tmp_path: Path) -> None:
    t = LocalTopology(tmp_path, client_mode="client+passive")
    render(t)
    render_copy_migrate(t)
    render_concurrency(t, SecondClient())
    director = load_config(t.etc / "dir", "dir")
    assert sorted(r.name for r in director.resources("Client")) == ["bareos-fd", "bareos-fd2"]
    for client in director.resources("Client"):  # both modes of the lab's clients
        assert client.get("Passive") is True and client.get("Connection From Client To Director") is True
        assert client.get("Maximum Concurrent Jobs") == 10
    storages = {r.name: r for r in director.resources("Storage")}
    assert storages["File"].get("Device") == ["FileStorage", SECOND_DEVICE]
    assert t.sd2 is not None and storages["File2"].get("Port") == t.sd2.port
    assert {r.name: r.get("Next Pool") for r in director.resources("Pool")}["Full"] == "FullCopy"
    for host, daemon in (("sd", "sd"), ("sd2", "sd"), ("fd", "fd"), ("fd2", "fd")):
        (director_resource,) = load_config(t.etc / host, daemon).resources("Director")
        assert director_resource.name == t.director
    fd = load_config(t.etc / "fd", "fd")
    (director_of_fd,) = fd.resources("Director")
    assert director_of_fd.get("Port") == t.dir_port  # a client-initiated FD knows where to call


def test_a_configuration_that_does_not_read_back_is_refused(tmp_path: Path) -> None:
    t = LocalTopology(tmp_path, signature="NoSuchDigest")
    with pytest.raises(ValueError, match="does not read back: .*LabData.conf"):
        render(t)
