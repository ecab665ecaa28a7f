"""The File Daemon: listener, Director authentication, running jobs."""

from __future__ import annotations

import argparse
import logging
import time

from ..config import Config, Resource
from ..daemon import listen_addresses, run_daemon, serve_forever
from ..net.auth import VERSION, VERSION_DATE, authenticate_acceptor, parse_hello
from ..net.errors import AuthenticationError, ProtocolError
from ..net.framing import Connection
from ..net.server import listen
from ..net.trace import Tracer
from .dir_cmd import OK_HELLO, DirectorSession
from .job import FdJob

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

    def status_lines(self) -> list[str]:
        lines = [
            f"{self.name} Version: {VERSION} ({VERSION_DATE}) Python bareoslab",
            f"Daemon started {time.strftime('%d-%b-%y %H:%M', time.localtime(self.started))}.",
            "",
            "Running Jobs:",
        ]
        if not self.jobs:
            lines.append("No Jobs running.")
        for job in self.jobs.values():
            lines.append(f"JobId {job.jobid} Job {job.job} is running.")
            lines.append(f"    Files={job.job_files} Bytes={job.job_bytes}")
        lines.append("====")
        return lines

    async def on_connection(self, conn: Connection) -> None:
        try:
            hello = parse_hello(await conn.recv_msg(HELLO_TIMEOUT))
        except ProtocolError as exc:
            log.warning("connection from %s refused: %s", conn.peer, exc)
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
        conn.peer = hello.name
        try:
            await authenticate_acceptor(conn, director.password, f"R_CLIENT::{self.name}")
        except AuthenticationError as exc:
            log.warning('authentication of Director "%s" failed: %s', hello.name, exc)
            return
        await conn.send(OK_HELLO)
        await DirectorSession(self, conn).serve()

    async def serve(self) -> None:
        addresses = listen_addresses(self.client)
        servers = await listen(addresses, self.on_connection, daemon=self.name, tracer=self.tracer)
        log.info("%s listening on %s", self.name, addresses)
        await serve_forever(servers)


async def serve(cfg: Config, args: argparse.Namespace, tracer: Tracer | None) -> None:
    await FileDaemon(cfg, tracer).serve()


def main(argv: list[str] | None = None) -> int:
    return run_daemon("bareoslab-fd", "fd", "bareoslab File Daemon", serve, argv)
