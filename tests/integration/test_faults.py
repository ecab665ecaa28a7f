"""Bad input and faults: each gets a clear message, the right job status, and the daemons keep serving."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import struct
import subprocess
import time
from itertools import islice
from pathlib import Path

import pytest
from bareoslab.console.client import Console
from bareoslab.lab.local import processes
from bareoslab.net.auth import hello_director, password_key
from bareoslab.net.errors import AuthenticationError, ConnectionClosed
from bareoslab.net.framing import Signal
from bareoslab.net.tls import NO_TLS, TlsError, TlsSettings
from bareoslab.volume.device import FileDevice

from .conftest import DRIVERS, Lab, as_director, job_status, read_frame, wait_until

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("tls, error, logged", [
    ("off", AuthenticationError, "failed to authenticate"),
    # TLS-PSK: the key is the password, so the TLS handshake itself fails on both sides
    ("psk", TlsError, "TLS-PSK key of R_CONSOLE::*UserAgent* rejected: wrong password?"),
])
def test_console_wrong_password_is_refused_and_logged(lab_factory, tls, error, logged) -> None:
    lab: Lab = lab_factory(tls=tls)
    with pytest.raises(error):
        Console.open(lab.t.host, lab.t.dir_port, password_key("wrong"),
                     tls=NO_TLS if tls == "off" else TlsSettings())
    assert wait_until(lambda: logged in lab.log("dir"))
    # the Director keeps serving everybody else
    assert "Version:" in lab.run("version")


def test_unknown_console_command(lab_factory) -> None:
    lab: Lab = lab_factory()
    assert "frobnicate: is an invalid command." in lab.run("frobnicate now")
    assert "Usage: label" in lab.run("label")
    assert "Version:" in lab.run("version")


def test_storage_refuses_wrong_director_password(lab_factory) -> None:
    lab: Lab = lab_factory(tls="off")  # CRAM-MD5 in cleartext, spoken by hand
    with socket.create_connection((lab.t.host, lab.t.sd_port)) as sock:
        own = "{}:{}".format(*sock.getsockname()[:2])
        sock.sendall(struct.pack(">i", len(hello_director("bareos-dir"))) + hello_director("bareos-dir").encode())
        challenge = read_frame(sock)
        assert isinstance(challenge, bytes) and challenge.startswith(b"auth cram-md5 <")
        sock.sendall(struct.pack(">i", 23) + b"A" * 22 + b"\0")
        assert read_frame(sock) == b"1999 Authorization failed.\n"
        assert read_frame(sock) in (b"", -4)  # closed (TERMINATE first is fine)
    # the refusal names the Director claimed and the address it came from
    assert wait_until(lambda: f"authentication of bareos-dir at {own} failed" in lab.log("sd"))
    assert job_status(lab, lab.run_job("run job=backup level=Full yes")) == "T"


@pytest.mark.parametrize("frame", [
    struct.pack(">i", 2_000_000),                       # oversized frame
    struct.pack(">i", 8) + b"GET / HT",                  # not a hello
    struct.pack(">i", -99),                              # unknown signal
    b"\x16\x03\x01\x00\x28\x01\x00\x00\x24" + b"\x00" * 36,  # a whole ClientHello, garbage inside
])
def test_malformed_frames_close_the_connection(lab_factory, frame: bytes) -> None:
    lab: Lab = lab_factory()
    for port in (lab.t.sd_port, lab.t.fd_port, lab.t.dir_port):
        with socket.create_connection((lab.t.host, port), timeout=10) as sock:
            sock.sendall(frame)
            sock.settimeout(10)
            data = b""
            while chunk := sock.recv(4096):
                data += chunk
            # the daemon hung up; whatever it said is no more than a refusal
            assert b"OK" not in data
    assert job_status(lab, lab.run_job("run job=backup level=Full yes")) == "T"


def test_missing_and_vanished_files_end_with_warnings(lab_factory, tmp_path: Path) -> None:
    def add_missing(t) -> None:
        conf = t.etc / "dir" / "bareos-dir.d" / "fileset" / "LabData.conf"
        conf.write_text(conf.read_text().replace(
            f'File = "{t.fileset_dir}"', f'File = "{t.fileset_dir}"\n    File = "{tmp_path}/does-not-exist"'))

    lab: Lab = lab_factory(configure=add_missing)
    jobid = lab.run_job("run job=backup level=Full yes")
    assert job_status(lab, jobid) == "W"
    log = lab.run(f"list joblog jobid={jobid}")
    assert "does-not-exist" in log
    assert "Backup OK -- with warnings" in log


@pytest.mark.parametrize("driver", DRIVERS)
def test_file_daemon_killed_mid_backup(lab_factory, tmp_path: Path, driver) -> None:
    data = tmp_path / "big"
    data.mkdir()
    with open(data / "zeros", "wb") as fh:  # sparse on disk, read in full by the FD
        fh.truncate(3 * 1024**3)
    lab: Lab = lab_factory(driver, data=data)
    out = lab.run("run job=backup level=Full yes")
    jobid = int(out.split("JobId=")[1].split()[0])
    fd_pid = processes.daemon_processes(lab.t)["fd"].pid()
    assert fd_pid
    assert wait_until(lambda: any(r.get("msg", "").startswith("append data") for r in lab.trace("fd")), 30)
    time.sleep(0.3)
    os.kill(fd_pid, signal.SIGKILL)
    lab.console.command(f"wait jobid={jobid}", timeout=120)
    assert job_status(lab, jobid) in ("E", "f")
    log = lab.run(f"list joblog jobid={jobid}")
    assert "connection lost" in log or "Fatal error" in log
    # the volume is still readable and the next job succeeds once the FD is back
    volume = lab.query("SELECT VolumeName FROM Media")[0][0]
    FileDevice("FileStorage", "File", lab.t.storage_dir).read_label(volume)
    (data / "zeros").unlink()
    (data / "small").write_text("after the crash\n")
    processes.start(lab.t)
    assert job_status(lab, lab.run_job("run job=backup level=Full yes")) == "T"


@pytest.mark.parametrize("driver", DRIVERS)
def test_storage_daemon_killed_mid_backup(lab_factory, tmp_path: Path, driver) -> None:
    """The SD dies with blocks on its volume that no catalog row counts yet: the job ends
    failed; the restarted SD finds the volume longer than the catalog says and corrects the
    catalog before the next job appends (as Bareos' SD does), after cutting off a last block the
    kill left half-written (Bareos appends after it), every block reads to the file's end, and
    the backup made before restores identical."""
    data = tmp_path / "big"
    data.mkdir()
    (data / "first").write_bytes(os.urandom(300_000))
    lab: Lab = lab_factory(driver, data=data)
    first = lab.run_job("run job=backup level=Full yes")
    assert job_status(lab, first) == "T"
    with open(data / "zeros", "wb") as fh:  # sparse on disk, read in full by the FD
        fh.truncate(3 * 1024**3)
    out = lab.run("run job=backup level=Full yes")
    jobid = int(out.split("JobId=")[1].split()[0])
    sd_pid = processes.daemon_processes(lab.t)["sd"].pid()
    assert sd_pid
    assert wait_until(lambda: any(r.get("msg", "").startswith("append data") for r in lab.trace("fd")), 30)
    volume = lab.t.storage_dir / "Full-0001"
    assert wait_until(lambda: volume.stat().st_size > 20 * 1024 * 1024, 60, 0.01)
    os.kill(sd_pid, signal.SIGKILL)
    lab.console.command(f"wait jobid={jobid}", timeout=120)
    assert job_status(lab, jobid) in ("E", "f")
    counted = lab.query("SELECT VolBytes FROM Media WHERE VolumeName = 'Full-0001'")[0][0]
    assert counted < volume.stat().st_size  # the killed job's blocks: on disk, not counted
    # the kill cuts the block it was writing short, or not: a torn block at the end, to be sure
    # (after the kill's own torn block, the fragment makes that one look whole by its header:
    # its checksum tells, since no catalog row counts it)
    device = FileDevice("FileStorage", "File", lab.t.storage_dir)
    offset, _ = next(islice(device.read_blocks("Full-0001"), 1, None))
    with open(volume, "rb") as fh:
        fh.seek(offset)
        head = fh.read(4096)
    with open(volume, "ab") as fh:
        fh.write(head)
    (data / "zeros").unlink()
    processes.start(lab.t)
    following = lab.run_job("run job=backup level=Full yes")
    log = lab.run(f"list joblog jobid={following}")
    assert job_status(lab, following) == "T", log
    assert "removed a block cut short or damaged at offset" in log and "Correcting Catalog" in log, log
    end = max(offset + header.block_len for offset, header in device.read_blocks("Full-0001"))
    counted = lab.query("SELECT VolBytes FROM Media WHERE VolumeName = 'Full-0001'")[0][0]
    assert end == volume.stat().st_size == counted
    out = lab.run(f"restore jobid={first} where={lab.t.restore_dir} all done yes")
    restore = int(out.split("JobId=")[-1].split()[0])
    lab.console.command(f"wait jobid={restore}", timeout=120)
    assert job_status(lab, restore) == "T"
    assert (lab.t.restore_dir / str(data).lstrip("/") / "first").read_bytes() == (data / "first").read_bytes()


@pytest.mark.parametrize("driver", DRIVERS)
def test_director_killed_mid_backup_ends_the_job_at_its_restart(lab_factory, tmp_path: Path, driver) -> None:
    """The restarted Director ends the jobs it left as Bareos' does (fatal error), says why in
    the job log, and has the SD and FD cancel the one still running, which frees the device."""
    data = tmp_path / "big"
    data.mkdir()
    with open(data / "zeros", "wb") as fh:  # sparse on disk, read in full by the FD
        fh.truncate(3 * 1024**3)
    lab: Lab = lab_factory(driver, data=data)
    out = lab.run("run job=backup level=Full yes")
    jobid = int(out.split("JobId=")[1].split()[0])
    out = lab.run('run job=backup level=Full when="2035-01-01 00:00:00" yes')
    waiting = int(out.split("JobId=")[1].split()[0])
    dir_pid = processes.daemon_processes(lab.t)["dir"].pid()
    assert dir_pid
    assert wait_until(lambda: any(r.get("msg", "").startswith("append data") for r in lab.trace("fd")), 30)
    os.kill(dir_pid, signal.SIGKILL)
    assert wait_until(lambda: processes.daemon_processes(lab.t)["dir"].pid() is None)
    assert (job_status(lab, jobid), job_status(lab, waiting)) == ("R", "C")
    lab.stop_console()
    processes.start(lab.t)
    # before the restarted Director listens, as Bareos' cleanup_running_job/cleanup_created_job
    assert (job_status(lab, jobid), job_status(lab, waiting)) == ("f", "f")
    times = "SELECT SchedTime, StartTime, EndTime FROM Job WHERE JobId = {}"
    sched, start, end = lab.query(times.format(jobid))[0]
    assert end == start and start is not None
    sched, start, end = lab.query(times.format(waiting))[0]
    assert start == end == sched
    joblog = "\n".join(row[0] for row in lab.query(f"SELECT LogText FROM Log WHERE JobId = {jobid}"))
    assert "Fatal error: the Director stopped before this job ended (JobStatus R)" in joblog
    # the SD was told to cancel the job: its device is free for the next one
    assert wait_until(lambda: f"Storage File: 3000 JobId={jobid} " in lab.log("dir"), 30)
    (data / "zeros").unlink()
    (data / "small").write_text("after the restart\n")
    assert job_status(lab, lab.run_job("run job=backup level=Full yes")) == "T"


def _small_file_system(t, size: int) -> None:
    """The SD's archive directory on a file system of ``size`` bytes (a tmpfs): a real ENOSPC."""
    t.storage_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0750", "tmpfs", str(t.storage_dir)],
                   check=True, capture_output=True, timeout=30)


