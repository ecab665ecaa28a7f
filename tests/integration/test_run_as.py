"""``-u``/``-g``: a daemon started as root binds its port, then runs as the user and group
given (as Bareos' daemons do), and says so; a name that does not exist ends the start."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest
from bareoslab.lab.local.render import LocalTopology, render

from .conftest import wait_until

pytestmark = pytest.mark.integration


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can change its user")
def test_storage_daemon_runs_as_the_user_given(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    t = LocalTopology(tmp_path / "lab", data_dir=tmp_path / "data")
    render(t)
    log = tmp_path / "sd.log"
    sd = subprocess.Popen(
        [sys.executable, "-m", "bareoslab.storage.main", "-c", str(t.etc / "sd"), "-f", "-d", "1",
         "--log-file", str(log), "-u", "nobody", "-g", "nogroup"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert wait_until(lambda: log.exists() and "running as uid" in log.read_text(), timeout=30), (
            log.read_text() if log.exists() else sd.stderr
        )
        status = Path(f"/proc/{sd.pid}/status").read_text()
        uid = next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:"))
        assert int(uid) == pwd.getpwnam("nobody").pw_uid
    finally:
        sd.terminate()
        sd.wait(timeout=30)
    bad = subprocess.run(
        [sys.executable, "-m", "bareoslab.storage.main", "-c", str(t.etc / "sd"), "-f", "-u", "no-such-user"],
        capture_output=True, text=True, timeout=60,
    )
    assert bad.returncode == 1 and "cannot run as no-such-user:" in bad.stderr
