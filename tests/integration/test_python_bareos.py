"""The official python-bareos client against a running Director: plain and JSON mode,
the default and named consoles (ACLs, profiles), and a refused password."""

from __future__ import annotations

import ssl
import warnings
from pathlib import Path

import pytest

from .conftest import Lab, wait_until

pytestmark = pytest.mark.integration

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # "TLS-PSK is not available": the lab talks cleartext
    import bareos.bsock
    import bareos.exceptions

CONSOLES = """Console {
  Name = operator
  Password = "operator-secret"
  Profile = operator-profile
  Command ACL = !delete
}
Profile {
  Name = operator-profile
  Command ACL = list, llist, run, wait, status, version, messages, .jobs, delete, label
  Job ACL = *all*
  Client ACL = *all*
  Pool ACL = *all*
  Storage ACL = *all*
  FileSet ACL = *all*
  Catalog ACL = *all*
}
Console {
  Name = restricted
  Password = "restricted-secret"
  Command ACL = run, list, .jobs, status, restore
  Job ACL = !backup, RestoreFiles
  Where ACL = /nowhere/allowed
  Client ACL = *all*
  Pool ACL = *all*
  Storage ACL = *all*
  FileSet ACL = *all*
}
Console {
  Name = nobody
  Password = "nobody-secret"
}
"""


def add_consoles(t) -> None:
    path: Path = t.etc / "dir" / "bareos-dir.d" / "console" / "lab-consoles.conf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CONSOLES)


def connect(
    lab: Lab, cls=bareos.bsock.DirectorConsole, name: str | None = None, password: str | None = None
):
    kwargs = {"name": name} if name else {}
    return cls(
        address=lab.t.host,
        port=lab.t.dir_port,
        password=bareos.bsock.Password(password or lab.t.console_password),
        **kwargs,
    )


@pytest.fixture
def lab(lab_factory) -> Lab:
    return lab_factory(configure=add_consoles)


def test_python_bareos_plain_and_json(lab: Lab) -> None:
    plain = connect(lab)
    assert b"Version:" in plain.call("version")
    assert b"No results to list." in plain.call("list jobs")
    assert b"root" in plain.call("whoami")
    assert b"nosuch: is an invalid command." in plain.call("nosuch")
    label = plain.call("label volume=PlainVolume storage=File pool=Incremental")
    assert b"3000 OK label." in label and b"successfully created." in label  # one whole reply
    assert plain.call("whoami").strip() == b"root"

    js = connect(lab, bareos.bsock.DirectorConsoleJson)
    assert js.call("label volume=TestVolume001 storage=File pool=Full") == {}
    jobid = int(js.call("run job=backup level=Full yes")["run"]["jobid"])
    assert js.call(f"wait jobid={jobid}")["job"] == {
        "jobid": jobid,
        "jobstatuslong": "OK",
        "jobstatus": "T",
        "exitstatus": 0,
    }
    jobs = js.call("list jobs")["jobs"]
    assert [(j["jobid"], j["name"], j["type"], j["level"], j["jobstatus"]) for j in jobs] == [
        (str(jobid), "backup", "B", "F", "T")
    ]
    assert all(isinstance(v, str) for v in jobs[0].values())
    job = js.call(f"llist jobid={jobid}")["jobs"][0]
    assert len(job) == 26 and job["poolname"] == "Full" and job["client"] == lab.t.client
    status = js.call("status dir")
    assert status["header"]["director"] == lab.t.director
    assert status["running"] == [] and status["terminated"][0]["jobid"] == jobid
    assert js.call("list volumes")["volumes"]["full"][0]["volumename"] == "TestVolume001"
    assert {"name": "backup"} in js.call(".jobs")["jobs"]
    assert js.call('.sql query="SELECT count(*) AS n FROM Job"') == {"query": [{"n": "1"}]}
    assert "Termination:" in "".join(
        r["logtext"] for r in js.call(f"list joblog jobid={jobid}")["joblog"]
    )
    with pytest.raises(bareos.exceptions.JsonRpcErrorReceivedException) as bad:
        js.call("nosuch")
    assert "nosuch: is an invalid command." in str(bad.value)
    with pytest.raises(bareos.exceptions.JsonRpcErrorReceivedException):
        js.call('.sql query="SELECT nosuchcolumn FROM Job"')
    assert js.call("version")["version"]["name"] == lab.t.director  # still serving


def test_python_bareos_named_consoles_and_acls(lab: Lab) -> None:
    operator = connect(lab, bareos.bsock.DirectorConsoleJson, "operator", "operator-secret")
    operator.call("label volume=TestVolume001 storage=File pool=Full")
    jobid = int(operator.call("run job=backup level=Full yes")["run"]["jobid"])
    assert operator.call(f"wait jobid={jobid}")["job"]["jobstatus"] == "T"
    assert operator.call("whoami") == {"whoami": "operator"}
    # the console's own "!delete" comes before the profile's "delete"
    with pytest.raises(bareos.exceptions.JsonRpcErrorReceivedException):
        operator.call(f"delete jobid={jobid}")
    with pytest.raises(bareos.exceptions.JsonRpcErrorReceivedException):
        operator.call("sqlquery")  # not in any Command ACL

    restricted = connect(lab, bareos.bsock.DirectorConsole, "restricted", "restricted-secret")
    refused = restricted.call("run job=backup level=Full yes").decode()
    assert "access denied" in refused and "Job queued" not in refused
    assert b"backup" not in restricted.call(".jobs")
    assert b"No results to list." in restricted.call("list jobs")  # job "backup" is hidden
    assert b"is an invalid command." in restricted.call("version")
    refused = restricted.call(f"restore jobid={jobid} where=/etc all done yes").decode()
    assert '"where" specification not authorized.' in refused  # ua_restore.cc's text
    # files named one by one come only from jobs the console may restore (Job ACL !backup)
    plain = lab.t.fileset_dir / "plain.txt"
    refused = restricted.call(f"restore jobid={jobid} client={lab.t.client} file={plain} done yes").decode()
    assert f'Access to JobId={jobid} (Job "backup") not authorized. Not selected.' in refused
    assert "No files selected to be restored." in refused
    assert lab.query("SELECT count(*) FROM Job")[0][0] == 1  # the refused job never ran

    nobody = connect(lab, bareos.bsock.DirectorConsole, "nobody", "nobody-secret")
    assert b"list: is an invalid command." in nobody.call("list jobs")
    assert b"nobody" in nobody.call("whoami")


