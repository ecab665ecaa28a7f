"""TLS policies, settings and the TLS channel under a Connection (socket pairs, no network)."""

import asyncio
import ssl

import pytest
from bareoslab.net.errors import ConnectionClosed
from bareoslab.net.framing import Signal
from bareoslab.net.tls import (
    DEFAULT_TLS,
    NO_TLS,
    TlsChannel,
    TlsError,
    TlsPolicy,
    TlsSettings,
    parse_qualified_name,
    protocol_versions,
    qualified_name,
    readable_name,
)

KEY = "5ebe2294ecd0e0f08eab7690d2a6ee69"
IDENTITY = qualified_name("R_DIRECTOR", "bareos-dir")


def test_tls_policy_wire_values_are_pinned():
    assert [int(p) for p in (TlsPolicy.NONE, TlsPolicy.ENABLED, TlsPolicy.REQUIRED, TlsPolicy.AUTO)] == [0, 1, 2, 4]


@pytest.mark.parametrize("enable, require, policy", [
    (True, True, TlsPolicy.REQUIRED),
    (True, False, TlsPolicy.ENABLED),
    (False, True, TlsPolicy.NONE),
    (False, False, TlsPolicy.NONE),
])
def test_tls_settings_policy_from_enable_and_require(enable, require, policy):
    assert TlsSettings(enable=enable, require=require).policy is policy


def test_tls_settings_default_is_bareos_default_psk_required():
    assert TlsSettings().policy is TlsPolicy.REQUIRED
    assert TlsSettings().job_policy is TlsPolicy.AUTO
    assert NO_TLS.job_policy is TlsPolicy.NONE


# Bareos' SelectTlsPolicy (core/src/lib/tls_conf.cc), every local x remote pair
@pytest.mark.parametrize("local, remote, chosen", [
    (NO_TLS, TlsPolicy.NONE, TlsPolicy.NONE),
    (TlsSettings(require=False), TlsPolicy.NONE, TlsPolicy.NONE),
    (NO_TLS, TlsPolicy.ENABLED, TlsPolicy.NONE),
    (TlsSettings(), TlsPolicy.NONE, TlsPolicy.DENY),
    (NO_TLS, TlsPolicy.REQUIRED, TlsPolicy.DENY),
    (TlsSettings(require=False), TlsPolicy.ENABLED, TlsPolicy.ENABLED),
    (TlsSettings(), TlsPolicy.ENABLED, TlsPolicy.ENABLED),
    (TlsSettings(require=False), TlsPolicy.REQUIRED, TlsPolicy.ENABLED),
    (NO_TLS, TlsPolicy.AUTO, TlsPolicy.AUTO),
])
def test_tls_settings_select_as_bareos(local, remote, chosen):
    assert local.select(remote) is chosen


def test_tls_settings_of_a_resource_reads_its_directives():
    values = {"TLS Enable": True, "TLS Require": False, "TLS Cipher List": "PSK", "TLS Allowed CN": ["a", "b"],
              "TLS Verify Peer": True}
    settings = TlsSettings.of(type("Res", (), {"get": staticmethod(lambda d, default=None: values.get(d, default))}))
    assert settings == TlsSettings(require=False, cipher_list="PSK", allowed_cn=("a", "b"), verify_peer=True)


def test_qualified_names_round_trip_and_read_like_bareos():
    assert IDENTITY == "R_DIRECTOR\x1ebareos-dir"
    assert parse_qualified_name(IDENTITY) == ("R_DIRECTOR", "bareos-dir")
    assert readable_name(IDENTITY) == "R_DIRECTOR::bareos-dir"
    assert parse_qualified_name("plain") == ("", "plain")


@pytest.mark.parametrize("spec, versions", [
    ("TLSv1.2", (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2)),
    ("ALL,-TLSv1,-TLSv1.1", (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2)),
    ("ALL", (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_2)),
])
def test_protocol_versions_from_openssl_syntax(spec, versions):
    assert protocol_versions(spec) == versions


