"""``status storage``: how many jobs ran, and the last ten as lines (not the jobs themselves)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bareoslab.config.loader import load_config_text
from bareoslab.storage.daemon import StorageDaemon
from bareoslab.storage.job import SdJob


def _sd(tmp_path: Path) -> StorageDaemon:
    return StorageDaemon(load_config_text(f"""
Storage {{ Name = sd; Working Directory = "{tmp_path}" }}
Director {{ Name = dir; Password = "secret" }}
Device {{ Name = FileStorage; Media Type = File; Archive Device = "{tmp_path}" }}
""", "sd"))


def _job(sd: StorageDaemon, jobid: int) -> SdJob:
    return SdJob(jobid=jobid, job=f"backup.2026-12-05_19.00.00_{jobid:02d}", job_name="backup", client_name="fd",
                 job_type="B", level="F", fileset="LabData", fileset_md5="x", no_attr=False,
                 session_id=sd.next_session_id(), session_time=sd.session_time, auth_key="k", sd_name=sd.name,
                 dir_conn=None)  # type: ignore[arg-type]  # never talks


def test_status_counts_every_ended_job_and_lists_the_last_ten(tmp_path: Path) -> None:
    sd = _sd(tmp_path)

    async def run_and_end(count: int) -> None:
        for jobid in range(1, count + 1):
            job = _job(sd, jobid)
            sd.register_job(job)
            job.job_files, job.job_bytes = jobid, 1000 * jobid
            await sd.forget_job(job)

    asyncio.run(run_and_end(12))
    lines = sd.status_lines()
    assert "Jobs: run=12, running=0." in lines[1]
    terminated = lines[lines.index("Terminated Jobs:") + 1:-1]
    assert [int(line.split()[0]) for line in terminated] == list(range(3, 13))
    assert terminated[-1].split()[:3] == ["12", "12", "12000"]
    assert all(not isinstance(j, SdJob) for j in sd.terminated)
