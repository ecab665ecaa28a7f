"""Many jobs at once: device reservation, volumes per pool, spanning, recycling, the queue's limits.

Every case runs on SQLite and PostgreSQL, against real daemons on loopback: a
Director, one SD with two devices on one directory, and two File daemons.
"""

from __future__ import annotations

import filecmp
import os
import re
from pathlib import Path
from typing import Any

import pytest
from bareoslab.lab.local.render import LocalTopology
from bareoslab.lab.local.topology_extra import (
    SECOND_DEVICE,
    SecondClient,
    render_concurrency,
    start_fd2,
    stop_extra,
)

from .conftest import DRIVERS, Lab, job_status, wait_until, write_pool

D_TWO_DEVICES = f"  Device = FileStorage\n  Device = {SECOND_DEVICE}\n"


def two_devices_two_clients(t: LocalTopology, fd2: SecondClient, max_volume_bytes: str = "") -> None:
    """Storage File gets a second device (same directory), and a second FD joins with Job backup2."""
    render_concurrency(t, fd2, device_jobs=2, job_jobs=4)
    if max_volume_bytes:
        full = t.etc / "dir" / "bareos-dir.d" / "pool" / "Full.conf"
        full.write_text(full.read_text().replace("Maximum Volume Bytes = 50G",
                                                 f"Maximum Volume Bytes = {max_volume_bytes}"))


