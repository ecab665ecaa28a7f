"""The job queue starts jobs by priority and within every Maximum Concurrent Jobs limit."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from bareoslab.codes import JobLevel, JobStatus, JobType
from bareoslab.director.jcr import JobControlRecord, create_unique_job_name
from bareoslab.director.jobq import JobQueue


class FakeTasks:
    def __init__(self) -> None:
        self.started: list[str] = []

    def spawn(self, coro: Any, name: str) -> None:
        coro.close()  # the job itself is not under test here
        self.started.append(name)


def resource(name: str, **values: Any) -> Any:
    return SimpleNamespace(name=name, **values)


def make_queue(director_max: int = 10) -> JobQueue:
    director = SimpleNamespace(res=resource("dir", maximum_concurrent_jobs=director_max), tasks=FakeTasks())
    return JobQueue(director)  # type: ignore[arg-type]


def jcr(jobid: int, priority: int = 10, job: str = "backup", client: str = "fd", storage: str = "File",
        job_max: int = 1, client_max: int = 1, storage_max: int = 1, mixed: bool = False,
        level: JobLevel = JobLevel.FULL, job_type: JobType = JobType.BACKUP, **job_values: Any) -> JobControlRecord:
    duplicates = {"allow_duplicate_jobs": True, "duplicate_job_proximity": 0,
                  "cancel_lower_level_duplicates": False, "cancel_queued_duplicates": False,
                  "cancel_running_duplicates": False, **job_values}
    return JobControlRecord(
        jobid=jobid, job=f"{job}.{jobid}", name=job, job_type=job_type, level=level,
        priority=priority,
        job_res=resource(job, maximum_concurrent_jobs=job_max, allow_mixed_priority=mixed, **duplicates),
        client=resource(client, maximum_concurrent_jobs=client_max),
        storage=resource(storage, maximum_concurrent_jobs=storage_max),
    )


def run_queue(queue: JobQueue, *jobs: JobControlRecord) -> list[str]:
    async def go() -> list[str]:
        for j in jobs:
            queue.jobq_add(j)
        queue._start_runnable()
        return queue.director.tasks.started

    return asyncio.run(go())


def test_job_queue_orders_by_priority_then_arrival() -> None:
    queue = make_queue(director_max=1)
    started = run_queue(queue, jcr(1, 10, job="a"), jcr(2, 5, job="b"), jcr(3, 5, job="c"))
    assert started == ["job-2"]
    assert [j.jobid for j in queue.waiting] == [3, 1]


def test_job_queue_honours_job_client_and_storage_limits() -> None:
    queue = make_queue()
    started = run_queue(
        queue,
        jcr(1, job="same", client="c1", storage="s1", client_max=5, storage_max=5),
        jcr(2, job="same", client="c2", storage="s2", client_max=5, storage_max=5),  # job limit 1
        jcr(3, job="other", client="c1", storage="s3", client_max=1, storage_max=5),  # client c1 busy
        jcr(4, job="third", client="c4", storage="s1", client_max=5, storage_max=1),  # storage s1 busy
        jcr(5, job="fourth", client="c5", storage="s5", client_max=5, storage_max=5, mixed=True),
    )
    assert started == ["job-1", "job-5"]


def test_lower_priority_waits_while_higher_priority_runs() -> None:
    queue = make_queue()
    started = run_queue(queue, jcr(1, 5, job="a", client="c1", storage="s1"),
                        jcr(2, 10, job="b", client="c2", storage="s2"))
    assert started == ["job-1"]


def test_unique_job_names_follow_bareos_format() -> None:
    name = create_unique_job_name("my job", now=1_700_000_000)
    stem, stamp_counter = name.split(".", 1)
    assert stem == "my_job"
    stamp, counter = stamp_counter.rsplit("_", 1)
    assert len(stamp) == len("2023-11-14_22.13.20") and counter.isdigit() and len(counter) == 2
    assert create_unique_job_name("x") != create_unique_job_name("x")


def test_waiting_jobs_say_which_limit_holds_them() -> None:
    queue = make_queue(director_max=1)
    a = jcr(1, job="same", client="c1", storage="s1", client_max=5, storage_max=5)
    b = jcr(2, job="same", client="c2", storage="s2", client_max=5, storage_max=5)
    c = jcr(3, job="other", client="c1", storage="s3", client_max=1, storage_max=5)
    d = jcr(4, job="third", client="c4", storage="s1", client_max=5, storage_max=1)
    e = jcr(5, job="fourth", client="c5", storage="s5", client_max=5, storage_max=5)
    f = jcr(6, job="fifth", client="c6", storage="s6", client_max=5, storage_max=5)
    assert run_queue(queue, a, b, c, d, e, f) == ["job-1"]
    assert {j.status for j in (b, c, d, e, f)} == {JobStatus.WAIT_MAX_JOBS}  # checked first
    queue.director.res.maximum_concurrent_jobs = 10
    queue._start_runnable()
    assert queue.director.tasks.started == ["job-1", "job-5", "job-6"]
    assert (b.status, c.status, d.status) == (
        JobStatus.WAIT_JOB_RES, JobStatus.WAIT_CLIENT_RES, JobStatus.WAIT_STORE_RES)


def test_higher_priority_job_waits_for_running_lower_priority_unless_all_mix() -> None:
    queue = make_queue()
    run_queue(queue, jcr(1, 10, job="a", client="c1", storage="s1"))
    urgent = jcr(2, 5, job="b", client="c2", storage="s2", mixed=True)
    assert run_queue(queue, urgent) == ["job-1"]
    assert urgent.status is JobStatus.WAIT_PRIORITY  # job 1 does not allow mixing

    queue = make_queue()
    run_queue(queue, jcr(1, 10, job="a", client="c1", storage="s1", mixed=True))
    assert run_queue(queue, jcr(2, 5, job="b", client="c2", storage="s2", mixed=True)) == ["job-1", "job-2"]


def test_copy_control_job_counts_against_no_storage_and_copies_against_no_client() -> None:
    queue = make_queue()
    control = jcr(1, job="copy", client="c1", storage="s1", storage_max=1, job_type=JobType.COPY)
    backup = jcr(2, job="b", client="c1", storage="s1", storage_max=1, client_max=1)
    assert run_queue(queue, control, backup) == ["job-1", "job-2"]


def test_duplicate_jobs_as_bareos_decides() -> None:
    queue = make_queue()
    running = jcr(1, job="nightly", level=JobLevel.INCREMENTAL, allow_duplicate_jobs=False)
    run_queue(queue, running)
    same = jcr(2, job="nightly", allow_duplicate_jobs=False)
    assert queue.duplicate_verdict(same) == ("cancel me", running)
    lower = jcr(3, job="nightly", allow_duplicate_jobs=False, cancel_lower_level_duplicates=True)
    assert queue.duplicate_verdict(lower) == ("cancel dup", running)  # a Full cancels the running Incremental
    allowed = jcr(4, job="nightly")
    assert queue.duplicate_verdict(allowed) == ("ok", None)
