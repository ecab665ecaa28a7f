"""The File Daemon's client-initiated link and its passive-client wait."""

from __future__ import annotations

import asyncio

import pytest
from bareoslab.filed.director_link import DEFAULT_INTERVAL, MAX_RETRY_INTERVAL, link_intervals
from bareoslab.filed.job import FdJob
from bareoslab.filed.passive import wait_for_storage
from connection_pair import connection_pair


@pytest.mark.parametrize("heartbeat, expected", [
    (0, (DEFAULT_INTERVAL, DEFAULT_INTERVAL)),
    (5, (5.0, 5.0)),
    (600, (600.0, MAX_RETRY_INTERVAL)),
])
def test_link_intervals_follow_the_heartbeat_interval(heartbeat, expected) -> None:
    assert link_intervals(heartbeat) == expected


def test_wait_for_storage_until_the_passive_sd_calls() -> None:
    async def run() -> None:
        conn, director = await connection_pair("fd", "dir")
        job = FdJob(1, "job.1", "bareos-fd", conn)
        assert not await wait_for_storage(job, 0.05)

        async def sd_calls() -> None:
            await asyncio.sleep(0.05)
            job.sd_conn = conn
            job.sd_ready.set()

        task = asyncio.ensure_future(sd_calls())
        assert await wait_for_storage(job, 5)
        await task
        assert await wait_for_storage(job, 0)  # already there
        await conn.close()
        await director.close()

    asyncio.run(run())
