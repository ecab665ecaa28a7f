"""A job whose end breaks (a bug in its kind's cleanup) still ends, failed, with a job log line."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from bareoslab.codes import JobType
from bareoslab.config import load_config_text
from bareoslab.director.daemon import Director
from bareoslab.director.job import job_thread, new_jcr, setup_job
from bareoslab.director.jobs import JOB_KINDS

CONFIG = """\
Director { Name = bareos-dir; Password = "secret" }
Messages { Name = Standard; Console = all; Catalog = all }
Catalog { Name = MyCatalog; DB Name = ":memory:"; DB User = bareos }
Storage { Name = File; Address = sd.lab; Password = "sd"; Device = FileStorage; Media Type = File }
Pool { Name = Full; Storage = File }
Client { Name = fd; Address = fd.lab; Password = "fd" }
FileSet { Name = fs; Include { File = /etc } }
Job { Name = backup; Type = Backup; Client = fd; FileSet = fs; Pool = Full; Messages = Standard }
"""


async def nothing(director: Director, jcr: object) -> None:
    return None


async def broken_cleanup(director: Director, jcr: object) -> None:
    raise KeyError("a bug at the job's end")


def test_a_job_whose_end_breaks_ends_failed_with_a_log_line(monkeypatch: pytest.MonkeyPatch) -> None:
    director = Director(load_config_text(CONFIG, "dir", "test-dir.conf"))
    monkeypatch.setitem(JOB_KINDS, JobType.BACKUP,
                        SimpleNamespace(init=nothing, run=nothing, cleanup=broken_cleanup))

    async def scenario() -> int:
        director.catalog = await director.db(director._open_catalog)
        await director.db(director._sync_config)
        jcr = new_jcr(director, director.cfg.get("Job", "backup"))
        await setup_job(director, jcr)
        await job_thread(director, jcr)
        return jcr.jobid

    jobid = asyncio.run(scenario())
    catalog = director.catalog
    assert catalog.query("SELECT JobStatus FROM Job WHERE JobId = ?", (jobid,))[1] == [("f",)]
    log = "".join(r[0] for r in catalog.query("SELECT LogText FROM Log WHERE JobId = ?", (jobid,))[1])
    assert "Fatal error: Internal error at the job's end: KeyError(\"a bug at the job's end\")" in log
