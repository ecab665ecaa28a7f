"""The loopback lab's configuration: ports and TLS modes."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from bareoslab.lab.local.render import LocalTopology, free_port


def test_free_port_never_hands_out_a_port_twice() -> None:
    """Daemons bind their ports only when they start, so two picks must differ (a lab once
    failed with "address already in use" when its Director and another daemon drew the same)."""
    ports = [free_port() for _ in range(400)]
    assert len(set(ports)) == len(ports)
    for port in ports[:5]:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))  # and each was free


def test_tls_lines_per_mode(tmp_path: Path) -> None:
    assert LocalTopology(tmp_path).tls_lines == ""  # Bareos' defaults: TLS-PSK
    assert LocalTopology(tmp_path, tls="off").tls_lines == "  TLS Enable = no\n"
    with pytest.raises(ValueError, match="one of psk, off"):
        _ = LocalTopology(tmp_path, tls="maybe").tls_lines
