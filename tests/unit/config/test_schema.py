"""Value converters (bareoslab.config.types) and the resource schemas as data."""

from __future__ import annotations

import pytest
from bareoslab.config import SCHEMAS, Directive
from bareoslab.config.schema import (
    MAIN_RESOURCE,
    RESOURCE_ALIASES,
    resource_schema,
    resource_type,
)
from bareoslab.config.types import (
    name_problem,
    parse_bool,
    parse_duration,
    parse_size,
    parse_speed,
    password_md5,
    snake,
)

DAY = 86400


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90),
        ("1 sec", 1),
        ("1 s", 1),
        ("1 min", 60),
        ("5 n", 300),
        ("1 minutes", 60),
        ("2 mins", 120),
        ("1 h", 3600),
        ("1 hours", 3600),
        ("1 day", DAY),
        ("90 days", 90 * DAY),
        ("1 day 12 hours", DAY + 12 * 3600),
        ("1day12hours", DAY + 12 * 3600),
        ("2m", 60 * DAY),
        ("1 mon", 30 * DAY),
        ("1 week", 7 * DAY),
        ("1 quarter", 91 * DAY),
        ("1 YEAR", 365 * DAY),
        ("1.5 hours", 5400),
    ],
)
def test_types_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "3 fortnights", "1 secs", "-5", "10 days ago"])
def test_types_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("4096", 4096),
        ("1k", 1024),
        ("1 kb", 1000),
        ("512 m", 512 * 1024**2),
        ("10G", 10 * 1024**3),
        ("10 GB", 10 * 10**9),
        ("1 T", 1024**4),
        ("2 pb", 2 * 10**15),
        ("1.5 k", 1536),
        ("1e", 1024**6),
    ],
)
def test_types_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "10X", "10 gib", "G"])
def test_types_size_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


def test_types_speed() -> None:
    assert parse_speed("100") == 100
    assert parse_speed("10 k/s") == 10240
    assert parse_speed("5 mb/s") == 5_000_000
    with pytest.raises(ValueError):
        parse_speed("5 g/s")


def test_types_password_md5() -> None:
    assert password_md5("secret") == "5ebe2294ecd0e0f08eab7690d2a6ee69"
    assert (
        password_md5("[md5]5EBE2294ECD0E0F08EAB7690D2A6EE69") == "5ebe2294ecd0e0f08eab7690d2a6ee69"
    )
    with pytest.raises(ValueError):
        password_md5("[md5]abc")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", True),
        ("YES", True),
        ("no", False),
        ("true", True),
        ("False", False),
        ("1", True),
        ("0", False),
    ],
)
def test_types_bool(text: str, value: bool) -> None:
    assert parse_bool(text) is value


def test_types_bool_rejects() -> None:
    assert parse_bool("maybe") is None


@pytest.mark.parametrize("text", ["bareos-dir", "File 1", "a:b.c-d_e/f", "x" * 127])
def test_types_valid_names(text: str) -> None:
    assert name_problem(text) is None


@pytest.mark.parametrize("text", ["", " lead", "trail ", "a*b", "é", "x" * 128])
def test_types_invalid_names(text: str) -> None:
    assert name_problem(text) is not None


def test_schema_daemons_and_resource_types() -> None:
    assert set(SCHEMAS) == {"dir", "sd", "fd", "console"}
    assert set(SCHEMAS["dir"]) == {
        "Director", "Client", "JobDefs", "Job", "Storage", "Catalog", "Schedule",
        "FileSet", "Pool", "Messages", "Counter", "Profile", "Console", "User",
    }  # fmt: skip
    assert set(SCHEMAS["sd"]) == {
        "Director",
        "Ndmp",
        "Storage",
        "Device",
        "Messages",
        "Autochanger",
    }
    assert set(SCHEMAS["fd"]) == {"Director", "Client", "Messages"}
    assert set(SCHEMAS["console"]) == {"Director", "Console"}
    for daemon, rtype in MAIN_RESOURCE.items():
        assert rtype in SCHEMAS[daemon]


def test_schema_every_resource_has_a_required_name() -> None:
    for daemon, resources in SCHEMAS.items():
        for rtype, directives in resources.items():
            assert all(isinstance(d, Directive) for d in directives)
            name = resource_schema(daemon, rtype).lookup("Name")
            assert name is not None and name.required, (daemon, rtype)


def test_schema_references_point_to_resource_types_of_the_same_daemon() -> None:
    for daemon, resources in SCHEMAS.items():
        for rtype, directives in resources.items():
            for d in directives:
                if d.type.ref_type is not None:
                    assert d.type.ref_type in resources, (daemon, rtype, d.name)


def test_schema_defaults_match_their_type() -> None:
    for resources in SCHEMAS.values():
        for directives in resources.values():
            for d in directives:
                value = d.default_value
                if d.type.name in ("int", "duration", "size", "speed"):
                    assert isinstance(value, int) and not isinstance(value, bool), d
                elif d.type.name == "bool":
                    assert isinstance(value, bool), d
                elif d.type.accumulate:
                    assert value == [], d
                elif d.type.choices and value is not None:
                    assert value in d.type.choices, d


