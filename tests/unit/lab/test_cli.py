"""bareoslab.lab.cli: the ``bareoslab`` command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bareoslab.lab import cli
from bareoslab.lab.local import commands, processes, state

from .tracegen import backup_trace

LIST_JOBS = """\
+-------+--------------+-----------+---------------------+------+-------+----------+----------+-----------+
| jobid | name         | client    | starttime           | type | level | jobfiles | jobbytes | jobstatus |
+-------+--------------+-----------+---------------------+------+-------+----------+----------+-----------+
|     1 | backup       | bareos-fd | 2026-11-25 12:57:59 | B    | F     |       12 |  101,367 | T         |
|     2 | backup       | bareos-fd | 2026-11-25 12:58:00 | B    | I     |        4 |       93 | E         |
+-------+--------------+-----------+---------------------+------+-------+----------+----------+-----------+
"""


def test_cli_parse_table_and_job_table() -> None:
    rows = commands.parse_table(LIST_JOBS)
    assert [r["jobid"] for r in rows] == ["1", "2"] and rows[0]["jobbytes"] == "101,367"
    table = commands.job_table(rows, {1: 0.25}).splitlines()
    assert table[0].split() == ["JobId", "Type", "Level", "Files", "Bytes", "Status", "Duration"]
    assert table[2].split() == ["1", "Backup", "Full", "12", "101.4", "KB", "T", "OK", "0.25s"]
    assert table[3].split() == ["2", "Backup", "Incremental", "4", "93", "B", "E", "Error"]


def test_cli_sample_data_and_compare_trees(tmp_path: Path) -> None:
    source = tmp_path / "data"
    commands.sample_data(source)
    names = {p.name for p in source.rglob("*")}
    assert {"empty", "link-to-hello", "docs", "Grüße aus Köln — ½ €.txt"} <= names
    copy = tmp_path / "copy"
    shutil.copytree(source, copy, symlinks=True)
    count, problems = commands.compare_trees(source, copy)
    entries = [n for _, dirs, files in os.walk(source) for n in dirs + files]  # links not followed
    assert problems == [] and count == len(entries) + 1
    (copy / "docs" / "private.txt").chmod(0o644)
    (copy / "hello.txt").write_text("changed\n")
    (copy / "link-to-hello").unlink()
    (copy / "link-to-hello").symlink_to("empty")
    (copy / "extra").touch()
    (copy / "empty").unlink()
    _, problems = commands.compare_trees(source, copy)
    assert problems == [
        "missing: empty",
        "not in the source: extra",
        "docs/private.txt: mode -rw------- became -rw-r--r--",
        "hello.txt: content differs (38 -> 8 bytes)",
        "link-to-hello: link target 'hello.txt' became 'empty'",
    ]
    assert commands.compare_trees(source, tmp_path / "nothing")[1] == [f"{tmp_path / 'nothing'}: not restored"]


def test_cli_trace_writes_plantuml_and_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = backup_trace().records
    for daemon in ("dir", "sd", "fd"):
        lines = [json.dumps(r) for r in records if r["daemon"] == f"bareoslab-{daemon}"]
        (tmp_path / f"{daemon}.trace.jsonl").write_text("\n".join(lines) + "\n")
    out = tmp_path / "job.puml"
    assert cli.main(["trace", "--jobid", "1", str(tmp_path), "-o", str(out)]) == 0
    puml = out.read_text()
    assert puml.startswith("@startuml\ntitle Job backup.2026-01-01_10.00.00_00 (JobId 1)\n")
    files = [str(tmp_path / f"{d}.trace.jsonl") for d in ("fd", "sd", "dir")]
    assert cli.main(["trace", "--format", "text", "--job", "backup", *files]) == 0
    text = capsys.readouterr().out
    assert "Director =>o Storage Daemon : connect 127.0.0.1:9103" in text
    assert cli.main(["trace", "--jobs", str(tmp_path)]) == 0
    assert capsys.readouterr().out.split() == ["1", "backup.2026-01-01_10.00.00_00"]
    assert cli.main(["trace", "--jobid", "9", str(tmp_path)]) == 7
    assert "jobs seen: backup.2026-01-01_10.00.00_00 (1)" in capsys.readouterr().err
    assert cli.main(["trace", str(tmp_path / "missing.jsonl")]) == 7


def test_cli_local_status_without_a_lab(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["local", "status", "--dir", str(tmp_path / "lab")]) == state.NoLab.exit_code
    assert "bareoslab local up" in capsys.readouterr().err


def test_cli_local_up_status_down(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The real thing: three daemons in the background, found again through lab.json."""
    base = tmp_path / "lab"
    try:
        assert cli.main(["local", "up", "--dir", str(base)]) == 0
        out = capsys.readouterr().out
        t = state.load(base)
        assert f"bareoslab-console -c {base / 'etc' / 'bconsole.conf'}" in out
        assert f"Director        bareos-dir 127.0.0.1:{t.dir_port}" in out
        assert (base / "data" / "link-to-hello").is_symlink() and (base / "etc" / "bconsole.conf").is_file()
        pids = {k: p.pid() for k, p in processes.daemon_processes(t).items()}
        assert all(pids.values())

        assert cli.main(["local", "status", "--dir", str(base)]) == 0
        status = capsys.readouterr().out
        assert status.count("reachable") == 3 and "not reachable" not in status
        assert f"running (pid {pids['sd']})" in status

        assert cli.main(["local", "up", "--dir", str(base)]) == 0  # already running: nothing new
        assert "already running" in capsys.readouterr().out
        assert {k: p.pid() for k, p in processes.daemon_processes(t).items()} == pids

        assert cli.main(["local", "down", "--dir", str(base)]) == 0
        assert capsys.readouterr().out.count("stopped (pid") == 3
        assert cli.main(["local", "status", "--dir", str(base)]) == 1
        assert capsys.readouterr().out.count("not running") == 3
        assert state.load(base) == t and (base / "data").is_dir()  # the data stays
    finally:
        if state.exists(base):
            processes.stop(state.load(base))


# what only the [lab] extra installs; the base package must not need any of it to start
LAB_ONLY = ("docker", "ansible", "molecule", "testinfra", "paramiko")


@pytest.mark.parametrize("argv", [["--help"], ["trace", "--help"], ["local", "--help"], ["containers", "--help"]])
def test_cli_starts_without_the_lab_extra(argv: list[str]) -> None:
    blocked = "".join(f"sys.modules[{m!r}] = None; " for m in LAB_ONLY)  # import fails as if absent
    code = f"import sys; {blocked}from bareoslab.lab.cli import main; sys.exit(main({argv!r}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "usage: bareoslab" in done.stdout


def test_cli_container_lab_without_the_lab_extra_says_what_to_install(tmp_path: Path) -> None:
    blocked = "".join(f"sys.modules[{m!r}] = None; " for m in LAB_ONLY)
    code = (f"import sys; {blocked}from bareoslab.lab.cli import main; "
            f"sys.exit(main(['containers', 'status', '--project', {str(Path.cwd())!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "pip install 'bareoslab[lab]'" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
