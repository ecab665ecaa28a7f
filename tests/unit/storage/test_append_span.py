"""Two jobs appending to one device span volumes together, nothing lost (the SD's AppendSession).

The Director's side of the catalog requests is played by a small in-memory catalog that
answers as ``director/catreq.py`` does (FindMedia with a Label Format, UpdateMedia,
CreateJobMedia, GetVolInfo); the volumes are real files on a real file device.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from bareoslab.catalog.api import JobMediaRow
from bareoslab.director.bsr import build_bootstrap
from bareoslab.storage.acquire import AppendSession
from bareoslab.storage.job import Reservation, parse_kv
from bareoslab.storage.reserve import DeviceState, Reservations
from bareoslab.volume.bsr import parse_bsr
from bareoslab.volume.device import FileDevice

MAX_VOL_BYTES = 300_000


class Catalog:
    """The Director's answers to one SD's catalog requests, kept in memory."""

    def __init__(self) -> None:
        self.media: dict[str, dict[str, str]] = {}
        self.jobmedia: list[tuple[int, str, dict[str, str]]] = []

    def ok(self, name: str) -> str:
        m = self.media[name]
        return "1000 OK " + " ".join(f"{k}={v}" for k, v in m.items()) + "\n"

    def answer(self, jobid: int, request: str) -> str:
        word = request.split("=", 1)[0].split(" ", 1)[0]
        kv = parse_kv(request)
        if word == "FindMedia":
            unwanted = set(kv.get("unwanted_volumes", "").split(","))
            for name, m in self.media.items():
                if m["VolStatus"] == "Append" and name not in unwanted:
                    return self.ok(name)
            name = f"Span-{len(self.media) + 1:04d}"
            self.media[name] = {"VolName": name, "VolJobs": "0", "VolFiles": "0", "VolBlocks": "0",
                                "VolBytes": "0", "MaxVolBytes": str(MAX_VOL_BYTES), "VolStatus": "Append",
                                "MediaId": str(len(self.media) + 1)}
            return self.ok(name)
        if word == "UpdateMedia":
            m = self.media[kv["VolName"]]
            for key in ("VolJobs", "VolBytes", "VolBlocks", "VolStatus"):
                m[key] = kv[key]
            return self.ok(kv["VolName"])
        if word == "GetVolInfo":
            return self.ok(kv["VolName"])
        if word == "CreateJobMedia":
            name = next(n for n, m in self.media.items() if m["MediaId"] == kv["MediaId"])
            self.jobmedia.append((jobid, name, kv))
            return "1000 OK CreateJobMedia\n"
        raise AssertionError(f"unexpected catalog request {request!r}")


class Job:
    """What an AppendSession asks of its job: identity, catalog requests, messages."""

    def __init__(self, jobid: int, catalog: Catalog) -> None:
        self.jobid, self.job, self.catalog = jobid, f"span.{jobid}", catalog
        self.session_id, self.session_time = jobid, 1_700_000_000
        self.reservations = [Reservation("File", "File", "Span", "Backup", True, ["FileStorage"])]
        self.canceled, self.prefer_mounted_vols, self.reserve_msgs = False, True, []
        self.messages: list[str] = []

    @property
    def write_reservation(self) -> Reservation:
        return self.reservations[0]

    async def catreq(self, request: str) -> str:
        await asyncio.sleep(0)  # the round trip to the Director: other jobs run meanwhile
        return self.catalog.answer(self.jobid, request)

    async def jmsg(self, mtype: Any, text: str) -> None:
        self.messages.append(text)

    async def heartbeat(self) -> None:
        pass

    async def send_status(self, status: Any) -> None:
        pass


def append_two_jobs(tmp_path: Path, catalog: Catalog) -> tuple[FileDevice, DeviceState, list[Job], dict]:
    """Two jobs write 40 records each, interleaved, through one device into 300 kB volumes."""
    device = FileDevice("FileStorage", "File", tmp_path, maximum_block_size=64 * 1024)
    state = DeviceState(device, label_media=True, max_concurrent_jobs=2)
    reservations = Reservations({"FileStorage": state})
    jobs = [Job(1, catalog), Job(2, catalog)]
    payloads = {job.jobid: [os.urandom(20_000 + 977 * i) for i in range(40)] for job in jobs}

    async def scenario() -> None:
        sessions = []
        for job in jobs:
            assert await reservations.reserve(job, job.reservations) is state  # type: ignore[arg-type]
            session = AppendSession("sd", reservations, job, state)  # type: ignore[arg-type]
            await session.open()
            sessions.append(session)
        for i in range(40):  # the two jobs' records arrive interleaved
            for job, session in zip(jobs, sessions, strict=True):
                await session.write_record(i + 1, 2, payloads[job.jobid][i])
        for session in sessions:
            await session.flush()
            await session.close()

    asyncio.run(scenario())
    return device, state, jobs, payloads


def test_two_jobs_on_one_device_span_volumes_together(tmp_path: Path) -> None:
    catalog = Catalog()
    device, state, jobs, payloads = append_two_jobs(tmp_path, catalog)

    names = sorted(catalog.media)
    assert len(names) >= 4  # ~1.7 MB of data in 300 kB volumes
    assert [catalog.media[n]["VolStatus"] for n in names] == ["Full"] * (len(names) - 1) + ["Append"]
    assert all(int(catalog.media[n]["VolBytes"]) <= MAX_VOL_BYTES for n in names)
    for job in jobs:
        written = [(name, kv) for jobid, name, kv in catalog.jobmedia if jobid == job.jobid and kv["LastIndex"] != "0"]
        assert [name for name, _ in written] == names  # every volume, in order: it followed each change
        rows = [JobMediaRow(0, job.jobid, int(catalog.media[name]["MediaId"]), name, "File", 0, job.session_id,
                            job.session_time, int(kv["FirstIndex"]), int(kv["LastIndex"]), int(kv["StartFile"]),
                            int(kv["EndFile"]), int(kv["StartBlock"]), int(kv["EndBlock"]), 0)
                for name, kv in written]
        records = list(device.read_bootstrap(parse_bsr(build_bootstrap(rows))))
        assert [r.data for r in records] == payloads[job.jobid]  # nothing lost, nothing doubled
    assert state.writers == state.reserved == 0 and state.mounted is None  # all released
    assert any("End of medium on Volume" in m for job in jobs for m in job.messages)


class SyncCheckingCatalog(Catalog):
    """Answers as the Director, after checking that no block of the volume a JobMedia or
    UpdateMedia request counts is still waiting for fsync."""

    def __init__(self, dirty: set[str]) -> None:
        super().__init__()
        self.dirty = dirty
        self.checked = 0

    def answer(self, jobid: int, request: str) -> str:
        kv = parse_kv(request)
        word = request.split(" ", 1)[0]
        if word == "CreateJobMedia" and kv["LastIndex"] != "0" or word == "UpdateMedia":
            name = kv.get("VolName") or next(n for n, m in self.media.items() if m["MediaId"] == kv["MediaId"])
            assert name not in self.dirty, f"{word} for {name} before its blocks were synced"
            self.checked += 1
        return super().answer(jobid, request)


def test_blocks_reach_stable_storage_before_the_catalog_counts_them(tmp_path: Path, monkeypatch) -> None:
    """Every JobMedia row and VolBytes the SD reports names blocks already fsynced."""
    dirty: set[str] = set()
    pwrite, fsync = os.pwrite, os.fsync

    def volume_of(fd: int) -> str:
        return Path(os.readlink(f"/proc/self/fd/{fd}")).name

    def watched_pwrite(fd: int, data, offset: int) -> int:
        dirty.add(volume_of(fd))
        return pwrite(fd, data, offset)

    def watched_fsync(fd: int) -> None:
        fsync(fd)
        dirty.discard(volume_of(fd))

    monkeypatch.setattr(os, "pwrite", watched_pwrite)
    monkeypatch.setattr(os, "fsync", watched_fsync)
    catalog = SyncCheckingCatalog(dirty)
    append_two_jobs(tmp_path, catalog)
    assert len(catalog.media) >= 4 and catalog.checked >= 2 * len(catalog.media)
