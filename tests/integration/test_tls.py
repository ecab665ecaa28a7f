"""TLS on every kind of connection, with Bareos' defaults (TLS-PSK) and with certificates.

The loopback lab carries no TLS directive, as a Bareos installation's configuration:
every connection must negotiate TLS-PSK. What Bareos prints says so: the
``Connected ... encryption: <cipher> <protocol>`` job messages of the side that
opened a connection, the File daemon's `` Encryption:`` line, the console's.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from bareoslab.console.client import Console
from bareoslab.lab.local.render import LocalTopology
from bareoslab.lab.local.topology_extra import render_copy_migrate, start_sd2, stop_sd2
from bareoslab.net.auth import password_key
from bareoslab.net.tls import NO_TLS

from .conftest import Lab, job_status, wait_until
from .tlscerts import LabCA

pytestmark = pytest.mark.integration

PSK_CIPHER = re.compile(r"\S*PSK\S* TLSv1\.2$")


def encryption_lines(log: str) -> list[str]:
    """The connection lines (not the job report's data ``Encryption:`` field)."""
    return [line for line in log.splitlines() if ", encryption: " in line or ":  Encryption: " in line]


def assert_all_psk(log: str, *expected: str) -> None:
    """Each ``expected`` connection line is in ``log``, and every encryption line names a PSK cipher."""
    lines = encryption_lines(log)
    for prefix in expected:
        assert any(prefix in line for line in lines), (prefix, log)
    for line in lines:
        assert PSK_CIPHER.search(line.strip()), line


def add_directives(path: Path, *lines: str) -> None:
    """Insert directives at the end of the (single) resource in ``path``."""
    text = path.read_text().rstrip()
    assert text.endswith("}"), path
    path.write_text(text[:-1] + "".join(f"  {line}\n" for line in lines) + "}\n")


@pytest.mark.parametrize("mode", ["director", "client", "passive"])
def test_every_connection_of_a_backup_and_a_restore_is_tls_psk(lab_factory, mode: str) -> None:
    lab: Lab = lab_factory(client_mode=mode)
    t = lab.t
    assert PSK_CIPHER.search(lab.console.encryption), lab.console.encryption  # console -> Director
    if mode == "client":  # FD -> Director, client-initiated
        assert wait_until(lambda: f'Client "{t.client}" connected from' in lab.log("dir"), 20)
        line = next(line for line in lab.log("dir").splitlines() if f'Client "{t.client}" connected from' in line)
        assert "encryption: ECDHE-PSK" in line, line
    backup = lab.run_job("run job=backup level=Full yes")
    out = lab.run(f"restore client={t.client} fileset=LabData where={t.restore_dir} select all done yes")
    restore = int(out.split("JobId=")[-1].split()[0])
    lab.console.command(f"wait jobid={restore}", timeout=120)
    for jobid in (backup, restore):
        log = lab.run(f"list joblog jobid={jobid}")
        assert job_status(lab, jobid) == "T", log
        assert f"{t.director} JobId {jobid}:  Handshake: Immediate TLS" in log, log
        assert ("Probing client protocol..." in log) is (jobid == backup), log  # once per client
        expected = [f"{t.director} JobId {jobid}: Connected Storage daemon at {t.host}:{t.sd_port}, encryption:",
                    f"{t.director} JobId {jobid}:  Encryption: "]
        if mode == "director":
            expected.append(f"Connected Client: {t.client} at {t.host}:{t.fd_port}, encryption:")
        if mode == "passive":  # SD -> FD
            expected.append(f"{t.storage} JobId {jobid}: Connected File Daemon at {t.host}:{t.fd_port}, encryption:")
        else:  # FD -> SD
            expected += [f"{t.client} JobId {jobid}: Connected Storage daemon at {t.host}:{t.sd_port}, encryption:",
                         f"{t.client} JobId {jobid}:  Encryption: "]
        assert_all_psk(log, *expected)
    for daemon in ("dir", "sd", "fd"):  # every daemon's trace saw TLS start
        assert [e for e in lab.trace(daemon) if e.get("event") == "tls"], daemon


@pytest.fixture
def two_sd_lab(lab_factory: Any):
    started: list[LocalTopology] = []

    def configure(t: LocalTopology) -> None:
        lab_sd2 = render_copy_migrate(t)
        start_sd2(t, lab_sd2)
        started.append(t)
        t.sd2 = lab_sd2  # type: ignore[attr-defined]

    lab = lab_factory(configure=configure)
    yield lab
    for t in started:
        stop_sd2(t)


def test_remote_copy_sd_to_sd_is_tls_psk(two_sd_lab: Lab) -> None:
    lab, t = two_sd_lab, two_sd_lab.t
    lab.run_job("run job=backup level=Full yes")
    out = lab.run("run job=copy-remote yes")
    control = int(out.split("JobId=")[1].split()[0])
    lab.console.command("wait", timeout=120)
    worker = control + 1
    log = lab.run(f"list joblog jobid={worker}")
    assert job_status(lab, worker) == "T", log
    port = t.sd2.port  # type: ignore[attr-defined]
    assert_all_psk(log,
                   f"{t.director} JobId {worker}: Connected Storage daemon at {t.host}:{t.sd_port}, encryption:",
                   f"{t.director} JobId {worker}: Connected Storage daemon at {t.host}:{port}, encryption:",
                   # the reading SD's replicate connection to the writing SD
                   f"{t.storage} JobId {worker}: Connected Storage daemon at {t.host}:{port}, encryption:")


def test_director_with_tls_off_toward_a_tls_requiring_client_is_refused_naming_what_to_change(
        lab_factory) -> None:
    def client_tls_off(t: LocalTopology) -> None:
        add_directives(t.etc / "dir" / "bareos-dir.d" / "client" / f"{t.client}.conf", "TLS Enable = no")

    lab: Lab = lab_factory(configure=client_tls_off)
    jobid = lab.run_job("run job=backup level=Full yes")
    assert job_status(lab, jobid) in ("f", "E")
    assert f'Client "{lab.t.client}"' in lab.run(f"list joblog jobid={jobid}")
    refusal = (f'cleartext connection from Director "{lab.t.director}" at 127.0.0.1:')
    assert wait_until(lambda: refusal in lab.log("fd"), 10)
    line = next(line for line in lab.log("fd").splitlines() if refusal in line)
    assert "TLS is required" in line and "TLS Enable = no in this Director resource" in line, line
    assert "Traceback" not in lab.log("fd")


def test_cleartext_console_to_tls_requiring_director_is_refused(lab_factory) -> None:
    lab: Lab = lab_factory()
    with pytest.raises(Exception) as refused:
        Console.open(lab.t.host, lab.t.dir_port, password_key(lab.t.console_password), tls=NO_TLS)
    assert "TERMINATE" in str(refused.value) or "closed" in str(refused.value)
    assert wait_until(lambda: 'cleartext connection from Director "bareos-dir"' in lab.log("dir")
                      and "TLS is required" in lab.log("dir"), 10)
    assert "Version:" in lab.run("version")  # and the TLS console still gets in


def test_tls_client_hello_to_a_daemon_with_tls_off_is_served_as_bareos_does(lab_factory) -> None:
    """Bareos' TryTlsHandshakeAsAServer takes a TLS handshake whatever the resource says:
    a TLS console on a Director whose configuration has TLS off logs in, encrypted."""
    lab: Lab = lab_factory(tls="off")
    console = Console.open(lab.t.host, lab.t.dir_port, password_key(lab.t.console_password))
    try:
        assert PSK_CIPHER.search(console.encryption)
        assert "Version:" in console.run("version")
    finally:
        console.close()
    assert "although TLS Enable = no here" in lab.log("dir")


def _sd_certificate(t: LocalTopology, ca: LabCA, director_storage: list[str]) -> None:
    """The SD presents a certificate; the Director's Storage resource gets ``director_storage``."""
    sd_cert = ca.issue(t.storage)
    add_directives(t.etc / "sd" / "bareos-sd.d" / "storage" / f"{t.storage}.conf",
                   f'TLS Certificate = "{sd_cert.cert}"', f'TLS Key = "{sd_cert.key}"')
    add_directives(t.etc / "dir" / "bareos-dir.d" / "storage" / "File.conf", *director_storage)


def test_certificate_tls_with_verify_peer_and_allowed_cn(lab_factory, tmp_path: Path) -> None:
    ca = LabCA(tmp_path / "ca").create()

    def configure(t: LocalTopology) -> None:
        _sd_certificate(t, ca, [f'TLS CA Certificate File = "{ca.cert}"', "TLS Verify Peer = yes",
                                f'TLS Allowed CN = "{t.storage}"'])

    lab: Lab = lab_factory(configure=configure)
    jobid = lab.run_job("run job=backup level=Full yes")
    log = lab.run(f"list joblog jobid={jobid}")
    assert job_status(lab, jobid) == "T", log
    # the SD has a certificate: the certificate suites win over PSK (TLS 1.2 cipher choice)
    lines = encryption_lines(log)
    sd_lines = [line for line in lines if f"Storage daemon at {lab.t.host}:{lab.t.sd_port}" in line]
    assert len(sd_lines) == 2, log  # the Director's and the File daemon's
    for line in sd_lines:
        assert "ECDHE-ECDSA-" in line and "PSK" not in line and line.endswith("TLSv1.2"), line


@pytest.mark.parametrize("what, directives, reason", [
    ("an unknown CA", lambda t, other: [f'TLS CA Certificate File = "{other.cert}"', "TLS Verify Peer = yes"],
     "certificate verification failed: unable to get local issuer certificate"),
    ("another CN", lambda t, other: ['TLS CA Certificate File = "{ca}"', "TLS Verify Peer = yes",
                                     'TLS Allowed CN = "some-other-sd"'],
     "did not match a required commonName"),
])
def test_certificate_tls_refuses_an_unverified_peer_naming_why(lab_factory, tmp_path: Path, what, directives,
                                                               reason) -> None:
    ca = LabCA(tmp_path / "ca").create()
    other = LabCA(tmp_path / "other", "other-ca").create()

    def configure(t: LocalTopology) -> None:
        lines = [line.replace("{ca}", str(ca.cert)) for line in directives(t, other)]
        _sd_certificate(t, ca, lines)

    lab: Lab = lab_factory(configure=configure)
    jobid = lab.run_job("run job=backup level=Full yes")
    log = lab.run(f"list joblog jobid={jobid}")
    assert job_status(lab, jobid) in ("f", "E"), log
    assert f'TLS negotiation with Storage daemon "File" at {lab.t.host}:{lab.t.sd_port} failed' in log, log
    assert reason in log, (what, log)


def test_reload_forgets_the_probed_client_protocol_and_takes_the_new_tls_settings(lab_factory) -> None:
    lab: Lab = lab_factory()
    first = lab.run_job("run job=backup level=Full yes")
    second = lab.run_job("run job=backup level=Full yes")
    assert "Probing client protocol" in lab.run(f"list joblog jobid={first}")
    assert "Probing client protocol" not in lab.run(f"list joblog jobid={second}")
    # the Director's own resource now names a cipher list: consoles get it after the reload
    add_directives(lab.t.etc / "dir" / "bareos-dir.d" / "director" / f"{lab.t.director}.conf",
                   'TLS Cipher List = "PSK-AES256-GCM-SHA384"')
    assert "reload failed" not in lab.run("reload")
    third = lab.run_job("run job=backup level=Full yes")
    assert "Probing client protocol" in lab.run(f"list joblog jobid={third}")
    console = Console.open(lab.t.host, lab.t.dir_port, password_key(lab.t.console_password))
    try:
        assert console.encryption == "PSK-AES256-GCM-SHA384 TLSv1.2"
    finally:
        console.close()
