"""Faults in the data phase of a job, in containers (molecule scenario ``faults``).

Each test backs up a client whose sample tree carries a big random file (the clients send at
most 8 MB/s per job there, so the data phase lasts), waits until the File daemon reports bytes
sent, then injects its fault: a daemon's container killed (``docker kill``) and started again,
the catalog host killed, a host cut off its network (``docker network disconnect``), or a
silent partition between two hosts (every packet between them dropped by ``iptables`` in one
host's network namespace: no FIN, no RST, no ICMP error, only silence). Then, as Bareos would
have it:

* the job ends with a failure status (``E`` or ``f``) within :data:`BOUND` seconds, and no job
  stays ``R`` once the daemons are back;
* every daemon serves the next job, which ends ``T`` (the device was freed);
* a backup made before the fault still restores byte-identical;
* every volume of the storage hosts reads block by block to its end, and the catalog's VolBytes
  of each is its file's size once a job has used the volume again: nothing half-written is
  counted as good.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from bareoslab.codes import JobStatus
from bareoslab.lab.deployed import UNITS, DeployedLab, JobRow
from bareoslab.topology import Client

pytestmark = pytest.mark.needs("faults")

SOURCE = "/srv/bareoslab/data"
BIG_MIB = 80  # 10 s of data phase at 8 MB/s
BOUND = 120  # seconds a job has to end once its fault is injected
FAILED = ("E", "f")
VENV_PYTHON = "/opt/bareoslab/venv/bin/python"
GROUP_UNITS = {"directors": UNITS["dir"], "storages": UNITS["sd"], "clients": UNITS["fd"], "catalogs": "postgresql"}

#: reads every block of every volume in a directory, checksums checked; prints
#: "<volume> <bytes read to the end of the last block> <file size>" per volume
READ_VOLUMES = """
import os, sys
from pathlib import Path
from bareoslab.volume.device import FileDevice
for directory in sys.argv[1:]:
    device = FileDevice("check", "File", Path(directory))
    for path in sorted(Path(directory).iterdir()):
        if path.is_file():
            end = 0
            for offset, header in device.read_blocks(path.name):
                end = offset + header.block_len
            print(path.name, end, path.stat().st_size)
"""


def docker(*argv: str) -> str:
    done = subprocess.run(["docker", *argv], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"docker {' '.join(argv)}: {done.stderr or done.stdout}"
    return done.stdout


def unit_of(lab: DeployedLab, host: str) -> str:
    return next(unit for group, unit in GROUP_UNITS.items() if host in lab.topology.groups[group])


def wait_until(what: str, check: Callable[[], bool], timeout: float = BOUND, every: float = 1.0) -> float:
    """Poll ``check`` until true (bounded); the seconds it took."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)
    return time.monotonic() - started


def serving(lab: DeployedLab, host: str) -> bool:
    unit = unit_of(lab, host)
    state = lab.sh(host, f"systemctl is-active '{unit}*' || true", check=False).split()
    if "active" not in state:
        return False
    return unit != "postgresql" or lab.sh(host, "pg_isready -q && echo ready || true", check=False).strip() == "ready"


def restart_container(lab: DeployedLab, host: str) -> None:
    """``docker start`` a killed container; wait until its daemon serves again."""
    docker("start", host)
    wait_until(f"{host} serves again", lambda: serving(lab, host), timeout=180)


@contextmanager
def killed(lab: DeployedLab, host: str) -> Iterator[None]:
    """``docker kill`` the host's container; started again on leaving, whatever happened."""
    docker("kill", host)
    try:
        yield
    finally:
        restart_container(lab, host)


def bytes_reported(status: str, job: str) -> int:
    """The bytes a daemon's status shows for the job whose entry begins with ``job``."""
    block = status.split(job, 1)
    match = re.search(r"Bytes=([\d,]+)", block[1]) if len(block) == 2 else None
    return int(match.group(1).replace(",", "")) if match else 0


