"""Backups of every client at the same time, into different pools of one Storage with two
devices: each job's volumes belong to its own pool (checked in PostgreSQL), the jobs ran
together, and each restores byte-identical on its client.
"""

from __future__ import annotations

from bareoslab.lab.deployed import DeployedLab

#: The default FileSet of the director role (bareoslab_director_fileset_files).
SOURCE = "/srv/bareoslab/data"
BIG_MIB = 32  # each backup lasts long enough for all of them to overlap


def test_backups_of_every_client_at_once_into_two_pools(lab: DeployedLab) -> None:
    clients = lab.topology.clients
    pools = [p.name for p in lab.topology.backup_pools()]
    assert len(pools) >= 2, pools
    entries = {c.host: lab.make_sample_tree(c.host, SOURCE, big_mib=BIG_MIB) for c in clients}
    plan = [(c, pools[i % len(pools)]) for i, c in enumerate(clients)]

    jobids = lab.run_jobs([f"run job=backup-{c.name} level=Full pool={pool} yes" for c, pool in plan])
    rows = [lab.wait_job(jobid) for jobid in jobids]
    assert all(r.ok for r in rows), "\n".join(lab.job_log(r.jobid) for r in rows if not r.ok)
    assert [r.poolname for r in rows] == [pool for _, pool in plan]
    assert [r.jobfiles for r in rows] == [entries[c.host] for c, _ in plan]
    assert lab.pool_rule_violations(jobids) == []
    assert {pool for r in rows for _, pool in lab.volumes(r.jobid)} == set(pools[:len(clients)])
    # two pools on a Storage of two devices: no job had to wait for another
    assert lab.common_second(jobids), lab.jobs(f"Job.JobId IN ({','.join(map(str, jobids))})")

    wheres = {c.host: f"/var/tmp/bareoslab-concurrent-{r.jobid}" for (c, _), r in zip(plan, rows, strict=True)}
    restores = lab.run_jobs([f"restore jobid={r.jobid} client={c.name} where={wheres[c.host]} all done yes"
                             for (c, _), r in zip(plan, rows, strict=True)])
    for restore in restores:
        done = lab.wait_job(restore)
        assert done.ok, lab.job_log(restore)
    for c, _ in plan:
        assert lab.listing(c.host, wheres[c.host] + SOURCE) == lab.listing(c.host, SOURCE), c.host
