"""The interactive restore as Bareos has it: the numbered menu (``ua_restore.cc``), the file
tree (``ua_tree.cc``) and ``OK to run? (yes/mod/no)`` with ``mod`` (``ua_run.cc``), driven
question by question through the console protocol against live daemons."""

from __future__ import annotations

from pathlib import Path

import pytest
from bareoslab.console.client import Console

from .conftest import Lab
from .test_console_commands import backup

pytestmark = pytest.mark.integration


def asks(console: Console, line: str) -> str:
    """Send a line the Director answers with a question; return all it printed."""
    reply = console.command(line, timeout=60)
    assert reply.prompt, f"{line!r} got no question back:\n{reply.text}"
    return reply.text


def ends(console: Console, line: str) -> str:
    """Send the line that ends the command; return what it printed."""
    reply = console.command(line, timeout=60)
    assert not reply.prompt, f"{line!r} asked again:\n{reply.text}"
    return reply.text


def queued(text: str) -> int:
    assert "Job queued. JobId=" in text, text
    return int(text.split("Job queued. JobId=")[1].split()[0])


def test_menu_tree_marking_and_mod_where(lab: Lab, tmp_path: Path) -> None:
    jobid = backup(lab)
    data = lab.t.fileset_dir
    con = lab.console
    out = asks(con, "restore")
    assert "First you select one or more JobIds that contain files" in out
    assert "To select the JobIds, you have the following choices:" in out
    assert " 5: Select the most recent backup for a client\n" in out
    assert "13: Cancel\n" in out and out.endswith("Select item:  (1-13): ")

    out = asks(con, "5")  # one client, one FileSet: both chosen without asking
    assert f"Automatically selected Client: {lab.t.client}" in out
    assert "Automatically selected FileSet: LabData" in out
    assert "| jobid | level | jobfiles | jobbytes" in out and "TestVolume001" in out
    assert f"You have selected the following JobId: {jobid}" in out
    assert f"Building directory tree for JobId(s) {jobid} ..." in out
    assert "files inserted into the tree.\n" in out
    assert "You are now entering file selection mode" in out and out.endswith("cwd is: /\n$ ")

    assert f"cwd is: {data}/" in asks(con, f'cd "{data}"')
    listing = asks(con, "ls").splitlines()
    assert {"dir with spaces/", "plain.txt", "sub/", "symlink", "sparse"} <= set(listing)
    assert "5 files newly marked." in asks(con, "mark sub")  # sub, deeper, three files
    assert "2 files newly unmarked." in asks(con, "unmark sub/deeper")
    assert "*sub/\n  *hardlink-a\n  *hardlink-b\n" in asks(con, "lsmark")
    assert "+sub/" not in asks(con, "ls") and "*sub/" in asks(con, "ls s*")
    assert "3 marked to be restored." in asks(con, "count")
    assert f"{data}/sub/deeper/random.bin\n" in asks(con, "find random.*")
    assert "; 4 marked to be restored; 3,000 bytes." in asks(con, "estimate")  # + dirs above
    assert 'Invalid command "frobnicate". Enter "done" to exit.' in asks(con, "frobnicate")
    assert "Invalid path given." in asks(con, "cd nowhere")
    help_text = asks(con, "help")
    assert "  mark       mark dir/file to be restored recursively, wildcards allowed" in help_text

    out = asks(con, "done")
    assert "3 files selected to be restored." in out and "Run Restore job" in out
    assert out.endswith("OK to run? (yes/mod/no): ")
    out = asks(con, "mod")
    assert "Parameters to modify:\n" in out and " 5: Restore Client\n" in out
    assert "10: Where\n" in out and out.endswith("Select parameter to modify (1-14): ")
    assert asks(con, "10").endswith("Please enter the full path prefix for restore (/ for none): ")
    where = tmp_path / "modified-where"
    out = asks(con, str(where))
    assert f"Where:           {where}\n" in out and out.endswith("OK to run? (yes/mod/no): ")
    restore = queued(ends(con, "yes"))
    assert "JobStatus=OK (T)" in lab.run(f"wait jobid={restore}")

    restored = where / str(data).lstrip("/")
    assert (restored / "sub" / "hardlink-a").read_bytes() == (data / "sub" / "hardlink-a").read_bytes()
    # the lab's FileSet keeps Bareos' default HardLinks = no: each name is restored on its own
    assert (restored / "sub" / "hardlink-b").read_bytes() == (data / "sub" / "hardlink-b").read_bytes()
    assert not (restored / "sub" / "deeper").exists() and not (restored / "plain.txt").exists()


