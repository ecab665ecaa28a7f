"""The Director: configuration, catalog, job queue, console and client listeners."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from ..catalog import open_catalog
from ..catalog.api import Catalog, DatabaseError, JobEnd
from ..catalog.errors import CatalogError
from ..codes import MSG_TYPE_PREFIX, JobStatus, MsgType
from ..config import Config, ConfigError, Resource, load_config
from ..config.loader import config_root
from ..daemon import StartupError, TaskSet, listen_addresses, run_daemon, serve_forever
from ..net.auth import DEFAULT_CONSOLE, Hello
from ..net.errors import ProtocolError
from ..net.framing import Connection
from ..net.handshake import Inbound
from ..net.server import listen, use_heartbeat_interval
from ..net.tls import RESOURCE_TYPES, TlsPolicy, TlsSettings, parse_qualified_name
from ..net.trace import Tracer
from ..version import VERSION, VERSION_SHORT_DATE
from .client_connections import ClientConnections, serve_client_connection
from .errors import ReloadError
from .jcr import JobControlRecord
from .jobq import JobQueue, tell_peer_to_cancel
from .messages import MessageRouter
from .scheduler import Clock, FileClock, Scheduler, SystemClock
from .sync import pool_row

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")
HELLO_TIMEOUT = 30.0
#: seconds between attempts to record the end of a job the catalog failed to take
JOB_END_RETRY = 10.0


class Director:
    def __init__(self, cfg: Config, tracer: Tracer | None = None, clock: Clock | None = None) -> None:
        self.cfg = cfg
        self.tracer = tracer
        self.res: Resource = cfg.one("Director")
        self.name: str = self.res.name
        self.catalog_res: Resource = cfg.resources("Catalog")[0]
        self.catalog: Catalog = None  # type: ignore[assignment]  # opened in start()
        self._db_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="catalog")
        #: the jobs queued or running (a finished one is in the catalog only)
        self.jobs: dict[int, JobControlRecord] = {}
        #: jobs ended since the start (``status dir``'s "Jobs: run=")
        self.jobs_run = 0
        self.jobq = JobQueue(self)
        self.tasks = TaskSet()
        self.started = time.time()
        self.storage_ids: dict[str, int] = {}
        self.msgs = MessageRouter(self.name, self._log_to_catalog)
        self.daemon_messages: Resource | None = cfg.get("Messages", self.res.messages) if self.res.messages else None
        self.console_connections = 0
        self.waiting_clients = ClientConnections()  # client-initiated FD connections, per client
        self.configure_tls()
        #: ``enable``/``disable`` of Jobs, Clients, Schedules and Storages until the next reload
        self.enabled: dict[tuple[str, str], bool] = {}
        self.scheduler = Scheduler(self, clock or SystemClock())

    def configure_tls(self) -> None:
        """TLS from the Director resource (at start and at ``reload``)."""
        self.tls = TlsSettings.of(self.res)
        self.inbound = Inbound(self.tls, self.psk_key, self.tls_policy_for)
        #: per client, how its last connection started ("Immediate TLS", "Cleartext"): Bareos
        #: probes a client's protocol once per configuration load and says so in the job log
        self.client_handshakes: dict[str, str] = {}

    # -- catalog -----------------------------------------------------------------
    async def db(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a catalog call on the catalog thread (one at a time, in order)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db_executor, lambda: fn(*args, **kwargs))

    def _open_catalog(self) -> Catalog:
        c = self.catalog_res
        return open_catalog(
            c.db_driver, c.db_name, user=c.db_user, password=c.db_password, address=c.db_address,
            port=c.db_port, socket=c.db_socket, working_directory=self.res.working_directory,
        )

    def _sync_config(self, cfg: Config | None = None) -> None:
        """Pool, Client, Storage and MediaType rows from the configuration (the one in use, or
        ``cfg``), as at Bareos start."""
        cat, cfg = self.catalog, cfg or self.cfg
        for pool in cfg.resources("Pool"):
            cat.sync_pool(pool_row(pool))
        for client in cfg.resources("Client"):
            cat.get_or_create_client(client.name)
        for storage in cfg.resources("Storage"):
            self.storage_ids[storage.name] = cat.get_or_create_storage(storage.name, int(storage.auto_changer))
            cat.get_or_create_media_type(storage.media_type)

    async def _log_to_catalog(self, jobid: int, when: float, text: str) -> None:
        await self.db(self.catalog.log, jobid, when, text)

    # -- job records -----------------------------------------------------------------
    async def update_job_start(self, jcr: JobControlRecord) -> None:
        await self.db(self.catalog.update_job_start, jcr.jobid, JobStatus.RUNNING.value, jcr.level.value,
                      jcr.start_time, jcr.client_id, jcr.pool_id, jcr.fileset_id,
                      jcr.vol_session_id, jcr.vol_session_time)

    async def update_job_end(self, jcr: JobControlRecord) -> None:
        await self.db(self.catalog.update_job_end, jcr.jobid, JobEnd(
            jcr.status, jcr.level, jcr.end_time, job_files=jcr.job_files, job_bytes=jcr.job_bytes,
            read_bytes=jcr.read_bytes, job_errors=jcr.job_errors, vol_session_id=jcr.vol_session_id,
            vol_session_time=jcr.vol_session_time, pool_id=jcr.pool_id, fileset_id=jcr.fileset_id))

    def record_end_later(self, jcr: JobControlRecord, exc: Exception) -> None:
        """The catalog failed at the job's end (its server went away): what it did not store is
        lost to the job, which ends a fatal error, recorded with a job log line as soon as the
        catalog answers again (every :data:`JOB_END_RETRY` seconds, for a day). Bareos' Director
        would leave the Job row running until its next start."""
        jcr.set_status(JobStatus.FATAL_ERROR)
        log.error("JobId %d: the catalog failed at the job's end (%s); its end is recorded once the "
                  "catalog answers", jcr.jobid, exc)
        self.tasks.spawn(self._record_end(jcr, str(exc)), f"job-end-{jcr.jobid}")

    async def _record_end(self, jcr: JobControlRecord, why: str) -> None:
        for _ in range(int(86400 / JOB_END_RETRY)):
            await asyncio.sleep(JOB_END_RETRY)
            try:
                await self.update_job_end(jcr)
                await self._log_to_catalog(jcr.jobid, time.time(), (
                    f"{self.name} JobId {jcr.jobid}: Fatal error: the catalog failed at the job's end ({why}); "
                    "the job is recorded as failed now that the catalog answers again.\n"))
            except CatalogError:
                continue
            log.info("JobId %d: its end is recorded in the catalog", jcr.jobid)
            return
        log.error("JobId %d: the catalog did not answer for a day; its Job row is left as it was", jcr.jobid)

    async def end_job_without_kind(self, jcr: JobControlRecord) -> None:
        jcr.status = JobStatus.FATAL_ERROR
        await self.update_job_end(jcr)

    async def cancel_waiting(self, jcr: JobControlRecord) -> None:
        jcr.status = JobStatus.CANCELED
        jcr.end_time = time.time()
        await self.update_job_end(jcr)
        jcr.done.set()

    async def create_volume(self, jcr: JobControlRecord, pool: Resource, media_type: str) -> Any:
        """Automatic labelling: a new Media row named from the pool's Label Format. The name is
        chosen and the row made in one catalog call, so jobs asking at once get different ones."""
        from ..catalog.api import MediaRow

        cat = self.catalog
        storage_id = self.storage_ids.get(jcr.storage.name, 0) if jcr.storage else 0

        def create() -> str | None:
            name = cat.next_volume_name(pool.label_format)
            pool_id = cat.pool_id(pool.name)
            if name is None or pool_id is None:
                return None
            cat.create_media(MediaRow(volume_name=name, pool_id=pool_id, media_type=media_type,
                                      storage_id=storage_id, vol_status="Append"))
            return name

        name = await self.db(create)
        if name is None:
            return None
        await self.job_msg(jcr, MsgType.INFO, f'Created new Volume "{name}" in catalog.')
        return await self.db(cat.get_media, name)

    # -- messages -------------------------------------------------------------------
    async def job_msg(self, jcr: JobControlRecord, mtype: MsgType, text: str) -> None:
        """A message of this Director about a job."""
        if mtype in (MsgType.ERROR, MsgType.FATAL):
            jcr.job_errors += 1
        elif mtype is MsgType.WARNING:
            jcr.job_warnings += 1
        if mtype is MsgType.FATAL:
            jcr.set_status(JobStatus.FATAL_ERROR)
        prefix = f"{self.name} JobId {jcr.jobid}: {MSG_TYPE_PREFIX.get(mtype, '')}"
        await self.msgs.job_message(jcr, jcr.messages, mtype, prefix + text)

    async def daemon_msg(self, jcr: JobControlRecord, mtype: int, when: int, text: str) -> None:
        """A ``Jmsg`` relayed from an SD or FD (text carries the daemon's own prefix)."""
        try:
            kind = MsgType(mtype)
        except ValueError:
            kind = MsgType.INFO
        if kind is MsgType.FATAL:
            jcr.set_status(JobStatus.FATAL_ERROR)
        await self.msgs.job_message(jcr, jcr.messages, kind, text, float(when) or None)

    async def job_report(self, jcr: JobControlRecord, report: str) -> None:
        mtype = MsgType.INFO if jcr.status.ok else MsgType.ERROR
        text = f"{self.name} JobId {jcr.jobid}: {'Error: ' if mtype is MsgType.ERROR else ''}Bareos {self.name} {VERSION} ({VERSION_SHORT_DATE}):\n{report}"
        await self.msgs.job_message(jcr, jcr.messages, mtype, text)

    # -- connections ---------------------------------------------------------------
    def peer_resource(self, rtype: str, name: str) -> Resource | None:
        """The resource whose password a console or client-initiated FD authenticates with.

        The default console (``*UserAgent*``) uses the Director resource itself.
        """
        if rtype == "R_CONSOLE":
            return self.res if name == DEFAULT_CONSOLE else self.cfg.get("Console", name)
        if rtype == "R_CLIENT":
            return self.cfg.get("Client", name)
        return None

    def psk_key(self, identity: str) -> str | None:
        res = self.peer_resource(*parse_qualified_name(identity))
        return res.password if res is not None else None

    def tls_policy_for(self, hello: Hello) -> tuple[TlsPolicy, str] | None:
        rtype = RESOURCE_TYPES.get(hello.kind)
        res = self.peer_resource(rtype, hello.name) if rtype else None
        if res is None:
            return None
        what = "Director" if res is self.res else res.rtype
        return TlsSettings.of(res).policy, f'{what} "{res.name}"'

    async def on_connection(self, conn: Connection) -> None:
        from .ua.server import serve_console

        try:
            hello = await self.inbound.accept_hello(conn, HELLO_TIMEOUT)
        except ProtocolError as exc:
            log.warning("connection from %s refused: %s", conn.peer, exc)
            return
        if hello.kind == "console":
            await serve_console(self, conn, hello)
        elif hello.kind == "client":
            await serve_client_connection(self, conn, hello)
        else:
            log.warning("connection from %s refused: %s hello not served here", conn.peer, hello.kind)
            await conn.send("1999 You are not authorized.\n")

    async def start(self) -> list[asyncio.Server]:
        try:
            self.catalog = await self.db(self._open_catalog)
            await self.db(self.catalog.check)
        except DatabaseError as exc:
            c = self.catalog_res
            raise StartupError(f'Could not open Catalog "{c.name}", database "{c.db_name}": {exc}') from exc
        await self.db(self._sync_config)
        await self._end_jobs_left_unfinished()
        self.jobq.start()
        self.tasks.spawn(self.scheduler.serve(), "scheduler")
        asyncio.get_running_loop().add_signal_handler(
            signal.SIGHUP, lambda: self.tasks.spawn(self._reload_on_signal(), "reload")
        )
        addresses = listen_addresses(self.res)
        servers = await listen(addresses, self.on_connection, daemon=self.name, tracer=self.tracer)
        log.info("%s listening on %s", self.name, addresses)
        return servers

    async def _end_jobs_left_unfinished(self) -> None:
        """Jobs the catalog shows created or running were so when this Director last stopped:
        they end as fatal errors, as Bareos' Director ends them at its start. Beyond Bareos, each
        gets a job log line saying why, and every Storage daemon and the job's client are told
        to cancel it (one connection per daemon), which frees the device a job may still write to."""
        storages = self.cfg.resources("Storage")
        to_cancel: dict[tuple[str, str], tuple[Resource, list[str]]] = {}
        for job in await self.db(self.catalog.end_unfinished_jobs):
            text = (f"{self.name} JobId {job.job_id}: Fatal error: the Director stopped before this job "
                    f"ended (JobStatus {job.job_status}); it ends at the Director's start")
            await self._log_to_catalog(job.job_id, time.time(), text)
            log.warning("%s", text)
            client = await self.db(self.catalog.get_client, job.client_id) if job.client_id else None
            client_res = self.cfg.get("Client", client.name) if client else None
            for res in storages + ([client_res] if client_res is not None else []):
                to_cancel.setdefault((res.rtype, res.name), (res, []))[1].append(job.job)
        for (rtype, name), (res, jobs) in to_cancel.items():
            self.tasks.spawn(tell_peer_to_cancel(self, jobs, res), f"cancel-left-{rtype}-{name}")

    async def serve(self) -> None:
        use_heartbeat_interval(self.res.heartbeat_interval)
        servers = await self.start()
        try:
            await serve_forever(servers)
        finally:
            await self.jobq.stop()
            await self.tasks.cancel_all()
            await self.db(self.catalog.close)
            self._db_executor.shutdown(wait=True)


    async def reload(self) -> None:
        """Read the configuration again and use it, as Bareos' Director does on ``reload`` and
        SIGHUP: running jobs keep the resources they started with; new ones get the new
        configuration. On any error the old configuration stays."""
        try:
            cfg = load_config(config_root(self.cfg.files), "dir")
            director_res = cfg.one("Director")
        except (ConfigError, OSError) as exc:
            raise ReloadError(f"reload failed, the configuration is unchanged: {exc}") from exc
        if director_res.name != self.name:
            raise ReloadError(
                f'reload failed: the Director is called "{self.name}", '
                f'the new configuration says "{director_res.name}".'
            )
        try:  # the catalog first: a new configuration is in use once its rows are there
            await self.db(self._sync_config, cfg)
        except Exception as exc:
            raise ReloadError(f"reload failed, the configuration is unchanged: {exc}") from exc
        self.cfg, self.res = cfg, director_res
        use_heartbeat_interval(director_res.heartbeat_interval)
        cache = getattr(self.msgs, "_cache", None)
        if isinstance(cache, dict):
            cache.clear()
        self.configure_tls()
        self.enabled.clear()  # enable/disable last until the next reload, as in Bareos
        self.scheduler.reload()
        log.info("configuration reloaded")

    async def _reload_on_signal(self) -> None:
        try:
            await self.reload()
        except ReloadError as exc:
            log.error("%s", exc)

    def is_enabled(self, res: Resource) -> bool:
        """A resource's Enabled, or what ``enable``/``disable`` said since the last reload."""
        return self.enabled.get((res.rtype, res.name), bool(res.get("Enabled", True)))


def clock_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clock", metavar="FILE",
                        help="the scheduler takes the time from FILE (epoch seconds or 'YYYY-MM-DD HH:MM:SS'), "
                             "for a lab that plays schedules forward")


async def serve(cfg: Config, args: argparse.Namespace, tracer: Tracer | None) -> None:
    await Director(cfg, tracer, FileClock(args.clock) if args.clock else None).serve()


def main(argv: list[str] | None = None) -> int:
    return run_daemon("bareoslab-dir", "dir", "bareoslab Director", serve, argv, clock_option)
