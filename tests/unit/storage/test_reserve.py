"""The SD's device reservation rules (Bareos' reserve.cc), on real file devices, no daemons."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from bareoslab.storage.job import Reservation
from bareoslab.storage.reserve import DeviceState, ReservationError, Reservations
from bareoslab.volume.device import FileDevice


class Job:
    def __init__(self, jobid: int) -> None:
        self.jobid, self.job = jobid, f"job.{jobid}"
        self.canceled, self.prefer_mounted_vols, self.reserve_msgs = False, True, []
        self.messages: list[str] = []

    async def jmsg(self, mtype: Any, text: str) -> None:
        self.messages.append(text)

    async def heartbeat(self) -> None:
        pass


async def until(condition: Any) -> None:
    """Let the event loop run (no time passes) until ``condition()`` holds."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


def use(pool: str, append: bool = True, devices: tuple[str, ...] = ("A", "B"), media: str = "File") -> list[Reservation]:
    return [Reservation("File", media, pool, "Backup", append, list(devices))]


@pytest.fixture
def devices(tmp_path: Path) -> Reservations:
    return Reservations({name: DeviceState(FileDevice(name, "File", tmp_path), True, 2) for name in ("A", "B")})


def test_jobs_of_a_pool_share_a_device_and_other_pools_take_another(devices: Reservations) -> None:
    async def go() -> list[str]:
        return [(await devices.reserve(Job(i), use(pool))).name  # type: ignore[arg-type]
                for i, pool in enumerate(("Full", "Full", "Incr"), 1)]

    assert asyncio.run(go()) == ["A", "A", "B"]


def test_a_job_waits_for_a_device_says_why_and_goes_on_when_one_is_released(devices: Reservations) -> None:
    async def go() -> tuple[str, list[str], list[str]]:
        holders = [Job(1), Job(2), Job(3)]
        for job, pool in zip(holders, ("Full", "Full", "Incr"), strict=True):
            await devices.reserve(job, use(pool))  # type: ignore[arg-type]
        waiter = Job(4)
        task = asyncio.ensure_future(devices.reserve(waiter, use("Full")))  # type: ignore[arg-type]
        await until(lambda: waiter.messages)  # it waits, and says so
        reasons = list(waiter.reserve_msgs)
        assert not task.done()
        await devices.release_job(holders[0])  # a Full job ends: its device has room again
        state = await asyncio.wait_for(task, 5)
        return state.name, reasons, waiter.messages

    name, reasons, messages = asyncio.run(go())
    assert name == "A"
    assert reasons == [
        '3609 JobId=4 Max concurrent jobs exceeded on drive "A" (' + reasons[0].split("(", 1)[1],
        '3608 JobId=4 wants Pool="Full" but have Pool="Incr" nreserve=1 on drive "B" (' + reasons[1].split("(", 1)[1],
    ]
    assert messages == ["JobId=4, Job job.4 waiting to reserve a device."]


def test_reading_and_writing_exclude_each_other(devices: Reservations) -> None:
    async def go() -> list[str]:
        reader = Job(1)
        state = await devices.reserve(reader, use("Full", append=False, devices=("A",)))  # type: ignore[arg-type]
        writer = Job(2)
        task = asyncio.ensure_future(devices.reserve(writer, use("Full", devices=("A",))))  # type: ignore[arg-type]
        await until(lambda: writer.messages)
        reasons = list(writer.reserve_msgs)
        await devices.release(reader, state)  # type: ignore[arg-type]
        await asyncio.wait_for(task, 5)
        return reasons

    [reason] = asyncio.run(go())
    assert reason.startswith('3603 JobId=2 device "A"') and reason.endswith("is busy reading.")


def test_no_matching_device_fails_at_once_and_cancel_ends_a_wait(devices: Reservations) -> None:
    async def go() -> str:
        with pytest.raises(ReservationError, match='Device "A" not in SD Device resources or no matching Media Type'):
            await devices.reserve(Job(1), use("Full", media="LTO"))  # type: ignore[arg-type]
        for i in (2, 3, 4, 5):
            await devices.reserve(Job(i), use("Full" if i < 4 else "Incr"))  # type: ignore[arg-type]
        waiter = Job(6)
        task = asyncio.ensure_future(devices.reserve(waiter, use("Full")))  # type: ignore[arg-type]
        await until(lambda: waiter.messages)
        waiter.canceled = True
        await devices.notify()
        with pytest.raises(ReservationError, match="canceled"):
            await asyncio.wait_for(task, 5)
        return "ok"

    assert asyncio.run(go()) == "ok"


def test_every_hold_is_gone_when_the_job_ends(devices: Reservations) -> None:
    async def go() -> None:
        job = Job(1)
        writing = await devices.reserve(job, use("Full"))  # type: ignore[arg-type]
        devices.start_writing(job, writing)  # type: ignore[arg-type]
        await devices.reserve(job, use("Full", append=False, devices=("B",)))  # type: ignore[arg-type]
        await devices.release_job(job)  # type: ignore[arg-type]

    asyncio.run(go())
    assert all(not s.busy and not s.pool_name for s in devices.devices.values())
