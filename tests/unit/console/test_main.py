"""Scripts on stdin: echo, local @ commands, questions answered by the next line."""

from __future__ import annotations

import io
from pathlib import Path

from bareoslab.console.client import Reply
from bareoslab.console.main import Output, Session, main


class FakeConsole:
    """Answers like a Director: ``run`` asks a question, everything else echoes back."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def command(self, line, timeout=None, on_text=None) -> Reply:
        self.sent.append(line)
        if line.startswith("run"):
            text, prompt = "OK to run? (yes/mod/no): ", True
        elif line == "quit":
            return Reply("", closed=True)
        else:
            text, prompt = f"did {line}\n", False
        on_text(text)
        return Reply(text, prompt=prompt)


def run_script(script: str) -> tuple[FakeConsole, str]:
    stdout = io.StringIO()
    fake = FakeConsole()
    Session(fake, Output(stdout), echo=True).run_script(iter(script.splitlines()))  # type: ignore[arg-type]
    return fake, stdout.getvalue()


def test_script_echoes_lines_and_answers_questions_with_the_next_line() -> None:
    fake, out = run_script("@# a comment\nrun job=backup\nyes\nlist jobs\n")
    assert fake.sent == ["run job=backup", "yes", "list jobs"]
    assert out == (
        "@# a comment\nrun job=backup\nOK to run? (yes/mod/no): yes\ndid yes\n"
        "list jobs\ndid list jobs\n"
    )


def test_script_output_and_tee(tmp_path: Path) -> None:
    log, tee = tmp_path / "log.out", tmp_path / "tee.out"
    log.write_text("old\n")
    _, out = run_script(f"@output {log}\nversion\n@tee {tee} w\nstatus\n@output\nwhoami\n")
    assert log.read_text() == "old\nversion\ndid version\n@tee " + str(tee) + " w\n"
    assert tee.read_text() == "status\ndid status\n@output\n"
    assert out == f"@output {log}\nstatus\ndid status\n@output\nwhoami\ndid whoami\n"


def test_script_exit_quit_and_echo() -> None:
    fake, out = run_script("@echo hello there\nversion\n@exit\nstatus\n")
    assert fake.sent == ["version"] and "hello there\n" in out
    fake, _ = run_script("quit\nversion\n")
    assert fake.sent == ["quit"]


def test_main_bad_config_exits_non_zero(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bconsole.conf"
    bad.write_text("Director {\n  Name = x\n")
    assert main(["-c", str(bad)]) == 1
    assert "bconsole.conf" in capsys.readouterr().err
    good = tmp_path / "good.conf"
    good.write_text('Director {\n  Name = x\n  Address = 127.0.0.1\n  Password = "p"\n}\n')
    assert main(["-c", str(good), "-t"]) == 0
