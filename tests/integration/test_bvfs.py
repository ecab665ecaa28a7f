"""The ``.bvfs_*`` API against live daemons, as Bareos WebUI uses it: fill the cache, walk
the directories, list files and versions, make a restore list, restore it, clean up
(``ua_dotcmds.cc``, ``cats/bvfs.cc``); in text and through python-bareos in JSON."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .conftest import DRIVERS, Lab, after_second_of
from .test_python_bareos import bareos, connect

pytestmark = pytest.mark.integration


def rows(text: str) -> list[list[str]]:
    """Bareos' tab-separated BVFS lines."""
    return [line.split("\t") for line in text.splitlines() if "\t" in line]


def walk_to(lab: Lab, jobids: str, target: Path) -> int:
    """Follow ``.bvfs_lsdirs`` from ``/`` down to a directory; its PathId."""
    out = lab.run(f".bvfs_lsdirs jobid={jobids} path=/")
    here = {r[4]: int(r[0]) for r in rows(out)}
    assert "." in here, out
    path_id = here["."]
    for part in target.parts[1:]:
        out = lab.run(f".bvfs_lsdirs jobid={jobids} pathid={path_id}")
        names = {r[4]: int(r[0]) for r in rows(out)}
        assert ".." in names and f"{part}/" in names, out
        path_id = names[f"{part}/"]
    return path_id


@pytest.mark.parametrize("driver", DRIVERS)
def test_bvfs_browse_versions_and_restore_list(lab_factory, driver: str, tmp_path: Path) -> None:
    lab: Lab = lab_factory(driver)
    data = lab.t.fileset_dir
    lab.run("label volume=TestVolume001 storage=File pool=Full")
    after_second_of(data)  # else the Incremental sees the whole tree as changed
    full = lab.run_job("run job=backup level=Full yes")
    time.sleep(1.1)  # a newer mtime for the Incremental to see
    (data / "plain.txt").write_text("second version\n")
    incr = lab.run_job("run job=backup level=Incremental yes")
    jobids = f"{full},{incr}"

    # the first use of the private catalog connection says so first (ua_db.cc OpenDb)
    first = lab.run(f".bvfs_get_jobids jobid={incr}").splitlines()
    assert first == ['Using Catalog "MyCatalog"', jobids]
    assert lab.run(f".bvfs_get_jobids jobid={full}").strip() == str(full)
    lab.run(".bvfs_update")
    assert lab.query("SELECT HasCache FROM Job ORDER BY JobId") == [(1,), (1,)]
    # every ancestor of the data directory is linked, up to "/"
    assert lab.query("SELECT count(*) FROM PathHierarchy")[0][0] >= len(data.parts)

    data_id = walk_to(lab, jobids, data)
    out = lab.run(f".bvfs_lsdirs jobid={jobids} pathid={data_id}")
    listed = {r[4]: r for r in rows(out)}
    assert {".", "..", "sub/", "dir with spaces/"} <= set(listed)
    assert listed["sub/"][2] == str(full)  # the directory's attributes from the job that saved it

    files = {r[4]: r for r in rows(lab.run(f".bvfs_lsfiles jobid={jobids} path={data}/"))}
    assert {"plain.txt", "empty", "sparse", "symlink"} <= set(files)
    assert files["plain.txt"][2] == str(incr) and files["empty"][2] == str(full)
    only = rows(lab.run(f".bvfs_lsfiles jobid={jobids} pathid={data_id} pattern=^pl"))
    assert [r[4] for r in only] == ["plain.txt"]

    versions = rows(
        lab.run(f".bvfs_versions jobid=0 client={lab.t.client} path={data}/ fname=plain.txt")
    )
    assert sorted(v[2] for v in versions) == [str(full), str(incr)]
    assert all(v[5] for v in versions)  # the volume each version is on

    sub_id = int(listed["sub/"][0])
    out = lab.run(
        f".bvfs_restore path=b21 jobid={jobids} fileid={files['plain.txt'][1]} dirid={sub_id}"
    )
    assert out.strip() == "OK"
    where = tmp_path / "bvfs"
    out = lab.run(f"restore client={lab.t.client} file=?b21 where={where} yes")
    restore = int(out.split("Job queued. JobId=")[1].split()[0])
    assert "JobStatus=OK (T)" in lab.run(f"wait jobid={restore}")
    restored = where / str(data).lstrip("/")
    assert (restored / "plain.txt").read_text() == "second version\n"
    assert (restored / "sub" / "deeper" / "random.bin").read_bytes() == (
        data / "sub" / "deeper" / "random.bin"
    ).read_bytes()
    assert not (restored / "empty").exists()

    lab.run(".bvfs_cleanup path=b21")
    assert "No table found: b21" in lab.run(f"restore client={lab.t.client} file=?b21 yes")
    assert "OK" in lab.run(".bvfs_clear_cache yes")
    assert lab.query("SELECT count(*) FROM PathVisibility")[0][0] == 0


def test_bvfs_bad_arguments_get_bareos_errors(lab_factory) -> None:
    lab: Lab = lab_factory()
    assert "Can't find jobid, pathid or path argument" in lab.run(".bvfs_lsdirs path=/")
    assert "Can't find jobid, pathid or path argument" in lab.run(".bvfs_lsfiles jobid=1")
    assert "Unauthorized command from this console." in lab.run(".bvfs_lsdirs jobid=99 path=/")
    assert "Can't find client or fname argument" in lab.run(".bvfs_versions jobid=0 pathid=1")
    assert "Can't find ujobid or jobid argument" in lab.run(".bvfs_get_jobids")
    assert "Can't find 'yes' argument" in lab.run(".bvfs_clear_cache")
    assert "Can't find path argument" in lab.run(".bvfs_cleanup")
    # a restore list is a b2<n> table and nothing else
    lab.run("label volume=TestVolume001 storage=File pool=Full")
    jobid = lab.run_job("run job=backup level=Full yes")
    out = lab.run(f".bvfs_restore path=Job jobid={jobid} fileid=1")
    assert "Can't create restore list" in out
    assert lab.query("SELECT count(*) FROM Job")[0][0] == 1


def test_bvfs_through_python_bareos_json(lab_factory) -> None:
    lab: Lab = lab_factory()
    lab.run("label volume=TestVolume001 storage=File pool=Full")
    jobid = lab.run_job("run job=backup level=Full yes")
    director = connect(lab, bareos.bsock.DirectorConsoleJson)
    assert director.call(f".bvfs_get_jobids jobid={jobid}") == {"jobids": [{"id": str(jobid)}]}
    director.call(".bvfs_update")
    top = director.call(f".bvfs_lsdirs jobid={jobid} path=/")["directories"]
    dot = next(d for d in top if d["name"] == ".")  # Bareos' JSON keys are lower case
    assert dot["type"] == "D" and dot["fullpath"] == "." and isinstance(dot["pathid"], int)
    data = lab.t.fileset_dir
    files = director.call(f".bvfs_lsfiles jobid={jobid} path={data}/")["files"]
    plain = next(f for f in files if f["name"] == "plain.txt")
    assert plain["jobid"] == jobid and plain["stat"]["size"] == len("hello bareos\n")
    assert plain["stat"]["mode"] & 0o777 == 0o640 and plain["linkfileindex"] == 0
    versions = director.call(
        f".bvfs_versions jobid=0 client={lab.t.client} pathid={plain['pathid']} fname=plain.txt"
    )["versions"]
    assert [v["volumename"] for v in versions] == ["TestVolume001"]
    assert versions[0]["type"] == "V" and versions[0]["md5"]