def test_schema_tls_on_every_network_resource() -> None:
    network = {
        "dir": ("Director", "Client", "Storage", "Console"),
        "sd": ("Storage", "Director"),
        "fd": ("Client", "Director"),
        "console": ("Director", "Console"),
    }
    for daemon, rtypes in network.items():
        for rtype in rtypes:
            schema = resource_schema(daemon, rtype)
            enable, require = schema.lookup("TLS Enable"), schema.lookup("TLS Require")
            assert enable is not None and enable.default is True
            assert require is not None and require.default is True
            assert schema.lookup("TLS Certificate") is not None
    assert resource_schema("dir", "Job").lookup("TLS Enable") is None


# Every directive the reference (config.md §5-§8) lists, by its spelling there.
REFERENCE_TABLE = """
dir Director: Name, Password, Messages, Port, DirPort, Address, Addresses, Working Directory,
    Query File, Maximum Concurrent Jobs, Maximum Console Connections, FD Connect Timeout, SD
    Connect Timeout, Heartbeat Interval, Auditing, Subscriptions, Log Timestamp Format, Plugin
    Directory, Plugin Names
dir Client: Name, Address, FdAddress, Password, Port, FdPort, Catalog, Passive, Connection From
    Director To Client, Connection From Client To Director, Heartbeat Interval, Maximum
    Concurrent Jobs, Enabled, Lan Address, Maximum Bandwidth Per Job, Soft Quota, Hard Quota,
    File Retention, Job Retention, AutoPrune
dir Storage: Name, Address, SdAddress, Password, SdPassword, Device, Media Type, Port, SdPort,
    Auto Changer, Maximum Concurrent Jobs, Maximum Concurrent Read Jobs, Allow Compression,
    Heartbeat Interval, Enabled, Paired Storage, Lan Address
dir Catalog: Name, DB Name, DB User, User, DB Password, Password, DB Address, Address, DB Port,
    Port, DB Socket, Reconnect, Exit On Fatal, DB Driver
dir Pool: Name, Pool Type, Label Format, Maximum Volumes, Maximum Volume Jobs, Maximum Volume
    Files, Maximum Volume Bytes, Volume Retention, Volume Use Duration, Recycle, AutoPrune,
    Action On Purge, Recycle Pool, Scratch Pool, Next Pool, Storage, Catalog, Catalog Files, Use
    Catalog, Migration Time, Migration High Bytes, Migration Low Bytes, Minimum Block Size,
    Maximum Block Size, Purge Oldest Volume, Recycle Oldest Volume
dir Job: Name, Type, Level, Client, FileSet, Schedule, Storage, Pool, Messages, Catalog, Full
    Backup Pool, Differential Backup Pool, Incremental Backup Pool, Virtual Full Backup Pool,
    Next Pool, Selection Type, Selection Pattern, Purge Migration Job, Max Concurrent Copies,
    Where, Replace, Bootstrap, Write Bootstrap, Priority, Maximum Concurrent Jobs, Accurate,
    Spool Data, Spool Attributes, Prefer Mounted Volumes, Allow Duplicate Jobs, Allow Mixed
    Priority, Reschedule On Error, Reschedule Interval, Reschedule Times, Max Run Time, Max Wait
    Time, Max Start Delay, Max Full Interval, Enabled, Backup Format, Protocol, Run Before Job,
    Run After Job, Run After Failed Job, Client Run Before Job, Client Run After Job, RunScript,
    JobDefs
dir FileSet: Name, Description, Ignore FileSet Changes, Enable VSS, Include, Exclude
dir Schedule: Name, Enabled, Run
dir Messages: Name, Description, Mail Command, Operator Command, Timestamp Format, Console,
    Catalog, Stdout, Stderr, Syslog, Mail, Mail On Error, Mail On Success, Operator, Director,
    File, Append
dir Console: Name, Password, Profile, Job ACL, Client ACL, Storage ACL, Schedule ACL, Pool ACL,
    Command ACL, FileSet ACL, Catalog ACL, Where ACL, Plugin Options ACL, Use Pam Authentication
dir Profile: Name, Job ACL, Command ACL, Where ACL, Plugin Options ACL
sd Storage: Name, Port, SdPort, Address, Addresses, Working Directory, Messages, SD Connect
    Timeout, FD Connect Timeout, Client Connect Wait, Heartbeat Interval, Checkpoint Interval,
    Maximum Network Buffer Size, Just In Time Reservation, Plugin Directory, Plugin Names,
    Backend Directory, Log Timestamp Format
sd Director: Name, Password, Monitor
sd Device: Name, Media Type, Archive Device, Device Type, Label Media, Random Access, Automatic
    Mount, Removable Media, Always Open, Maximum Concurrent Jobs, Maximum File Size, Maximum
    Block Size, Label Block Size, Volume Capacity, Auto Select, Count, Description
sd Autochanger: Name, Device, Changer Device, Changer Command
fd Client: Name, Port, FdPort, Address, Addresses, Working Directory, Messages, SD Connect
    Timeout, Heartbeat Interval, Maximum Workers Per Job, Maximum Bandwidth Per Job, PKI
    Signatures, PKI Encryption, PKI Key Pair, PKI Master Key, PKI Cipher, Allowed Script Dir,
    Allowed Job Command, Log Timestamp Format
fd Director: Name, Password, Address, Port, Connection From Director To Client, Connection From
    Client To Director, Monitor, Allowed Script Dir, Allowed Job Command
console Director: Name, Address, DirAddress, Port, DirPort, Password, Heartbeat Interval
console Console: Name, Password, Director, Rc File, History File, History Length, Heartbeat
    Interval
"""
REFERENCE_DIRECTIVES = {
    tuple(head.split()): [name.strip() for name in names.split(",")]
    for head, names in (
        entry.split(":", 1) for entry in REFERENCE_TABLE.replace("\n    ", " ").strip().split("\n")
    )
}