def data_flowing(lab: DeployedLab, fd: Client, jobid: int) -> bool:
    """The File daemon reports bytes sent for the job (``status client``)."""
    return bytes_reported(lab.console(f"status client={fd.name}"), f"JobId {jobid} ") > 0


def ended(lab: DeployedLab, jobid: int) -> JobRow:
    row = lab.jobs(f"Job.JobId = {jobid}")
    assert row, f"no Job row {jobid}"
    return row[0]


@pytest.fixture(scope="module")
def fd(lab: DeployedLab) -> Client:
    """The client the Director calls; a big file makes its backups last."""
    first = next(c for c in lab.topology.clients if c.connection == "director")
    lab.make_sample_tree(first.host, SOURCE, big_mib=BIG_MIB)
    return first


@pytest.fixture(scope="module")
def earlier(lab: DeployedLab, fd: Client) -> Iterator[JobRow]:
    """A good backup made before any fault: it must restore byte-identical after each."""
    row = lab.wait_job(lab.run_job(f"run job=backup-{fd.name} level=Full yes"), timeout=600)
    assert row.ok, lab.job_log(row.jobid)
    yield row


def in_data_phase(lab: DeployedLab, fd: Client, command: str) -> int:
    """Queue the job; its JobId once data flows."""
    jobid = lab.run_job(command)
    wait_until(f"JobId {jobid} sends data", lambda: data_flowing(lab, fd, jobid), timeout=180)
    return jobid


def check_after(lab: DeployedLab, fd: Client, earlier: JobRow, failed: int) -> None:
    """The aftermath every fault must leave: the failed job ended so, no job left running,
    the next job T, the earlier backup restores identical, the volumes read to their end."""
    row = ended(lab, failed)
    assert row.jobstatus in FAILED, f"JobId {failed} ended {row.jobstatus}:\n{lab.job_log(failed)}"
    wait_until("no job left running", lambda: not lab.jobs("Job.JobStatus IN ('R', 'C')"), timeout=BOUND)
    following = lab.wait_job(lab.run_job(f"run job=backup-{fd.name} level=Full yes"), timeout=600)
    assert following.ok, f"the next job ended {following.jobstatus}:\n{lab.job_log(following.jobid)}"
    where = f"/var/tmp/bareoslab-faults-{failed}"
    restore = lab.wait_job(lab.run_job(f"restore jobid={earlier.jobid} client={fd.name} where={where} "
                                       "all done yes"), timeout=600)
    assert restore.ok, lab.job_log(restore.jobid)
    assert lab.listing(fd.host, where + SOURCE) == lab.listing(fd.host, SOURCE)
    lab.sh(fd.host, f"rm -rf {where}")
    volumes_read_to_their_end(lab)


def volumes_read_to_their_end(lab: DeployedLab) -> None:
    """Every volume file reads block by block to its end (checksums verified); a volume's
    catalog VolBytes never counts more than its file holds, and equals it where a job has
    used the volume since (the SD corrects the catalog when it finds a longer file)."""
    media = {r[0]: (int(r[1]), r[2]) for r in lab.sql("SELECT VolumeName, VolBytes, VolStatus FROM Media")}
    for host in lab.topology.storages:
        dirs = lab.topology.volume_dirs(host)
        script = f"{VENV_PYTHON} - {' '.join(dirs)} <<'EOF'\n{READ_VOLUMES}\nEOF"
        for line in lab.sh(host, script).splitlines():
            name, end, size = line.split()
            assert int(end) == int(size), f"{host}:{name}: blocks end at {end}, the file at {size}"
            if name in media:
                assert media[name][0] <= int(size), f"{name}: the catalog counts {media[name][0]} bytes, " \
                                                    f"the file holds {size}"


@pytest.mark.parametrize("victim", ["storage daemon", "file daemon"])
def test_daemon_killed_mid_backup(lab: DeployedLab, fd: Client, earlier: JobRow, victim: str) -> None:
    host = lab.topology.storages[0] if victim == "storage daemon" else fd.host
    jobid = in_data_phase(lab, fd, f"run job=backup-{fd.name} level=Full yes")
    with killed(lab, host):
        wait_until(f"JobId {jobid} ends", lambda: ended(lab, jobid).jobstatus in FAILED)
    check_after(lab, fd, earlier, jobid)


