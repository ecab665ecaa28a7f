"""Who starts TLS and when (Bareos' TryTlsHandshakeAsAServer and TwoWayAuthenticate), on socket pairs."""

import asyncio

import pytest
from bareoslab.net.auth import Hello, hello_client, hello_console, hello_director, password_key
from bareoslab.net.errors import AuthenticationError, ConnectionClosed
from bareoslab.net.handshake import Inbound, Outbound, authenticate_outbound, start_outbound
from bareoslab.net.tls import DEFAULT_TLS, NO_TLS, TlsError, TlsPolicy, TlsSettings, qualified_name

KEY = password_key("secret")
DIR_IDENTITY = qualified_name("R_DIRECTOR", "bareos-dir")


def inbound(policy: TlsPolicy | None, own: TlsSettings = DEFAULT_TLS) -> Inbound:
    """A daemon that knows one Director "bareos-dir" (and client "fd1") with key KEY."""
    keys = {DIR_IDENTITY: KEY, qualified_name("R_CLIENT", "fd1"): KEY}
    return Inbound(own, keys.get, lambda hello: None if policy is None else (policy, f'Director "{hello.name}"'))


def converse(pair, server: Inbound, how: Outbound, hello: str, peer_settings: TlsSettings = DEFAULT_TLS):
    """Run both sides: TLS-first (if any), hello, CRAM-MD5, TLS after it (if any)."""

    async def accept(conn):
        try:
            got = await server.accept_hello(conn, 5)
            await server.authenticate(conn, KEY, "R_STORAGE::sd", peer_settings)
            await conn.send("3000 OK Hello\n")
        except BaseException:
            await conn.close()  # as the daemons' listener does after a refusal
            raise
        return got

    async def connect(conn):
        try:
            await start_outbound(conn, how)
            await conn.send(hello)
            await authenticate_outbound(conn, "R_DIRECTOR::bareos-dir", how)
            return await conn.recv_text(5)
        except BaseException:
            await conn.close()
            raise

    async def run():
        a, b = await pair()
        results = await asyncio.gather(accept(a), connect(b), return_exceptions=True)
        for conn in (a, b):
            await conn.close(terminate=False)
        return a, b, results

    return asyncio.run(run())


def test_tls_first_then_hello_and_cram_inside_tls(pair):
    how = Outbound.for_resource(TlsSettings(), DIR_IDENTITY, KEY)
    a, b, (hello, answer) = converse(pair, inbound(TlsPolicy.REQUIRED), how, hello_director("bareos-dir"))
    assert hello == Hello("director", "bareos-dir")
    assert answer == "3000 OK Hello\n"
    assert a.tls is not None and b.tls is not None and a.tls.psk_identity == DIR_IDENTITY


def test_cleartext_both_sides_off(pair):
    how = Outbound.for_resource(NO_TLS, DIR_IDENTITY, KEY)
    a, b, (hello, answer) = converse(pair, inbound(TlsPolicy.NONE), how, hello_director("bareos-dir"), NO_TLS)
    assert answer == "3000 OK Hello\n" and a.tls is None and b.tls is None


def test_cleartext_hello_refused_when_tls_is_on_here_naming_what_to_change(pair):
    how = Outbound.for_resource(NO_TLS, DIR_IDENTITY, KEY)
    _, _, (refused, _) = converse(pair, inbound(TlsPolicy.REQUIRED), how, hello_director("bareos-dir"))
    assert isinstance(refused, TlsError)
    assert 'Director "bareos-dir"' in str(refused) and "TLS Enable = no" in str(refused)


def test_cleartext_hello_refused_when_tls_is_merely_enabled_here(pair):
    how = Outbound.for_resource(NO_TLS, DIR_IDENTITY, KEY)
    _, _, (refused, _) = converse(pair, inbound(TlsPolicy.ENABLED), how, hello_director("bareos-dir"))
    assert isinstance(refused, TlsError)


def test_client_initiated_fd_may_start_in_cleartext_when_tls_is_not_required(pair):
    """R_CLIENT: cleartext allowed unless required; both enabled, TLS starts after CRAM-MD5."""
    settings = TlsSettings(require=False)
    how = Outbound(settings, qualified_name("R_CLIENT", "fd1"), KEY, tls_first=False)
    a, b, (hello, answer) = converse(pair, inbound(TlsPolicy.ENABLED), how, hello_client("fd1"), settings)
    assert hello.kind == "client" and answer == "3000 OK Hello\n"
    assert a.tls is not None and b.tls is not None  # started after CRAM-MD5, on the same connection
    assert "PSK" in a.encryption


def test_client_initiated_fd_cleartext_refused_when_required(pair):
    how = Outbound(NO_TLS, qualified_name("R_CLIENT", "fd1"), KEY, tls_first=False)
    _, _, (refused, _) = converse(pair, inbound(TlsPolicy.REQUIRED), how, hello_client("fd1"))
    assert isinstance(refused, TlsError)


