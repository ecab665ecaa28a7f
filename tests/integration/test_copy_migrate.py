"""Copy and migrate jobs between real daemons: local (one SD) and remote (two SDs, replicate).

Each test checks the catalog rows (codes.md §9, catalog.md §6), the report lines,
the volume files on the right SD and a byte-identical restore from the new data,
and the order of the protocol messages (protocol.md §7.3 / §7.4).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bareoslab.lab.local.render import LocalTopology
from bareoslab.lab.local.topology_extra import (
    copy_storage_dir,
    render_copy_migrate,
    sd2_process,
    sd2_storage_dir,
    start_sd2,
    stop_sd2,
)
from bareoslab.net.trace import read_trace

from .conftest import DRIVERS, Lab, after_second_of, conformance, job_status
from .test_backup_restore import assert_same_tree

pytestmark = pytest.mark.integration


@pytest.fixture(params=DRIVERS)
def copy_lab(lab_factory: Any, request: pytest.FixtureRequest) -> Iterator[Lab]:
    """A lab whose first SD has a second device (local copies) plus a second SD (remote copies),
    on each catalog driver."""
    topologies: list[LocalTopology] = []

    def configure(t: LocalTopology) -> None:
        sd2 = render_copy_migrate(t)
        start_sd2(t, sd2)
        topologies.append(t)

    lab = lab_factory(request.param, configure=configure)
    yield lab
    for t in topologies:
        stop_sd2(t)


def jobs(lab: Lab, first: int = 0) -> list[tuple[Any, ...]]:
    """(JobId, Type, Name, JobStatus, PriorJobId, Pool) of every job from ``first`` on."""
    return [tuple(r) for r in lab.query(
        "SELECT Job.JobId, Job.Type, Job.Name, Job.JobStatus, Job.PriorJobId, Pool.Name FROM Job "
        "LEFT JOIN Pool ON Pool.PoolId = Job.PoolId WHERE Job.JobId >= ? ORDER BY Job.JobId", (first,))]


def job_log(lab: Lab, jobid: int) -> str:
    return "".join(r[0] for r in lab.query("SELECT LogText FROM Log WHERE JobId = ? ORDER BY LogId", (jobid,)))


def run_all(lab: Lab, line: str, timeout: float = 120) -> int:
    """Run a control job and wait until it and every worker it queued have ended."""
    out = lab.run(line)
    assert "Job queued. JobId=" in out, out
    jobid = int(out.split("JobId=")[1].split()[0])
    lab.console.command("wait", timeout=timeout)
    return jobid


def restore(lab: Lab, jobid: int, where: Path, storage: str | None = None) -> int:
    """Restore ``jobid`` into ``where``; without ``storage`` the Director finds the volumes' own."""
    named = f" storage={storage}" if storage else ""
    out = lab.run(f"restore jobid={jobid} all done{named} where={where} yes")
    assert "Job queued. JobId=" in out, out
    rid = int(out.split("JobId=")[-1].split()[0])
    lab.console.command(f"wait jobid={rid}", timeout=120)
    assert lab.query("SELECT JobStatus FROM Job WHERE JobId = ?", (rid,))[0][0] == "T", job_log(lab, rid)
    return rid


def new_volumes(lab: Lab, jobid: int) -> list[tuple[str, str]]:
    return [tuple(r) for r in lab.query(
        "SELECT DISTINCT Media.VolumeName, Pool.Name FROM JobMedia JOIN Media ON Media.MediaId = JobMedia.MediaId "
        "JOIN Pool ON Pool.PoolId = Media.PoolId WHERE JobMedia.JobId = ?", (jobid,))]


def job_name(lab: Lab, jobid: int) -> str:
    return str(lab.query("SELECT Job FROM Job WHERE JobId = ?", (jobid,))[0][0])


def sequence(trace: list[dict[str, Any]], job: str, peer: str | None = None) -> list[str]:
    """``<send|recv> <peer> <message>`` of one job's connections, in order."""
    return [f"{e.get('dir')} {e.get('peer')} {e.get('msg', '')}" for e in trace
            if e.get("job") == job and "msg" in e and (peer is None or e.get("peer") == peer)]


