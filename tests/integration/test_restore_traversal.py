"""A volume holding ``../`` names: the restore refuses them and writes nothing outside ``where``.

A rogue File Daemon (this test, speaking the protocol with the project's net layer)
backs up records whose names climb out of the restore directory; the real File
Daemon then restores that job.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from pathlib import Path

import pytest
from bareoslab.codes import FileType, Stream
from bareoslab.filed.attribs import encode_attributes, encode_lstat
from bareoslab.lab.local import processes
from bareoslab.net.auth import (
    authenticate_acceptor,
    authenticate_connector,
    hello_start_job,
    password_key,
)
from bareoslab.net.framing import Connection, Signal, decode_text
from bareoslab.net.server import connect

from .conftest import Lab, wait_until

pytestmark = pytest.mark.integration


async def rogue_backup(conn: Connection, fd_password: str, names: list[str]) -> None:
    """Serve one backup job as a File Daemon that sends ``names`` as files."""
    await conn.recv_msg()  # Hello Director
    await authenticate_acceptor(conn, password_key(fd_password), "R_CLIENT::rogue")
    await conn.send("2000 OK Hello 54\n")
    auth = ""
    sd: Connection | None = None
    while True:
        line = decode_text(await conn.recv_msg())
        if line.startswith("JobId="):
            job = re.search(r"Job=(\S+)", line).group(1)  # type: ignore[union-attr]
            auth = re.search(r"Authorization=(\S+)", line).group(1)  # type: ignore[union-attr]
            await conn.send("2000 OK Job rogue")
        elif line.startswith("level"):
            await conn.send("2000 OK level\n")
        elif line.startswith("fileset"):
            await conn.recv_until_eod()
            await conn.send("2000 OK include\n")
        elif line.startswith("getSecureEraseCmd"):
            await conn.send("2000 OK FDSecureEraseCmd *None*\n")
        elif line.startswith("storage address="):
            host, port = re.search(r"address=(\S+) port=(\d+)", line).groups()  # type: ignore[union-attr]
            sd = await connect(host, int(port), daemon="rogue", peer="storage")
            await sd.send(hello_start_job(job))
            await authenticate_connector(sd, auth, "R_CLIENT::rogue")
            await conn.send("2000 OK storage\n")
        elif line.startswith("backup"):
            await conn.send("2000 OK backup\n")
            break
    assert sd is not None
    await sd.send("append open session\n")
    ticket = decode_text(await sd.recv_msg()).split("=")[-1].strip()
    await sd.send(f"append data {ticket}\n")
    assert decode_text(await sd.recv_msg()).startswith("3000 OK data")
    st = os.stat(__file__)
    for index, name in enumerate(names, 1):
        sd.write(f"{index} {Stream.UNIX_ATTRIBUTES} 0")
        sd.write(encode_attributes(index, FileType.REG, name, encode_lstat(st, 0, Stream.FILE_DATA)))
        sd.write_signal(Signal.EOD)
        sd.write(f"{index} {Stream.FILE_DATA} 0")
        sd.write(b"pwned\n")
        sd.write_signal(Signal.EOD)
    sd.write_signal(Signal.EOD)
    await sd.drain()
    assert decode_text(await sd.recv_msg()).startswith("3000 OK append data")
    await sd.send(f"append end session {ticket}\n")
    await sd.recv_msg()
    await sd.send(f"append close session {ticket}\n")
    await sd.recv_until_eod()
    await sd.close()
    await conn.send(f"2800 End Job TermCode=84 JobFiles={len(names)} ReadBytes=6 JobBytes=6 Errors=0 VSS=0 Encrypt=0\n")
    await conn.signal(Signal.TERMINATE)


def test_restore_refuses_names_outside_where(lab_factory, tmp_path: Path) -> None:
    lab: Lab = lab_factory(tls="off")  # the rogue File daemon below speaks cleartext
    fd = processes.daemon_processes(lab.t)["fd"]
    os.kill(fd.pid(), 15)  # the rogue takes the File Daemon's place for the backup
    assert wait_until(lambda: fd.pid() is None)
    marker = f"escaped-{uuid.uuid4().hex}"
    names = [f"{lab.t.fileset_dir}/../../../../../../../../../tmp/{marker}",
             f"{lab.t.fileset_dir}/ok-file"]

    async def serve_rogue() -> None:
        done = asyncio.Event()

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await rogue_backup(Connection(reader, writer, daemon="rogue", peer="dir"),
                               lab.t.fd_password, names)
            done.set()

        server = await asyncio.start_server(handler, lab.t.host, lab.t.fd_port, reuse_address=True)
        loop = asyncio.get_running_loop()
        run = loop.run_in_executor(None, lab.run_job, "run job=backup level=Full yes")
        await asyncio.wait_for(done.wait(), 60)
        backup = await run
        server.close()
        assert lab.query(f"SELECT JobStatus FROM Job WHERE JobId = {backup}")[0][0] == "T"

    asyncio.run(serve_rogue())
    processes.start(lab.t)  # the real File Daemon again

    out = lab.run(f"restore client=bareos-fd fileset=LabData where={lab.t.restore_dir} select all done yes")
    restore = int(out.split("JobId=")[-1].split()[0])
    lab.console.command(f"wait jobid={restore}", timeout=60)
    status = lab.query(f"SELECT JobStatus FROM Job WHERE JobId = {restore}")[0][0]
    assert status in ("W", "E", "f")
    assert not (Path("/tmp") / marker).exists()
    assert not any(marker in p.name for p in tmp_path.rglob("*"))
    log = lab.run(f"list joblog jobid={restore}")
    assert marker in log  # the refusal names the file
    restored_ok = lab.t.restore_dir / str(lab.t.fileset_dir).lstrip("/") / "ok-file"
    assert restored_ok.read_bytes() == b"pwned\n"
