"""Client connection modes: director-initiated, client-initiated, passive, and both.

Each mode backs up and restores byte-identically, and the protocol trace shows
who connected to whom: ``connect`` events are written by the daemon that
dialled, and the hellos name the caller.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

import pytest
from bareoslab.net.auth import hello_director

from .conftest import Lab, conformance, job_status, wait_until
from .test_backup_restore import assert_same_tree

pytestmark = pytest.mark.integration

MODES = ["director", "client", "passive", "client+passive"]


def connects(lab: Lab, kind: str) -> list[dict[str, Any]]:
    return [r for r in lab.trace(kind) if r.get("event") == "connect"]


def sent(lab: Lab, kind: str, prefix: str) -> list[dict[str, Any]]:
    return [r for r in lab.trace(kind) if r.get("dir") == "send" and r.get("msg", "").startswith(prefix)]


def received(lab: Lab, kind: str, prefix: str) -> list[dict[str, Any]]:
    return [r for r in lab.trace(kind) if r.get("dir") == "recv" and r.get("msg", "").startswith(prefix)]


def assert_directions(lab: Lab, mode: str, job: str) -> None:
    t = lab.t
    modes = set(mode.split("+"))
    dir_to_fd = [c for c in connects(lab, "dir") if c["peer"] == t.client]
    fd_to_dir = [c for c in connects(lab, "fd") if c["peer"] == t.director]
    fd_to_sd = [c for c in connects(lab, "fd") if c["peer"] == "storage"]
    sd_to_fd = [c for c in connects(lab, "sd") if c["peer"] == t.client]
    # the Director always calls the SD
    assert any(c["peer"] == "File" for c in connects(lab, "dir"))
    if "client" in modes:
        assert not dir_to_fd, dir_to_fd
        assert fd_to_dir and fd_to_dir[0]["address"] == f"{t.host}:{t.dir_port}"
        assert sent(lab, "fd", f"Hello Client {t.client} FdProtocolVersion=54 calling")
        assert received(lab, "dir", f"Hello Client {t.client} FdProtocolVersion=54 calling")
        assert received(lab, "fd", f"1000 OK: {t.director} Version:")
        assert not received(lab, "fd", "Hello Director")
        # the job's commands arrive on the FD's own connection, with no hello of their own
        job_cmds = [r for r in sent(lab, "dir", "JobId=") if r.get("peer") == t.client and r.get("job") == job]
        assert job_cmds
    else:
        assert dir_to_fd and dir_to_fd[0]["address"] == f"{t.host}:{t.fd_port}"
        assert not fd_to_dir
        assert not sent(lab, "fd", "Hello Client")
        assert sent(lab, "dir", f"Hello Director {t.director} calling")
    if "passive" in modes:
        assert not fd_to_sd, fd_to_sd
        assert [c for c in sd_to_fd if c.get("job") == job and c["address"] == f"{t.host}:{t.fd_port}"]
        assert [r for r in sent(lab, "sd", f"Hello Storage calling Start Job {job}")]
        assert received(lab, "fd", f"Hello Storage calling Start Job {job}")
        assert [r for r in sent(lab, "dir", "passive client address=") if r.get("job") == job]
        assert not [r for r in sent(lab, "dir", "storage address=") if r.get("job") == job]
        assert received(lab, "dir", "2000 OK passive client")
        # the FD sends its data-session commands on the connection the SD opened
        assert [r for r in sent(lab, "fd", "append open session") if r.get("job") == job]
    else:
        assert [c for c in fd_to_sd if c.get("job") == job and c["address"] == f"{t.host}:{t.sd_port}"]
        assert not sd_to_fd
        assert sent(lab, "fd", f"Hello Start Job {job}")
        assert [r for r in sent(lab, "dir", "storage address=") if r.get("job") == job]


@pytest.mark.parametrize("mode", MODES)
def test_client_mode_backup_and_restore(lab_factory, mode: str) -> None:
    lab: Lab = lab_factory(client_mode=mode)
    t = lab.t
    if "client" in mode:  # the FD is connected and waiting before any job runs
        assert wait_until(lambda: f"Client \"{t.client}\" connected from" in lab.log("dir"), 20)

    jobid = lab.run_job("run job=backup level=Full yes")
    status, job = lab.query(f"SELECT JobStatus, Job FROM Job WHERE JobId = {jobid}")[0]
    log = lab.run(f"list joblog jobid={jobid}")
    assert status == "T", log
    assert "Termination:            Backup OK" in log
    if "client" in mode:
        assert f"Using Client Initiated Connection ({t.client})." in log
    if "passive" in mode:
        assert f"Connected File Daemon at {t.host}:{t.fd_port}" in log
    assert_directions(lab, mode, job)
    # trace --check: the backup follows the reference sequence of its client mode
    suffix = (", client-initiated" if "client" in mode else "") + (", passive client" if "passive" in mode else "")
    assert conformance(lab, jobid) == ("backup" + suffix, [])

    out = lab.run(f"restore client={t.client} fileset=LabData where={t.restore_dir} select all done yes")
    restore = int(out.split("JobId=")[-1].split()[0])
    lab.console.command(f"wait jobid={restore}", timeout=120)
    rstatus, rjob = lab.query(f"SELECT JobStatus, Job FROM Job WHERE JobId = {restore}")[0]
    rlog = lab.run(f"list joblog jobid={restore}")
    assert rstatus == "T", rlog
    assert_same_tree(t.fileset_dir, t.restore_dir / str(t.fileset_dir).lstrip("/"))
    assert conformance(lab, restore) == ("restore" + suffix, [])
    if "passive" in mode:
        setauth = [r for r in sent(lab, "dir", "setauthorization Authorization=") if r.get("job") == rjob]
        assert setauth and received(lab, "dir", "2000 OK Authorization")
        assert [c for c in connects(lab, "sd") if c.get("job") == rjob and c["peer"] == t.client]
    else:
        assert [c for c in connects(lab, "fd") if c.get("job") == rjob and c["peer"] == "storage"]


def test_client_initiated_status_dir_and_status_client(lab_factory) -> None:
    # TLS off: the test below speaks a cleartext hello to the FD by hand
    lab: Lab = lab_factory(client_mode="client", client_heartbeat=1, tls="off")
    t = lab.t
    assert wait_until(lambda: f"Client \"{t.client}\" connected from" in lab.log("dir"), 20)
    out = lab.run("status dir")
    table = out.split("Client Initiated Connections (waiting for jobs):", 1)[1]
    assert t.client in table and "54" in table
    # Connection From Director To Client = no on the FD: a Director calling it is refused
    with socket.create_connection((t.host, t.fd_port), timeout=10) as sock:
        hello = hello_director(t.director).encode()
        sock.sendall(struct.pack(">i", len(hello)) + hello)
        (n,) = struct.unpack(">i", sock.recv(4, socket.MSG_WAITALL))
        assert sock.recv(n, socket.MSG_WAITALL) == b"2999 Authentication failed.\n"
    assert wait_until(lambda: "Connection From Director To Client = no" in lab.log("fd"), 10)
    status = lab.run(f"status client={t.client}")
    assert f"{t.client} Version:" in status
    # the FD replaced the connection the status command used, and a job still runs
    assert lab.query(f"SELECT JobStatus FROM Job WHERE JobId = {lab.run_job('run job=backup level=Full yes')}")[0][0] == "T"
    # a parked connection stays silent, as Bareos' FD keeps it (TCP keepalive, no heartbeats):
    # a Bareos Director drops a parked connection with data waiting
    assert [r for r in sent(lab, "fd", "HEARTBEAT") if r["peer"] == t.director] == []


def test_the_fd_sends_heartbeats_to_the_director_during_a_job(lab_factory) -> None:
    """Bareos' FD heartbeat thread: while a job's data flows, a heartbeat to the Director every
    Heartbeat Interval of the Client resource."""
    def slow_with_heartbeats(t) -> None:
        client = t.etc / "fd" / "bareos-fd.d" / "client" / "myself.conf"
        client.write_text(client.read_text().replace("Client {\n", "Client {\n  Heartbeat Interval = 1\n", 1))
        job = t.etc / "dir" / "bareos-dir.d" / "job" / "backup.conf"
        job.write_text(job.read_text().replace("Job {\n", "Job {\n  Maximum Bandwidth = 2 mb/s\n", 1))

    lab = lab_factory(configure=slow_with_heartbeats)
    (lab.t.fileset_dir / "big.bin").write_bytes(b"\x11" * (6 * 1024 * 1024))
    jobid = lab.run_job("run job=backup level=Full yes")
    assert job_status(lab, jobid) == "T"
    beats = [e for e in lab.trace("dir") if e.get("dir") == "recv" and e.get("msg") == "HEARTBEAT"
             and e.get("peer", "").startswith("bareos-fd")]
    assert len(beats) >= 2, [e for e in lab.trace("dir") if "HEART" in str(e.get("msg"))][:5]