def test_console_older_than_18_2_may_log_in_in_cleartext(pair):
    how = Outbound.for_resource(NO_TLS, qualified_name("R_CONSOLE", "admin"), KEY)
    old = "Hello admin calling version 17.2.7\n"
    _, _, (hello, answer) = converse(pair, inbound(TlsPolicy.REQUIRED), how, old, NO_TLS)
    assert hello.kind == "console" and answer == "3000 OK Hello\n"
    _, _, (refused, _) = converse(pair, inbound(TlsPolicy.REQUIRED), how, hello_console("admin"), NO_TLS)
    assert isinstance(refused, TlsError)


def test_hello_must_name_the_resource_whose_key_tls_used(pair):
    """TLS-PSK as client fd1, then a hello claiming to be the Director: refused as Bareos does."""
    how = Outbound.for_resource(TlsSettings(), qualified_name("R_CLIENT", "fd1"), KEY)
    _, _, (refused, _) = converse(pair, inbound(TlsPolicy.REQUIRED), how, hello_director("bareos-dir"))
    assert isinstance(refused, TlsError)
    assert "tried authenticating as 'R_DIRECTOR::bareos-dir' but used psk for 'R_CLIENT::fd1'" in str(refused)


def test_tls_required_here_and_off_there_after_cram_is_denied(pair):
    """The peer's resource here has TLS off (cleartext hello accepted) but the peer requires TLS."""
    how = Outbound(TlsSettings(), DIR_IDENTITY, KEY, tls_first=False)
    _, _, (denied, _) = converse(pair, inbound(TlsPolicy.NONE), how, hello_director("bareos-dir"), NO_TLS)
    assert isinstance(denied, AuthenticationError)
    assert "TLS is none here and required at the peer" in str(denied)


def test_tls_from_a_peer_whose_resource_here_has_tls_off_is_accepted_as_bareos_does(pair):
    how = Outbound.for_resource(TlsSettings(), DIR_IDENTITY, KEY)
    a, _, (hello, answer) = converse(pair, inbound(TlsPolicy.NONE), how, hello_director("bareos-dir"), NO_TLS)
    assert answer == "3000 OK Hello\n" and a.tls is not None


def test_unknown_peer_is_left_to_the_daemon(pair):
    """No resource for the hello's name: the daemon's own refusal follows (no TLS decision here)."""
    how = Outbound.for_resource(NO_TLS, DIR_IDENTITY, KEY)
    server = inbound(None)
    _, _, (hello, _) = converse(pair, server, how, hello_director("stranger"), NO_TLS)
    assert hello == Hello("director", "stranger")


@pytest.mark.parametrize("first, error", [(b"\x16", TlsError), (b"\x00", ConnectionClosed)])
def test_accept_hello_waits_for_no_more_than_the_first_byte(pair, first, error):
    """A one-byte start must not stall the decision (Bareos peeks what has arrived)."""

    async def run():
        a, b = await pair()
        b.writer.write(first)
        await b.writer.drain()
        b.writer.close()
        with pytest.raises(error):
            await inbound(TlsPolicy.REQUIRED).accept_hello(a, 5)

    asyncio.run(run())


def test_keepalives_do_not_renew_the_hello_timeout(pair):
    """A peer that sends only heartbeats is dropped when the hello timeout runs out."""
    from bareoslab.net.framing import Signal

    async def run():
        a, b = await pair()

        async def heartbeats():
            for _ in range(200):  # far longer than the timeout, were it renewed
                await b.signal(Signal.HEARTBEAT)
                await asyncio.sleep(0.02)

        beating = asyncio.create_task(heartbeats())
        try:
            async with asyncio.timeout(3):  # the test's own bound, well above the hello's
                with pytest.raises(ConnectionClosed, match="sent no hello within 0.5 s"):
                    await inbound(TlsPolicy.NONE).accept_hello(a, 0.5)
        finally:
            beating.cancel()
            for conn in (a, b):
                await conn.close(terminate=False)

    asyncio.run(run())


def test_frames_before_authentication_are_small(pair):
    """An accepted connection takes a hello, not a megabyte, until its peer authenticated."""
    from bareoslab.net.errors import FrameTooLarge
    from bareoslab.net.framing import MAX_PACKET, PREAUTH_MAX_PACKET

    released = []

    async def run():
        a, b = await pair()
        a.await_authentication(lambda: released.append(True))
        b.writer.write((PREAUTH_MAX_PACKET + 1).to_bytes(4, "big"))
        with pytest.raises(FrameTooLarge, match=f"max {PREAUTH_MAX_PACKET}"):
            await a.recv(5)
        c, d = await pair()  # the refused connection is closed; a peer that authenticates:
        c.await_authentication(lambda: released.append(True))
        c.authenticated()
        assert c.max_frame == MAX_PACKET and released == [True]
        payload = b"x" * (PREAUTH_MAX_PACKET + 1)
        await d.send(payload)
        assert await c.recv(5) == payload
        for conn in (a, b, c, d):
            await conn.close(terminate=False)

    asyncio.run(run())
