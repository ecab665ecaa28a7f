"""Parsing resources: values, JobDefs, FileSet, Messages, RunScript (bareoslab.config.parser)."""

from __future__ import annotations

import hashlib

import pytest
from bareoslab.config import (
    ConfigError,
    MessageDestination,
    Resource,
    load_config_text,
)

from .helpers import dir_config

SECRET_MD5 = "5ebe2294ecd0e0f08eab7690d2a6ee69"


def test_parser_values_are_converted() -> None:
    cfg = dir_config(
        """
Pool {
  Name = Weekly
  Maximum Volume Bytes = 50G
  Volume Retention = 1 day 12 hours
  Maximum Volumes = 7
  Recycle = no
  Label Format = "Weekly-"
}
"""
    )
    pool = cfg.get("Pool", "Weekly")
    assert pool is not None
    assert pool.maximum_volume_bytes == 50 * 1024**3
    assert pool.volume_retention == 86400 + 12 * 3600
    assert pool.maximum_volumes == 7
    assert pool.recycle is False
    assert pool.label_format == "Weekly-"
    assert pool.autoprune is True  # default
    assert pool.pool_type == "Backup"  # default


def test_parser_password_is_md5_and_db_password_is_clear() -> None:
    cfg = dir_config(
        """
Catalog { Name = cat; DB Name = bareos; User = bareos; Password = "secret" }
Console { Name = admin; Password = "[md5]5EBE2294ECD0E0F08EAB7690D2A6EE69" }
"""
    )
    assert cfg.one("Director").password == SECRET_MD5
    assert cfg.get("Console", "admin").password == SECRET_MD5
    catalog = cfg.get("Catalog", "cat")
    assert (catalog.db_password, catalog.db_user, catalog.db_driver) == (
        "secret",
        "bareos",
        "sqlite3",
    )


@pytest.mark.parametrize(
    ("line", "attr", "value"),
    [
        ("Type = backup", "type", "Backup"),
        ("Type = COPY", "type", "Copy"),
        ("Level = virtualfull", "level", "VirtualFull"),
        ('Level = "Virtual Full"', "level", "VirtualFull"),
        ("Level = VolumeToCatalog", "level", "VolumeToCatalog"),
        ("Selection Type = sqlquery", "selection_type", "SqlQuery"),
        ("Selection Type = Pool Uncopied Jobs", "selection_type", "PoolUncopiedJobs"),
        ("Replace = ifnewer", "replace", "IfNewer"),
        ("Protocol = ndmp", "protocol", "NDMP_BAREOS"),
    ],
)
def test_parser_keywords_are_canonical(line: str, attr: str, value: str) -> None:
    cfg = dir_config(
        f"Job {{ Name = j; Type = Admin; Messages = Standard; Pool = Full; Client = client1-fd\n"
        f" FileSet = fs\n {line}\n}}\n"
    )
    assert getattr(cfg.get("Job", "j"), attr) == value


def test_parser_pool_type_is_canonical() -> None:
    assert (
        dir_config("Pool { Name = s; Pool Type = scratch }").get("Pool", "s").pool_type == "Scratch"
    )


def test_parser_keywords_ignore_case_and_blanks() -> None:
    cfg = dir_config(
        "Pool { name = p; MAXIMUMVOLUMES = 3; volume retention = 1 days; Label Format = x }"
    )
    pool = cfg.get("Pool", "p")
    assert (pool.maximum_volumes, pool.volume_retention, pool.label_format) == (3, 86400, "x")


def test_parser_aliases_set_the_same_value() -> None:
    cfg = dir_config(
        "Storage { Name = S2; SdAddress = sd2.lab; SdPort = 9999; SdPassword = x; "
        "Device = D; Media Type = M }\n"
        "Client { Name = c2; FdAddress = c2.lab; FdPort = 8102; FdPassword = y }\n"
    )
    storage, client = cfg.get("Storage", "S2"), cfg.get("Client", "c2")
    assert (storage.address, storage.port, storage.password) == ("sd2.lab", 9999, password("x"))
    assert (client.address, client.port) == ("c2.lab", 8102)


