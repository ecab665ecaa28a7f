"""Client-initiated connections on the Director: the connection plan, the parked pool,
the ``Hello Client`` handshake, and how a job gets its control connection."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from bareoslab.director.client_connections import (
    NOT_AUTHORIZED,
    OUTBOUND,
    PARKED,
    WAIT,
    ClientConnections,
    NoClientConnection,
    WaitingClient,
    acquire_client_connection,
    connection_plan,
    ok_hello,
    serve_client_connection,
)
from bareoslab.director.passive_client import client_address, passive_client_line
from bareoslab.net.auth import authenticate_connector, hello_client, parse_hello, password_key
from bareoslab.net.errors import AuthenticationError
from bareoslab.net.framing import Connection, Signal
from bareoslab.net.handshake import Inbound
from bareoslab.net.tls import NO_TLS
from connection_pair import connection_pair


async def make_pair() -> tuple[Connection, Connection]:
    """(director side, FD side)."""
    return await connection_pair("bareos-dir", "bareos-fd")


def client_res(name: str = "bareos-fd", from_director: bool = True, from_client: bool = False,
               password: str = "secret") -> Any:
    return SimpleNamespace(name=name, password=password_key(password), address="127.0.0.1", port=9102,
                           lan_address=None, connection_from_director_to_client=from_director,
                           connection_from_client_to_director=from_client,
                           get=lambda directive, default=None: False if directive.startswith("TLS") else default)


def fake_director(clients: list[Any], fd_connect_timeout: float = 0.3) -> Any:
    by_name = {c.name: c for c in clients}
    cfg = SimpleNamespace(get=lambda rtype, name: by_name.get(name) if rtype == "Client" else None)
    return SimpleNamespace(name="bareos-dir", cfg=cfg, res=SimpleNamespace(fd_connect_timeout=fd_connect_timeout),
                           waiting_clients=ClientConnections(),
                           inbound=Inbound(NO_TLS, lambda _identity: None, lambda _hello: None))


@pytest.mark.parametrize("from_director, from_client, plan", [
    (True, False, [OUTBOUND]),
    (False, True, [PARKED, WAIT]),
    (True, True, [PARKED, OUTBOUND, WAIT]),
    (False, False, []),
])
def test_connection_plan_parked_then_outbound_then_wait(from_director, from_client, plan) -> None:
    assert connection_plan(from_director, from_client) == plan


def test_ok_hello_is_what_the_fd_parses() -> None:
    assert ok_hello("bareos-dir").startswith("1000 OK: bareos-dir Version: ")
    assert ok_hello("bareos-dir").endswith(")\n")


def test_pool_keeps_keepalives_hands_out_and_forgets_hung_up_connections() -> None:
    async def run() -> None:
        pool = ClientConnections()
        d1, f1 = await make_pair()
        d2, f2 = await make_pair()
        await pool.park(WaitingClient("bareos-fd", d1, 54))
        await pool.park(WaitingClient("bareos-fd", d2, 54))
        assert pool.count("bareos-fd") == 2
        assert len(pool.status_lines()) == 2 and pool.status_lines()[0].endswith("bareos-fd")
        await f1.signal(Signal.HEARTBEAT)  # read and ignored while parked
        await f2.close()                   # a hang-up unparks the connection
        for _ in range(50):
            if pool.count("bareos-fd") == 1:
                break
            await asyncio.sleep(0.01)
        assert pool.count("bareos-fd") == 1
        entry = await pool.take("bareos-fd")
        assert entry is not None and entry.conn is d1 and pool.count("bareos-fd") == 0
        # the taken connection carries the job's commands, the heartbeat before it is still there
        await d1.send("JobId=1\n")
        assert await f1.recv_text() == "JobId=1\n"
        await f1.send("2000 OK Job\n")
        assert await d1.recv_msg() == b"2000 OK Job\n"
        assert await pool.take("bareos-fd") is None
        for c in (d1, f1):
            await c.close()

    asyncio.run(run())


def test_wait_for_wakes_up_when_the_client_connects_and_times_out_otherwise() -> None:
    async def run() -> None:
        pool = ClientConnections()
        assert await pool.wait_for("bareos-fd", 0.05) is None
        d, f = await make_pair()

        async def later() -> None:
            await asyncio.sleep(0.05)
            await pool.park(WaitingClient("bareos-fd", d, 54))

        task = asyncio.ensure_future(later())
        entry = await pool.wait_for("bareos-fd", 5)
        await task
        assert entry is not None and entry.conn is d
        await d.close()
        await f.close()

    asyncio.run(run())


def test_hello_client_is_authenticated_answered_and_parked() -> None:
    async def run() -> None:
        director = fake_director([client_res(from_director=False, from_client=True)])
        d, f = await make_pair()
        hello = parse_hello(hello_client("bareos-fd").encode())
        server = asyncio.ensure_future(serve_client_connection(director, d, hello))
        await authenticate_connector(f, password_key("secret"), "R_CLIENT::bareos-fd")
        assert (await f.recv_text()).startswith("1000 OK: bareos-dir Version:")
        for _ in range(50):
            if director.waiting_clients.count("bareos-fd"):
                break
            await asyncio.sleep(0.01)
        assert director.waiting_clients.count("bareos-fd") == 1
        assert d.peer == "bareos-fd"
        await f.close()
        await asyncio.wait_for(server, 5)  # returns once the connection is gone
        assert director.waiting_clients.count("bareos-fd") == 0

    asyncio.run(run())


@pytest.mark.parametrize("case", ["unknown", "not allowed", "wrong password"])
def test_hello_client_refusals(case: str) -> None:
    async def run() -> None:
        director = fake_director([client_res(from_client=case != "not allowed")])
        d, f = await make_pair()
        name = "intruder-fd" if case == "unknown" else "bareos-fd"
        server = asyncio.ensure_future(
            serve_client_connection(director, d, parse_hello(hello_client(name).encode())))
        if case == "wrong password":
            with pytest.raises(AuthenticationError):
                await authenticate_connector(f, password_key("wrong"), "R_CLIENT::bareos-fd")
        assert await f.recv_msg() == NOT_AUTHORIZED.encode()
        await asyncio.wait_for(server, 5)
        assert director.waiting_clients.count(name) == 0
        for c in (d, f):
            await c.close()

    asyncio.run(run())


def test_acquire_prefers_a_parked_connection() -> None:
    async def run() -> None:
        client = client_res(from_director=True, from_client=True)
        director = fake_director([client])
        d, f = await make_pair()
        await director.waiting_clients.park(WaitingClient(client.name, d, 54))

        async def outbound(timeout: float) -> Connection:
            raise AssertionError("must not connect out while a parked connection waits")

        conn, initiated = await acquire_client_connection(director, client, outbound, job="j1", jobid=7)
        assert conn is d and initiated and (conn.job, conn.jobid) == ("j1", 7)
        for c in (d, f):
            await c.close()

    asyncio.run(run())


def test_acquire_connects_out_then_waits_then_fails_clearly() -> None:
    async def run() -> None:
        client = client_res(from_director=True, from_client=True)
        director = fake_director([client], fd_connect_timeout=0.1)
        calls: list[float] = []
        waited: list[bool] = []

        async def outbound(timeout: float) -> Connection:
            calls.append(timeout)
            raise ConnectionError("refused")

        async def on_wait() -> None:
            waited.append(True)

        with pytest.raises(NoClientConnection, match='Client "bareos-fd" did not connect .* within 0.1 s'):
            await acquire_client_connection(director, client, outbound, on_wait=on_wait)
        assert calls == [0.1] and waited == [True]
        # only the director may call: its error is the job's error
        only_out = client_res(from_director=True, from_client=False)
        with pytest.raises(ConnectionError):
            await acquire_client_connection(director, only_out, outbound)
        with pytest.raises(NoClientConnection, match="allows neither"):
            await acquire_client_connection(director, client_res(from_director=False), outbound)

    asyncio.run(run())


def test_passive_client_line_uses_the_lan_address_when_set() -> None:
    client = client_res()
    assert passive_client_line(client) == "passive client address=127.0.0.1 port=9102 ssl=0\n"
    client.lan_address = "10.0.0.5"
    assert client_address(client) == ("10.0.0.5", 9102)
