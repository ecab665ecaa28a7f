"""The Storage Daemon: devices, running jobs, and the listener that dispatches connections."""

from __future__ import annotations

import argparse
import logging
import time
from collections import deque
from typing import Any, NamedTuple

from ..codes import JOB_LEVEL_NAMES, JOB_STATUS_ASCII, JOB_TYPE_NAMES, JobLevel, JobType
from ..config import Config, Resource
from ..daemon import TaskSet, listen_addresses, run_daemon, serve_forever
from ..edit import short_date
from ..net.auth import Hello
from ..net.errors import AuthenticationError, ProtocolError
from ..net.framing import Connection
from ..net.handshake import Inbound
from ..net.server import listen, use_heartbeat_interval
from ..net.tls import TlsPolicy, TlsSettings, parse_qualified_name
from ..net.trace import Tracer
from ..version import VERSION, VERSION_DATE
from ..volume.device import FileDevice
from .dir_cmd import OK_HELLO, DirectorSession
from .fd_cmd import FdSession
from .job import SdJob
from .reserve import DeviceState, Reservations

log = logging.getLogger(__name__)

HELLO_TIMEOUT = 30.0


def _named(names: dict[Any, str], enum: Any, code: str) -> str:
    """Bareos' word for a job type or level letter (the letter itself if unknown)."""
    try:
        return names[enum(code)]
    except (ValueError, KeyError):
        return code


class Terminated(NamedTuple):
    """An ended job, as the Terminated Jobs of ``status storage`` list it."""

    jobid: int
    files: int
    bytes: int
    status: str
    job: str