@pytest.mark.parametrize("driver", DRIVERS)
def test_full_disk_fails_the_job_and_keeps_the_volume_readable(lab_factory, tmp_path: Path, driver,
                                                               request: pytest.FixtureRequest) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root (CI runs as root)")
    data = tmp_path / "payload"
    data.mkdir()
    (data / "first").write_bytes(os.urandom(200_000))
    size = 3 * 1024 * 1024
    storage = tmp_path / "lab0" / "storage"
    request.addfinalizer(lambda: subprocess.run(["umount", "-l", str(storage)], capture_output=True, timeout=30))
    lab: Lab = lab_factory(driver, data=data, configure=lambda t: _small_file_system(t, size))
    assert lab.t.storage_dir == storage
    first = lab.run_job("run job=backup level=Full yes")
    assert job_status(lab, first) == "T"
    (data / "second").write_bytes(os.urandom(5 * 1024 * 1024))
    second = lab.run_job("run job=backup level=Full yes")
    assert job_status(lab, second) in ("E", "f")
    log = lab.run(f"list joblog jobid={second}")
    assert "Write error on volume" in log and "No space left on device" in log, log
    # nothing lost: the volume holds only whole blocks, the catalog counts no more than the
    # file holds, and the first job still restores
    volume = storage / "Full-0001"
    device = FileDevice("FileStorage", "File", storage)
    end = max(offset + header.block_len for offset, header in device.read_blocks("Full-0001"))
    assert end == volume.stat().st_size <= size
    counted = lab.query("SELECT VolBytes FROM Media WHERE VolumeName = 'Full-0001'")[0][0]
    assert counted <= volume.stat().st_size
    out = lab.run(f"restore jobid={first} where={lab.t.restore_dir} all done yes")
    restore = int(out.split("JobId=")[-1].split()[0])
    lab.console.command(f"wait jobid={restore}", timeout=120)
    assert job_status(lab, restore) == "T"
    restored = lab.t.restore_dir / str(data).lstrip("/") / "first"
    assert restored.read_bytes() == (data / "first").read_bytes()


