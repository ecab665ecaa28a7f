"""The console session: reply framing per API mode, JSON results and errors, questions, ACL refusals."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

from bareoslab.config import load_config_text
from bareoslab.director.messages import MessageRouter
from bareoslab.director.ua.commands import UserAgent
from bareoslab.net.framing import Connection, Signal
from connection_pair import connection_pair

CONFIG = """
Director { Name = lab-dir; Password = x; Working Directory = /tmp }
Catalog { Name = c; DB Name = b; DB Driver = sqlite3; DB User = u }
Messages { Name = Daemon }
Console { Name = viewer; Password = pw; Command ACL = version, messages }
"""


async def _noop(*args: Any) -> None:
    return None


def fake_director() -> Any:
    cfg = load_config_text(CONFIG, "dir")
    return SimpleNamespace(
        cfg=cfg,
        name="lab-dir",
        jobs={},
        msgs=MessageRouter("lab-dir", _noop),
        jobq=SimpleNamespace(running={}, waiting=[]),
    )


async def session(console: str | None = None) -> tuple[UserAgent, Connection, Connection]:
    server, client = await connection_pair("dir", "console")
    director = fake_director()
    ua = UserAgent(director, server, director.cfg.get("Console", console) if console else None)
    return ua, server, client


async def reply(client: Connection, until: set[Signal]) -> list[Any]:
    out: list[Any] = []
    while True:
        msg = await asyncio.wait_for(client.recv(), 5)
        out.append(msg.decode() if isinstance(msg, bytes) else msg)
        if msg in until:
            return out


def test_ua_api0_output_then_eod_and_invalid_command() -> None:
    async def run() -> None:
        ua, server, client = await session()
        assert await ua.execute("version")
        got = await reply(client, {Signal.EOD})
        assert got[0].startswith("lab-dir Version: ") and got[-1] is Signal.EOD
        await ua.execute("frobnicate now")
        assert await reply(client, {Signal.EOD}) == [
            "frobnicate: is an invalid command.\n",
            Signal.EOD,
        ]
        assert not await ua.execute("quit")
        await server.close()
        await client.close()

    asyncio.run(run())


def test_ua_api2_json_result_and_error() -> None:
    async def run() -> None:
        ua, server, client = await session()
        await ua.execute(".api json compact=yes")
        got = await reply(client, {Signal.CMD_OK})
        assert got == [Signal.CMD_OK]
        assert await client.recv() == b'{"jsonrpc":"2.0","id":null,"result":{"api":2}}'
        await ua.execute("whoami")
        assert await reply(client, {Signal.CMD_OK}) == [Signal.CMD_BEGIN, Signal.CMD_OK]
        assert json.loads(await client.recv())["result"] == {"whoami": "root"}
        await ua.execute("nosuch")
        assert await reply(client, {Signal.CMD_FAILED}) == [Signal.CMD_FAILED]
        error = json.loads(await client.recv())["error"]
        assert error["data"]["messages"]["error"] == ["nosuch: is an invalid command.\n"]
        await ua.execute("wait jobid=x")
        assert await reply(client, {Signal.CMD_FAILED}) == [Signal.CMD_BEGIN, Signal.CMD_FAILED]
        assert (
            "Invalid jobid specified: x"
            in json.loads(await client.recv())["error"]["data"]["messages"]["error"][0]
        )
        await server.close()
        await client.close()

    asyncio.run(run())


def test_ua_messages_pending_and_shown_once() -> None:
    async def run() -> None:
        ua, server, client = await session()
        ua.director.msgs.console_queue.append(
            "25-Nov 10:00 lab-dir JobId 1: Start Backup JobId 1\n"
        )
        await ua.execute("version")
        got = await reply(client, {Signal.EOD})
        assert got[-2:] == ["You have messages.\n", Signal.EOD]
        await ua.execute("version")
        assert "You have messages.\n" not in await reply(client, {Signal.EOD})  # told once
        await ua.execute("mes")
        assert await reply(client, {Signal.EOD}) == [
            "25-Nov 10:00 lab-dir JobId 1: Start Backup JobId 1\n",
            Signal.EOD,
        ]
        await ua.execute("messages")
        assert await reply(client, {Signal.EOD}) == ["You have no messages.\n", Signal.EOD]
        await server.close()
        await client.close()

    asyncio.run(run())


def test_ua_named_console_refused_commands() -> None:
    async def run() -> None:
        ua, server, client = await session("viewer")
        await ua.execute("version")
        assert (await reply(client, {Signal.EOD}))[0].startswith("lab-dir Version:")
        await ua.execute("status dir")
        assert await reply(client, {Signal.EOD}) == ["status: is an invalid command.\n", Signal.EOD]
        await ua.execute("whoami")
        assert await reply(client, {Signal.EOD}) == ["viewer\n", Signal.EOD]
        await server.close()
        await client.close()

    asyncio.run(run())


def test_ua_usage_line_for_missing_arguments() -> None:
    async def run() -> None:
        ua, server, client = await session()
        await ua.execute("autodisplay sideways")
        got = await reply(client, {Signal.EOD})
        assert got == ["Usage: autodisplay on|off\n", Signal.EOD]
        await server.close()
        await client.close()

    asyncio.run(run())


def test_ua_rarely_used_command_modules_load_when_first_run() -> None:
    """Importing the command table loads none of the modules behind ``_later`` (the Director's
    resident memory); each of them names a handler that exists; one runs when asked."""
    import importlib
    import inspect
    import subprocess
    import sys

    from bareoslab.director.ua import commands

    modules = sorted({f"bareoslab.director.ua.{module}" for module, _ in commands.LATER})
    assert "bareoslab.director.ua.bvfs" in modules and "bareoslab.director.ua.update" in modules
    probe = (
        "import sys\nimport bareoslab.director.ua.commands\n"
        f"print(' '.join(m for m in {modules!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []
    for module, name in commands.LATER:
        handler = getattr(importlib.import_module(f"bareoslab.director.ua.{module}"), name)
        assert inspect.iscoroutinefunction(handler), (module, name)

    async def run() -> None:
        ua, server, client = await session()
        await ua.execute("show sideways=1")
        got = await reply(client, {Signal.EOD})
        assert got[0].startswith("Keywords for the show command are: show directors | jobs")
        await server.close()
        await client.close()

    asyncio.run(run())
