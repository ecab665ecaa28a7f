"""What the three daemons share: command line, logging, pid file, trace, shutdown.

Each daemon's ``main`` builds its argument parser here, loads its configuration
(``-t`` only checks it) and runs its asyncio ``serve`` coroutine until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import grp
import json
import logging
import os
import pwd
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from .config import ConfigError, load_config
from .config.export import export_config, schema_json
from .net.trace import Tracer
from .version import VERSION

log = logging.getLogger("bareoslab")

DEFAULT_CONFIG_DIR = "/etc/bareos"


class StartupError(Exception):
    """A daemon cannot start (its catalog cannot be opened, ...): said in one line, no traceback."""


def _help_formatter(prog: str) -> argparse.HelpFormatter:
    """argparse's help formatter as wide as the terminal, found without ``shutil``: argparse
    imports it (and with it bz2 and lzma) for the width, 0.5 MiB more in every daemon."""
    columns = os.environ.get("COLUMNS", "")
    try:
        width = int(columns) if columns.isdigit() else os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, AttributeError, ValueError):  # no terminal (a service), or no stdout
        width = 0
    return argparse.HelpFormatter(prog, width=(width or 80) - 2)


def build_parser(prog: str, description: str,
                 options: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description, formatter_class=_help_formatter)
    parser.add_argument("-c", "--config", default=DEFAULT_CONFIG_DIR,
                        help="configuration directory (holding bareos-*.d/) or a single file")
    parser.add_argument("-f", "--foreground", action="store_true",
                        help="stay in the foreground (the lab always does; kept for Bareos compatibility)")
    parser.add_argument("-t", "--test-config", action="store_true",
                        help="check the configuration and exit")
    parser.add_argument("-d", "--debug", type=int, default=0, metavar="N", help="debug level")
    parser.add_argument("-p", "--pid-file", help="write the process id to this file")
    parser.add_argument("--trace", metavar="FILE",
                        help="append one JSON line per protocol message to FILE")
    parser.add_argument("--log-file", metavar="FILE", help="log to FILE instead of stderr")
    parser.add_argument("--version", action="version", version=VERSION,
                        help="print the version (as Bareos' daemons print theirs) and exit")
    parser.add_argument("-u", "--user", help="run as this user once listening (as root)")
    parser.add_argument("-g", "--group", help="run as this group once listening (as root)")
    export = parser.add_mutually_exclusive_group()
    export.add_argument("--xc", "--export-config", nargs="*", metavar="RESOURCE", dest="export_config",
                        help="print all or specific configuration resources ([<resource_type> [<name>]]) and exit")
    export.add_argument("--xs", "--export-schema", action="store_true", dest="export_schema",
                        help="print the configuration schema in JSON format and exit")
    if options is not None:
        options(parser)
    return parser


def setup_logging(name: str, debug: int, log_file: str | None) -> None:
    level = logging.DEBUG if debug >= 100 else logging.INFO if debug >= 1 else logging.WARNING
    if log_file:  # readable by the owner and the service group only, never by others
        fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        try:
            os.fchmod(fd, os.fstat(fd).st_mode & 0o640)
        finally:
            os.close(fd)
    handler: logging.Handler = (
        logging.FileHandler(log_file, errors="backslashreplace") if log_file else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter(f"%(asctime)s {name}: %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(min(level, logging.INFO))


#: glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
#: buffers up to this size come from the heap (the largest frame is 1 MB, the largest block 1 MiB)
HEAP_MMAP_THRESHOLD = 1_310_720
#: free memory the heap keeps at its top instead of giving it back to the kernel at once
HEAP_TRIM_THRESHOLD = 2 * 1024 * 1024


def steady_heap() -> None:
    """Keep glibc's heap from going back and forth to the kernel with every frame.

    By default glibc gives the top of the heap back once more than twice the largest buffer
    freed so far is free there. A daemon receiving 256 KiB frames (each read from the socket,
    decrypted and taken out as a message, a few such buffers at a time) then gives back and
    takes again about one page per 4 KiB of data: ~220,000 minor faults per GiB in a Storage
    daemon writing a backup, a third of its CPU on a virtual machine. Fixed thresholds keep
    them on the heap and up to :data:`HEAP_TRIM_THRESHOLD` of it. All threads share one
    arena: a File daemon's threads each grew one of their own, 1-2 MiB of peak RSS more during
    a restore, and no job ran faster for it. Nothing changes where the C library has no
    ``mallopt``.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD)
    mallopt(_M_TRIM_THRESHOLD, HEAP_TRIM_THRESHOLD)
    mallopt(_M_ARENA_MAX, 1)