@pytest.mark.parametrize("kind, answer", [
    ("sd", "3900 Invalid command: frobnicate now\n"),
    ("fd", "2999 Invalid command\n"),
])
def test_an_unknown_command_ends_the_directors_session(lab_factory, kind: str, answer: str) -> None:
    """Bareos' FD and SD answer an unknown command once and hang up (they do not read on)."""
    lab: Lab = lab_factory()

    async def speak() -> tuple[str, bool]:
        conn = await as_director(lab.t, kind)  # its 3000 OK Hello / 2000 OK Hello read
        await conn.send("frobnicate now")
        reply = await conn.recv_text(timeout=10)
        try:
            while True:  # a TERMINATE may come, then the end
                if not isinstance(await conn.recv(timeout=10), Signal):
                    return reply, False
        except ConnectionClosed:
            return reply, True
        finally:
            await conn.close()

    reply, closed = asyncio.run(speak())
    assert (reply, closed) == (answer, True)
    assert job_status(lab, lab.run_job("run job=backup level=Full yes")) == "T"


def test_a_hello_that_is_not_utf8_is_refused_with_the_peers_address(lab_factory) -> None:
    lab: Lab = lab_factory()
    hello = b"Hello Director \xff\xfe\x80 calling\n"
    kinds = {"sd": lab.t.sd_port, "fd": lab.t.fd_port, "dir": lab.t.dir_port}
    for kind, port in kinds.items():
        with socket.create_connection((lab.t.host, port), timeout=10) as sock:
            own = "{}:{}".format(*sock.getsockname()[:2])
            sock.sendall(struct.pack(">i", len(hello)) + hello)
            sock.settimeout(10)
            while sock.recv(4096):
                pass
        assert wait_until(lambda k=kind, a=own: a in lab.log(k)), f"{kind} did not log the refusal of {own}"
        log = lab.log(kind)
        assert "Traceback" not in log and "Logging error" not in log
    assert job_status(lab, lab.run_job("run job=backup level=Full yes")) == "T"


