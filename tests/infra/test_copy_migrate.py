"""Copy inside one storage daemon and migrate to another, with Bareos' catalog outcome.

The pools come from the inventory: a pool whose Next Pool lives on the same storage host
gives a local copy, one whose Next Pool lives on another storage host a remote migrate
(the reading SD replicates to the writing SD in listen mode). Each test backs up one
client into the source pool first, so it knows which job the copy or migration took.
"""

from __future__ import annotations

import pytest
from bareoslab.lab.deployed import DeployedLab, JobRow
from bareoslab.topology import Pool

SOURCE = "/srv/bareoslab/data"


def _pool(lab: DeployedLab, remote: bool) -> Pool:
    """The first pool whose Next Pool is on the same (or another) storage host; a topology
    without one does not collect the test (``needs``, conftest.py)."""
    return lab.topology.copy_pools(remote=remote)[0]


def _backup(lab: DeployedLab, pool: Pool) -> tuple[str, int, JobRow]:
    """A Full backup of the first client into ``pool``: (client host, entries, job)."""
    client = lab.topology.clients[0]
    entries = lab.make_sample_tree(client.host, SOURCE)
    jobid = lab.run_job(f"run job=backup-{client.name} level=Full pool={pool.name} yes")
    job = lab.wait_job(jobid)
    assert job.ok and job.poolname == pool.name, lab.job_log(jobid)
    return client.host, entries, job


#: The catalog Type of a copy or migrate control job (and its workers).
CONTROL_TYPE = {"copy": "c", "migrate": "g"}


def _run_control(lab: DeployedLab, kind: str, pool: Pool, original: JobRow) -> tuple[int, JobRow]:
    """Run ``<kind>-<pool>``; its JobId and the job it made of ``original`` (PriorJobId = the
    original), once every worker has ended (a control job ends when it has queued them)."""
    control = lab.run_job(f"run job={kind}-{pool.name} yes")
    done = lab.wait_job(control)
    assert done.ok and done.type == CONTROL_TYPE[kind], _logs(lab, control)
    lab.wait_workers(control)
    made = lab.jobs(f"Job.PriorJobId = {original.jobid} AND Job.JobId > {control}")
    assert len(made) == 1, f"jobs made from JobId {original.jobid}: {made}\n{_logs(lab, control)}"
    return control, made[0]


def _assert_volumes(lab: DeployedLab, job: JobRow, pool: str, host: str) -> None:
    """The job's JobMedia point only to volumes of ``pool``, each a file on ``host``'s disk."""
    volumes = lab.volumes(job.jobid)
    assert volumes and all(p == pool for _, p in volumes), volumes
    dirs = " ".join(lab.topology.volume_dirs(host))
    for volume, _ in volumes:
        found = lab.sh(host, f"find {dirs} -maxdepth 1 -name {volume} -size +0 -print").strip()
        assert found, f"{volume} is not on {host}'s disk"


def _logs(lab: DeployedLab, control: int) -> str:
    """The job logs of a control job and of every job it started (workers, new jobs)."""
    jobs = lab.jobs(f"Job.JobId >= {control}")
    return "\n".join(f"--- JobId {j.jobid} {j.name} {j.type} {j.jobstatus} ---\n{lab.job_log(j.jobid)}" for j in jobs)


@pytest.mark.needs("local copy")
def test_local_copy(lab: DeployedLab, assert_encrypted) -> None:
    pool = _pool(lab, remote=False)
    _, entries, original = _backup(lab, pool)

    control, copy = _run_control(lab, "copy", pool, original)
    assert (copy.type, copy.jobstatus, copy.jobfiles) == ("C", "T", entries), _logs(lab, control)
    assert lab.job(original.jobid).type == "B", "a copy leaves the original a Backup"
    _assert_volumes(lab, copy, pool.next_pool, pool.storage_host)
    assert_encrypted(_logs(lab, control))


@pytest.mark.needs("remote copy")
def test_remote_migrate_and_restore(lab: DeployedLab, assert_encrypted) -> None:
    pool = _pool(lab, remote=True)
    host, entries, original = _backup(lab, pool)

    control, migrated = _run_control(lab, "migrate", pool, original)
    assert (migrated.type, migrated.jobstatus, migrated.jobfiles) == ("B", "T", entries), _logs(lab, control)
    assert lab.job(original.jobid).type == "M", "a migration marks the original Migrated"
    target = lab.topology.pools[pool.next_pool].storage_host
    _assert_volumes(lab, migrated, pool.next_pool, target)
    # the Director's connections to both storages and the reading SD's replicate connection
    lines = assert_encrypted(_logs(lab, control))
    assert len([line for line in lines if f"Connected Storage daemon at {target}:" in line]) >= 2, lines

    client = lab.topology.clients[0]
    where = f"/var/tmp/bareoslab-restore-{migrated.jobid}"
    restore = lab.run_job(f"restore jobid={migrated.jobid} client={client.name} where={where} all done yes")
    assert lab.wait_job(restore).ok, lab.job_log(restore)
    assert_encrypted(lab.job_log(restore))
    assert lab.listing(host, where + SOURCE) == lab.listing(host, SOURCE)