def test_python_bareos_refused_logins(lab: Lab) -> None:
    with pytest.raises(bareos.exceptions.AuthenticationError):
        connect(lab, password="wrong-password")
    with pytest.raises(bareos.exceptions.AuthenticationError):
        connect(lab, name="operator", password="wrong-password")
    with pytest.raises(bareos.exceptions.AuthenticationError):
        connect(lab, name="no-such-console", password="x")
    assert b"Version:" in connect(lab).call("version")
    old_protocol = bareos.bsock.DirectorConsole(
        address=lab.t.host,
        port=lab.t.dir_port,
        password=bareos.bsock.Password(lab.t.console_password),
        protocolversion=bareos.bsock.ProtocolVersions.bareos_12_4,
    )
    assert b"root" in old_protocol.call("whoami")


@pytest.mark.parametrize("name, password", [(None, None), ("operator", "operator-secret")])
def test_python_bareos_defaults_and_tls_psk_required_are_encrypted(lab: Lab, name, password) -> None:
    """python-bareos as shipped (TLS-PSK enabled) and with tls_psk_require=True, on the
    default console and on a named one: the Director speaks TLS-PSK with both."""
    for kwargs in ({}, {"tls_psk_require": True}):
        console = bareos.bsock.DirectorConsole(
            address=lab.t.host, port=lab.t.dir_port,
            password=bareos.bsock.Password(password or lab.t.console_password),
            **({"name": name} if name else {}), **kwargs)
        cipher = console.get_cipher()
        assert cipher is not None and "PSK" in cipher[0] and cipher[1] == "TLSv1.2", cipher
        assert b"Version:" in console.call("version")
        console.close()


def test_python_bareos_wrong_password_with_tls_psk_required_is_refused(lab: Lab) -> None:
    with pytest.raises((bareos.exceptions.ConnectionError, ssl.SSLError)):
        bareos.bsock.DirectorConsole(address=lab.t.host, port=lab.t.dir_port,
                                     password=bareos.bsock.Password("wrong"), tls_psk_require=True)
    assert wait_until(lambda: "R_CONSOLE::*UserAgent* rejected: wrong password?" in lab.log("dir"))
    assert b"Version:" in connect(lab).call("version")


def test_python_bareos_keyword_and_name_dot_commands(lab: Lab) -> None:
    """The dot commands programs ask for lists (Bareos' ua_dotcmds.cc), in JSON and as text."""
    assert "successfully created" in lab.run("label volume=Dot-1 storage=File pool=Full")
    js = connect(lab, bareos.bsock.DirectorConsoleJson)
    assert [t["name"] for t in js.call(".types")["jobtypes"]] == [
        "Backup", "Admin", "Archive", "Verify", "Restore", "Migrate", "Copy", "Consolidate"]
    copy_levels = js.call(".levels copy")["levels"]
    assert copy_levels == [{"name": "Full", "level": ord("F"), "jobtype": ord("C")},
                           {"name": "Incremental", "level": ord("I"), "jobtype": ord("C")},
                           {"name": "Differential", "level": ord("D"), "jobtype": ord("C")}]
    assert js.call(".levels nosuchtype")["levels"] == []
    assert len(js.call(".levels")["levels"]) == 17
    assert js.call(".volstatus")["volstatus"][:3] == [{"name": "Unlabeled"}, {"name": "Append"}, {"name": "Full"}]
    assert js.call(".actiononpurge")["actiononpurge"] == [{"name": "None"}, {"name": "Truncate"}]
    assert js.call(".catalogs")["catalogs"] == [{"name": "MyCatalog"}]
    assert {c["name"] for c in js.call(".consoles")["consoles"]} == {"operator", "restricted", "nobody"}
    assert js.call(".profiles")["profiles"] == [{"name": "operator-profile"}]
    assert js.call(".media")["media"] == [{"name": "Dot-1"}]
    assert js.call(".mediatypes")["mediatypes"] == [{"name": "File"}]
    assert js.call(".locations")["locations"] == []
    assert js.call(".schedule")["schedules"] == []
    plain = connect(lab)
    assert plain.call(".types").split() == [b"Backup", b"Admin", b"Archive", b"Verify", b"Restore", b"Migrate",
                                            b"Copy", b"Consolidate"]
    assert plain.call(".levels migrate").split() == [b"Full", b"Incremental", b"Differential"]
    # the session's first use of the catalog names it first (ua_db.cc OpenDb), JSON does not
    assert plain.call(".media").decode().splitlines() == [
        "Automatically selected Catalog: MyCatalog", 'Using Catalog "MyCatalog"', "Dot-1"]
    assert plain.call(".media").split() == [b"Dot-1"]
