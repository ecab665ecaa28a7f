"""Faults of the client connection modes: refused clients, absent clients, unreachable
passive clients, and a client-initiated connection that drops in the middle of a job."""

from __future__ import annotations

import socket
import struct
import threading
import time
from pathlib import Path

import pytest
from bareoslab.net.auth import hello_client

from .conftest import Lab, job_status, read_frame, wait_until

pytestmark = pytest.mark.integration

NOT_AUTHORIZED = b"1999 You are not authorized.\n"


def send_frame(sock: socket.socket, text: str) -> None:
    data = text.encode()
    sock.sendall(struct.pack(">i", len(data)) + data)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def dir_conf(t, *parts: str) -> Path:
    return t.etc.joinpath("dir", "bareos-dir.d", *parts)


def fd_conf(t, *parts: str) -> Path:
    return t.etc.joinpath("fd", "bareos-fd.d", *parts)


def short_fd_connect_timeout(t, seconds: int = 2) -> None:
    edit(dir_conf(t, "director", f"{t.director}.conf"), "  Messages = Daemon\n",
         f"  Messages = Daemon\n  FD Connect Timeout = {seconds}\n")


def test_unknown_client_name_is_refused_and_logged(lab_factory) -> None:
    lab: Lab = lab_factory(tls="off")  # cleartext hellos: the Client resources must allow them
    # a name the Director does not know, and a known client not allowed to call in
    for name, logged in (("intruder-fd", "no matching Client resource"),
                         (lab.t.client, "does not allow client-initiated connections")):
        with socket.create_connection((lab.t.host, lab.t.dir_port), timeout=10) as sock:
            send_frame(sock, hello_client(name))
            assert read_frame(sock) == NOT_AUTHORIZED
            assert read_frame(sock) in (b"", -4)  # closed (TERMINATE first is fine)
        expected = (f'"{name}"', logged)
        assert wait_until(lambda expected=expected: all(e in lab.log("dir") for e in expected), 10)
    assert "Version:" in lab.run("version")


@pytest.mark.parametrize("tls, dir_logged, fd_logged", [
    ("off", 'Unable to authenticate Client "bareos-fd"', "Authorization failed"),
    # TLS-PSK: the password is the key, so the handshake fails before CRAM-MD5
    ("psk", "TLS-PSK key of R_CLIENT::bareos-fd rejected: wrong password?", "TLS handshake with bareos-dir failed"),
])
def test_wrong_client_password_is_refused_and_logged(lab_factory, tls, dir_logged, fd_logged) -> None:
    def wrong_password(t) -> None:
        edit(fd_conf(t, "director", f"{t.director}.conf"), f'Password = "{t.fd_password}"',
             'Password = "not-the-password"')

    lab: Lab = lab_factory(client_mode="client", configure=wrong_password, tls=tls)
    assert lab.t.client == "bareos-fd"
    assert wait_until(lambda: dir_logged in lab.log("dir"), 20)
    assert wait_until(lambda: "client-initiated connection to Director" in lab.log("fd"), 10)
    assert fd_logged in lab.log("fd")
    table = lab.run("status dir").split("Client Initiated Connections (waiting for jobs):", 1)[1]
    assert lab.t.client not in table


def test_client_initiated_client_not_connected_job_waits_then_fails(lab_factory) -> None:
    def client_never_calls(t) -> None:
        short_fd_connect_timeout(t, 2)
        edit(fd_conf(t, "director", f"{t.director}.conf"), "  Connection From Client To Director = yes\n", "")

    lab: Lab = lab_factory(client_mode="client", configure=client_never_calls)
    started = time.monotonic()
    jobid = lab.run_job("run job=backup level=Full yes")
    assert time.monotonic() - started >= 2
    assert job_status(lab, jobid) in ("f", "E")
    log = lab.run(f"list joblog jobid={jobid}")
    assert f'Waiting for Client "{lab.t.client}" to connect' in log
    assert f'Client "{lab.t.client}" did not connect to the Director within 2 s' in log
    # the Director never tried to call the client
    assert not [r for r in lab.trace("dir") if r.get("event") == "connect" and r.get("peer") == lab.t.client]