def test_menu_by_jobids_select_and_quit(lab_factory) -> None:
    lab: Lab = lab_factory()
    jobid = backup(lab)
    con = lab.console
    asks(con, "restore")
    assert asks(con, "3").endswith("Enter JobId(s), comma separated, to restore: ")
    out = asks(con, str(jobid))
    assert f"You have selected the following JobId: {jobid}" in out
    out = ends(con, "quit")  # leaves file selection mode without restoring
    assert "Restore not done." in out
    assert lab.query("SELECT count(*) FROM Job")[0][0] == 1

    asks(con, "restore")
    out = asks(con, "14")
    assert "Please enter a number between 1 and 13" in out
    assert "Selection aborted, nothing done." in ends(con, ".")
    asks(con, "restore")
    ends(con, "13")  # Cancel
    assert lab.query("SELECT count(*) FROM Job")[0][0] == 1

    out = asks(con, "restore")
    out = asks(con, "1")  # the last jobs, then the menu again
    assert "| jobid | client" in out and out.endswith("Select item:  (1-13): ")
    out = asks(con, "12")
    assert out.endswith("Enter JobId to get the state to restore: ")
    out = asks(con, str(jobid))
    assert "Selecting jobs to build the Full state at" in out
    assert "files inserted into the tree." in out
    out = asks(con, "mark *")
    assert "files newly marked." in out
    out = asks(con, "done")
    assert ends(con, "no").strip().endswith("Job not run.")


def test_restore_argument_errors_are_bareos_texts(lab_factory) -> None:
    lab: Lab = lab_factory()
    jobid = backup(lab)
    assert "Unknown keyword: bogus" in lab.run("restore bogus=1")
    out = lab.run(f"restore jobid={jobid} regexwhere=!a!b! all done yes")
    assert "regexwhere: file relocation is not available in the lab's restore." in out
    assert lab.query("SELECT count(*) FROM Job")[0][0] == 1  # refused, not run without it
    assert "Missing value for keyword: jobid" in lab.run("restore jobid")
    out = lab.run(f"restore jobid={jobid} before=2030-01-01")
    assert f"A job was already explicitly chosen via 'jobid={jobid}'" in out
    assert "Improper date format: soon" in lab.run("restore select before=soon")
    out = lab.run(f"restore jobid={jobid} file=/no/such/file done yes")
    assert "No database record found for: /no/such/file" in out
    assert "No files selected to be restored." in out
    assert "No JobId specified cannot continue." in lab.run(
        f"restore client={lab.t.client} directory=/srv done yes"
    )


def test_run_mod_changes_level_and_answers_are_checked(lab_factory) -> None:
    lab: Lab = lab_factory()
    lab.run("label volume=TestVolume001 storage=File pool=Full")
    con = lab.console
    out = asks(con, "run job=backup level=Incremental")
    assert "Level:    Incremental" in out and out.endswith("OK to run? (yes/mod/no): ")
    out = asks(con, "mod")
    assert " 1: Level\n" in out and " 9: Pool\n" in out and "10: Plugin Options\n" in out
    out = asks(con, "1")
    assert "Levels:\n1: Full\n2: Incremental\n" in out and out.endswith("Select level (1-5): ")
    out = asks(con, "1")
    assert "Level:    Full" in out
    assert "Illegal response maybe" in asks(con, "maybe")
    out = asks(con, "m")
    out = asks(con, "8")
    assert out.endswith("Enter new Priority: ")
    assert "Expected a positive integer, got: high" in asks(con, "high")
    assert "Priority: 7" in asks(con, "7")
    out = asks(con, "mod level=Differential priority=9")  # ua_run.cc: "mod" with arguments
    assert "Level:    Differential" in out and "Priority: 9" in out
    assert "Invalid keyword: nosuch" in asks(con, "mod nosuch=1")
    assert "Priority must be a positive integer." in asks(con, "mod priority=abc")
    assert 'Job "RestoreFiles" is a Restore job, not a Backup job.' in asks(con, "mod job=RestoreFiles")
    out = asks(con, "mod level=Full")
    assert "Level:    Full" in out
    jobid = queued(ends(con, "yes"))
    lab.console.command(f"wait jobid={jobid}")
    assert lab.query("SELECT Level, JobStatus FROM Job WHERE JobId = ?", (jobid,))[0] == ("F", "T")
    assert "Job not run." in lab.run("run job=backup", "no")
