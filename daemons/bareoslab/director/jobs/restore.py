"""The restore job: the SD reads what the bootstrap selects, the FD writes it under ``where``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...codes import JobLevel, JobType, MsgType
from ...net.framing import bash_spaces
from ..fd_cmd import ClientError, ClientSession, connect_client
from ..passive_client import send_authorization, send_passive_client
from ..report import restore_report
from ..sd_cmd import StorageError, StorageSession, connect_storage
from . import JobError, final_status

if TYPE_CHECKING:
    from ..daemon import Director
    from ..jcr import JobControlRecord


async def init(director: Director, jcr: JobControlRecord) -> None:
    if not jcr.bootstrap:
        raise JobError("Cannot restore: no bootstrap (select files with the restore command).")
    if jcr.storage is None:
        raise JobError(f'Job "{jcr.name}" has no Storage to read from.')
    if (jcr.restore_client or jcr.client) is None:
        raise JobError(f'Job "{jcr.name}" has no Client to restore to.')
    jcr.level = JobLevel.FULL


async def run(director: Director, jcr: JobControlRecord) -> None:
    client = jcr.restore_client or jcr.client
    assert client is not None and jcr.storage is not None
    await director.job_msg(jcr, MsgType.INFO, f"Start Restore Job {jcr.job}")
    sd: StorageSession | None = None
    fd: ClientSession | None = None
    pool = jcr.pool or director.cfg.resources("Pool")[0]
    try:
        sd = await connect_storage(director, jcr, jcr.storage)
        await sd.start_job(JobType.RESTORE.code, JobLevel.FULL.code)
        await sd.secure_erase()
        await sd.reserve(pool, append=False)
        fd = await connect_client(director, jcr, client)
        await fd.start_job()
        jcr.client_uname = fd.uname  # the report's Restore Client line, as the FD said it
        await fd.secure_erase()
        await fd.send_runscripts()
        await sd.send_bootstrap(jcr.bootstrap)
        if client.passive:  # the FD learns the key, then the SD connects to it
            await send_authorization(fd)
            await send_passive_client(sd, client)
            await sd.run()
        else:
            await sd.run()
            await fd.send_storage(jcr.storage, with_key=True)
        await fd.command(
            f"restore replace={jcr.replace} prelinks=0 where={bash_spaces(jcr.where)}\n", "2000 OK restore")
        await fd.command_wait("2000 OK storage end")
        await sd.finished()
        await fd.conn.send("endrestore")
        await fd.wait_for_termination()
    except (StorageError, ClientError) as exc:
        raise JobError(str(exc)) from exc
    finally:
        for session in (fd, sd):
            if session is not None:
                await session.close()


async def cleanup(director: Director, jcr: JobControlRecord) -> None:
    jcr.status = final_status(jcr, required=[jcr.fd_status], optional=[jcr.sd_status], problems=jcr.job_errors)
    await director.update_job_end(jcr)
    await director.job_report(jcr, restore_report(director, jcr))