def test_director_killed_and_restarted_mid_backup(lab: DeployedLab, fd: Client, earlier: JobRow) -> None:
    """Bareos' Director marks the jobs it left created or running failed when it starts."""
    director = lab.topology.director
    jobid = in_data_phase(lab, fd, f"run job=backup-{fd.name} level=Full yes")
    with killed(lab, director):
        pass  # started again at once
    wait_until(f"JobId {jobid} marked failed", lambda: ended(lab, jobid).jobstatus in FAILED)
    check_after(lab, fd, earlier, jobid)


def test_catalog_host_down_until_the_end_of_a_backup(lab: DeployedLab, fd: Client, earlier: JobRow) -> None:
    """The catalog host dies in the data phase and stays down past the job's end: the Director
    ends the job a fatal error and records it once the catalog is back (Bareos would leave the
    row running until the Director's next start), then the next job runs."""
    catalog, director = lab.topology.catalog, lab.topology.director
    jobid = in_data_phase(lab, fd, f"run job=backup-{fd.name} level=Full yes")
    with killed(lab, catalog):
        wait_until("the Director ends the job without its catalog", lambda: f"JobId {jobid}: the catalog failed" in
                   lab.sh(director, "journalctl --no-pager -u bareoslab-dir -n 200", check=False), timeout=2 * BOUND)
    wait_until(f"JobId {jobid} recorded failed", lambda: ended(lab, jobid).jobstatus in FAILED)
    assert "the catalog failed at the job's end" in lab.job_log(jobid)
    check_after(lab, fd, earlier, jobid)


@contextmanager
def cut_off(host: str) -> Iterator[None]:
    """A clean cut: the host's container leaves its network (``docker network disconnect``)
    and joins it again, under its name, on leaving."""
    network = next(iter(docker("inspect", "--format", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
                               host).split()))
    docker("network", "disconnect", network, host)
    try:
        yield
    finally:
        docker("network", "connect", "--alias", host, network, host)