def first_index(lines: list[str], prefix: str, start: int = 0) -> int:
    for i in range(start, len(lines)):
        if prefix in lines[i]:
            return i
    raise AssertionError(f"{prefix!r} not found after line {start}:\n" + "\n".join(lines[start:start + 80]))


def assert_in_order(lines: list[str], *prefixes: str) -> None:
    at = 0
    for prefix in prefixes:
        at = first_index(lines, prefix, at) + 1


def test_local_copy(copy_lab: Lab) -> None:
    lab = copy_lab
    data = lab.t.fileset_dir
    backup = lab.run_job("run job=backup level=Full yes")
    control = run_all(lab, "run job=copy-local yes")
    rows = jobs(lab, control)
    worker, new = control + 1, control + 2
    assert rows == [
        (control, "c", "copy-local", "T", 0, "Full"),
        (worker, "c", "copy-local", "T", new, "LocalCopy"),
        (new, "C", "backup", "T", backup, "LocalCopy"),
    ], rows
    assert "The following 1 JobId was chosen to be copied: 1" in job_log(lab, control)
    assert "Termination:            Copying OK" in job_log(lab, control)
    listed = lab.run("list copies")  # sql_list.cc ListCopiesRecords
    assert "The catalog contains copies as follows:" in listed
    assert re.search(rf"\|\s+{backup} \| backup\.\S+ \|\s+{new} \| File\s+\|", listed), listed
    assert "These JobIds have copies as follows:" in lab.run(f"list copies jobid={backup}")
    wlog = job_log(lab, worker)
    assert f"Copying using JobId={backup} Job=" in wlog and "Termination:            Copying OK" in wlog
    assert conformance(lab, worker) == ("copy/migrate", [])  # protocol.md §7.3
    # the original is untouched; the new job has its times and a copy of its log
    orig = lab.query("SELECT Type, StartTime, EndTime, JobTDate, JobFiles, JobBytes FROM Job WHERE JobId = ?",
                     (backup,))[0]
    copy = lab.query("SELECT Type, StartTime, EndTime, JobTDate, JobFiles, JobBytes FROM Job WHERE JobId = ?",
                     (new,))[0]
    assert orig[0] == "B" and tuple(copy[1:5]) == tuple(orig[1:5])
    assert copy[5] >= orig[5]  # the SD's byte count: every record, attributes included
    assert "Termination:            Backup OK" in job_log(lab, new)
    assert lab.query("SELECT count(*) FROM File WHERE JobId = ?", (new,))[0][0] == orig[4]
    assert lab.query("SELECT count(*) FROM File WHERE JobId = ?", (backup,))[0][0] == orig[4]
    # the new volume: LocalCopy pool, on the first SD's second device
    volumes = new_volumes(lab, new)
    assert volumes == [("LocalCopy-0002", "LocalCopy")], volumes
    vol_bytes = lab.query("SELECT VolBytes, VolJobs FROM Media WHERE VolumeName = 'LocalCopy-0002'")[0]
    assert (copy_storage_dir(lab.t) / "LocalCopy-0002").stat().st_size == vol_bytes[0] and vol_bytes[1] == 1
    assert not list(sd2_storage_dir(lab.t).iterdir())
    # restore from the copy, byte-identical
    where = lab.t.restore_dir / "from-copy"
    restore(lab, new, where, storage="FileCopy")
    assert_same_tree(data, where / str(data).lstrip("/"))
    # the flow, message by message (protocol.md §7.3), on the Director's SD connection
    lines = sequence(lab.trace("dir"), job_name(lab, worker), "File")
    assert_in_order(lines, "send File Hello Director", "recv File 3000 OK Hello", f"send File JobId={worker} ",
                    "recv File 3000 OK Job", "send File bootstrap", "recv File 3000 OK bootstrap",
                    "send File getSecureEraseCmd", "send File use storage=File media_type=File pool_name=Full ", "recv File 3000 OK use",
                    "send File use storage=FileCopy media_type=File pool_name=LocalCopy ", "recv File 3000 OK use device", "send File run",
                    "recv File Status Job=", "GetVolInfo", "FindMedia", "CreateJobMedia", "bytes>", "CreateJobMedia",
                    "DeleteNullJobmediaRecords", "recv File 3099 Job")
    assert not any("3010 Job" in line for line in lines)
    assert not any("3010 Job" in line for line in lines)


