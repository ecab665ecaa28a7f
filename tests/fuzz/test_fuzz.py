"""The fuzz targets (``fuzz/targets.py``): a bounded, seeded atheris run of each, and every input
that once crashed a parser (``fuzz/regressions/<target>/``) replayed against its contract."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from bareoslab.director.ua.commands import lookup

FUZZ = Path(__file__).resolve().parents[2] / "fuzz"
sys.path.insert(0, str(FUZZ))

from sessions import FREE_SQL, sandbox  # noqa: E402
from targets import TARGETS  # noqa: E402

REGRESSIONS = sorted((FUZZ / "regressions").glob("*/*"))


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_bounded_fuzz_run(name: str, tmp_path: Path) -> None:
    """Each target's bounded run (``Target.bounded_runs``: under a minute in all on the lab
    machine); ``make fuzz`` runs longer."""
    runs = TARGETS[name].bounded_runs
    run = subprocess.run(
        [sys.executable, str(FUZZ / "run.py"), name, f"-runs={runs}", "-seed=1",
         f"-artifact_prefix={tmp_path}/"],
        capture_output=True, text=True, timeout=300)
    crashes = [p.name for p in tmp_path.iterdir()]
    assert run.returncode == 0 and not crashes, (
        f"{name}: {crashes} (copy it to fuzz/regressions/{name}/)\n{run.stderr[-3000:]}")
    assert f"Done {runs} runs" in run.stderr


@pytest.mark.parametrize("path", REGRESSIONS, ids=[f"{p.parent.name}/{p.name}" for p in REGRESSIONS])
def test_regression_input_keeps_the_contract(path: Path) -> None:
    target = TARGETS[path.parent.name]
    try:
        target.run(path.read_bytes())
    except target.allowed:
        pass


def test_every_regression_names_a_target() -> None:
    assert REGRESSIONS, "no regression input: the directory layout changed?"
    assert {p.parent.name for p in REGRESSIONS} <= set(TARGETS)


def test_the_sessions_sandbox_lets_nothing_out() -> None:
    """The dispatcher targets' daemons connect nowhere, start nothing, and have no free SQL,
    not even by a prefix of its command's name."""
    async def connect() -> None:
        await asyncio.open_connection("127.0.0.1", 9)

    async def execute() -> None:
        await asyncio.create_subprocess_exec("true")

    with sandbox():
        for word in (*FREE_SQL, "sq", "que"):
            assert lookup(word) is None or lookup(word).name not in FREE_SQL, word
        for action in (connect, execute):
            with pytest.raises(OSError):
                asyncio.run(action())
    assert lookup("sq").name == "sqlquery"  # and all is back after it