def test_connections_waiting_to_authenticate_are_bounded(lab_factory) -> None:
    """Silent connections fill the pre-authentication slots: each new one closes the one that
    waited longest, a frame too large for a hello ends its connection, and jobs run meanwhile."""
    from bareoslab.net.framing import PREAUTH_MAX_PACKET
    from bareoslab.net.server import MAX_UNAUTHENTICATED

    lab: Lab = lab_factory()
    too_large = f"sent a frame of {PREAUTH_MAX_PACKET + 1} bytes (max {PREAUTH_MAX_PACKET})"
    silent: list[socket.socket] = []
    try:
        for kind, port in {"sd": lab.t.sd_port, "fd": lab.t.fd_port, "dir": lab.t.dir_port}.items():
            opened = [socket.create_connection((lab.t.host, port), timeout=10)
                      for _ in range(MAX_UNAUTHENTICATED + 1)]
            assert opened[0].recv(16) == b"", f"{kind} kept more connections than the limit"
            assert wait_until(lambda k=kind: "connections are waiting to authenticate, the oldest "
                              "makes room" in lab.log(k))
            silent += opened[1:]
            with socket.create_connection((lab.t.host, port), timeout=10) as sock:
                sock.sendall(struct.pack(">i", PREAUTH_MAX_PACKET + 1) + b"Hello")
                assert sock.recv(16) in (b"", struct.pack(">i", -4))  # hung up (TERMINATE first is fine)
            assert wait_until(lambda k=kind: too_large in lab.log(k))
        # every slot of every daemon is taken by a silent peer: the job's connections get in
        assert job_status(lab, lab.run_job("run job=backup level=Full yes")) == "T"
    finally:
        for sock in silent:
            sock.close()


