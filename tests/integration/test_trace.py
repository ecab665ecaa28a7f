"""The protocol trace of a backup follows the seed's Detailed View, message by message."""

from __future__ import annotations

import pytest

from .conftest import Lab

pytestmark = pytest.mark.integration


def first_index(lines: list[dict], direction: str, peer: str, prefix: str) -> int:
    for i, rec in enumerate(lines):
        if rec.get("dir") == direction and rec.get("peer") == peer and rec.get("msg", "").startswith(prefix):
            return i
    raise AssertionError(f"no {direction} {prefix!r} with {peer} in the trace")


def assert_in_order(lines: list[dict], steps: list[tuple[str, str, str]]) -> None:
    positions = [first_index(lines, *step) for step in steps]
    assert positions == sorted(positions), list(zip(steps, positions))


def test_backup_trace_follows_detailed_view(lab_factory) -> None:
    lab: Lab = lab_factory()
    jobid = lab.run_job("run job=backup level=Full yes")
    job = lab.query(f"SELECT Job FROM Job WHERE JobId = {jobid}")[0][0]

    director = [r for r in lab.trace("dir") if r.get("job") == job and "event" not in r]
    assert_in_order(director, [
        ("send", "File", "Hello Director bareos-dir calling"),
        ("recv", "File", "3000 OK Hello"),
        ("send", "File", f"JobId={jobid} job={job}"),
        ("recv", "File", "3000 OK Job SDid="),
        ("send", "File", "getSecureEraseCmd"),
        ("send", "bareos-fd", "Hello Director bareos-dir calling"),
        ("recv", "bareos-fd", "2000 OK Hello 54"),
        ("send", "bareos-fd", f"JobId={jobid} Job={job}"),
        ("recv", "bareos-fd", "2000 OK Job"),
        ("send", "bareos-fd", "level = full"),
        ("send", "bareos-fd", "fileset"),
        ("recv", "bareos-fd", "2000 OK include"),
        ("send", "bareos-fd", "getSecureEraseCmd"),
        ("send", "File", "use storage=File"),
        ("recv", "File", "3000 OK use device device="),  # JustInTime^ADevice: reserved when data comes
        ("send", "bareos-fd", "storage address="),
        ("recv", "bareos-fd", "2000 OK storage"),
        ("send", "File", "run"),
        ("send", "bareos-fd", "backup FileIndex=0"),
        ("recv", "bareos-fd", "2000 OK backup"),
        ("recv", "bareos-fd", "2800 End Job TermCode=84"),
    ])
    # the SD's message channel: waiting for the FD, start, catalog requests, end
    assert_in_order(director, [
        ("recv", "File", "Status Job="),
        ("recv", "File", f"3010 Job {job} start"),
        ("recv", "File", "CatReq Job="),
        ("recv", "File", f"3099 Job {job} end JobStatus=84"),
    ])
    assert any(r["msg"].startswith("Status Job=") and r["msg"].endswith("JobStatus=70") for r in director)

    # the FD's data session with the SD
    fd = [r for r in lab.trace("fd") if r.get("job") == job and "event" not in r]
    assert_in_order(fd, [
        ("send", "storage", f"Hello Start Job {job}"),
        ("send", "storage", "append open session"),
        ("recv", "storage", "3000 OK open ticket = "),
        ("send", "storage", "append data "),
        ("recv", "storage", "3000 OK data"),
        ("recv", "storage", "3000 OK append data"),
        ("send", "storage", "append end session"),
        ("recv", "storage", "3000 OK end"),
        ("send", "storage", "append close session"),
        ("recv", "storage", "3000 OK close Status = 84"),
        ("send", "storage", "TERMINATE"),
    ])
    # who connected to whom: the Director to both daemons, the FD to the SD
    events = [(r["daemon"], r["event"], r.get("peer")) for r in lab.trace("dir") + lab.trace("fd") if "event" in r]
    assert ("bareoslab-dir", "connect", "File") in events
    assert ("bareoslab-dir", "connect", "bareos-fd") in events
    assert ("bareoslab-fd", "connect", "storage") in events


def _arrows(lab: Lab, jobid: int) -> list:
    from bareoslab.lab.local import processes
    from bareoslab.trace.sequence import build_sequence, read_traces

    files = [str(p.trace_file) for p in processes.daemon_processes(lab.t).values()]
    return build_sequence(read_traces(files), jobid=jobid)


def test_trace_check_finds_a_good_job_conforming_and_a_tampered_one_not(lab_factory, tmp_path) -> None:
    """``bareoslab trace --check``: a backup and a restore of the lab follow protocol.md §7.1/§7.2;
    a trace with a step taken out, two steps swapped or a message added is reported as such."""
    import dataclasses

    from bareoslab.lab.cli import main
    from bareoslab.trace.conformance import REFERENCE, check, job_kind

    lab: Lab = lab_factory()
    lab.run("label volume=TestVolume001 storage=File pool=Full")
    backup = lab.run_job("run job=backup level=Full yes")
    restore = lab.run_job(f"restore jobid={backup} where={tmp_path / 'r'} all done yes")
    for jobid, kind in ((backup, "backup"), (restore, "restore")):
        arrows = _arrows(lab, jobid)
        assert job_kind(arrows) == kind
        assert check(arrows, REFERENCE[kind]) == [], f"{kind} does not follow the reference"
    run = lab.t.base / "run"
    assert main(["trace", "--check", "--jobid", str(backup), str(run)]) == 0

    arrows = _arrows(lab, backup)
    texts = [a.text for a in arrows]
    dropped = [a for a in arrows if not a.text.startswith("append end session")]
    assert [(f.kind, f.src, f.dst) for f in check(dropped, REFERENCE["backup"])] == [
        ("missing", "client", "storage")]
    i, j = texts.index("fileset"), texts.index("2000 OK include")  # the answer before the question
    swapped = list(arrows)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    assert ("out of order", "client", "director", "2000 OK include") in [
        (f.kind, f.src, f.dst, f.text) for f in check(swapped, REFERENCE["backup"])]
    added = [*arrows, dataclasses.replace(arrows[-1], src="bareoslab-dir", dst="bareoslab-fd", text="frobnicate",
                                          kind="message")]
    assert [(f.kind, f.text) for f in check(added, REFERENCE["backup"])] == [("extra", "frobnicate")]
