"""Fuzz targets: every parser a peer (or a configuration file) can reach.

Each target takes the fuzzer's bytes, feeds them to one parser the way the daemons do, and
may raise only the exceptions that parser's callers handle (its contract): anything else is a
crash. ``SEEDS`` are well-formed inputs the fuzzer starts from, so it explores past the first
check of each parser.
"""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import Callable
from dataclasses import dataclass
from unittest.mock import patch

from bareoslab.config import lexer
from bareoslab.config.errors import ConfigError
from bareoslab.config.parser import parse_file
from bareoslab.config.schedule import parse_run as parse_schedule_run
from bareoslab.director.catreq import parse_kv as parse_catreq
from bareoslab.director.catreq import parse_updcat
from bareoslab.director.ua.args import parse_args
from bareoslab.filed.attribs import decode_attributes, decode_lstat
from bareoslab.filed.fileset import parse_fileset_lines
from bareoslab.filed.runscript import parse_run as parse_client_run
from bareoslab.net.auth import parse_hello
from bareoslab.net.errors import ProtocolError
from bareoslab.net.framing import Connection, decode_text
from bareoslab.storage.job import parse_kv as parse_sd_kv
from bareoslab.storage.passive import parse_passive
from bareoslab.volume.block import build_block, iter_blocks
from bareoslab.volume.bsr import parse_bsr
from bareoslab.volume.errors import VolumeError
from bareoslab.volume.label import SessionLabel, VolumeLabelRecord
from bareoslab.volume.record import RecordReader


@dataclass(frozen=True)
class Target:
    run: Callable[[bytes], object]
    allowed: tuple[type[BaseException], ...]  # what the parser's callers handle
    seeds: tuple[bytes, ...]
    #: the module the target lives in, when not here: ``run.py`` imports it (instrumented) for
    #: that target only, so the parsers' targets do not instrument three whole daemons
    module: str | None = None
    #: inputs in the bounded run of ``make test`` (a dispatcher's input is a whole session)
    bounded_runs: int = 2000


# -- the network ------------------------------------------------------------------------------

_LOOP = asyncio.new_event_loop()