def test_local_migrate_three_jobs(copy_lab: Lab) -> None:
    lab = copy_lab
    data = lab.t.fileset_dir
    backups = [lab.run_job("run job=backup level=Full yes") for _ in range(3)]
    control = run_all(lab, "run job=migrate-local yes")
    rows = jobs(lab, control)
    assert rows[0] == (control, "g", "migrate-local", "T", 0, "Full")
    assert (f"The following 3 JobIds were chosen to be migrated: {','.join(map(str, backups))}"
            in job_log(lab, control))
    pairs = rows[1:]
    assert len(pairs) == 6
    for i, prior in enumerate(backups):
        worker, new = pairs[2 * i], pairs[2 * i + 1]
        assert worker == (control + 1 + 2 * i, "g", "migrate-local", "T", new[0], "LocalCopy"), rows
        assert new == (control + 2 + 2 * i, "B", "backup", "T", prior, "LocalCopy"), rows
        assert "Termination:            Migration OK" in job_log(lab, worker[0])
        # the log moved to the new job; the original's File rows are purged
        assert job_log(lab, prior) == ""
        assert "Termination:            Backup OK" in job_log(lab, new[0])
    originals = lab.query(f"SELECT Type, PurgedFiles FROM Job WHERE JobId IN ({','.join(map(str, backups))})")
    assert [tuple(r) for r in originals] == [("M", 1)] * 3
    assert lab.query(f"SELECT count(*) FROM File WHERE JobId IN ({','.join(map(str, backups))})")[0][0] == 0
    new_ids = [r[0] for r in pairs[1::2]]
    assert all(new_volumes(lab, n) == [("LocalCopy-0002", "LocalCopy")] for n in new_ids)
    assert lab.query("SELECT VolJobs FROM Media WHERE VolumeName = 'LocalCopy-0002'")[0][0] == 3
    # the original volume gone: the migrated data alone restores byte-identical
    lab.run("update volume=Full-0001 volstatus=Used")
    (lab.t.storage_dir / "Full-0001").unlink()
    where = lab.t.restore_dir / "from-migrated"
    restore(lab, new_ids[-1], where)
    assert_same_tree(data, where / str(data).lstrip("/"))