def test_passive_client_unreachable_fails_naming_the_address(lab_factory) -> None:
    def unreachable(t) -> None:
        # the SD reaches the FD at the Client's Lan Address, where nothing listens
        edit(dir_conf(t, "client", f"{t.client}.conf"), "  Passive = yes\n",
             "  Passive = yes\n  Lan Address = 127.0.0.2\n")
        edit(t.etc / "sd" / "bareos-sd.d" / "storage" / f"{t.storage}.conf", "  Client Connect Wait",
             "  FD Connect Timeout = 1\n  Client Connect Wait")

    lab: Lab = lab_factory(client_mode="passive", configure=unreachable)
    jobid = lab.run_job("run job=backup level=Full yes")
    assert job_status(lab, jobid) in ("f", "E")
    log = lab.run(f"list joblog jobid={jobid}")
    address = f"127.0.0.2:{lab.t.fd_port}"
    assert f"Failed to connect to File daemon at {address}" in log, log
    assert f'could not connect to passive Client "{lab.t.client}" at {address}' in log, log
    assert "3991 Bad passive client command" in log
    # a job that does not go through the unreachable address still works
    assert "Version:" in lab.run(f"status client={lab.t.client}")


class CuttingProxy:
    """A TCP relay between the FD and the Director that cuts every relayed connection
    once the FD sends a message starting with ``trigger`` (once)."""

    def __init__(self, trigger: bytes) -> None:
        self.trigger = trigger
        self.target: tuple[str, int] | None = None
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.cut = threading.Event()
        self.connections = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                assert self.target is not None
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self.pairs.append((client, server))
                self.connections += 1
            threading.Thread(target=self._frames, args=(client, server), daemon=True).start()
            threading.Thread(target=self._raw, args=(server, client), daemon=True).start()

    def _raw(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        self._close(src, dst)

    def _frames(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                header = src.recv(4, socket.MSG_WAITALL)
                if len(header) < 4:
                    break
                (n,) = struct.unpack(">i", header)
                payload = src.recv(n, socket.MSG_WAITALL) if n > 0 else b""
                dst.sendall(header + payload)
                if not self.cut.is_set() and payload.startswith(self.trigger):
                    self.cut_all()
                    break
        except OSError:
            pass
        self._close(src, dst)

    @staticmethod
    def _close(*socks: socket.socket) -> None:
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def cut_all(self) -> None:
        self.cut.set()
        with self._lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            self._close(*pair)

    def close(self) -> None:
        self.listener.close()
        self.cut_all()


def test_client_initiated_connection_drops_mid_job_then_reconnects(lab_factory) -> None:
    proxy = CuttingProxy(trigger=b"2000 OK backup")

    def through_proxy(t) -> None:
        proxy.target = (t.host, t.dir_port)
        edit(fd_conf(t, "director", f"{t.director}.conf"), f"  Port = {t.dir_port}\n", f"  Port = {proxy.port}\n")

    try:
        # TLS off: the proxy reads the frames to cut the connection at "2000 OK backup"
        lab: Lab = lab_factory(client_mode="client", client_heartbeat=1, configure=through_proxy, tls="off")
        assert wait_until(lambda: proxy.connections >= 1 and "waiting for jobs" in lab.log("dir"), 20)
        jobid = lab.run_job("run job=backup level=Full yes")
        assert proxy.cut.is_set()
        assert job_status(lab, jobid) in ("E", "f")
        log = lab.run(f"list joblog jobid={jobid}")
        assert f'File daemon "{lab.t.client}" connection lost' in log, log
        # every connection through the relay was cut (the idle one too): the FD connects
        # again by itself -- its first idle connection, the replacement opened when the
        # job took that one, then the reconnection
        assert wait_until(lambda: proxy.connections >= 3, 20)
        assert wait_until(lambda: lab.t.client in lab.run("status dir").split(
            "Client Initiated Connections (waiting for jobs):", 1)[1], 20)
        nxt = lab.run_job("run job=backup level=Full yes")
        nlog = lab.run(f"list joblog jobid={nxt}")
        assert job_status(lab, nxt) == "T", nlog
        assert f"Using Client Initiated Connection ({lab.t.client})." in nlog
    finally:
        proxy.close()
