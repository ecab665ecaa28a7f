"""Run ansible-playbook from the project's virtualenv, for the role tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
INVENTORIES = ROOT / "inventories"
PLAYBOOKS = ROOT / "playbooks"


def _command(inventory: Path, playbook: str, *extra: str) -> list[str]:
    exe = BIN / "ansible-playbook"
    if not exe.exists():
        pytest.skip("ansible-playbook is not installed (pip install -e '.[lab]')")
    return [str(exe), "-i", str(inventory), str(PLAYBOOKS / playbook), *extra]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_LOCAL_TEMP=str(Path(env.get("HOME", "/tmp")) / ".ansible-tmp"),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def ansible_playbook(
    inventory: Path, playbook: str, *extra: str, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """Run ``ansible-playbook -i inventory playbooks/<playbook> extra...``; output in stdout."""
    return subprocess.run(
        _command(inventory, playbook, *extra),
        capture_output=True,
        text=True,
        env=_env(),
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )


def ansible_playbooks(
    runs: dict[str, tuple[Path, str, list[str]]], timeout: float = 240
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run several ansible-playbook at once: key -> (inventory, playbook, extra args)."""
    procs = {
        key: subprocess.Popen(
            _command(inventory, playbook, *extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
            cwd=ROOT,
        )
        for key, (inventory, playbook, extra) in runs.items()
    }
    results = {}
    for key, proc in procs.items():
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        results[key] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return results