def test_remote_copy(copy_lab: Lab) -> None:
    lab = copy_lab
    data = lab.t.fileset_dir
    backup = lab.run_job("run job=backup level=Full yes")
    control = run_all(lab, "run job=copy-remote yes")
    worker, new = control + 1, control + 2
    rows = jobs(lab, control)
    assert rows == [
        (control, "c", "copy-remote", "T", 0, "Full"),
        (worker, "c", "copy-remote", "T", new, "FullCopy"),
        (new, "C", "backup", "T", backup, "FullCopy"),
    ], (rows, job_log(lab, worker))
    assert "Termination:            Copying OK" in job_log(lab, worker)
    files, nbytes = lab.query("SELECT JobFiles, JobBytes FROM Job WHERE JobId = ?", (backup,))[0]
    new_files, new_bytes = lab.query("SELECT JobFiles, JobBytes FROM Job WHERE JobId = ?", (new,))[0]
    assert new_files == files and new_bytes >= nbytes
    assert lab.query("SELECT count(*) FROM File WHERE JobId = ?", (new,))[0][0] == files
    assert new_volumes(lab, new) == [("FullCopy-0002", "FullCopy")]
    assert (sd2_storage_dir(lab.t) / "FullCopy-0002").exists()
    assert not list(copy_storage_dir(lab.t).iterdir())
    where = lab.t.restore_dir / "from-remote"
    restore(lab, new, where)
    assert_same_tree(data, where / str(data).lstrip("/"))
    # the flow (protocol.md §7.4): the reading SD's and the writing SD's view
    job_r, job_w = job_name(lab, worker), job_name(lab, new)
    sr = sequence(lab.trace("dir"), job_r, "File")
    assert_in_order(sr, f"send File JobId={worker} ", "recv File 3000 OK Job", "send File bootstrap",
                    "recv File 3000 OK bootstrap", "send File use storage=File ", "recv File 3000 OK use device",
                    f"send File replicate JobId={new} Job={job_w} ", "recv File 3000 OK replicate",
                    "send File run", "recv File Status Job=", "GetVolInfo", "recv File 3099 Job")
    sw = sequence(lab.trace("dir"), job_w, "File2")
    assert_in_order(sw, "send File2 Hello Director", f"send File2 JobId={new} job={job_w}", "recv File2 3000 OK Job",
                    "send File2 use storage=File2 media_type=File pool_name=FullCopy ", "recv File2 3000 OK use device", "send File2 listen",
                    "recv File2 Status Job=", "recv File2 3010 Job", "FindMedia", "bytes>", "CreateJobMedia",
                    "UpdateMedia", "recv File2 3099 Job")
    # the SD-to-SD session: the reading SD calls with the new job's name, CRAM with its key
    reader = [f"{e.get('dir')} {e.get('msg', '')}" for e in lab.trace("sd")
              if e.get("job") == job_r and "msg" in e and e.get("peer", "").startswith("127.0.0.1")]
    assert_in_order(reader, f"send Hello Start Storage Job {job_w} Version=", "recv auth cram-md5",
                    "send start replicate", "recv 3000 OK start replicate ticket", "send end replicate",
                    "recv 3000 OK end replicate", "send TERMINATE")
    # the SD-to-SD session, as the writing SD saw it
    peer = [f"{e.get('dir')} {e.get('msg', '')[:40]}" for e in read_trace(str(sd2_process(lab.t).trace_file))
            if e.get("job") == job_w and "msg" in e and not str(e.get("peer", "")).startswith("bareos-dir")]
    assert_in_order(peer, "send auth cram-md5", "recv auth cram-md5", "recv start replicate",
                    "send 3000 OK start replicate ticket", "recv replicate data", "send 3000 OK data",
                    "send 3000 OK replicate data", "recv end replicate", "send 3000 OK end replicate")


def test_remote_migrate(copy_lab: Lab) -> None:
    lab = copy_lab
    data = lab.t.fileset_dir
    backup = lab.run_job("run job=backup level=Full yes")
    control = run_all(lab, "run job=migrate-remote yes")
    worker, new = control + 1, control + 2
    rows = jobs(lab, backup)
    assert rows == [
        (backup, "M", "backup", "T", 0, "Full"),
        (control, "g", "migrate-remote", "T", 0, "Full"),
        (worker, "g", "migrate-remote", "T", new, "FullCopy"),
        (new, "B", "backup", "T", backup, "FullCopy"),
    ], (rows, job_log(lab, worker))
    assert "Termination:            Migration OK" in job_log(lab, worker)
    assert lab.query("SELECT count(*) FROM File WHERE JobId = ?", (backup,))[0][0] == 0
    assert new_volumes(lab, new) == [("FullCopy-0002", "FullCopy")]
    # the original volume gone, the migrated data restores byte-identical from the second SD
    shutil.move(lab.t.storage_dir / "Full-0001", lab.t.base / "Full-0001.gone")
    where = lab.t.restore_dir / "from-remote-migrated"
    restore(lab, new, where)
    assert_same_tree(data, where / str(data).lstrip("/"))


def test_worker_run_directly_skips_an_already_migrated_job(copy_lab: Lab) -> None:
    """``run job=<migrate job> jobid=<n>`` is a worker; a job already migrated (Type M) is not moved twice."""
    lab = copy_lab
    backup = lab.run_job("run job=backup level=Full yes")
    worker = lab.run_job(f"run job=migrate-local jobid={backup} yes")
    rows = jobs(lab, backup)
    assert [r[1:5] for r in rows] == [("M", "backup", "T", 0), ("g", "migrate-local", "T", worker + 1),
                                      ("B", "backup", "T", backup)], rows
    again = lab.run_job(f"run job=migrate-local jobid={backup} yes")
    log = job_log(lab, again)
    assert f"JobId {backup} already migrated probably by another Job. Migration stopped." in log
    assert lab.query("SELECT JobStatus, PriorJobId FROM Job WHERE JobId = ?", (again,))[0] == ("T", 0)
    assert lab.query("SELECT count(*) FROM Job")[0][0] == 4  # no new job row for the skipped run



