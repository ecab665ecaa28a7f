"""Copy inside one storage daemon and migrate to another, with Bareos' catalog outcome.

The pools come from the inventory: a pool whose Next Pool lives on the same storage host
gives a local copy, one whose Next Pool lives on another storage host a remote migrate
(the reading SD replicates to the writing SD in listen mode). Each test backs up one
client into the source pool first, so it knows which job the copy or migration took.
"""

from __future__ import annotations

import pytest
from bareoslab.lab.deployed import DeployedLab, JobRow, Pool

SOURCE = "/srv/bareoslab/data"


def _pool(lab: DeployedLab, remote: bool) -> Pool:
    pools = lab.topology.copy_pools(remote=remote)
    if not pools:
        kind = "on another storage host" if remote else "on the same storage host"
        pytest.skip(f"no pool of this topology has its Next Pool {kind}")
    return pools[0]


def _backup(lab: DeployedLab, pool: Pool) -> tuple[str, int, JobRow]:
    """A Full backup of the first client into ``pool``: (client host, entries, job)."""
    client = lab.topology.clients[0]
    entries = lab.make_sample_tree(client.host, SOURCE)
    jobid = lab.run_job(f"run job=backup-{client.name} level=Full pool={pool.name} yes")
    job = lab.wait_job(jobid)
    assert job.ok and job.poolname == pool.name, lab.job_log(jobid)
    return client.host, entries, job


def _worker_result(lab: DeployedLab, control: int, original: JobRow) -> JobRow:
    """The job the copy/migration of ``original`` produced (PriorJobId = the original)."""
    lab.wait_workers(control)
    made = lab.jobs(f"Job.PriorJobId = {original.jobid} AND Job.JobId > {control}")
    assert len(made) == 1, f"jobs made from JobId {original.jobid}: {made}\n{_logs(lab, control)}"
    return made[0]


def _logs(lab: DeployedLab, control: int) -> str:
    """The job logs of a control job and of every job it started (workers, new jobs)."""
    jobs = lab.jobs(f"Job.JobId >= {control}")
    return "\n".join(f"--- JobId {j.jobid} {j.name} {j.type} {j.jobstatus} ---\n{lab.job_log(j.jobid)}" for j in jobs)


def _volume_on_disk(lab: DeployedLab, host: str, volume: str) -> bool:
    dirs = " ".join(lab.topology.volume_dirs(host))
    return lab.sh(host, f"find {dirs} -maxdepth 1 -name {volume} -size +0 -print").strip() != ""


def test_local_copy(lab: DeployedLab) -> None:
    pool = _pool(lab, remote=False)
    _, entries, original = _backup(lab, pool)

    control = lab.run_job(f"run job=copy-{pool.name} yes")
    done = lab.wait_job(control)
    assert done.ok and done.type == "c", _logs(lab, control)

    copy = _worker_result(lab, control, original)
    assert (copy.type, copy.jobstatus, copy.jobfiles) == ("C", "T", entries), _logs(lab, control)
    assert lab.job(original.jobid).type == "B", "a copy leaves the original a Backup"
    volumes = lab.volumes(copy.jobid)
    assert volumes and all(p == pool.next_pool for _, p in volumes), volumes
    for volume, _ in volumes:
        assert _volume_on_disk(lab, pool.storage_host, volume), f"{volume} not on {pool.storage_host}"


def test_remote_migrate_and_restore(lab: DeployedLab) -> None:
    pool = _pool(lab, remote=True)
    target = lab.topology.pools[pool.next_pool].storage_host
    host, entries, original = _backup(lab, pool)

    control = lab.run_job(f"run job=migrate-{pool.name} yes")
    done = lab.wait_job(control)
    assert done.ok and done.type == "g", _logs(lab, control)

    migrated = _worker_result(lab, control, original)
    assert (migrated.type, migrated.jobstatus, migrated.jobfiles) == ("B", "T", entries), _logs(lab, control)
    assert lab.job(original.jobid).type == "M", "a migration marks the original Migrated"
    volumes = lab.volumes(migrated.jobid)
    assert volumes and all(p == pool.next_pool for _, p in volumes), volumes
    for volume, _ in volumes:
        assert _volume_on_disk(lab, target, volume), f"{volume} is not on {target}'s disk"

    client = lab.topology.clients[0]
    where = f"/var/tmp/bareoslab-restore-{migrated.jobid}"
    restore = lab.run_job(f"restore jobid={migrated.jobid} client={client.name} where={where} all done yes")
    assert lab.wait_job(restore).ok, lab.job_log(restore)
    assert lab.listing(host, where + SOURCE) == lab.listing(host, SOURCE)