def password(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def test_parser_reference_lists_accumulate() -> None:
    cfg = dir_config(
        "Storage { Name = S2; Address = a; Password = x; Device = D1, D2; Device = D3; Media Type = M }\n"
        "Pool { Name = Both; Storage = File, S2\n Storage = File }\n"
    )
    assert cfg.get("Storage", "S2").device == ["D1", "D2", "D3"]
    pool = cfg.get("Pool", "Both")
    assert pool.storage == ["File", "S2", "File"]
    assert [s.name for s in cfg.refs(pool, "Storage")] == ["File", "S2", "File"]


def test_parser_forward_references_resolve() -> None:
    cfg = dir_config("Pool { Name = A; Next Pool = B }\nPool { Name = B; Storage = File }\n")
    assert cfg.ref(cfg.get("Pool", "A"), "next_pool") is cfg.get("Pool", "B")
    assert cfg.ref(cfg.get("Pool", "B"), "next_pool") is None


def test_parser_rest_of_line_is_ignored_like_bareos() -> None:
    cfg = dir_config(
        "Pool { Name = p; Label Format = Weekly extra words; Maximum Volumes = 3 4 5 }"
    )
    pool = cfg.get("Pool", "p")
    assert (pool.label_format, pool.maximum_volumes) == ("Weeklyextrawords", 3)


def test_parser_resource_api() -> None:
    cfg = dir_config("Pool { Name = p\n Maximum Volumes = 3 }\n")
    pool = cfg.get("Pool", "p")
    assert isinstance(pool, Resource)
    assert pool.rtype == "Pool" and pool.name == "p"
    assert pool.source == ("test-dir.conf", 7)
    assert pool.get("Maximum Volumes") == 3
    assert pool.get("maximumvolumes") == 3
    assert pool.get("maximum_volumes") == 3
    assert pool.get("Volume Retention") == 31536000
    assert pool.get("No Such Thing", "dflt") == "dflt"
    assert pool.is_set("Maximum Volumes") and not pool.is_set("Volume Retention")
    assert pool.line_of("Maximum Volumes") == ("test-dir.conf", 8)
    assert ("maximum_volumes", 3) in pool.items()
    with pytest.raises(AttributeError):
        pool.maximum_volumes = 4
    with pytest.raises(AttributeError):
        _ = pool.no_such_directive


def test_parser_list_values_are_copies() -> None:
    pool = dir_config("Pool { Name = p; Storage = File }").get("Pool", "p")
    pool.storage.append("Other")
    assert pool.storage == ["File"]


def test_parser_config_api() -> None:
    cfg = dir_config("")
    assert [r.name for r in cfg.resources("pool")] == ["Full"]
    assert cfg.get("POOL", "Full") is cfg.resources("Pool")[0]
    assert cfg.get("Pool", "full") is None  # names are case-sensitive
    assert cfg.one("Director").name == "bareos-dir"
    assert cfg.one().name == "bareos-dir"
    assert cfg.resources("Counter") == []
    with pytest.raises(ConfigError, match="no Counter resource defined"):
        cfg.one("Counter")
    with pytest.raises(KeyError):
        cfg.resources("Device")
    assert cfg.files == ["test-dir.conf"]


def test_parser_one_refuses_several() -> None:
    cfg = dir_config("Pool { Name = Other; Storage = File }")
    with pytest.raises(ConfigError, match=r"test-dir.conf:7: only one Pool resource allowed"):
        cfg.one("Pool")


JOBDEFS = """
JobDefs {
  Name = Base
  Type = Backup
  Level = Full
  Messages = Standard
  Priority = 20
  Storage = File
  Run Before Job = "base-before"
}
JobDefs {
  Name = Default
  JobDefs = Base
  Level = Incremental
  Pool = Full
  Client = client1-fd
  FileSet = fs
  Full Backup Pool = Full
  RunScript {
    Command = "defaults-after"
    Runs When = After
  }
}
Job {
  Name = backup
  JobDefs = Default
  Priority = 5
  Client Run After Job = "own-after"
}
"""


def test_parser_jobdefs_inheritance() -> None:
    cfg = dir_config(JOBDEFS)
    job = cfg.get("Job", "backup")
    assert job.name == "backup" and job.jobdefs == "Default"
    assert job.type == "Backup"  # from Base, two levels up
    assert job.level == "Incremental"  # Default overrides Base
    assert job.priority == 5  # the job's own
    assert (job.pool, job.client, job.fileset, job.full_backup_pool) == (
        "Full",
        "client1-fd",
        "fs",
        "Full",
    )
    assert job.storage == ["File"]
    assert job.is_set("Type") and not job.is_set("Max Run Time")
    assert [s["command"] for s in job.runscript] == ["own-after", "defaults-after", "base-before"]
    defaults = cfg.get("JobDefs", "Default")
    assert [s["command"] for s in defaults.runscript] == ["defaults-after", "base-before"]


def test_parser_job_requirements_follow_the_job_type() -> None:
    cfg = dir_config("Job { Name = copy; Type = Copy; Pool = Full; Messages = Standard }")
    assert cfg.get("Job", "copy").client is None
    cfg = dir_config(
        "Job { Name = b; Type = Backup; Pool = Full; Messages = Standard; Client = client1-fd; FileSet = fs }"
    )
    assert cfg.get("Job", "b").storage == []  # the Pool has the storage


def test_parser_job_missing_fileset() -> None:
    with pytest.raises(ConfigError) as err:
        dir_config(
            "\nJob {\n Name = b; Type = Backup; Pool = Full; Messages = Standard; Client = client1-fd }"
        )
    assert str(err.value) == (
        'test-dir.conf:8: Job "b": missing required directive "FileSet" (a Backup job needs one)'
    )


def test_parser_messages_destinations() -> None:
    cfg = dir_config(
        """
Messages {
  Name = Full
  Mail Command = "/usr/bin/bsmtp -h localhost -f bareos %r"
  Director = bareos-dir = all, !skipped
  Append = "/var/log/bareos/bareos.log" = all, !skipped, !audit
  Console = all, !skipped, !saved
  Mail On Error = root@localhost, ops@example.com = all, !Terminate
  Syslog = all
  Syslog = daemon = error, fatal
  Catalog = All
}
"""
    )
    msgs = cfg.get("Messages", "Full")
    assert msgs.mail_command == "/usr/bin/bsmtp -h localhost -f bareos %r"
    assert msgs.destinations == [
        MessageDestination("Director", "bareos-dir", ["all", "!skipped"]),
        MessageDestination("Append", "/var/log/bareos/bareos.log", ["all", "!skipped", "!audit"]),
        MessageDestination("Console", None, ["all", "!skipped", "!saved"]),
        MessageDestination("MailOnError", "root@localhost ops@example.com", ["all", "!terminate"]),
        MessageDestination("Syslog", None, ["all"]),
        MessageDestination("Syslog", "daemon", ["error", "fatal"]),
        MessageDestination("Catalog", None, ["all"]),
    ]
    dest, address, types = msgs.destinations[0]
    assert (dest, address, types) == ("Director", "bareos-dir", ["all", "!skipped"])


def test_parser_runscript_blocks_and_shorthands() -> None:
    cfg = dir_config(
        """
Job {
  Name = scripted
  Type = Admin
  Pool = Full
  Messages = Standard
  RunScript {
    Runs When = before
    Runs On Client = no
    Fail Job On Error = no
    Command = "/bin/first %i"
    Command = "/bin/second"
    Console = "list jobs"
  }
  RunScript {
    Command = "/bin/on-client"
    Runs When = Always
    Runs On Failure = yes
  }
  Run Before Job = "/bin/before"
  Run After Job = "/bin/after"
  Run After Failed Job = "/bin/failed"
  Client Run Before Job = "/bin/client-before"
  Client Run After Job = "/bin/client-after"
}
"""
    )
    scripts = cfg.get("Job", "scripted").runscript
    view = [
        (
            s["command"] or s["console"],
            s["runs_when"],
            s["runs_on_client"],
            s["runs_on_success"],
            s["runs_on_failure"],
            s["fail_job_on_error"],
        )
        for s in scripts
    ]
    assert view == [
        ("/bin/first %i", "Before", False, True, False, False),
        ("/bin/second", "Before", False, True, False, False),
        ("list jobs", "Before", False, True, False, False),
        ("/bin/on-client", "Always", True, True, True, True),
        ("/bin/before", "Before", False, True, False, True),
        ("/bin/after", "After", False, True, False, False),
        ("/bin/failed", "After", False, False, True, False),
        ("/bin/client-before", "Before", True, True, False, True),
        ("/bin/client-after", "After", True, True, False, False),
    ]
    assert scripts[2]["command"] is None and scripts[2]["console"] == "list jobs"


def test_parser_schedule_run_text() -> None:
    cfg = dir_config(
        """
Schedule {
  Name = WeeklyCycle
  Run = Full 1st sat at 21:00
  Run = Level=Differential Pool = Full  2nd-5th sat at 21:00
  Run = Incremental mon-fri at 21:10
}
"""
    )
    assert cfg.get("Schedule", "WeeklyCycle").run == [
        "Full 1st sat at 21:00",
        "Level=Differential Pool=Full 2nd-5th sat at 21:00",
        "Incremental mon-fri at 21:10",
    ]


def test_parser_director_addresses_block() -> None:
    cfg = load_config_text(
        """
Director {
  Name = bareos-dir
  Password = "secret"
  Dir Addresses = {
    ip = { addr = 127.0.0.1; port = 9101 }
    ipv6 = {
      addr = ::1
      port = 9201
    }
  }
}
""",
        "dir",
    )
    assert cfg.one().addresses == [
        {"family": "ipv4", "addr": "127.0.0.1", "port": 9101},
        {"family": "ipv6", "addr": "::1", "port": 9201},
    ]


def test_parser_acl_and_profiles() -> None:
    cfg = dir_config(
        """
Profile { Name = operator; Command ACL = *all*, !delete; Where ACL = "" }
Console { Name = admin; Password = "x"; Profile = operator; Job ACL = backup-a, "backup b" }
"""
    )
    assert cfg.get("Profile", "operator").command_acl == ["*all*", "!delete"]
    assert cfg.get("Profile", "operator").where_acl == [""]
    console = cfg.get("Console", "admin")
    assert console.job_acl == ["backup-a", "backup b"]
    assert cfg.ref(console, "Profile") is cfg.get("Profile", "operator")


def test_parser_tls_directives_everywhere() -> None:
    cfg = dir_config(
        "Client { Name = c2; Address = a; Password = p; TLS Enable = no; TLS Require = no }"
    )
    client = cfg.get("Client", "c2")
    assert (client.tls_enable, client.tls_require) == (False, False)
    director = cfg.one()
    assert (director.tls_enable, director.tls_require, director.tls_verify_peer) == (
        True,
        True,
        False,
    )


def test_parser_storage_daemon_config() -> None:
    cfg = load_config_text(
        """
Storage { Name = sd1; SD Port = 9203; Maximum Network Buffer Size = 65536 }
Director { Name = bareos-dir; Password = "secret"; Monitor = no }
Device {
  Name = FileStorage
  Media Type = File1
  Archive Device = /var/lib/bareos/storage
  Device Type = File
  Label Media = yes; Random Access = yes; Automatic Mount = yes
  Removable Media = no; Always Open = no
  Maximum Concurrent Jobs = 5
  Count = 2
}
Autochanger { Name = changer; Device = FileStorage; Changer Device = /dev/null; Changer Command = "" }
Messages { Name = Standard; Director = bareos-dir = all }
""",
        "sd",
        "sd.conf",
    )
    assert cfg.one().port == 9203
    device = cfg.get("device", "FileStorage")
    assert device.archive_device == "/var/lib/bareos/storage"
    assert (
        device.label_media,
        device.random_access,
        device.removable_media,
        device.always_open,
    ) == (
        True,
        True,
        False,
        False,
    )
    assert device.maximum_block_size == 1048576
    assert cfg.refs(cfg.get("Autochanger", "changer"), "device") == [device]
    assert cfg.get("Director", "bareos-dir").password == SECRET_MD5


def test_parser_file_daemon_config_accepts_filedaemon() -> None:
    cfg = load_config_text(
        """
FileDaemon {
  Name = client1-fd
  Heartbeat Interval = 1 min
  Plugin Names = "python3:bpipe", local
  Allowed Script Dir = /etc/bareos/scripts
  Allowed Script Dir = /usr/local/scripts
}
Director {
  Name = bareos-dir
  Password = "secret"
  Address = dir.lab
  Connection From Client To Director = yes
  Connection From Director To Client = no
}
""",
        "fd",
    )
    client = cfg.one("Client")
    assert client.heartbeat_interval == 60 and client.port == 9102
    assert client.plugin_names == ["python3", "bpipe", "local"]
    assert client.allowed_script_dir == ["/etc/bareos/scripts", "/usr/local/scripts"]
    director = cfg.get("Director", "bareos-dir")
    assert director.connection_from_client_to_director is True
    assert director.connection_from_director_to_client is False
    assert director.port == 9101


def test_parser_bconsole_config() -> None:
    cfg = load_config_text(
        """
Director { Name = bareos-dir; DIRport = 9101; address = dir.lab; Password = "secret" }
Director { Name = other-dir; Address = other.lab }
Console { Name = admin; Password = "admin-secret"; Director = bareos-dir; TLS Enable = no }
""",
        "console",
    )
    assert [d.name for d in cfg.resources("Director")] == ["bareos-dir", "other-dir"]
    assert cfg.get("Director", "other-dir").password is None
    console = cfg.one("Console")
    assert cfg.ref(console, "Director") is cfg.get("Director", "bareos-dir")


def test_parser_catalog_db_driver_extension() -> None:
    cfg = dir_config(
        "Catalog { Name = pg; DB Driver = PostgreSQL; DB Name = bareos; DB User = bareos; "
        "DB Address = db.lab; DB Port = 5432 }"
    )
    catalog = cfg.get("Catalog", "pg")
    assert (catalog.db_driver, catalog.db_address, catalog.db_port) == (
        "postgresql",
        "db.lab",
        5432,
    )


def test_parser_semicolons_braces_and_blank_lines() -> None:
    cfg = load_config_text(
        'Director{Name=d;Address=a;Password="p";}\n\n\nDirector\n{\nName = e; Address = b\n}\n',
        "console",
    )
    assert [d.name for d in cfg.resources("Director")] == ["d", "e"]


def test_parser_error_format_names_the_file_and_line() -> None:
    with pytest.raises(ConfigError) as err:
        dir_config("Pool {\n  Name = X\n  Bogus = 1\n}\n")
    assert (err.value.file, err.value.line) == ("test-dir.conf", 9)
    assert str(err.value) == 'test-dir.conf:9: unknown directive "Bogus" in resource Pool'


def test_parser_name_set_twice() -> None:
    with pytest.raises(ConfigError, match='Pool "a": Name set twice'):
        dir_config("Pool { Name = a; Name = b }")


def test_parser_deprecated_directives_are_warnings() -> None:
    cfg = dir_config("Client {\n Name = old; Address = a; Password = p\n AutoPrune = yes\n}")
    assert cfg.warnings == ["test-dir.conf:9: AutoPrune is deprecated in Client"]
    assert cfg.get("Client", "old").autoprune is True


def test_parser_hints_at_a_missing_brace() -> None:
    with pytest.raises(ConfigError, match=r"unknown directive \"Job\" in resource Pool \(is the"):
        dir_config("Pool {\n Name = p\nJob {\n Name = j\n}\n")
    with pytest.raises(
        ConfigError, match=r"after Pool, got '\{' \(is the '\}' of the Job resource"
    ):
        dir_config("Job {\n Name = j\nPool {\n Name = p\n}\n")


def test_parser_crlf_line_ends() -> None:
    cfg = load_config_text(
        'Director {\r\n  Name = bareos-dir\r\n  Address = dir.lab\r\n  Password = "x"\r\n}\r\n',
        "console",
    )
    director = cfg.one("Director")
    assert (director.name, director.address, director.password) == (
        "bareos-dir",
        "dir.lab",
        password("x"),
    )
