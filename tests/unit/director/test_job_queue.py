"""The job queue starts jobs by priority and within every Maximum Concurrent Jobs limit."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from bareoslab.codes import JobLevel, JobType
from bareoslab.director.jcr import JobControlRecord, create_unique_job_name
from bareoslab.director.job import JobQueue


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
        job_max: int = 1, client_max: int = 1, storage_max: int = 1, mixed: bool = False) -> JobControlRecord:
    return JobControlRecord(
        jobid=jobid, job=f"{job}.{jobid}", name=job, job_type=JobType.BACKUP, level=JobLevel.FULL,
        priority=priority,
        job_res=resource(job, maximum_concurrent_jobs=job_max, allow_mixed_priority=mixed),
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