@pytest.mark.parametrize(("daemon", "rtype"), sorted(REFERENCE_DIRECTIVES))
def test_schema_covers_the_reference(daemon: str, rtype: str) -> None:
    schema = resource_schema(daemon, rtype)
    missing = [n for n in REFERENCE_DIRECTIVES[(daemon, rtype)] if schema.lookup(n) is None]
    assert missing == []


@pytest.mark.parametrize(
    ("daemon", "rtype", "directive", "default"),
    [
        ("dir", "Director", "Maximum Concurrent Jobs", 1),
        ("dir", "Director", "Port", 9101),
        ("dir", "Director", "FD Connect Timeout", 180),
        ("dir", "Director", "SD Connect Timeout", 1800),
        ("dir", "Director", "Working Directory", "/var/lib/bareos"),
        ("dir", "Client", "Port", 9102),
        ("dir", "Client", "Passive", False),
        ("dir", "Client", "Connection From Director To Client", True),
        ("dir", "Storage", "Port", 9103),
        ("dir", "Storage", "Allow Compression", True),
        ("dir", "Pool", "Volume Retention", 31536000),
        ("dir", "Pool", "Pool Type", "Backup"),
        ("dir", "Pool", "Maximum Volumes", 0),
        ("dir", "Job", "Priority", 10),
        ("dir", "Job", "Replace", "Always"),
        ("dir", "Job", "Max Concurrent Copies", 100),
        ("dir", "Job", "Level", None),
        ("dir", "Catalog", "DB Driver", "sqlite3"),
        ("sd", "Device", "Label Media", False),
        ("sd", "Device", "Random Access", False),
        ("sd", "Device", "Removable Media", True),
        ("sd", "Device", "Always Open", True),
        ("sd", "Device", "Maximum File Size", 1000000000),
        ("sd", "Device", "Maximum Block Size", 1048576),
        ("sd", "Device", "Label Block Size", 64512),
        ("sd", "Storage", "Client Connect Wait", 1800),
        ("sd", "Storage", "Just In Time Reservation", True),
        ("fd", "Client", "Maximum Workers Per Job", 2),
        ("fd", "Director", "Port", 9101),
        ("console", "Console", "History Length", 100),
    ],
)
def test_schema_bareos_defaults(daemon: str, rtype: str, directive: str, default: object) -> None:
    found = resource_schema(daemon, rtype).lookup(directive)
    assert found is not None and found.default_value == default


@pytest.mark.parametrize(
    ("daemon", "rtype", "alias", "name"),
    [
        ("dir", "Director", "DirPort", "Port"),
        ("dir", "Client", "FdAddress", "Address"),
        ("dir", "Client", "FdPassword", "Password"),
        ("dir", "Storage", "SdAddress", "Address"),
        ("dir", "Storage", "SdPassword", "Password"),
        ("dir", "Storage", "Sd Port", "Port"),
        ("dir", "Catalog", "user", "DB User"),
        ("dir", "Job", "Verify Job", "Job To Verify"),
        ("sd", "Storage", "SDPORT", "Port"),
        ("fd", "Client", "FdPort", "Port"),
        ("console", "Director", "DirAddress", "Address"),
    ],
)
def test_schema_aliases(daemon: str, rtype: str, alias: str, name: str) -> None:
    found = resource_schema(daemon, rtype).lookup(alias)
    assert found is not None and found.name == name


def test_schema_resource_type_lookup() -> None:
    assert resource_type("dir", "jobdefs") == "JobDefs"
    assert resource_type("dir", "File Set") == "FileSet"
    assert resource_type("fd", "FileDaemon") == "Client"
    assert RESOURCE_ALIASES["fd"]["FileDaemon"] == "Client"
    assert resource_type("sd", "Job") is None


def test_schema_attribute_names_are_snake_case() -> None:
    assert snake("Maximum Concurrent Jobs") == "maximum_concurrent_jobs"
    job = resource_schema("dir", "Job")
    assert {"maximum_concurrent_jobs", "pool", "fileset", "jobdefs", "runscript"} <= set(job.by_key)
    assert resource_schema("sd", "Device").by_key["archive_device"].name == "Archive Device"
    assert "destinations" in resource_schema("sd", "Messages").by_key
