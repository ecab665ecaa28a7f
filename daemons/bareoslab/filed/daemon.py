"""The File Daemon: listener, Director authentication, running jobs."""

from __future__ import annotations

import argparse
import logging
import time

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
from .dir_cmd import OK_HELLO, DirectorSession
from .director_link import DirectorLink, wants_link
from .job import FdJob
from .passive import serve_storage_calling

log = logging.getLogger(__name__)

HELLO_TIMEOUT = 30.0


class FileDaemon:
    def __init__(self, cfg: Config, tracer: Tracer | None = None) -> None:
        self.cfg = cfg
        self.tracer = tracer
        self.client: Resource = cfg.one("Client")
        self.name: str = self.client.name
        self.jobs: dict[str, FdJob] = {}
        self.started = time.time()
        self.sd_connect_timeout = float(self.client.sd_connect_timeout)
        self.tasks = TaskSet()
        self.tls = TlsSettings.of(self.client)
        self.inbound = Inbound(self.tls, self.psk_key, self.tls_policy_for)
        #: the Client's Maximum Bandwidth Per Job, until a daemon-wide ``setbandwidth`` replaces it
        self.max_bandwidth_per_job: int = self.client.maximum_bandwidth_per_job or 0
        self.bandwidth_bursting: bool = self.client.allow_bandwidth_bursting

    def psk_key(self, identity: str) -> str | None:
        """TLS-PSK: a Director's password, or the key of a job a passive SD calls for."""
        rtype, name = parse_qualified_name(identity)
        if rtype == "R_DIRECTOR":
            director = self.cfg.get("Director", name)
            return director.password if director is not None else None
        job = self.jobs.get(name) if rtype == "R_JOB" else None
        return job.sd_auth if job is not None and job.sd_auth else None

    def tls_policy_for(self, hello: Hello) -> tuple[TlsPolicy, str] | None:
        if hello.kind == "director":
            director = self.cfg.get("Director", hello.name)
            if director is None:
                return None
            return TlsSettings.of(director).policy, f'Director "{hello.name}"'
        job = self.jobs.get(hello.name)
        if job is None:
            return None
        # a passive SD may call in cleartext only if the Director said ssl=0 for the job
        return job.sd_tls_policy, f"job {hello.name}"

    def limit_data(self, job: FdJob) -> None:
        """Limit the job's data connection: its own limit, else its Director's, else the FD's."""
        if job.sd_conn is not None:
            # the job keeps the limit it got (``status client`` shows it, as Bareos)
            job.max_bandwidth = job.max_bandwidth or job.director_bandwidth or self.max_bandwidth_per_job
            job.sd_conn.limit_bandwidth(job.max_bandwidth, self.bandwidth_bursting)

    def status_lines(self) -> list[str]:
        lines = [
            f"{self.name} Version: {VERSION} ({VERSION_DATE}) Python bareoslab",
            f"Daemon started {short_date(self.started)}.",
            "",
            "Running Jobs:",
        ]
        if not self.jobs:
            lines.append("No Jobs running.")
        for job in self.jobs.values():  # Bareos' ListRunningJobsPlain
            progress = job.progress
            files = max(job.job_files, progress.started)  # sending began: as Bareos counts JobFiles
            sent = max(job.job_bytes, progress.sent)
            rate = int(sent / max(1, time.time() - job.started))
            lines.append(f"JobId {job.jobid} Job {job.job} is running.")
            lines.append(f"    {job.level.capitalize()} {job.job_type or 'Backup'} Job started: {short_date(job.started)}")
            lines.append(f"    Files={files:,} Bytes={sent:,} Bytes/sec={rate:,} Errors={job.errors}")
            lines.append(f"    Bwlimit={job.max_bandwidth:,}")
            lines.append(f"    Files Examined={progress.examined:,}")
            if files:
                lines.append(f"    Processing file: {progress.current}")
            if job.sd_conn is None:
                lines.append("    SDSocket closed.")
        lines.append("====")
        return lines

    async def on_connection(self, conn: Connection) -> None:
        try:
            hello = await self.inbound.accept_hello(conn, HELLO_TIMEOUT)
        except ProtocolError as exc:
            log.warning("connection from %s refused: %s", conn.peer, exc)
            return
        if hello.kind == "storage_job":  # passive client: the SD calls us for a job
            await serve_storage_calling(self, conn, hello.name)
            return
        if hello.kind != "director":
            log.warning("connection from %s refused: unexpected hello (%s)", conn.peer, hello.kind)
            return
        director = self.cfg.get("Director", hello.name)
        if director is None:
            log.warning(
                'connection from unknown Director "%s" at %s refused', hello.name, conn.peer
            )
            await conn.send("2999 Authentication failed.\n")
            return
        if not director.connection_from_director_to_client:
            log.warning('connection from Director "%s" at %s refused: Connection From Director To Client = no',
                        hello.name, conn.peer)
            await conn.send("2999 Authentication failed.\n")
            return
        conn.peer = f"{hello.name} at {conn.peer}"
        try:
            await self.inbound.authenticate(conn, director.password, f"R_CLIENT::{self.name}",
                                            TlsSettings.of(director))
        except AuthenticationError as exc:
            log.warning('authentication of Director "%s" failed: %s', hello.name, exc)
            return
        await conn.send(OK_HELLO)
        await DirectorSession(self, conn, director).serve()

    async def serve(self) -> None:
        use_heartbeat_interval(self.client.heartbeat_interval)
        addresses = listen_addresses(self.client)
        servers = await listen(addresses, self.on_connection, daemon=self.name, tracer=self.tracer)
        log.info("%s listening on %s", self.name, addresses)
        for director in self.cfg.resources("Director"):
            if not wants_link(director):
                continue
            if not director.address:
                log.error('Director "%s": Connection From Client To Director needs an Address', director.name)
                continue
            self.tasks.spawn(DirectorLink(self, director).run(), f"director-link-{director.name}")
        try:
            await serve_forever(servers)
        finally:
            await self.tasks.cancel_all()


async def serve(cfg: Config, args: argparse.Namespace, tracer: Tracer | None) -> None:
    await FileDaemon(cfg, tracer).serve()


def main(argv: list[str] | None = None) -> int:
    return run_daemon("bareoslab-fd", "fd", "bareoslab File Daemon", serve, argv)