@pytest.mark.parametrize("spec, reason", [("SSLv2", "unknown TLS protocol"), ("TLSv1.3", "leaves no version")])
def test_protocol_versions_refuses_what_it_cannot_honour(spec, reason):
    with pytest.raises(ValueError, match=reason):
        protocol_versions(spec)


def _handshake(pair, client_key=KEY, lookup=None, settings=DEFAULT_TLS):
    """TLS-PSK between two Connections, then one message each way; returns both ends."""
    keys = {IDENTITY: KEY}

    async def run():
        a, b = await pair()
        server = TlsChannel(settings, server_side=True, psk_lookup=lookup or keys.get)
        client = TlsChannel(settings, server_side=False, psk=(IDENTITY, client_key))
        results = await asyncio.gather(a.start_tls(server, timeout=10), b.start_tls(client, timeout=10),
                                       return_exceptions=True)
        if any(isinstance(r, BaseException) for r in results):
            for conn in (a, b):
                await conn.close(terminate=False)
            return a, b, results
        await b.send("Hello Director bareos-dir calling\n")
        got = await a.recv_msg(5)
        await a.send(b"x" * 300_000)  # larger than one TLS record and one read
        big = await b.recv_msg(5)
        await b.close()
        closing = await a.recv(5)
        return a, b, (got, len(big), closing)

    return asyncio.run(run())


def test_tls_psk_handshake_carries_frames_both_ways(pair):
    a, b, (got, size, closing) = _handshake(pair)
    assert got == b"Hello Director bareos-dir calling\n"
    assert size == 300_000
    assert closing is Signal.TERMINATE
    assert a.tls.psk_identity == IDENTITY
    assert "PSK" in a.encryption and a.encryption.endswith("TLSv1.2")
    assert a.encryption == b.encryption


def test_tls_psk_wrong_key_fails_on_both_sides_naming_the_identity(pair):
    a, b, results = _handshake(pair, client_key="0" * 32)
    assert all(isinstance(r, TlsError) for r in results)
    assert "R_DIRECTOR::bareos-dir rejected: wrong password?" in str(results[0])
    assert a.tls is None and b.tls is None


def test_tls_psk_unknown_identity_is_refused(pair):
    _, _, results = _handshake(pair, lookup=lambda identity: None)
    assert all(isinstance(r, TlsError) for r in results)


def test_tls_psk_lookup_that_raises_refuses_the_handshake_and_nothing_escapes(pair):
    def broken(identity):
        raise RuntimeError("catalog gone")

    _, _, results = _handshake(pair, lookup=broken)
    assert all(isinstance(r, TlsError) for r in results)


def test_tls_cipher_list_is_honoured(pair):
    a, _, _ = _handshake(pair, settings=TlsSettings(cipher_list="PSK-AES128-GCM-SHA256"))
    assert a.encryption == "PSK-AES128-GCM-SHA256 TLSv1.2"


def test_tls_peer_hanging_up_mid_handshake_is_a_tls_error(pair):
    async def run():
        a, b = await pair()
        b.writer.write(b"\x16\x03\x01\x00\x10" + b"\x01" * 8)  # a truncated ClientHello
        await b.writer.drain()
        b.writer.close()
        with pytest.raises((TlsError, ConnectionClosed)):
            await a.start_tls(TlsChannel(TlsSettings(), server_side=True, psk_lookup=lambda i: KEY), timeout=5)

    asyncio.run(run())


def test_tls_garbage_instead_of_a_handshake_is_a_tls_error(pair):
    async def run():
        a, b = await pair()
        b.writer.write(b"\x16" + b"garbage that is no TLS record" * 4)
        await b.writer.drain()
        with pytest.raises(TlsError):
            await a.start_tls(TlsChannel(TlsSettings(), server_side=True, psk_lookup=lambda i: KEY), timeout=5)

    asyncio.run(run())