def data_tree(root: Path, size: int) -> Path:
    root.mkdir(parents=True)
    (root / "a").mkdir()
    for i in range(4):
        (root / "a" / f"random-{i}.bin").write_bytes(os.urandom(size // 4))
    (root / "note.txt").write_text("concurrency\n")
    return root


@pytest.fixture
def two_client_lab(lab_factory: Any, tmp_path: Path) -> Any:
    started: list[Lab] = []

    def start(driver: str, size: int = 24 * 1024 * 1024, extra: Any = None, **options: Any) -> Lab:
        fd2 = SecondClient()

        def configure(t: LocalTopology) -> None:
            two_devices_two_clients(t, fd2, **options)
            if extra is not None:
                extra(t)

        lab = lab_factory(driver, data=data_tree(tmp_path / f"data{len(started)}", size), configure=configure)
        start_fd2(lab.t, fd2)
        started.append(lab)
        return lab

    yield start
    for lab in started:
        stop_extra(lab.t, "fd2")


def queue(lab: Lab, *lines: str) -> list[int]:
    out = lab.run(*lines)
    return [int(j) for j in re.findall(r"Job queued\. JobId=(\d+)", out)]


def wait_all(lab: Lab, jobids: list[int], timeout: float = 180) -> None:
    for jobid in jobids:
        lab.console.command(f"wait jobid={jobid}", timeout=timeout)


def pool_rule_violations(lab: Lab) -> list[tuple[Any, ...]]:
    """JobMedia rows whose volume is not of the job's pool (must be none)."""
    return lab.query(
        "SELECT j.JobId, j.PoolId, m.VolumeName, m.PoolId FROM JobMedia jm "
        "JOIN Job j ON j.JobId = jm.JobId JOIN Media m ON m.MediaId = jm.MediaId "
        "WHERE j.PoolId <> m.PoolId"
    )


def restore_and_compare(lab: Lab, jobid: int, source: Path, where: Path) -> int:
    out = lab.run(f"restore jobid={jobid} where={where} all done yes")
    restored = int(re.findall(r"Job queued\. JobId=(\d+)", out)[0])
    lab.console.command(f"wait jobid={restored}", timeout=120)
    assert job_status(lab, restored) == "T", lab.run(f"list joblog jobid={restored}")
    copy = where / str(source).lstrip("/")
    cmp = filecmp.dircmp(source, copy)
    assert not cmp.left_only and not cmp.right_only and not cmp.diff_files
    for name in os.listdir(source / "a"):
        assert (source / "a" / name).read_bytes() == (copy / "a" / name).read_bytes()
    return restored


def sd_windows(lab: Lab, jobs: dict[int, str]) -> dict[int, tuple[float, float]]:
    """First and last moment the SD exchanged frames for each job (from its protocol trace)."""
    windows: dict[int, tuple[float, float]] = {}
    for rec in lab.trace("sd"):
        for jobid, job in jobs.items():
            if rec.get("job") == job and "t" in rec:
                start, end = windows.get(jobid, (rec["t"], rec["t"]))
                windows[jobid] = (min(start, rec["t"]), max(end, rec["t"]))
    return windows


def reserve_at_use(t: LocalTopology) -> None:
    """The SD reserves devices when the Director says ``use`` (Bareos before 23.1)."""
    conf = t.etc / "sd" / "bareos-sd.d" / "storage" / f"{t.storage}.conf"
    text = conf.read_text()
    assert text.startswith("Storage {\n")
    conf.write_text(text.replace("Storage {\n", "Storage {\n  Just In Time Reservation = no\n", 1))


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("reservation", ["just in time", "at use"])
def test_four_jobs_two_pools_two_clients_two_devices_run_at_once(two_client_lab: Any, driver: str,
                                                                    reservation: str, tmp_path: Path) -> None:
    lab = two_client_lab(driver, extra=reserve_at_use if reservation == "at use" else None)
    jobids = queue(lab,
                   "run job=backup level=Full pool=Full yes",
                   "run job=backup level=Full pool=Incremental yes",
                   "run job=backup2 level=Full pool=Full yes",
                   "run job=backup2 level=Full pool=Incremental yes")
    assert len(jobids) == 4
    wait_all(lab, jobids)
    rows = lab.query("SELECT JobId, JobStatus, Job, PoolId, JobFiles FROM Job WHERE JobId IN "
                     f"({','.join(map(str, jobids))}) ORDER BY JobId")
    assert [r[1] for r in rows] == ["T"] * 4, [lab.run(f"list joblog jobid={j}") for j in jobids]
    assert pool_rule_violations(lab) == []
    pools = {name: pid for pid, name in lab.query("SELECT PoolId, Name FROM Pool")}
    assert {r[3] for r in rows} == {pools["Full"], pools["Incremental"]}
    # one volume per pool, each written by the two jobs of its pool
    vols = lab.query("SELECT m.VolumeName, m.PoolId, COUNT(DISTINCT jm.JobId) FROM Media m "
                     "JOIN JobMedia jm ON jm.MediaId = m.MediaId GROUP BY m.VolumeName, m.PoolId")
    assert sorted((v[1], v[2]) for v in vols) == sorted([(pools["Full"], 2), (pools["Incremental"], 2)])
    numbers = [v[0].rsplit("-", 1)[1] for v in vols]  # labelled at the same moment, numbered apart
    assert len(set(numbers)) == len(numbers), vols
    # the four jobs were at the SD at the same time: their data windows share an instant
    windows = sd_windows(lab, {r[0]: r[2] for r in rows})
    assert len(windows) == 4
    assert max(w[0] for w in windows.values()) < min(w[1] for w in windows.values()), windows
    log = lab.run(f"list joblog jobid={jobids[0]}")
    if reservation == "just in time":  # the device comes with the first record
        assert 'Using Device "JustInTime Device" to write.' in log
        assert "JustInTime Reservation: Finding drive to reserve." in log
        assert re.search(r'Using Device "FileStorage(-B)?" \(.*\) to write\.', log), log
    else:
        assert re.search(r'Using Device "FileStorage(-B)?" to write\.', log), log
    for jobid, pool in ((jobids[0], "Full"), (jobids[1], "Incremental")):
        restore_and_compare(lab, jobid, lab.t.fileset_dir, tmp_path / f"restore-{pool}")


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_job_spans_three_volumes_and_restores_byte_identical(two_client_lab: Any, driver: str,
                                                               tmp_path: Path) -> None:
    lab = two_client_lab(driver, size=20 * 1024 * 1024, max_volume_bytes="6000000")
    jobid = lab.run_job("run job=backup level=Full pool=Full yes")
    assert job_status(lab, jobid) == "T", lab.run(f"list joblog jobid={jobid}")
    rows = lab.query(
        "SELECT m.VolumeName, m.VolStatus, jm.FirstIndex, jm.LastIndex, m.VolBytes FROM JobMedia jm "
        f"JOIN Media m ON m.MediaId = jm.MediaId WHERE jm.JobId = {jobid} ORDER BY jm.JobMediaId"
    )
    volumes = list(dict.fromkeys(r[0] for r in rows))
    assert len(volumes) >= 3, rows
    assert volumes == sorted(volumes)  # Full-0001, Full-0002, ... in the order written
    statuses = dict(lab.query("SELECT VolumeName, VolStatus FROM Media"))
    assert all(statuses[v] == "Full" for v in volumes[:-1]) and statuses[volumes[-1]] == "Append"
    assert all(r[4] <= 6000000 for r in rows)
    indexes = [(r[2], r[3]) for r in rows if r[3]]  # FileIndex ranges continue from volume to volume
    assert all(a[1] <= b[0] for a, b in zip(indexes, indexes[1:], strict=False)), indexes
    log = lab.run(f"list joblog jobid={jobid}")
    assert "User defined maximum volume capacity 6,000,000 exceeded" in log
    assert f'End of medium on Volume "{volumes[0]}"' in log
    assert f'New volume "{volumes[1]}" mounted on device' in log
    restored = restore_and_compare(lab, jobid, lab.t.fileset_dir, tmp_path / "restore")
    reads = re.findall(r'Ready to read from volume "([^"]+)" on device', lab.run(f"list joblog jobid={restored}"))
    assert reads == volumes  # each volume of the job, in order


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_purged_volume_is_recycled_and_relabelled(two_client_lab: Any, driver: str) -> None:
    def one_volume_pool(t: LocalTopology) -> None:
        write_pool(t, "Single", "  Maximum Volumes = 1\n  Maximum Volume Jobs = 1\n  Recycle = yes\n"
                                "  AutoPrune = yes\n  Volume Retention = 1 hour\n")

    lab = two_client_lab(driver, size=256 * 1024, extra=one_volume_pool)
    first = lab.run_job("run job=backup level=Full pool=Single yes")
    assert job_status(lab, first) == "T"
    # the second job finds Single-0001 Used (one job per volume) and no room for another volume
    with lab.catalog() as cat:  # the first job is past its Volume Retention
        cat.execute("UPDATE Job SET JobTDate = JobTDate - 7200")
    second = lab.run_job("run job=backup level=Full pool=Single yes")
    assert job_status(lab, second) == "T", lab.run(f"list joblog jobid={second}")
    log = lab.run(f"list joblog jobid={second}")
    assert 'Max Volume jobs=1 exceeded. Marking Volume "Single-0001" as Used.' in log
    assert 'Recycled volume "Single-0001"' in log
    assert 'Recycled volume "Single-0001" on device' in log and "all previous data lost" in log
    assert lab.query(f"SELECT COUNT(*) FROM Job WHERE JobId = {first}") == [(0,)]  # pruned
    media = lab.query("SELECT VolumeName, VolJobs, RecycleCount FROM Media")
    assert media == [("Single-0001", 1, 1)]


FAIL_JOBMEDIA = {
    "sqlite3": [
        "CREATE TRIGGER fail_jobmedia BEFORE INSERT ON JobMedia "
        "WHEN (SELECT Name FROM Job WHERE JobId = NEW.JobId) = 'backup2' "
        "BEGIN SELECT RAISE(ABORT, 'injected catalog failure'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION fail_jobmedia() RETURNS trigger AS $$ BEGIN "
        "IF (SELECT Name FROM Job WHERE JobId = NEW.JobId) = 'backup2' THEN "
        "RAISE EXCEPTION 'injected catalog failure'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER fail_jobmedia BEFORE INSERT ON JobMedia FOR EACH ROW EXECUTE FUNCTION fail_jobmedia()",
    ],
}


def device_report(lab: Lab) -> str:
    out = lab.run("status storage=File")
    return out[out.index("Device status:"):]


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_catalog_failure_while_holding_a_device_releases_it(two_client_lab: Any, driver: str) -> None:
    lab = two_client_lab(driver, size=1024 * 1024)
    with lab.catalog() as cat:
        for sql in FAIL_JOBMEDIA[driver]:
            cat.execute(sql)
    failed = lab.run_job("run job=backup2 level=Full pool=Incremental yes")
    assert job_status(lab, failed) in ("E", "f")
    assert "injected catalog failure" in lab.run(f"list joblog jobid={failed}")
    report = device_report(lab)
    assert "Writers" not in report and "Reserved" not in report, report  # nothing held any more
    # the next jobs, of both pools, get their own pool's volumes
    good = [lab.run_job("run job=backup level=Full pool=Full yes"),
            lab.run_job("run job=backup level=Full pool=Incremental yes")]
    assert [job_status(lab, j) for j in good] == ["T", "T"]
    assert pool_rule_violations(lab) == []


@pytest.mark.parametrize("driver", DRIVERS)
def test_jobs_wait_for_a_device_and_a_volume_say_why_and_cancel_frees_them(two_client_lab: Any,
                                                                          driver: str) -> None:
    def no_volumes_pool(t: LocalTopology) -> None:  # no Label Format: nothing to append to
        write_pool(t, "Empty", label=False)
        storage = t.etc / "dir" / "bareos-dir.d" / "storage" / "File.conf"
        storage.write_text(storage.read_text().replace(D_TWO_DEVICES, "  Device = FileStorage\n"))
        client = t.etc / "dir" / "bareos-dir.d" / "client" / f"{t.client}.conf"
        client.write_text(re.sub(r"Maximum Concurrent Jobs = \d+", "Maximum Concurrent Jobs = 1", client.read_text()))

    lab = two_client_lab(driver, size=1024 * 1024, extra=no_volumes_pool)
    [stuck] = queue(lab, "run job=backup level=Full pool=Empty yes")
    assert wait_until(lambda: "is waiting for an appendable Volume" in lab.run("status dir"))
    [blocked] = queue(lab, "run job=backup2 level=Full pool=Full yes")
    # the only device writes for pool Empty: job 2 waits at the SD, which says why
    expected = f'3608 JobId={blocked} wants Pool="Full" but have Pool="Empty" nreserve=0 on drive "FileStorage"'
    assert wait_until(lambda: expected in lab.run("status storage=File"))
    status = lab.run("status dir")
    assert 'is waiting on Storage "File"' in status
    assert " JobId Level   Name                       Status" in status  # Bareos' layout
    assert re.search(rf"^{blocked:>6} Full    backup2\.\S+ +is waiting on Storage", status, re.M), status
    assert wait_until(lambda: "waiting to reserve a device" in lab.run(f"list joblog jobid={blocked}"))
    assert "Cannot find any appendable volumes" in lab.run(f"list joblog jobid={stuck}")
    # a job of the stuck job's client waits for the client's limit of one job, in the Director
    [queued] = queue(lab, "run job=backup level=Full pool=Full yes")
    assert wait_until(lambda: re.search(rf"{queued} .* is waiting on max Client jobs", lab.run("status dir")))
    lab.run(f"cancel jobid={stuck} yes")
    lab.console.command(f"wait jobid={stuck}", timeout=60)
    assert job_status(lab, stuck) == "A"
    wait_all(lab, [blocked, queued])
    assert [job_status(lab, j) for j in (blocked, queued)] == ["T", "T"]
    assert pool_rule_violations(lab) == []
    assert lab.query("SELECT COUNT(*) FROM Media m JOIN Pool p ON p.PoolId = m.PoolId WHERE p.Name = 'Empty'") == [(0,)]


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_job_waiting_for_a_volume_goes_on_once_one_is_labelled(two_client_lab: Any, driver: str) -> None:
    def no_volumes_pool(t: LocalTopology) -> None:
        write_pool(t, "Manual", label=False)

    lab = two_client_lab(driver, size=1024 * 1024, extra=no_volumes_pool)
    [jobid] = queue(lab, "run job=backup level=Full pool=Manual yes")
    assert wait_until(lambda: "is waiting for an appendable Volume" in lab.run("status dir"))
    out = lab.run("label volume=Manual-by-hand pool=Manual storage=File yes")
    assert 'Volume "Manual-by-hand"' in out, out
    lab.console.command(f"wait jobid={jobid}", timeout=60)
    assert job_status(lab, jobid) == "T", lab.run(f"list joblog jobid={jobid}")
    assert lab.query(f"SELECT DISTINCT m.VolumeName FROM JobMedia jm JOIN Media m ON m.MediaId = jm.MediaId "
                     f"WHERE jm.JobId = {jobid}") == [("Manual-by-hand",)]


@pytest.mark.parametrize("driver", DRIVERS)
def test_two_jobs_sharing_a_device_span_volumes_together(two_client_lab: Any, driver: str,
                                                         tmp_path: Path) -> None:
    def small_manual_pool(t: LocalTopology) -> None:  # volumes of 5 MB, labelled by hand
        write_pool(t, "Manual", "  Maximum Volume Bytes = 5000000\n", label=False)

    lab = two_client_lab(driver, size=12 * 1024 * 1024, extra=small_manual_pool)
    jobids = queue(lab, "run job=backup level=Full pool=Manual yes", "run job=backup2 level=Full pool=Manual yes")
    # both jobs hold the same device and wait for a volume: they start writing together
    assert wait_until(lambda: "Writers:     2" in device_report(lab)), device_report(lab)
    lab.run(*(f"label volume=Manual-{i} pool=Manual storage=File yes" for i in range(1, 9)))
    wait_all(lab, jobids)
    assert [job_status(lab, j) for j in jobids] == ["T", "T"], [lab.run(f"list joblog jobid={j}") for j in jobids]
    assert pool_rule_violations(lab) == []
    # (how far the two interleave depends on the machine; tests/unit/storage/test_append_span.py
    # pins the following down with records arriving in turn)
    statuses = [r[0] for r in lab.query("SELECT VolStatus FROM Media WHERE VolJobs > 0 ORDER BY VolumeName")]
    assert len(statuses) >= 5 and statuses[:-1] == ["Full"] * (len(statuses) - 1), statuses
    for jobid in jobids:
        rows = lab.query(f"SELECT m.VolumeName FROM JobMedia jm JOIN Media m ON m.MediaId = jm.MediaId "
                         f"WHERE jm.JobId = {jobid} AND jm.LastIndex > 0 ORDER BY jm.JobMediaId")
        names = [r[0] for r in rows]
        assert names == sorted(names, key=lambda n: int(n.split("-")[1])) and len(set(names)) >= 3, names
        restore_and_compare(lab, jobid, lab.t.fileset_dir, tmp_path / f"restore-{jobid}")


@pytest.mark.parametrize("driver", DRIVERS)
def test_purge_with_action_truncate_cuts_the_volume_and_the_next_job_recycles_it(two_client_lab: Any,
                                                                               driver: str) -> None:
    def truncating_pool(t: LocalTopology) -> None:
        write_pool(t, "Trunc", "  Maximum Volumes = 1\n  Recycle = yes\n  Action On Purge = Truncate\n")

    lab = two_client_lab(driver, size=2 * 1024 * 1024, extra=truncating_pool)
    first = lab.run_job("run job=backup level=Full pool=Trunc yes")
    assert job_status(lab, first) == "T"
    volume = lab.t.storage_dir / "Trunc-0001"
    assert volume.stat().st_size > 2 * 1024 * 1024
    out = lab.run("purge volume=Trunc-0001 action=truncate yes")
    assert 'Marking it purged' in out and 'The volume "Trunc-0001" has been truncated' in out, out
    assert volume.stat().st_size < 70_000  # the label block only
    assert lab.query("SELECT VolStatus, VolBytes FROM Media") == [("Purged", volume.stat().st_size)]
    second = lab.run_job("run job=backup level=Full pool=Trunc yes")
    assert job_status(lab, second) == "T", lab.run(f"list joblog jobid={second}")
    assert 'Recycled volume "Trunc-0001"' in lab.run(f"list joblog jobid={second}")
    assert lab.query("SELECT VolumeName, VolStatus, RecycleCount FROM Media") == [("Trunc-0001", "Append", 1)]
