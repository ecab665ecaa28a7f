"""``mount``, ``unmount``, ``release`` and ``readlabel`` as Bareos' Storage daemon answers
them for file devices, through the console and on the SD's own connection."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from .conftest import DRIVERS, Lab, as_director, job_status, wait_until, write_pool

pytestmark = pytest.mark.integration


def device(lab: Lab) -> str:
    """Bareos' print name of the lab's device: ``"FileStorage" (<archive device>)``."""
    return f'"FileStorage" ({lab.t.storage_dir})'


def sd_answers(lab: Lab, *commands: str) -> list[str]:
    """Each command on the SD's Director connection, its answer up to the end of data."""
    t = lab.t

    async def speak() -> list[str]:
        conn = await as_director(t, "sd")
        answers = []
        try:
            for command in commands:
                await conn.send(command)
                answers.append("".join(m.decode() for m in await conn.recv_until_eod()))
        finally:
            await conn.close()
        return answers

    return asyncio.run(speak())


def test_an_idle_file_device_is_always_mounted_and_never_unmounted(lab_factory: Any) -> None:
    lab: Lab = lab_factory()
    t = lab.t
    out = lab.run("mount storage=File")
    assert f"Connecting to Storage daemon File at {t.host}:{t.sd_port} ..." in out
    assert f"3906 File device {device(lab)} is always mounted." in out
    assert f'3901 Device "{device(lab)}" is already unmounted.' in lab.run("unmount storage=File")
    assert f'3921 Device "{device(lab)}" already released.' in lab.run("release storage=File")
    # what the SD says to what it cannot take, word for word
    assert sd_answers(lab, "mount Nope drive=0", "unmount Nope drive=0", "mount FileStorage",
                      "readlabel FileStorage Slot=0 drive=0") == [
        "3999 Device Nope not found or could not be opened.\n",
        '3999 Device "Nope" not found or could not be opened.\n',
        "3909 Error scanning mount command: mount FileStorage\n",
        f'3902 Cannot mount Volume on Storage Device "{device(lab)}" because:\n',
    ]
    assert "Please give storage=" not in out
    assert lab.run_job("run job=backup level=Full yes") and job_status(lab, 1) == "T"  # all still works


@pytest.mark.parametrize("driver", DRIVERS)
def test_mount_wakes_a_job_waiting_for_media(lab_factory: Any, driver: str) -> None:
    """A job waits for an appendable volume (the device is BLOCKED waiting for media); mount
    wakes it, it looks again (and here waits again, since none is appendable yet); once the
    operator has made one appendable the job writes it."""
    lab: Lab = lab_factory(driver, configure=lambda t: write_pool(t, "Manual", label=False))
    assert "successfully created" in lab.run("label volume=Manual-1 pool=Manual storage=File")
    lab.run("update volume=Manual-1 volstatus=Read-Only")  # neither appended to nor recycled
    out = lab.run("run job=backup level=Full pool=Manual yes")
    jobid = int(out.split("JobId=")[1].split()[0])
    blocked = ("    Device is BLOCKED waiting to create a volume for:\n       Pool:        Manual\n"
               "       Media type:  File\n")
    assert wait_until(lambda: blocked in lab.run("status storage=File"))
    assert "is waiting for an appendable Volume" in lab.run("status dir")
    # the SD's answer to a device blocked waiting for media
    assert sd_answers(lab, "mount FileStorage drive=0 slot=3") == [
        f"3001 OK mount requested. Specified slot ignored. Device={device(lab)}\n"]
    assert wait_until(lambda: blocked in lab.run("status storage=File"))  # it looked again: still none
    out = lab.run("mount storage=File")
    assert f"3001 OK mount requested. Device={device(lab)}" in out, out
    lab.run("update volume=Manual-1 volstatus=Append")
    lab.console.command(f"wait jobid={jobid}", timeout=30)
    assert job_status(lab, jobid) == "T"
    assert lab.query(f"SELECT DISTINCT m.VolumeName FROM JobMedia jm JOIN Media m ON m.MediaId = jm.MediaId "
                     f"WHERE jm.JobId = {jobid}") == [("Manual-1",)]


def test_a_device_in_use_is_busy_and_mounted_with_its_volume(lab_factory: Any) -> None:
    def slow(t: Any) -> None:  # 2 MB/s: the backup of the lab's tree takes a few seconds
        job = t.etc / "dir" / "bareos-dir.d" / "job" / "backup.conf"
        job.write_text(job.read_text().replace("Job {\n", "Job {\n  Maximum Bandwidth = 2 mb/s\n", 1))

    lab: Lab = lab_factory(configure=slow)
    (lab.t.fileset_dir / "big.bin").write_bytes(b"\x5a" * (12 * 1024 * 1024))
    out = lab.run("run job=backup level=Full yes")
    jobid = int(out.split("JobId=")[1].split()[0])
    assert wait_until(lambda: "Volume:      Full-0001" in lab.run("status storage=File"))
    mounted = lab.run("mount storage=File")
    unmounted = lab.run("unmount storage=File")
    released = lab.run("release storage=File")
    lab.console.command(f"wait jobid={jobid}", timeout=60)
    assert job_status(lab, jobid) == "T"  # the operator's commands did not disturb it
    assert f'3001 Device {device(lab)} is mounted with Volume "Full-0001"' in mounted, mounted
    busy = re.compile(rf'3937 Device "{re.escape(device(lab))}" is busy with writers=1 reserved=0\.')
    assert busy.search(unmounted) and busy.search(released), (unmounted, released)
