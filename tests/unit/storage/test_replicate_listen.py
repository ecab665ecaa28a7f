"""The writing SD in listen mode reads its Director connection from one coroutine at a time.

While it waits for the reading SD, it watches the Director connection for a hang-up. When
the reading SD's commands are already buffered, its session reaches the first catalog
request before ``listen`` has stopped watching: the request must wait for the watcher, not
read the connection beside it (asyncio refuses two readers, and the session died).
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from bareoslab.net.framing import Connection, decode_text
from bareoslab.storage.job import SdJob
from bareoslab.storage.replicate import listen
from connection_pair import connection_pair


def _job(dir_conn: Connection) -> SdJob:
    return SdJob(jobid=7, job="migrate.2026-12-04_15.32.32_40", job_name="migrate", client_name="fd",
                 job_type="B", level="F", fileset="LabData", fileset_md5="x", no_attr=False, session_id=1,
                 session_time=2, auth_key="k", sd_name="sd2", dir_conn=dir_conn)


def test_listen_catalog_request_waits_for_the_hangup_watcher() -> None:
    async def scenario() -> str:
        sd_side, director = await connection_pair("sd", "dir")
        job = _job(sd_side)
        listening = asyncio.create_task(listen(SimpleNamespace(client_connect_wait=10), job))
        status = decode_text(await director.recv(timeout=5))  # Status ... WAIT_SD
        assert status.startswith("Status Job=")
        for _ in range(5):  # listen now watches the Director connection
            await asyncio.sleep(0)
        job.fd_connected.set()
        request = asyncio.create_task(job.catreq("Find media\n"))  # runs before listen wakes
        asked = decode_text(await director.recv(timeout=5))
        await director.send("1000 OK VolumeName=FullCopy-0001\n")
        answer = await asyncio.wait_for(request, 5)
        job.finished.set()
        await asyncio.wait_for(listening, 5)
        await sd_side.close()
        await director.close()
        return asked + answer

    out = asyncio.run(scenario())
    assert out == "CatReq Job=migrate.2026-12-04_15.32.32_40 Find media\n1000 OK VolumeName=FullCopy-0001\n"