class StorageDaemon:
    def __init__(self, cfg: Config, tracer: Tracer | None = None) -> None:
        self.cfg = cfg
        self.tracer = tracer
        self.storage: Resource = cfg.one("Storage")
        self.name: str = self.storage.name
        self.session_time = int(time.time())
        self._session_id = 0
        self.jobs: dict[str, SdJob] = {}
        #: the last ten ended jobs as ``status storage`` shows them, and how many ended in all
        self.terminated: deque[Terminated] = deque(maxlen=10)
        self.jobs_run = 0
        self.tasks = TaskSet()
        self.started = time.time()
        self.client_connect_wait = float(self.storage.client_connect_wait)
        # Bareos >= 23.1: a writing job gets its device when its first record arrives
        self.just_in_time = bool(self.storage.just_in_time_reservation)
        self.tls = TlsSettings.of(self.storage)
        #: the Storage's Maximum Bandwidth Per Job, until a daemon-wide ``setbandwidth`` replaces it
        self.max_bandwidth_per_job: int = self.storage.maximum_bandwidth_per_job or 0
        self.bandwidth_bursting: bool = self.storage.allow_bandwidth_bursting
        self.inbound = Inbound(self.tls, self.psk_key, self.tls_policy_for)
        self.devices: dict[str, DeviceState] = {}
        for res in cfg.resources("Device"):
            device = FileDevice(
                res.name, res.media_type, res.archive_device,
                maximum_block_size=res.maximum_block_size or 1048576,
                label_block_size=res.label_block_size or 64512,
                max_file_size=int(res.maximum_file_size or 0),
            )
            self.devices[res.name] = DeviceState(
                device, bool(res.label_media), int(res.maximum_concurrent_jobs),
                access_mode=str(res.access_mode or "readwrite").lower(),
            )
        self.reservations = Reservations(self.devices)

    def next_session_id(self) -> int:
        self._session_id += 1
        return self._session_id

    def register_job(self, job: SdJob) -> None:
        self.jobs[job.job] = job

    async def forget_job(self, job: SdJob) -> None:
        """The job has ended (or its Director left): release whatever it still holds."""
        await self.reservations.release_job(job)
        if self.jobs.pop(job.job, None) is not None:
            # a line, not the job: an ended job's connections and buffers are not kept alive
            self.terminated.append(Terminated(job.jobid, job.job_files, job.job_bytes, job.status.value, job.job))
            self.jobs_run += 1

    def status_lines(self, devices: list[str] | None = None) -> list[str]:
        lines = [f"{self.name} Version: {VERSION} ({VERSION_DATE}) Python bareoslab",
                 f"Daemon started {short_date(self.started)}. "
                 f"Jobs: run={self.jobs_run}, running={len(self.jobs)}.", "", "Job inventory:", ""]
        running = [j for j in self.jobs.values() if j.running]
        if not running:
            lines.append("No Jobs running.")
        for job in running:
            lines += self._job_inventory(job)
        lines += ["====", "", "Device status:"]
        lines += [state.status_line() for state in self.devices.values() if devices is None or state.name in devices]
        lines += ["====", "", "Jobs waiting to reserve a drive:"]
        lines += [f"   {msg}" for job in self.jobs.values() for msg in job.reserve_msgs]
        lines += ["====", "", "Terminated Jobs:"]
        lines += [f" {j.jobid:>6} {j.files:>8} {j.bytes:>14} {j.status}  {j.job}" for j in self.terminated]
        lines.append("====")
        return lines

    def _job_inventory(self, job: SdJob) -> list[str]:
        """One running job as Bareos' ListRunningJobs shows it: what it reads and writes, where,
        and its files and bytes so far with the average rate and the rate since the last look."""
        level, kind = _named(JOB_LEVEL_NAMES, JobLevel, job.level), _named(JOB_TYPE_NAMES, JobType, job.job_type)
        lines = [f"JobId={job.jobid} Level={level} Type={kind} Name={job.job_name} "
                 f"Status={JOB_STATUS_ASCII.get(job.status, job.status.value)}"]
        for verb, res in (("Reading", job.read_reservation), ("Writing", job.write_reservation)):
            state = self.devices.get(res.device) if res is not None and res.device else None
            if res is None or state is None:
                continue
            volume = state.mounted.name if state.mounted is not None else ""
            lines += [f'{verb}: Volume="{volume}"', f'    pool="{res.pool_name}" device={state.print_name}']
            if verb == "Writing":
                lines.append("    spooling=0 despooling=0 despool_wait=0")
        now = time.monotonic()
        last_bytes, last_time = job.rate_mark or (0, job.started)
        job.rate_mark = (job.job_bytes, now)
        average = int(job.job_bytes / max(1.0, now - job.started))
        last = int((job.job_bytes - last_bytes) / max(1.0, now - last_time))
        lines.append(f"    Files={job.job_files:,} Bytes={job.job_bytes:,} AveBytes/sec={average:,} "
                     f"LastBytes/sec={last:,}")
        if not job.fd_connected.is_set():
            lines.append("    FDSocket closed")
        return [*lines, ""]

    # -- connections -------------------------------------------------------------
    def replication_bandwidth(self, job: SdJob, director: str) -> int:
        """A replication's limit: the job's, else its Director resource's, else this SD's."""
        res = self.cfg.get("Director", director)
        return job.max_bandwidth or (res.maximum_bandwidth_per_job if res else 0) or self.max_bandwidth_per_job

    def director_key(self, name: str) -> str | None:
        res = self.cfg.get("Director", name)
        return res.password if res is not None else None

    def psk_key(self, identity: str) -> str | None:
        """TLS-PSK: a Director's password, or a job's authorization key (FD and SD sessions)."""
        rtype, name = parse_qualified_name(identity)
        if rtype == "R_DIRECTOR":
            return self.director_key(name)
        job = self.jobs.get(name) if rtype == "R_JOB" else None
        return job.auth_key if job is not None else None

    def tls_policy_for(self, hello: Hello) -> tuple[TlsPolicy, str] | None:
        if hello.kind == "director":
            res = self.cfg.get("Director", hello.name)
            return (TlsSettings.of(res).policy, f'Director "{hello.name}"') if res is not None else None
        # job sessions: Bareos' SD takes a cleartext hello for a job (its sd_tls_policy is none)
        return (TlsPolicy.NONE, f"job {hello.name}")

    async def on_connection(self, conn: Connection) -> None:
        try:
            hello = await self.inbound.accept_hello(conn, HELLO_TIMEOUT)
        except ProtocolError as exc:
            log.warning("connection from %s refused: %s", conn.peer, exc)
            return
        try:
            if hello.kind == "director":
                await self._director(conn, hello.name)
            elif hello.kind == "job":
                await self._file_daemon(conn, hello.name)
            elif hello.kind == "replicate":
                await self._replicating_sd(conn, hello.name)
            else:
                log.warning("connection from %s refused: unexpected hello %s", conn.peer, hello.kind)
        except AuthenticationError as exc:
            log.warning("authentication of %s failed: %s", conn.peer, exc)

    async def _director(self, conn: Connection, name: str) -> None:
        key = self.director_key(name)
        address, conn.peer = conn.peer, f"{name} at {conn.peer}"
        if key is None:
            log.warning('connection from unknown Director "%s" at %s refused', name, address)
            await conn.send("3999 No go\n")
            return
        await self.inbound.authenticate(conn, key, f"R_STORAGE::{self.name}",
                                        TlsSettings.of(self.cfg.get("Director", name)))
        await conn.send(OK_HELLO)
        await DirectorSession(self, conn, name).serve()

    async def _file_daemon(self, conn: Connection, job_name: str) -> None:
        job = self.jobs.get(job_name)
        if job is None:
            log.warning("File daemon at %s asked for unknown job %s", conn.peer, job_name)
            return
        conn.peer = f"{job.client_name} at {conn.peer}" if job.client_name else conn.peer
        conn.job = job.job
        await self.inbound.authenticate(conn, job.auth_key, f"R_STORAGE::{self.name}", self.tls)
        job.fd_connected.set()
        await FdSession(self, conn, job).serve()

    async def _replicating_sd(self, conn: Connection, job_name: str) -> None:
        """``Hello Start Storage Job``: a reading SD replicates a remote copy/migrate to us."""
        from .replicate import ReplicateSession

        job = self.jobs.get(job_name)
        if job is None or job.write_reservation is None:
            log.warning("Storage daemon at %s asked to replicate to unknown job %s", conn.peer, job_name)
            return
        conn.job = job.job
        await self.inbound.authenticate(conn, job.auth_key, f"R_STORAGE::{self.name}", self.tls)
        # what arrives is limited by this SD's own setting only, as in Bareos
        conn.limit_bandwidth(self.max_bandwidth_per_job, self.bandwidth_bursting)
        job.fd_connected.set()
        await ReplicateSession(self, conn, job).serve()

    async def serve(self) -> None:
        use_heartbeat_interval(self.storage.heartbeat_interval)
        addresses = listen_addresses(self.storage)
        servers = await listen(addresses, self.on_connection, daemon=self.name, tracer=self.tracer)
        log.info("%s listening on %s", self.name, addresses)
        try:
            await serve_forever(servers)
        finally:
            await self.tasks.cancel_all()


async def serve(cfg: Config, args: argparse.Namespace, tracer: Tracer | None) -> None:
    await StorageDaemon(cfg, tracer).serve()


def main(argv: list[str] | None = None) -> int:
    return run_daemon("bareoslab-sd", "sd", "bareoslab Storage Daemon", serve, argv)