def frames(data: bytes) -> None:
    """Frames as a daemon reads them off an accepted connection, before authentication."""

    async def read_all() -> None:
        ours, theirs = socket.socketpair()
        reader, writer = await asyncio.open_connection(sock=ours)
        _, peer = await asyncio.open_connection(sock=theirs)
        peer.write(data)
        peer.write_eof()
        conn = Connection(reader, writer, daemon="fuzz", peer="fuzzer")
        conn.await_authentication(lambda: None)
        try:
            for _ in range(len(data) // 4 + 1):  # every frame takes 4 bytes at least
                await conn.recv(timeout=1)
        finally:
            peer.transport.abort()
            writer.transport.abort()

    _LOOP.run_until_complete(read_all())


def hello(data: bytes) -> None:
    parse_hello(data)


def console_command(data: bytes) -> None:
    parse_args(decode_text(data))


def catreq(data: bytes) -> None:
    parse_catreq(decode_text(data))


def updcat(data: bytes) -> None:
    """An ``UpdCat`` message of a Storage daemon at the Director, with the attributes it carries."""
    parse_updcat(data)


def attributes(data: bytes) -> None:
    """An attribute record (FD -> SD, volume -> restore), its lstat decoded."""
    decode_attributes(data)


def lstat(data: bytes) -> None:
    """An lstat string as the catalog keeps it (restore trees, bvfs, estimate decode it)."""
    decode_lstat(decode_text(data))


def sd_commands(data: bytes) -> None:
    text = decode_text(data)
    parse_sd_kv(text)
    parse_passive(text)


def fd_fileset(data: bytes) -> None:
    parse_fileset_lines(decode_text(data).split("\n"))


def fd_runscript(data: bytes) -> None:
    parse_client_run(decode_text(data))


# -- volumes, bootstraps, configuration --------------------------------------------------------


def volume(data: bytes) -> None:
    """A volume as the SD and the volume reader read it: blocks, records, labels."""
    reader = RecordReader(include_labels=True)
    for offset, header, block in iter_blocks(io.BytesIO(data), "fuzz", 0, None, True):
        for record in reader.block_records(offset, header, block):
            if record.file_index == -2:  # VOL_LABEL (PRE_LABEL shares its layout)
                VolumeLabelRecord.from_bytes(record.data)
            elif record.file_index in (-4, -5):  # SOS, EOS
                SessionLabel.from_bytes(record.data, record.file_index)


def bootstrap(data: bytes) -> None:
    parse_bsr(decode_text(data))


def _no_file(path: str, including_file: str, line: int) -> str:
    return ""


def config(data: bytes) -> None:
    """A Director configuration. Includes are parsed and globbed as usual, but every included
    file reads as empty: the fuzzer must not read (or hang on) this machine's files."""
    with patch.object(lexer, "_read_file", _no_file), patch.object(lexer.glob, "glob", lambda _: []):
        parse_file("fuzz.conf", "dir", decode_text(data))


def schedule_run(data: bytes) -> None:
    parse_schedule_run(decode_text(data))


# -- whole command dispatchers (sessions.py) ----------------------------------------------------


def _in_sessions(name: str) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        import sessions  # imported (and instrumented) by run.py before the first input

        getattr(sessions, name)(data)

    return run


STORAGE_SEEDS = (
    b"JobId=1 job=backup.2026-01-01_00.00.00_01 job_name=backup client_name=fd type=66 level=70 "
    b"FileSet=LabData NoAttr=0 SpoolAttr=0 FileSetMD5=x SpoolData=0 WritePartAfterJob=1 "
    b"PreferMountedVols=1 SpoolSize=0 rerunning=0 VolSessionId=0 VolSessionTime=0 Quota=0 Protocol=0 "
    b"BackupFormat=Native\nuse storage=File media_type=File pool_name=Full pool_type=Backup append=1 copy=0 "
    b"stripe=0\nuse device=FileStorage\n\nrun\n",
    b"label storage=FileStorage volume=Full-0001 slot=0 pool=Full MediaType=File drive=0\nstatus\n",
    b".status header\n.status running\nsetbandwidth=1000 Job=x\ncancel Job=x\n",
)
CLIENT_SEEDS = (
    b"JobId=1 Job=backup.2026-01-01_00.00.00_01 SDid=1 SDtime=2 Authorization=key ssl=0\n"
    b"level = full mtime_only=0\nfileset\nI /etc\nO M\nN\n\n"
    b"storage address=127.0.0.1 port=9103 ssl=0 Authorization=key\nbackup FileIndex=0\n",
    b"JobId=1 Job=restore.1 SDid=1 SDtime=2 Authorization=key ssl=0\n"
    b"Run OnSuccess=1 OnFailure=0 AbortOnError=1 When=1 Command=ls\nRunBeforeNow\n"
    b"estimate listing=1\nrestore replace=a prelinks=0 where=/tmp/r\n",
    b"status\n.status header\nsetdebug=0 trace=0\ncancel Job=x\n",
)
CONSOLE_SEEDS = (
    b"status dir\nlist jobs\nlist volumes\nllist pools\nshow jobs\nmessages\n",
    b"run job=backup level=Full yes\nwait\nlist joblog jobid=1\ncancel jobid=1 yes\n",
    b"label volume=Full-0001 pool=Full storage=File\nupdate volume=Full-0001 volstatus=Used\n"
    b"purge volume=Full-0001 yes\ndelete volume=Full-0001 yes\n",
    b"restore client=fuzz-fd where=/tmp/r\n5\nmark *\ndone\nyes\n",
    b".api 2\n.jobs\n.bvfs_update\n.bvfs_lsdirs jobid=1 path=/\nestimate job=backup listing\n",
    b"configure add client name=c2 address=127.0.0.1 password=p\nreload\nsetbandwidth limit=1000 client=fuzz-fd\n",
)


def _volume_seed() -> bytes:
    label = VolumeLabelRecord(volume_name="Full-0001", pool_name="Full", media_type="File", host_name="sd",
                              label_prog="bareos-sd", label_btime=0, write_btime=0)
    attrs = b"1 3 /etc/hosts\0A A IH B A A A A A A A A A A A A\0\0"
    return build_block([(-2, 0, label.to_bytes()), (1, 1, attrs), (1, 2, b"payload")], 1, 1, 1)


TARGETS: dict[str, Target] = {
    "frames": Target(frames, (ProtocolError,), (
        b"\x00\x00\x00\x05hello\xff\xff\xff\xfe", b"\x00\x00\x40\x00" + b"x" * 16, b"\xff\xff\xff\x9d")),
    "hello": Target(hello, (ProtocolError,), (
        b'Hello Director bareos-dir calling Version="25.0.0"\n',
        b"Hello Client fd FdProtocolVersion=54 calling\n",
        b"Hello *UserAgent* calling version 25.1.1\n", b"Hello Start Job backup.2026-01-01_00.00.00_01\n")),
    "console_command": Target(console_command, (), (
        b'restore client=fd where="/tmp/a b" file=/etc/hosts done yes', b"run job=backup yes\\",
        b'.bvfs_lsfiles jobid=1,2 path="/etc/" offset=0 limit=10')),
    "catreq": Target(catreq, (), (
        b"CatReq Job=backup.1 UpdateMedia VolName=Full-0001 VolJobs=1 VolFiles=0 VolBlocks=3",)),
    "updcat": Target(updcat, (ProtocolError,), (
        b"UpdCat Job=backup.1 FileAttributes \x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x01"
        b"\x00\x00\x00\x01\x00\x00\x00\x2f1 3 /etc/hosts\0A A IH B A A A A A A A A A A A A\0\0",)),
    "attributes": Target(attributes, (ValueError,), (
        b"1 3 /etc/hosts\0A A IH B A A A A A A A A A A A A\0\0", b"7 5 /etc/l\0A A IH B A A A A A A A A A\0hosts\0")),
    "lstat": Target(lstat, (ValueError,), (b"A A IH B A A A A A A A A A A A A", b"P0A CH3k IGk B Po Po A e BAA I BkSs/5 BkSs/5 BkSs/5 A A C")),
    "sd_commands": Target(sd_commands, (), (
        b"passive client address=fd port=9102 ssl=0", b"JobId=1 job=backup.1 client=fd NumVols=1")),
    "fd_fileset": Target(fd_fileset, (ValueError,), (
        b"I /etc\nO Mcs\nN\nR\\.o$\nN\nE /tmp\nX\n", b"I\nO M\nN\nF /etc/hosts\nN\n")),
    "fd_runscript": Target(fd_runscript, (), (b"Run OnSuccess=1 OnFailure=0 AbortOnError=1 When=1 Command=ls\x01-l",)),
    "volume": Target(volume, (VolumeError, ValueError), (_volume_seed(),)),
    "bootstrap": Target(bootstrap, (ValueError,), (
        b'Volume="Full-0001"\nMediaType="File"\nVolSessionId=1\nVolSessionTime=2\nVolAddr=0-100\nFileIndex=1-3\n',)),
    "config": Target(config, (ConfigError,), (
        b'Director {\n  Name = d\n  Password = "p"\n  QueryFile = "/q"\n}\n'
        b"Schedule { Name = s; Run = Full 1st sun at 23:05 }\n",)),
    "storage_session": Target(_in_sessions("storage_session"), (), STORAGE_SEEDS, "sessions", 600),
    "client_session": Target(_in_sessions("client_session"), (), CLIENT_SEEDS, "sessions", 600),
    "director_console": Target(_in_sessions("director_console"), (), CONSOLE_SEEDS, "sessions", 600),
    "schedule_run": Target(schedule_run, (ValueError,), (
        b"Level=Full 1st sun at 23:05", b"Incremental mon-fri at 2:05 Pool=P", b"hourly at 0:15")),
}
