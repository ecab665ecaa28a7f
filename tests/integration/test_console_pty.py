"""``bareoslab-console`` on a terminal: an interactive restore typed through a pseudo-terminal,
menu, file tree and run question, as a user at bconsole would."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import Lab
from .test_console_commands import backup

pytestmark = pytest.mark.integration


class Terminal:
    """A console process on a pseudo-terminal; ``expect`` reads until a text shows up."""

    def __init__(self, config: Path) -> None:
        master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bareoslab.console.main", "-c", str(config)],
            stdin=slave, stdout=slave, stderr=slave, close_fds=True,
            env={**os.environ, "TERM": "dumb"},
        )  # fmt: skip
        os.close(slave)
        self.master = master
        self.seen = ""
        self.pos = 0

    def expect(self, text: str, timeout: float = 60) -> str:
        """Everything up to and including the next ``text``."""
        deadline = time.monotonic() + timeout
        while text not in self.seen[self.pos :]:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.master], [], [], max(0.0, left))
            assert ready, f"no {text!r} within {timeout} s; the terminal shows:\n{self.seen[self.pos:]}"
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # the console ended
                chunk = b""
            assert chunk, f"the console ended before {text!r}:\n{self.seen[self.pos:]}"
            self.seen += chunk.decode("utf-8", "replace")
        end = self.seen.index(text, self.pos) + len(text)
        part, self.pos = self.seen[self.pos : end], end
        return part

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def quit(self) -> int:
        """``quit`` typed; the console's exit status."""
        self.type("quit")
        return self.proc.wait(timeout=30)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:  # a failed test leaves no console behind
            self.proc.kill()
            self.proc.wait(timeout=30)
        os.close(self.master)


def test_interactive_restore_typed_on_a_terminal(lab_factory, tmp_path: Path) -> None:
    lab: Lab = lab_factory()
    backup(lab)
    data = lab.t.fileset_dir
    where = tmp_path / "typed"
    with Terminal(lab.t.etc / "bconsole.conf") as term:
        term.expect("*")
        term.type("restore")
        assert "12: Select full restore to a specified Job date" in term.expect("Select item:  (1-13): ")
        term.type("5")
        assert "files inserted into the tree." in term.expect("$ ")
        term.type(f'cd "{data}/sub"')
        assert f"cwd is: {data}/sub/" in term.expect("$ ")
        term.type("mark hardlink-*")
        assert "2 files newly marked." in term.expect("$ ")
        term.type("lsmark")
        assert "*hardlink-a" in term.expect("$ ")
        term.type("done")
        assert "2 files selected to be restored." in term.expect("OK to run? (yes/mod/no): ")
        term.type("mod")
        term.expect("Select parameter to modify (1-14): ")
        term.type("10")
        term.expect("(/ for none): ")
        term.type(str(where))
        assert f"Where:           {where}" in term.expect("OK to run? (yes/mod/no): ")
        term.type("yes")
        term.expect("Job queued. JobId=")
        jobid = int(term.expect("\n*").split()[0])  # up to the main prompt again
        term.type(f"wait jobid={jobid}")
        term.expect("JobStatus=")
        assert term.expect("\n*").startswith("OK (T)")
        assert term.quit() == 0
    restored = where / str(data).lstrip("/") / "sub"
    assert sorted(p.name for p in restored.iterdir()) == ["hardlink-a", "hardlink-b"]
    assert (restored / "hardlink-a").read_bytes() == (data / "sub" / "hardlink-a").read_bytes()


def test_tab_completes_commands_and_resource_names(lab_factory) -> None:
    lab: Lab = lab_factory()
    with Terminal(lab.t.etc / "bconsole.conf") as term:
        term.expect("*")
        os.write(term.master, b"stat\t")  # the Director's own command list (.help all)
        term.expect("status")
        os.write(term.master, b" client=\t")  # names from .clients
        term.expect(f"client={lab.t.client}")
        term.type("")
        assert f"Connecting to Client {lab.t.client}" in term.expect("\n*")
        assert term.quit() == 0
