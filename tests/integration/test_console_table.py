"""The console's commands, row by row, against one live Director: each row's text answer
(api 0) and its JSON answer through python-bareos (api 2), with the Bareos source the row
follows. Errors are rows too: the text Bareos gives and a JSON-RPC error in api 2."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from bareoslab.console.client import Console
from bareoslab.lab.local import processes
from bareoslab.lab.local.render import LocalTopology, render
from bareoslab.net.auth import password_key

from .conftest import Lab, make_tree
from .test_python_bareos import bareos, connect

pytestmark = pytest.mark.integration

NIGHTLY = """Schedule {
  Name = Nightly
  Run = Full daily at 23:55
}
Job {
  Name = nightly
  JobDefs = DefaultJob
  Schedule = Nightly
}
"""


@pytest.fixture(scope="module")
def table_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    base = tmp_path_factory.mktemp("table")
    t = LocalTopology(base / "lab", data_dir=make_tree(base / "data"))
    render(t)
    (t.etc / "dir" / "bareos-dir.d" / "job" / "nightly.conf").write_text(NIGHTLY)
    lab = Lab(t)
    processes.start(t)
    try:
        lab.run("label volume=TestVolume001 storage=File pool=Full")
        full = lab.run_job("run job=backup level=Full yes")
        assert full == 1
        yield lab
    finally:
        lab.stop()


@dataclass(frozen=True)
class Row:
    command: str
    text: str  # a regular expression the text answer must contain
    json: tuple[str, ...] | None  # the keys leading to a value in the api 2 result
    source: str  # the Bareos source the row follows
    error: bool = False  # Bareos answers with an error (api 2: a JSON-RPC error)
    empty: bool = False  # the JSON value is an empty list or object here


def rows(client: str) -> list[Row]:
    return [
        Row("time", r"^\w{3} \d\d-\w{3}-\d{4} \d\d:\d\d:\d\d$", ("time", "full"), "ua_cmds.cc time_cmd"),
        Row(".", r"^$", None, "ua_cmds.cc noop_cmd"),
        Row(".authorized job=backup", r"^authorized$", (".authorized", "authorized"), "ua_dotcmds.cc DotAuthorizedCmd"),
        Row(".defaults job=backup", r"job=backup\npool=Incremental\nmessages=Standard\nclient=",
            ("defaults", "fileset"), "ua_dotcmds.cc DotDefaultsCmd"),
        Row(f".defaults client={client}", rf"client={client}\naddress=", ("defaults", "port"), "ua_dotcmds.cc DotDefaultsCmd"),
        Row(".defaults storage=File", r"media_type=File\ndevice=", ("defaults", "media_type"), "ua_dotcmds.cc DotDefaultsCmd"),
        Row(".defaults pool=Full", r"pool=Full\npool_type=Backup", ("defaults", "label_format"), "ua_dotcmds.cc DotDefaultsCmd"),
        Row(".defaults", r".defaults command requires a parameter.", None, "ua_dotcmds.cc DotDefaultsCmd", error=True),
        Row(".jobdefs", r"^DefaultJob$", ("jobdefs",), "ua_dotcmds.cc DotJobdefsCmd"),
        Row(".jobstatus", r"\| jobstatus \| jobstatuslong", ("jobstatus",), "ua_dotcmds.cc DotJobstatusCmd"),
        Row(".jobstatus=T", r"\| T +\| Completed successfully", ("jobstatus",), "ua_dotcmds.cc DotJobstatusCmd"),
        Row(".jobstatus=TT", r"Unknown JobStatus 'TT'", None, "ua_dotcmds.cc DotJobstatusCmd", error=True),
        Row(".msgs", r"^Standard$", ("messages",), "ua_dotcmds.cc DotMsgsCmd"),
        Row(".bvfs_get_jobids jobid=1", r"^1$", ("jobids",), "ua_dotcmds.cc DotBvfsGetJobidsCmd"),
        Row("list jobtotals", r"\| jobs \| files +\| bytes +\| job", ("jobtotals", "jobs"), "sql_list.cc ListJobTotals"),
        Row("list copies", r"^$", ("copies",), "sql_list.cc ListCopiesRecords", empty=True),
        Row("list log", r"Termination: +Backup OK", ("log",), "sql_list.cc ListLogRecords"),
        Row(f"list backups client={client}", r"\| +1 \| backup", ("backups",), "ua_output.cc ParseListBackupsCmd"),
        Row(f"list backups client={client} level=Incremental", r"No results to list.", ("backups",),
            "ua_output.cc parse_level_selection_param", empty=True),
        Row("list backups", r"missing parameter: client", None, "ua_output.cc ParseListBackupsCmd", error=True),
        Row("list nextvol job=nightly days=2",
            r'The next Volume to be used by Job "nightly" \(Pool=Full, Level=Full\) will be TestVolume001',
            None, "ua_output.cc ListNextvol"),
        Row("list nextvol job=backup", r"Could not find next Volume for Job backup.", None,
            "ua_output.cc ListNextvol", error=True),
        Row("list nosuch", r"Unknown list keyword: nosuch", None, "ua_output.cc ListCmd", error=True),
        Row("status subscriptions", r"Backup unit summary:\n[\s\S]*used: 1", ("unit-summary", "used"),
            "ua_status.cc DoSubscriptionStatus"),
        Row("status subscriptions all", r"aggregated by client:[\s\S]*aggregated by plugin:[\s\S]*none \(file data\)",
            ("unit-plugins",), "ua_status.cc DoSubscriptionStatus"),
        Row(f"status subscriptions client={client}", rf"Detailed backup unit report for client '{client}':[\s\S]*LabData",
            ("unit-detail",), "ua_status.cc DoSubscriptionStatus"),
        Row("status configuration", r"No deprecated configuration settings detected.", ("deprecated_configuration",),
            "ua_status.cc DoConfigurationStatus", empty=True),
        Row("status scheduler", r"nightly", None, "ua_status.cc DoSchedulerStatus"),
        Row("status all", r"Terminated Jobs:[\s\S]*Connecting to Storage daemon File[\s\S]*Connecting to Client",
            None, "ua_status.cc DoAllStatus"),
        Row(".status dir current", r"^1000 OK .status$", ("current",), "ua_status.cc DotStatusCmd", empty=True),
        Row(".status dir last", r"1000 OK .status\nJobId=\d+ JobStatus=T JobErrors=0", None, "ua_status.cc DotStatusCmd"),
        Row(".status dir header", r"Version: ", ("header", "version"), "ua_status.cc ListDirStatusHeader"),
        Row(".status dir running", r"No Jobs running.", ("running",), "ua_status.cc ListRunningJobs", empty=True),
        Row(".status dir terminated", r"Terminated Jobs:", ("terminated",), "ua_status.cc ListTerminatedJobs"),
        Row(".status", r"1900 Bad .status command, missing arguments.", None, "ua_status.cc DotStatusCmd", error=True),
        Row(".status dir nosuch", r"1900 Bad .status command, wrong argument.", None, "ua_status.cc DotStatusCmd",
            error=True),
        Row("status jobid=99", r"JobId 99 is not running.", None, "ua_select.cc get_storage_resource", error=True),
        Row("update pool=Full", r"\| poolid \| name[\s\S]*Pool DB record updated from resource.", ("pool",),
            "ua_update.cc UpdatePool"),
        Row("update stats", r"Updating \d+ job\(s\).", ("updated",), "ua_update.cc UpdateStats"),
        Row("update slots storage=File",
            r'3998 Device ""FileStorage" \(.*\)" is not an autochanger.\nDevice "FileStorage" has 0 slots.\n'
            r"No slots in changer to scan.", None, "ua_update.cc UpdateSlots, stored/dir_cmd.cc ChangerCmd"),
        Row("update jobid=1", r"Neither Client, StartTime, Filesetid, JobType nor Name specified.", None,
            "ua_update.cc UpdateJob", error=True),
        Row("create pool=Full", r"Error: Pool Full already exists.\nUse update to change it.", None,
            "ua_cmds.cc CreateCmd", error=True),
        Row("resolve localhost", r"resolves localhost to .*host\[ipv[46];", None, "ua_cmds.cc ResolveCmd"),
        Row("use catalog=MyCatalog", r'Using Catalog "MyCatalog"\nUsing Catalog name=MyCatalog DB=', None,
            "ua_cmds.cc use_cmd: the connections opened again"),
        Row("memory", r"Version: ", ("header", "version"), "ua_cmds.cc MemoryCmd"),
        Row("var ${Year} %d", r"^\d{4} %d$", None, "ua_cmds.cc var_cmd: ${...} expanded, % codes kept"),
        Row("gui on", r"^$", None, "ua_cmds.cc gui_cmd"),
        Row("automount off", r"^$", None, "ua_cmds.cc AutomountCmd"),
        Row("trace off", r"^$", None, "ua_cmds.cc TraceCmd"),
        Row("move storage=File srcslots=1 dstslots=2", r'Storage "File" is not an autochanger.', None,
            "ua_impexp.cc MoveCmd", error=True),
        Row("import storage=File", r'Storage "File" is not an autochanger.', None, "ua_impexp.cc ImportCmd", error=True),
        Row("export storage=File srcslots=1", r'Storage "File" is not an autochanger.', None,
            "ua_impexp.cc ExportCmd", error=True),
        Row("setip", r"No corresponding client found.", None, "ua_cmds.cc SetipCmd", error=True),
        Row("rerun", r"Please specify jobid, since_jobid, hours or days", None, "ua_run.cc GetRerunCmdlineArguments",
            error=True),
        Row("rerun jobid=1 days=1", r"Please specify either jobid or a timeframe", None,
            "ua_run.cc GetRerunCmdlineArguments", error=True),
        Row("rerun days=1 yes", r"No jobids with the specified options were found.", None, "ua_run.cc reRunCmd"),
        Row(f"configure export client={client}", r'Exported resource file ".*/bareos-fd.d/director/bareos-dir.conf":',
            ("configure", "export", "filename"), "ua_configure.cc ConfigureExport"),
        Row("configure", r"usage:\n  configure add <resourcetype>", None, "ua_configure.cc ConfigureCmd", error=True),
        Row("configure add director name=x", r"Only one Director resource allowed.", None, "ua_configure.cc ConfigureAdd",
            error=True),
        Row("configure add nosuch name=x", r"invalid resource type nosuch.", None, "ua_configure.cc ConfigureAdd",
            error=True),
        Row("configure add client name=c2 nosuch=1", r'Resource "Client" does not permit directive "nosuch".', None,
            "ua_configure.cc config_get_res_item", error=True),
        Row("configure add client name=../../../c2 address=x password=y", r'name argument: "\.\./\.\./\.\./c2" is no file name',
            None, "ua_configure.cc: a name that would leave bareos-dir.d", error=True),
        Row("configure add client name=c2 address=a;b", r"character ';' \(end of directive\) is forbidden", None,
            "ua_configure.cc config_get_res_item", error=True),
        Row("truncate", r"missing parameter", None, "ua_cmds.cc TruncateCmd", error=True),
        Row("truncate volstatus=Full", r"'volstatus' must be 'Purged'", None, "ua_cmds.cc TruncateCmd", error=True),
        Row("truncate volstatus=Purged yes", r"No results to list.", ("volumes",), "ua_cmds.cc TruncateCmd", empty=True),
    ]  # fmt: skip


def dig(result: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        assert key in result, f"no {key!r} in {result!r}"
        result = result[key]
    return result


@pytest.fixture(scope="module")
def json_console(table_lab: Lab) -> Any:
    return connect(table_lab, bareos.bsock.DirectorConsoleJson)


@pytest.mark.parametrize("index", range(len(rows("c"))))
def test_command_row(table_lab: Lab, json_console: Any, index: int) -> None:
    row = rows(table_lab.t.client)[index]
    text = table_lab.run(row.command).strip("\n")
    assert re.search(row.text, text, re.MULTILINE), f"{row.command} ({row.source}):\n{text}"
    assert "Traceback" not in text and "command failed" not in text
    if row.error:
        with pytest.raises(bareos.exceptions.JsonRpcErrorReceivedException) as raised:
            json_console.call(row.command)
        assert re.search(row.text, str(raised.value)), raised.value
        return
    result = json_console.call(row.command)
    if row.json is not None:
        value = dig(result, row.json)
        assert (value in ([], {})) if row.empty else value not in (None, "", [], {}), result


def test_rerun_runs_the_job_again_with_its_record(table_lab: Lab) -> None:
    out = table_lab.run("rerun jobid=1 yes")
    assert "rerunning jobid 1" in out
    jobid = int(out.split("Job queued. JobId=")[1].split()[0])
    assert "JobStatus=OK (T)" in table_lab.run(f"wait jobid={jobid}")
    first, again = table_lab.query(
        "SELECT Name, Level, ClientId, FileSetId, PoolId FROM Job WHERE JobId IN (1, ?) ORDER BY JobId", (jobid,)
    )
    assert tuple(first) == tuple(again)


def test_status_without_arguments_asks_which_daemon(table_lab: Lab) -> None:
    con = table_lab.console
    reply = con.command("status")
    assert reply.prompt and "Status available for:\n1: Director\n2: Storage\n3: Client\n4: Scheduler\n5: All\n" in reply.text
    assert "Terminated Jobs:" in con.command("1").text
    reply = con.command("update")
    assert reply.prompt and "1: Volume parameters\n2: Pool from resource\n" in reply.text
    reply = con.command("2")
    assert reply.prompt and "The defined Pool resources are:" in reply.text
    number = re.search(r"(\d+): Full\n", reply.text)
    assert number, reply.text
    assert "Pool DB record updated from resource." in con.command(number.group(1)).text


def test_configure_add_client_joins_the_running_director(table_lab: Lab) -> None:
    out = table_lab.run("configure add client name=newclient address=127.0.0.9 password=newsecret")
    path = table_lab.t.etc / "dir" / "bareos-dir.d" / "client" / "newclient.conf"
    assert f'Created resource config file "{path}":' in out and 'Address = "127.0.0.9"' in out
    md5 = hashlib.md5(b"newsecret").hexdigest()  # what the File daemon needs to let this Director in
    assert 'Exported resource file "' in out and f'Password = "[md5]{md5}"' in out
    assert "newclient" in table_lab.run(".clients").split()
    assert 'Resource "Client" with name "newclient" already exists.' in table_lab.run(
        "configure add client name=newclient address=127.0.0.9 password=x"
    )
    # a resource that does not load leaves no file behind
    out = table_lab.run("configure add job name=broken client=nosuchclient")
    assert "configure error:" in out and not (path.parent.parent / "job" / "broken.conf").exists()


def test_query_asks_the_file_s_questions(table_lab: Lab) -> None:
    con = table_lab.console
    reply = con.command("query")
    assert reply.prompt and "Available queries:\n1: List the jobs of a client\n" in reply.text
    reply = con.command("1")
    assert reply.prompt and reply.text.endswith("Enter Client name: ")
    reply = con.command(table_lab.t.client)
    assert not reply.prompt and "| jobid | name" in reply.text and "| backup" in reply.text
    reply = con.command("query")
    number = re.search(r"(\d+): Show a job's record", reply.text)
    assert number
    con.command(number.group(1))
    assert "jobstatus: T" in con.command("1").text.replace("  ", "")  # listed vertically
    con.command("query")
    con.command("1")
    reply = con.command("x' OR '1'='1")  # an answer is a value, never SQL
    assert "No results to list." in reply.text


def test_add_creates_unlabelled_volume_records(table_lab: Lab) -> None:
    con = table_lab.console
    reply = con.command("add pool=Incremental storage=File")
    assert 'You probably want to use the "label" command.' in reply.text
    assert reply.text.endswith("Enter number of Volumes to create. 0=>fixed name. Max=1000: ")
    assert con.command("2").text.endswith("Enter base volume name: ")
    assert con.command("Added").text.endswith("Enter the starting number: ")
    assert "2 Volumes created in pool Incremental" in con.command("7").text
    rows = table_lab.query(
        "SELECT VolumeName, VolStatus FROM Media WHERE VolumeName LIKE 'Added%' ORDER BY VolumeName"
    )
    assert [tuple(r) for r in rows] == [("Added0007", "Append"), ("Added0008", "Append")]


def test_truncate_cuts_a_purged_volume_to_its_label(lab_factory) -> None:
    lab: Lab = lab_factory()
    lab.run("label volume=TestVolume001 storage=File pool=Full")
    lab.run_job("run job=backup level=Full yes")
    volume = lab.t.storage_dir / "TestVolume001"
    assert volume.stat().st_size > 700_000
    lab.run("purge volume=TestVolume001 yes")
    out = lab.run("truncate volstatus=Purged pool=Full yes")
    assert "| TestVolume001 |" in out and "The volume 'TestVolume001' has been truncated." in out
    size = volume.stat().st_size
    assert size < 65_536
    assert lab.query("SELECT VolBytes FROM Media WHERE VolumeName = 'TestVolume001'")[0][0] == size
    assert "No results to list." in lab.run("truncate volstatus=Purged yes")  # nothing left to cut


def test_relabel_gives_a_purged_volume_a_new_name(lab_factory) -> None:
    lab: Lab = lab_factory()
    lab.run("label volume=TestVolume001 storage=File pool=Full")
    lab.run_job("run job=backup level=Full yes")
    out = lab.run("relabel storage=File oldvolume=TestVolume001 volume=Renamed001 pool=Full")
    assert 'Volume "TestVolume001" has VolStatus Append. It must be Purged or Recycled before relabeling.' in out
    lab.run("purge volume=TestVolume001 yes")
    out = lab.run("relabel storage=File oldvolume=TestVolume001 volume=Renamed001 pool=Full")
    assert 'Sending relabel command from "TestVolume001" to "Renamed001" ...' in out
    assert 'Catalog record for Volume "Renamed001", Slot 0 successfully created.' in out
    assert 'Old volume "TestVolume001" deleted from catalog.' in out
    assert not (lab.t.storage_dir / "TestVolume001").exists()
    assert (lab.t.storage_dir / "Renamed001").stat().st_size < 65_536
    rows = lab.query("SELECT VolumeName, VolStatus FROM Media ORDER BY MediaId")
    assert [tuple(r) for r in rows] == [("Renamed001", "Append")]
    # the renamed volume takes the next backup
    jobid = lab.run_job("run job=backup level=Full yes")
    assert lab.query("SELECT DISTINCT m.VolumeName FROM JobMedia j JOIN Media m ON m.MediaId = j.MediaId "
                     "WHERE j.JobId = ?", (jobid,)) == [("Renamed001",)]


LIMITED = """Console {
  Name = limited
  Password = "limited-secret"
  Command ACL = *all*
  Job ACL = *all*
  Client ACL = nosuchclient
  Storage ACL = nosuchstorage
  Pool ACL = nosuchpool
  FileSet ACL = nosuchfileset
  Catalog ACL = nosuchcatalog
  Where ACL = /srv/restores/.*
}
"""


def test_acls_hold_for_the_new_commands(lab_factory) -> None:
    """Each ACL kind on a command of this round: a console that may run every command but
    sees no client, storage, pool, FileSet or catalog of the lab."""

    def add_limited(t) -> None:
        path = t.etc / "dir" / "bareos-dir.d" / "console" / "limited.conf"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(LIMITED)

    lab: Lab = lab_factory(configure=add_limited)
    lab.run("label volume=TestVolume001 storage=File pool=Full")
    jobid = lab.run_job("run job=backup level=Full yes")
    client = lab.t.client
    with Console.open(lab.t.host, lab.t.dir_port, password_key("limited-secret"), "limited") as limited:
        def say(line: str) -> str:
            return limited.command(line, timeout=60).text

        # Client ACL
        assert f'"{client}": access denied by the Client ACL' in say(f"list backups client={client}")
        assert "Unauthorized command from this console." in say(f".bvfs_lsdirs jobid={jobid} path=/")
        assert "access denied by the Client ACL" in say(f"restore client={client} select all done yes")
        # Storage ACL
        assert 'Storage "File": access denied by the Storage ACL' in say("status storage=File")
        assert 'Storage "File": access denied by the Storage ACL' in say("update slots storage=File")
        # Pool ACL
        assert 'Pool "Full": access denied by the Pool ACL' in say("update pool=Full")
        assert 'Pool "Full": access denied by the Pool ACL' in say("create pool=Full")
        # FileSet ACL
        assert say(".authorized fileset=LabData").strip() == "not authorized"
        assert 'FileSet "LabData": access denied by the FileSet ACL' in say("run job=backup fileset=LabData yes")
        # Catalog ACL
        assert '"MyCatalog": access denied by the Catalog ACL' in say("use catalog=MyCatalog")
        # Where ACL, on the normalised path
        assert '"where" specification not authorized.' in say(
            f"restore jobid={jobid} where=/srv/restores/../../etc all done yes"
        )
        assert "needs access to all client, job and fileset resources." in say("status subscriptions")
    assert lab.query("SELECT count(*) FROM Job")[0][0] == 1  # nothing refused ran


def test_api_says_the_mode_it_switched_to(table_lab: Lab) -> None:
    assert table_lab.console.command(".api 0").text == "api: 0\n"  # ua_dotcmds.cc DotApiCmd