@pytest.mark.postgresql
def test_a_name_a_utf8_catalog_cannot_hold_fails_the_backup_and_hangs_nothing(lab_factory, pg_server,
                                                                            tmp_path: Path) -> None:
    """A PostgreSQL catalog made UTF8 rather than SQL_ASCII (as Bareos makes it) cannot hold a
    file name that is not UTF-8: the Director warns when it connects, as Bareos does, and the
    job ends a fatal error with a job log line saying why instead of staying running."""
    data = tmp_path / "names"
    data.mkdir()
    (data / "plain").write_text("fine\n")
    with open(os.path.join(os.fsencode(data), b"caf\xe9"), "wb") as fh:
        fh.write(b"latin-1 name\n")

    def utf8_database(t) -> None:
        with pg_server.connect() as conn:
            conn.execute(f"CREATE DATABASE {t.catalog.name} ENCODING 'UTF8' TEMPLATE template0")

    lab: Lab = lab_factory("postgresql", data=data, configure=utf8_database)
    jobid = lab.run_job("run job=backup level=Full yes")
    assert wait_until(lambda: job_status(lab, jobid) == "f", 60), job_status(lab, jobid)
    assert "not valid UTF-8" in lab.run(f"list joblog jobid={jobid}")
    assert "has encoding UTF8, not SQL_ASCII" in lab.log("dir")
    os.unlink(os.path.join(os.fsencode(data), b"caf\xe9"))
    assert job_status(lab, lab.run_job("run job=backup level=Full yes")) == "T"
