"""Scripted ``bareoslab-console`` runs, as the Bareos systemtests drive bconsole."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import Lab

pytestmark = pytest.mark.integration


def console(
    lab: Lab, script: str, *extra: str, config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "bareoslab.console.main",
            "-c",
            str(config or lab.t.etc / "bconsole.conf"),
            *extra,
        ],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_console_script_label_backup_wait_list_restore(lab_factory, tmp_path: Path) -> None:
    lab: Lab = lab_factory()
    log1, log2 = tmp_path / "log1.out", tmp_path / "log2.out"
    restored = tmp_path / "restored"
    done = console(
        lab,
        f"""@# the systemtests' simple backup and restore
@output /dev/null
messages
@output {log1}
label volume=TestVolume001 storage=File pool=Full
run job=backup level=Full yes
wait
messages
list jobs
@tee {log2}
restore client={lab.t.client} fileset=LabData where={restored} select all done
yes
wait
messages
@output
list volumes
quit
""",
    )
    assert done.returncode == 0, done.stderr
    first = log1.read_text()
    assert "label volume=TestVolume001 storage=File pool=Full" in first  # input lines are echoed
    assert 'Catalog record for Volume "TestVolume001", Slot 0 successfully created.' in first
    # ua_db.cc OpenDb: the catalog is chosen once, and named once per connection (label and
    # run use the shared one, list the private one)
    assert first.count("Automatically selected Catalog: MyCatalog") == 1
    assert first.count('Using Catalog "MyCatalog"') == 2
    assert "Job queued. JobId=1" in first
    assert "Termination:" in first and "Backup OK" in first
    assert "|     1 | backup" in first and "| B    |" in first
    second = log2.read_text()
    assert "You have selected the following JobId: 1" in second
    assert "OK to run? (yes/mod/no): yes" in second
    assert "Restore OK" in second
    assert "Restore OK" in done.stdout  # @tee also writes to the terminal
    assert "Pool: Full" in done.stdout and "TestVolume001" in done.stdout
    assert (
        restored / str(lab.t.fileset_dir).lstrip("/") / "plain.txt"
    ).read_text() == "hello bareos\n"


def test_console_script_bad_input_gets_clear_answers(lab_factory) -> None:
    lab: Lab = lab_factory()
    done = console(
        lab,
        """nosuchcommand
list jobs jobid=abc
run job=nosuchjob yes
update volume=Missing volstatus=Used
sqlquery
SELECT nosuchcolumn FROM Job;

.sql query="SELEKT 1"
list jobs
@sleep 0.1
@exit
version
""",
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "nosuchcommand: is an invalid command." in out
    assert "Invalid jobid specified: abc" in out
    assert 'Job "nosuchjob" not found.' in out
    assert 'Volume "Missing" not found in catalog.' in out
    assert "Query failed:" in out and "nosuchcolumn" in out
    assert "End query mode." in out
    assert "No results to list." in out
    assert "Version:" not in out  # nothing after @exit is sent


def test_console_exit_status_when_it_cannot_log_in(lab_factory, tmp_path: Path) -> None:
    lab: Lab = lab_factory()
    wrong = tmp_path / "wrong.conf"
    wrong.write_text(
        f"Director {{\n  Name = {lab.t.director}\n  Address = {lab.t.host}\n  Port = {lab.t.dir_port}\n"
        f'  Password = "not-the-password"\n}}\n'
    )
    refused = console(lab, "version\n", config=wrong)
    assert refused.returncode != 0
    assert "Director authorization problem." in refused.stderr
    nothing = tmp_path / "nothing.conf"
    nothing.write_text(
        'Director {\n  Name = x\n  Address = 127.0.0.1\n  Port = 1\n  Password = "x"\n}\n'
    )
    unreachable = console(lab, "version\n", "-u", "1", config=nothing)
    assert unreachable.returncode != 0
    assert "Failed to connect to Director" in unreachable.stderr
    # the Director keeps serving after both
    assert "Version:" in console(lab, "version\n").stdout


def test_console_named_console_from_bconsole_conf(lab_factory, tmp_path: Path) -> None:
    def add_console(t) -> None:
        (t.etc / "dir" / "bareos-dir.d" / "console").mkdir(parents=True, exist_ok=True)
        (t.etc / "dir" / "bareos-dir.d" / "console" / "viewer.conf").write_text(
            'Console {\n  Name = viewer\n  Password = "viewer-secret"\n  Command ACL = list, whoami\n'
            "  Job ACL = *all*\n  Client ACL = *all*\n}\n"
        )

    lab: Lab = lab_factory(configure=add_console)
    conf = tmp_path / "bconsole.conf"
    conf.write_text(
        (lab.t.etc / "bconsole.conf").read_text()
        + f'Console {{\n  Name = viewer\n  Password = "viewer-secret"\n  Director = {lab.t.director}\n}}\n'
    )
    done = console(lab, "whoami\nlist jobs\nrun job=backup level=Full yes\n", config=conf)
    assert done.returncode == 0, done.stderr
    assert "viewer\n" in done.stdout and "No results to list." in done.stdout
    assert "run: is an invalid command." in done.stdout
    assert lab.query("SELECT count(*) FROM Job")[0][0] == 0


def test_console_local_commands_and_options(lab_factory, tmp_path: Path) -> None:
    lab: Lab = lab_factory()
    done = console(lab, "@version\n@separator ;\ntime;whoami\n@separator\n@separator x\n@quit\n")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert re.search(r"^Version: \d+\.\d+\.\d+ \(.+\) Linux$", out, re.MULTILINE), out
    assert re.search(r"^\w{3} \d\d-\w{3}-\d{4} \d\d:\d\d:\d\d$", out, re.MULTILINE)  # time
    assert "\nroot\n" in out  # whoami, the second command of the same line
    assert "Illegal separator character." in out
    listed = subprocess.run(
        [sys.executable, "-m", "bareoslab.console.main", "-c", str(lab.t.etc / "bconsole.conf"), "-l"],
        capture_output=True, text=True, timeout=60,
    )
    assert listed.returncode == 0 and listed.stdout.split() == [lab.t.director]
