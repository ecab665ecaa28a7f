"""Hermetic test environment and the session-wide PostgreSQL server.

PostgreSQL comes from ``tests/pgserver.py``: a private cluster of Debian's server
binaries started once per session (or ``$BAREOSLAB_PG_DSN``). Without the binaries
the PostgreSQL cases are skipped, unless ``BAREOSLAB_REQUIRE_POSTGRESQL=1``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS_DIR = str(Path(__file__).resolve().parent)
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

import pgserver  # noqa: E402


def pytest_report_header(config: pytest.Config) -> str:
    reason = pgserver.pg_unavailable_reason()
    return "catalog drivers: sqlite3" + (f" (postgresql unavailable: {reason})" if reason else ", postgresql")


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TZ", "UTC")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    server = pgserver.start_pg_server()
    if server is None:
        reason = pgserver.pg_unavailable_reason() or "PostgreSQL unavailable"
        if pgserver.postgresql_required():
            pytest.fail(f"{pgserver.ENV_REQUIRE}=1 but {reason}")
        pytest.skip(reason)
    try:
        yield server
    finally:
        server.close()
