import asyncio

import pytest
from bareoslab.net.auth import (
    authenticate_acceptor,
    authenticate_connector,
    cram_digest,
    hello_client,
    hello_console,
    hello_director,
    hello_start_job,
    hello_storage_calling,
    parse_hello,
    password_key,
)
from bareoslab.net.bareos64 import bin_to_base64
from bareoslab.net.errors import AuthenticationError, BadHello
from bareoslab.net.tls import TlsPolicy


@pytest.mark.parametrize(
    "data,native,compat",
    [
        (b"\x80\x80", "g4A", "gIA"),
        (b"\x00\xff", "A/P", "AP8"),
        (b"\xff", "/D", "/w"),
        (b"\x12\x34\x56", "EjRW", "EjRW"),
    ],
)
def test_bareos64_both_flavours(data, native, compat):
    assert bin_to_base64(data) == native
    assert bin_to_base64(data, compat=True) == compat


def test_cram_digest_reference_example():
    key = password_key("secret")
    assert key == "5ebe2294ecd0e0f08eab7690d2a6ee69"
    token = "<1804289383.1700000000@R_DIRECTOR::bareos-dir>"
    assert cram_digest(key, token) == "i0AJdBkD46ZytGADk4+CkB"
    assert cram_digest(key, token, compat=True) == "i0AJdBkD46ZytGADkomCkQ"


def _run_auth(pair, key_a, key_b, policy_a=TlsPolicy.NONE, policy_b=TlsPolicy.NONE):
    async def run():
        a, b = await pair()
        results = await asyncio.gather(
            authenticate_acceptor(a, key_a, "R_STORAGE::sd", policy_a),
            authenticate_connector(b, key_b, "R_DIRECTOR::dir", policy_b),
            return_exceptions=True,
        )
        return results

    return asyncio.run(run())


def test_auth_succeeds_both_ways(pair):
    key = password_key("pw")
    assert _run_auth(pair, key, key) == [TlsPolicy.NONE, TlsPolicy.NONE]


def test_auth_each_side_learns_the_peers_tls_policy(pair):
    key = password_key("pw")
    results = _run_auth(pair, key, key, TlsPolicy.REQUIRED, TlsPolicy.ENABLED)
    assert results == [TlsPolicy.ENABLED, TlsPolicy.REQUIRED]


def test_auth_wrong_password_fails_on_both_sides(pair):
    results = _run_auth(pair, password_key("right"), password_key("wrong"))
    assert isinstance(results[0], AuthenticationError)
    assert isinstance(results[1], AuthenticationError)
    assert "1999 Authorization failed." in str(results[1])


def test_auth_refuses_replayed_own_name(pair):
    async def run():
        a, b = await pair()
        key = password_key("pw")
        return await asyncio.gather(
            authenticate_acceptor(a, key, "R_DIRECTOR::same"),
            authenticate_connector(b, key, "R_DIRECTOR::same"),
            return_exceptions=True,
        )

    results = asyncio.run(run())
    assert isinstance(results[1], AuthenticationError)


@pytest.mark.parametrize(
    "line,kind,name",
    [
        (hello_director("bareos dir"), "director", "bareos dir"),
        (hello_start_job("backup.2026-11-25_10.00.00_03"), "job", "backup.2026-11-25_10.00.00_03"),
        (hello_storage_calling("b.2026-11-25_10.00.00_03"), "storage_job", "b.2026-11-25_10.00.00_03"),
        (hello_client("client1-fd"), "client", "client1-fd"),
        (hello_console("*UserAgent*"), "console", "*UserAgent*"),
        ("Hello admin calling version 25.1.1\n", "console", "admin"),
        ("Hello admin calling\n", "console", "admin"),
    ],
)
def test_parse_hello(line, kind, name):
    hello = parse_hello(line.encode())
    assert (hello.kind, hello.name) == (kind, name)


def test_parse_hello_rejects_garbage():
    with pytest.raises(BadHello):
        parse_hello(b"GET / HTTP/1.1\r\nHost: x\r\n")
    with pytest.raises(BadHello):
        parse_hello(b"Hi")