def test_control_and_worker_log_lines_as_bareos(copy_lab: Lab) -> None:
    """The control job says each worker it started; a worker on a job without data says so
    after naming the job it would copy (Bareos' migrate.cc)."""
    lab = copy_lab
    after_second_of(lab.t.fileset_dir)  # else the Incremental sees the data as changed
    full = lab.run_job("run job=backup level=Full yes")
    empty = lab.run_job("run job=backup level=Incremental yes")  # nothing changed: no file sent
    assert lab.query("SELECT JobFiles FROM Job WHERE JobId = ?", (empty,)) == [(0,)]
    control = run_all(lab, "run job=copy-local yes")
    lines = job_log(lab, control)
    workers = [int(w) for w in re.findall(r"Copying JobId (\d+) started\.", lines)]
    assert len(workers) == 1 and "queued worker" not in lines, lines  # the Full (the other is in pool Incremental)
    # the copy left no placeholder JobMedia row behind (the SD deletes them at the job's end)
    assert lab.query("SELECT count(*) FROM JobMedia WHERE FirstIndex = 0 AND LastIndex = 0") == [(0,)]
    assert lab.query("SELECT count(*) FROM JobMedia WHERE JobId = ?", (workers[0] + 1,)) == [(1,)]
    worker = lab.run_job(f"run job=copy-local jobid={empty} yes")
    log = job_log(lab, worker)
    assert f"Copying using JobId={empty} Job=backup." in log
    assert "Previous Job has no data to copy." in log
    assert log.index("Copying using JobId=") < log.index("Previous Job has no data to copy.")
    assert job_status(lab, worker) == "T" and full < empty


SELECTIONS = {
    "by-client": ("Client", "^bareos-fd$"),
    "by-volume": ("Volume", "^Full-"),
    "by-sql": ("SQLQuery", "SELECT JobId FROM Job WHERE Type = 'B' AND Name = 'backup' AND JobStatus = 'T'"),
    "uncopied": ("PoolUncopiedJobs", ""),
    "oldest-volume": ("OldestVolume", ""),
}


def test_selection_types(lab_factory: Any) -> None:
    """Each Selection Type picks the backup from the read pool; PoolUncopiedJobs only once."""
    from bareoslab.lab.local.render import _write
    from bareoslab.lab.local.topology_extra import _job

    def configure(t: LocalTopology) -> None:
        render_copy_migrate(t)
        for name, (kind, pattern) in SELECTIONS.items():
            _write(t.etc / "dir" / "bareos-dir.d" / "job" / f"{name}.conf",
                   _job(name, "Copy", "LocalCopy", kind, pattern))

    lab: Lab = lab_factory("sqlite3", configure=configure)
    backup = lab.run_job("run job=backup level=Full yes")
    lab.run("update volume=Full-0001 volstatus=Used")  # Volume/OldestVolume take only Full/Used/Error volumes
    control = run_all(lab, "run job=uncopied yes")
    assert f"The following 1 JobId was chosen to be copied: {backup}" in job_log(lab, control)
    control = run_all(lab, "run job=uncopied yes")
    assert "No JobIds found to copy." in job_log(lab, control)
    for name in ("by-client", "by-volume", "by-sql", "oldest-volume"):
        control = run_all(lab, f"run job={name} yes")
        log = job_log(lab, control)
        assert f"The following 1 JobId was chosen to be copied: {backup}" in log, (name, log)
        assert [r[1] + r[3] for r in jobs(lab, control)] == ["cT", "cT", "CT"], name
    # five copies of one backup, all Type C pointing at it
    assert lab.query("SELECT count(*) FROM Job WHERE Type = 'C' AND PriorJobId = ?", (backup,))[0][0] == 5
