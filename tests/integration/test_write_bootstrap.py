"""``Write Bootstrap``: after each backup the Director keeps the job's bootstrap up to date,
as Bareos' UpdateBootstrapFile (a Full rewrites it, the other levels append, ``|`` pipes)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from bareoslab.volume.bsr import parse_bsr

from .conftest import DRIVERS, Lab, job_status

pytestmark = pytest.mark.integration


def with_bootstrap(target: str) -> Any:
    def configure(t: Any) -> None:
        job = t.etc / "dir" / "bareos-dir.d" / "job" / "backup.conf"
        job.write_text(job.read_text().replace("Job {\n", f'Job {{\n  Write Bootstrap = "{target}"\n', 1))
    return configure


@pytest.mark.parametrize("driver", DRIVERS)
def test_full_rewrites_incremental_appends(lab_factory: Any, tmp_path: Path, driver: str) -> None:
    lab: Lab = lab_factory(driver, configure=with_bootstrap(f"{tmp_path}/%c-%n.bsr"))
    path = tmp_path / "bareos-fd-backup.bsr"
    path.write_text("# something older\n")
    full = lab.run_job("run job=backup level=Full yes")
    (lab.t.fileset_dir / "new.txt").write_text("new\n")
    incr = lab.run_job("run job=backup level=Incremental yes")
    assert [job_status(lab, j) for j in (full, incr)] == ["T", "T"]
    text = path.read_text()
    headers = [line for line in text.splitlines() if line.startswith("#")]
    assert len(headers) == 2 and "older" not in text  # the Full started the file afresh
    assert re.fullmatch(r"# \d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d - backup\.\S+ - Full", headers[0]), headers
    assert re.fullmatch(r"# .* - backup\.\S+ - Incremental, since=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", headers[1])
    entries = parse_bsr(text)
    rows = lab.query("SELECT j.VolSessionId, j.VolSessionTime, m.VolumeName, jm.FirstIndex, jm.LastIndex "
                     "FROM JobMedia jm JOIN Job j ON j.JobId = jm.JobId JOIN Media m ON m.MediaId = jm.MediaId "
                     "WHERE jm.JobId IN (?, ?) ORDER BY jm.JobMediaId", (full, incr))
    assert [(e.vol_session_id, e.vol_session_time, e.volume, e.file_indexes[0]) for e in entries] == [
        (sid, stime, vol, (first, last)) for sid, stime, vol, first, last in rows]
    assert all(e.media_type == "File" and len(e.vol_addrs) == 1 for e in entries)
    assert "FileIndex=1-" in text and 'Volume="' in text


def test_pipe_and_unwritable_target(lab_factory: Any, tmp_path: Path) -> None:
    piped = tmp_path / "piped.bsr"
    lab: Lab = lab_factory(configure=with_bootstrap(f"|/usr/bin/tee {piped}"))
    assert job_status(lab, lab.run_job("run job=backup level=Full yes")) == "T"
    assert parse_bsr(piped.read_text())[0].volume == "Full-0001"

    bad = lab_factory(configure=with_bootstrap(f"{tmp_path}/no/such/dir/%c.bsr"))
    jobid = bad.run_job("run job=backup level=Full yes")
    log = bad.run(f"list joblog jobid={jobid}")
    assert f"Could not open WriteBootstrap file:\n{tmp_path}/no/such/dir/bareos-fd.bsr: ERR=No such file or " \
           "directory" in log, log
    # as Bareos: the job record was written before the bootstrap, the report says the error
    assert "Termination:            *** Backup Error ***" in log, log