def in_netns(host: str, *argv: str) -> None:
    """Run a host program (``iptables``) in the network namespace of a container."""
    pid = docker("inspect", "--format", "{{.State.Pid}}", host).strip()
    done = subprocess.run(["nsenter", "--target", pid, "--net", *argv], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{' '.join(argv)} in {host}'s network: {done.stderr}"


@contextmanager
def silenced(host: str, peer: str) -> Iterator[None]:
    """A silent partition: every packet between ``host`` and ``peer`` dropped in ``host``'s
    network namespace, both ways; each still reaches every other host. Lifted on leaving."""
    address = docker("inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
                     peer).split()[0]
    rules = [("INPUT", "--source"), ("OUTPUT", "--destination")]
    for chain, side in rules:
        in_netns(host, "iptables", "--insert", chain, side, address, "--jump", "DROP")
    try:
        yield
    finally:
        for chain, side in rules:
            in_netns(host, "iptables", "--delete", chain, side, address, "--jump", "DROP")


def test_client_cut_off_its_network_mid_backup(lab: DeployedLab, fd: Client, earlier: JobRow) -> None:
    """A clean cut: the Director and the SD find the silent client within the Heartbeat
    Interval's bound and end the job."""
    jobid = in_data_phase(lab, fd, f"run job=backup-{fd.name} level=Full yes")
    with cut_off(fd.host):
        took = wait_until(f"JobId {jobid} ends", lambda: ended(lab, jobid).jobstatus in FAILED)
    assert took < BOUND
    check_after(lab, fd, earlier, jobid)


def test_silent_partition_between_client_and_storage_mid_backup(lab: DeployedLab, fd: Client,
                                                                earlier: JobRow) -> None:
    """The client and its SD stop hearing each other while both still talk to the Director:
    the client's blocked send times out (``TCP_USER_TIMEOUT``), the SD's silent reader is
    found by keepalive, and the job ends failed within the bound."""
    jobid = in_data_phase(lab, fd, f"run job=backup-{fd.name} level=Full yes")
    with silenced(fd.host, lab.topology.storages[0]):
        took = wait_until(f"JobId {jobid} ends", lambda: ended(lab, jobid).jobstatus in FAILED)
    assert took < BOUND
    check_after(lab, fd, earlier, jobid)


def replicating(lab: DeployedLab, fd: Client, kind: str) -> tuple[JobRow, int, str, str]:
    """A fresh backup in the first remote copy pool and a ``kind`` (copy or migrate) of it
    queued; once the reading SD's records reach the writing SD: (the backup, the worker's
    JobId, the reading storage host, the writing storage host)."""
    pool = lab.topology.copy_pools(remote=True)[0]
    assert pool.next_pool is not None
    reading, writing = pool.storage_host, lab.topology.pools[pool.next_pool].storage_host
    source = lab.wait_job(lab.run_job(f"run job=backup-{fd.name} level=Full pool={pool.name} yes"), timeout=600)
    assert source.ok, lab.job_log(source.jobid)
    worker = lab.run_job(f"run job={kind}-{pool.name} jobid={source.jobid} yes")  # the worker itself

    def flowing() -> bool:
        made = [j.jobid for j in lab.jobs(f"Job.JobId >= {worker}")]
        return any(data_moving(lab, jobid, host) for jobid in made for host in (reading, writing))

    wait_until("the copy's records flow", flowing, timeout=180)
    return source, worker, reading, writing


def check_copy_failed(lab: DeployedLab, source: JobRow, worker: int) -> None:
    """The copy ended failed, its half-written job is not counted good, and the source is still
    a backup (a failed migration does not migrate)."""
    wait_until(f"JobId {worker} ends", lambda: JobStatus.has_finished(ended(lab, worker).jobstatus))
    assert ended(lab, worker).jobstatus in FAILED, lab.job_log(worker)
    made = lab.jobs(f"Job.PriorJobId = {source.jobid} AND Job.JobId > {worker}")
    assert all(j.jobstatus != "T" for j in made), made
    assert ended(lab, source.jobid).type == "B"


@pytest.mark.parametrize(("kind", "victim"), [("migrate", "writing"), ("copy", "writing"), ("copy", "reading")])
def test_storage_daemon_killed_mid_remote_copy_or_migrate(lab: DeployedLab, fd: Client, earlier: JobRow,
                                                          kind: str, victim: str) -> None:
    """The reading SD replicates to the writing SD; one of them is killed while records flow."""
    source, worker, reading, writing = replicating(lab, fd, kind)
    with killed(lab, writing if victim == "writing" else reading):
        check_copy_failed(lab, source, worker)
    check_after(lab, fd, earlier, worker)


@pytest.mark.parametrize("partition", ["cut", "silent"])
def test_partition_between_storage_daemons_mid_remote_migrate(lab: DeployedLab, fd: Client, earlier: JobRow,
                                                              partition: str) -> None:
    """The two SDs stop hearing each other while records flow: the writing SD cut off its
    network, or every packet between the two dropped (each still talks to the Director). The
    migration ends failed within the bound and its source stays a backup."""
    source, worker, reading, writing = replicating(lab, fd, "migrate")
    started = time.monotonic()
    with cut_off(writing) if partition == "cut" else silenced(reading, writing):
        check_copy_failed(lab, source, worker)
    assert time.monotonic() - started < BOUND
    check_after(lab, fd, earlier, worker)


def data_moving(lab: DeployedLab, jobid: int, storage_host: str) -> bool:
    """The storage daemon reports bytes for the job (``status storage``: its job inventory)."""
    storage = next(iter(lab.topology.storage_daemon(storage_host).storages()))
    return bytes_reported(lab.console(f"status storage={storage}"), f"JobId={jobid} ") > 0