def run_daemon(
    prog: str,
    daemon_kind: str,
    description: str,
    serve: Callable[[Any, argparse.Namespace, Tracer | None], Awaitable[None]],
    argv: list[str] | None = None,
    options: Callable[[argparse.ArgumentParser], None] | None = None,
) -> int:
    """Parse arguments (the common ones and the daemon's ``options``), load the configuration
    and serve until stopped."""
    args = build_parser(prog, description, options).parse_args(argv)
    if args.export_schema:
        print(json.dumps(schema_json(daemon_kind), indent=2))
        return 0
    try:
        cfg = load_config(args.config, daemon_kind)
    except ConfigError as exc:
        print(f"{prog}: configuration error: {exc}", file=sys.stderr)
        return 1
    if args.export_config is not None:
        if len(args.export_config) > 2:
            print(f"{prog}: --xc takes at most a resource type and a name", file=sys.stderr)
            return 1
        try:
            print(export_config(cfg, daemon_kind, *args.export_config), end="")
        except ValueError as exc:
            print(f"{prog}: {exc}", file=sys.stderr)
            return 1
        return 0
    if args.test_config:
        for warning in cfg.warnings:
            print(f"{prog}: warning: {warning}", file=sys.stderr)
        return 0
    setup_logging(prog, args.debug, args.log_file)
    for warning in cfg.warnings:
        log.warning("%s", warning)
    tracer = Tracer.open(args.trace, prog) if args.trace else None
    if args.pid_file:
        Path(args.pid_file).write_text(f"{os.getpid()}\n")
    _run_as[:] = [args.user, args.group]
    steady_heap()
    try:
        asyncio.run(_serve_until_signal(serve(cfg, args, tracer)))
    except (OSError, StartupError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.pid_file:
            with contextlib.suppress(OSError):  # written as root, maybe not ours to remove now
                Path(args.pid_file).unlink(missing_ok=True)
        if tracer:
            tracer.close()
    return 0


async def _serve_until_signal(main: Awaitable[None]) -> None:
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(main)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        pass


def listen_addresses(res: Any) -> list[tuple[str, int]]:
    """Where a daemon listens: its ``Addresses`` block, else ``Address`` and ``Port``."""
    port = int(res.port)
    if res.addresses:
        return [(str(a.get("addr") or "0.0.0.0"), int(a.get("port") or port)) for a in res.addresses]
    return [(res.address or "0.0.0.0", port)]


#: ``-u``/``-g`` of this process: whom to become once the ports are bound
_run_as: list[str | None] = [None, None]


def drop_privileges(user: str | None, group: str | None) -> None:
    """Become ``user`` (with its groups) and ``group``, as Bareos' daemons do after binding
    their ports; a name or a number each."""
    if not user and not group:
        return
    try:
        entry = (pwd.getpwnam(user) if not user.isdigit() else pwd.getpwuid(int(user))) if user else None
        gid = (grp.getgrnam(group).gr_gid if not group.isdigit() else int(group)) if group else None
    except KeyError as exc:
        raise StartupError(f"cannot run as {user or ''}:{group or ''}: no such user or group") from exc
    if gid is None and entry is not None:
        gid = entry.pw_gid
    try:
        if entry is not None:
            os.initgroups(entry.pw_name, gid if gid is not None else entry.pw_gid)
        elif gid is not None:
            os.setgroups([gid])
        if gid is not None:
            os.setgid(gid)
        if entry is not None:
            os.setuid(entry.pw_uid)
    except PermissionError as exc:
        raise StartupError(f"cannot run as {user or ''}:{group or ''}: {exc.strerror}") from exc
    log.info("running as uid %d gid %d", os.getuid(), os.getgid())


async def serve_forever(servers: list[asyncio.Server]) -> None:
    """Serve until cancelled (SIGTERM), then close the listeners; ``-u``/``-g`` take effect
    here, once the ports are bound."""
    drop_privileges(*_run_as)
    try:
        await asyncio.gather(*(s.serve_forever() for s in servers))
    finally:
        for s in servers:
            s.close()


class TaskSet:
    """Owns background tasks: one per connection and one per job; failures are logged."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._reap)
        return task

    def _reap(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("task %s failed: %r", task.get_name(), exc, exc_info=exc)

    async def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
