"""The test helper ``tests/pgserver.py``: skip reasons and the external-server mode."""

from __future__ import annotations

from typing import Any

import pgserver
import pytest


def test_pgserver_without_binaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pgserver.ENV_DSN, raising=False)
    monkeypatch.delenv(pgserver.ENV_BINDIR, raising=False)
    monkeypatch.setattr(pgserver, "DEBIAN_BINDIRS", "/nonexistent/*/bin")
    monkeypatch.setenv("PATH", "/nonexistent")
    assert pgserver.find_bindir() is None
    assert pgserver.start_pg_server() is None
    reason = pgserver.pg_unavailable_reason()
    assert reason is not None and "no PostgreSQL server binaries" in reason
    monkeypatch.setenv(pgserver.ENV_REQUIRE, "1")
    assert pgserver.postgresql_required()


@pytest.mark.postgresql
def test_pgserver_external_dsn(monkeypatch: pytest.MonkeyPatch, pg_server: Any) -> None:
    dsn = f"host={pg_server.host} port={pg_server.port} user={pg_server.user} dbname=postgres"
    monkeypatch.setenv(pgserver.ENV_DSN, dsn)
    assert pgserver.pg_unavailable_reason() is None
    external = pgserver.start_pg_server()
    assert isinstance(external, pgserver.ExternalPgServer)
    name = external.create_database()
    with external.connect(name) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == (name,)
    external.close()  # drops what it created
    with pg_server.connect() as conn:
        assert (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None
        )
