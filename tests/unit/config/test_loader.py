"""Finding and loading whole configurations; bad configs and their messages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bareoslab.config import ConfigError, MessageDestination, find_config_files, load_config

from .helpers import FIXTURES

EXAMPLE = FIXTURES / "example"
BAD = sorted((FIXTURES / "bad").glob("*.conf"))
_HEADER = re.compile(r"#\s*(expect|daemon):\s*(.*)")


def md5(text: str) -> str:
    import hashlib

    return hashlib.md5(text.encode()).hexdigest()


def test_loader_example_director() -> None:
    cfg = load_config(EXAMPLE, "dir")
    assert len(cfg.files) == 19
    assert cfg.files == sorted(cfg.files)
    assert all(f.startswith(str(EXAMPLE / "bareos-dir.d")) for f in cfg.files)
    director = cfg.one("Director")
    assert director.name == "bareos-dir"
    assert director.password == md5("console-secret")
    assert (director.messages, director.port, director.maximum_concurrent_jobs) == (
        "Daemon",
        9101,
        10,
    )
    assert (director.tls_enable, director.tls_require) == (False, True)
    assert director.source == (str(EXAMPLE / "bareos-dir.d/director/bareos-dir.conf"), 1)

    client = cfg.get("Client", "client1-fd")
    assert (client.address, client.port, client.heartbeat_interval) == ("client1.lab", 9102, 60)
    assert client.connection_from_client_to_director is False and client.passive is False

    full = cfg.get("Pool", "Full")
    assert (full.maximum_volume_bytes, full.volume_retention) == (10 * 1024**3, 30 * 86400)
    assert cfg.ref(full, "Next Pool") is cfg.get("Pool", "FullCopy")
    assert [s.address for s in cfg.refs(full, "storage")] == ["sd1.lab"]
    assert cfg.get("Pool", "Scratch").pool_type == "Scratch"

    storages = {
        s.name: (s.address, s.port, s.device, s.media_type) for s in cfg.resources("Storage")
    }
    assert storages == {
        "File1": ("sd1.lab", 9103, ["FileStorage"], "File1"),
        "File2": ("sd2.lab", 9103, ["FileStorage"], "File2"),
    }
    catalog = cfg.get("Catalog", "MyCatalog")
    assert (catalog.db_driver, catalog.db_name, catalog.db_user, catalog.db_password) == (
        "sqlite3",
        "bareos",
        "bareos",
        "",
    )
    admin = cfg.get("Console", "admin")
    assert admin.profile == ["operator"] and admin.password == md5("admin-secret")
    assert cfg.get("Profile", "operator").command_acl == ["*all*"]


def test_loader_example_jobs() -> None:
    cfg = load_config(EXAMPLE, "dir")
    backup = cfg.get("Job", "backup-client1-fd")
    assert (backup.type, backup.level, backup.pool, backup.client, backup.fileset) == (
        "Backup",
        "Incremental",
        "Incremental",
        "client1-fd",
        "LabData",
    )
    assert backup.full_backup_pool == "Full" and backup.write_bootstrap == "/var/lib/bareos/%c.bsr"
    assert backup.is_set("Level") and backup.priority == 10
    restore = cfg.get("Job", "RestoreFiles")
    assert (restore.type, restore.where, restore.storage, restore.replace) == (
        "Restore",
        "/tmp/bareos-restores",
        ["File1"],
        "Always",
    )
    copy = cfg.get("Job", "copy-full")
    assert (copy.type, copy.selection_type, copy.selection_pattern) == ("Copy", "Volume", ".")
    assert copy.client is None and copy.max_concurrent_copies == 100
    assert copy.runscript == [
        {
            "command": "echo 'prev=%O new=%N'",
            "console": None,
            "runs_when": "After",
            "runs_on_client": False,
            "runs_on_success": True,
            "runs_on_failure": False,
            "fail_job_on_error": True,
        }
    ]
    assert cfg.get("Job", "migrate-full").type == "Migrate"


def test_loader_example_fileset_and_messages() -> None:
    cfg = load_config(EXAMPLE, "dir")
    fs = cfg.get("FileSet", "LabData")
    assert fs.include[0].files == ["/srv/data"]
    assert fs.include[0].options[0].options == {"signature": "XXH128", "hardlinks": True}
    assert fs.exclude[0].files == ["/srv/data/tmp"]
    assert fs.fileset_text() == (
        "FileSet {\n"
        '  Name = "LabData"\n'
        "  Include {\n"
        "    Options {\n"
        "      HardLinks = yes\n"
        "      Signature = XXH128\n"
        "    }\n"
        '    File = "/srv/data"\n'
        "  }\n"
        "  Exclude {\n"
        '    File = "/srv/data/tmp"\n'
        "  }\n"
        "}\n"
    )
    assert cfg.get("Messages", "Standard").destinations == [
        MessageDestination("Console", None, ["all", "!skipped", "!saved", "!audit"]),
        MessageDestination(
            "Append", "/var/log/bareos/bareos.log", ["all", "!skipped", "!saved", "!audit"]
        ),
        MessageDestination("Catalog", None, ["all", "!skipped", "!saved", "!audit"]),
    ]


def test_loader_example_storage_daemon() -> None:
    cfg = load_config(EXAMPLE, "sd")
    assert len(cfg.files) == 4
    storage = cfg.one("Storage")
    assert (storage.name, storage.port, storage.working_directory, storage.tls_enable) == (
        "sd1",
        9103,
        "/var/lib/bareos",
        False,
    )
    assert cfg.get("Director", "bareos-dir").password == md5("sd1-secret")
    device = cfg.get("Device", "FileStorage")
    assert (device.media_type, device.archive_device) == ("File1", "/var/lib/bareos/storage")
    assert (device.label_media, device.random_access, device.automatic_mount) == (True, True, True)
    assert (device.removable_media, device.always_open) == (False, False)
    assert cfg.get("Messages", "Standard").destinations == [
        MessageDestination("Director", "bareos-dir", ["all"])
    ]


def test_loader_example_file_daemon() -> None:
    cfg = load_config(EXAMPLE, "fd")
    client = cfg.one()
    assert (client.name, client.port, client.heartbeat_interval) == ("client1-fd", 9102, 60)
    director = cfg.get("Director", "bareos-dir")
    assert director.password == md5("fd-secret") and director.tls_enable is False
    assert cfg.get("Messages", "Standard").destinations == [
        MessageDestination("Director", "bareos-dir", ["all", "!skipped", "!restored"])
    ]


def test_loader_example_bconsole() -> None:
    cfg = load_config(EXAMPLE, "console")
    assert cfg.files == [str(EXAMPLE / "bconsole.conf")]
    director = cfg.one("Director")
    assert (director.address, director.port, director.password) == (
        "dir.lab",
        9101,
        md5("console-secret"),
    )
    assert cfg.resources("Console") == []


def test_loader_single_file_wins_and_includes_are_read() -> None:
    base = FIXTURES / "single-file"
    cfg = load_config(base, "dir")
    assert [Path(f).name for f in cfg.files] == [
        "bareos-dir.conf",
        "10-catalog.conf",
        "20-fileset.conf",
        "fileset-files.list",
    ]
    assert cfg.one().port == 9201
    assert cfg.get("Catalog", "MyCatalog").db_name == "/tmp/bareoslab/bareos.db"
    assert cfg.get("FileSet", "Etc").include[0].files == ["/etc/hosts", "/etc/passwd"]
    assert cfg.get("FileSet", "Etc").source[0].endswith("20-fileset.conf")


def test_loader_reads_a_named_file(tmp_path: Path) -> None:
    conf = tmp_path / "any-name.conf"
    conf.write_text('Director { Name = d; Address = localhost; Password = "p" }\n')
    assert find_config_files(conf, "console") == [str(conf)]
    assert load_config(str(conf), "console").one("Director").address == "localhost"


def test_loader_directory_layout_order(tmp_path: Path) -> None:
    for sub, name in [("pool", "b.conf"), ("director", "x.conf"), ("pool", "a.conf")]:
        (tmp_path / "bareos-sd.d" / sub).mkdir(parents=True, exist_ok=True)
        (tmp_path / "bareos-sd.d" / sub / name).write_text("")
    (tmp_path / "bareos-sd.d" / "notes.conf").write_text("not one level below")
    found = [Path(f).relative_to(tmp_path).as_posix() for f in find_config_files(tmp_path, "sd")]
    assert found == [
        "bareos-sd.d/director/x.conf",
        "bareos-sd.d/pool/a.conf",
        "bareos-sd.d/pool/b.conf",
    ]


def test_loader_nothing_to_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path, "fd")
    assert err.value.line == 0 and err.value.file == str(tmp_path)
    assert str(err.value).startswith(f"{tmp_path}:0: no configuration files found")
    with pytest.raises(ConfigError, match=":0: no configuration files found"):
        load_config(tmp_path / "missing.conf", "fd")


def test_loader_rejects_unknown_daemon() -> None:
    with pytest.raises(ValueError):
        load_config(EXAMPLE, "tray-monitor")


def test_loader_error_in_directory_layout_names_the_file(tmp_path: Path) -> None:
    sub = tmp_path / "bareos-fd.d" / "client"
    sub.mkdir(parents=True)
    (sub / "myself.conf").write_text("Client {\n  Name = c\n  Heartbeat Interval = often\n}\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path, "fd")
    assert str(err.value) == f'{sub / "myself.conf"}:3: bad duration "often" for Heartbeat Interval'


def test_loader_duplicates_across_files(tmp_path: Path) -> None:
    sub = tmp_path / "bareos-fd.d" / "client"
    sub.mkdir(parents=True)
    (sub / "a.conf").write_text("Client { Name = c }\n")
    (sub / "b.conf").write_text("\nClient { Name = c }\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path, "fd")
    assert (
        str(err.value)
        == f'{sub / "b.conf"}:2: duplicate Client "c" (first defined at {sub / "a.conf"}:1)'
    )


def _expectation(path: Path) -> tuple[str, int, str]:
    daemon, expect = "dir", ""
    for line in path.read_text().splitlines():
        match = _HEADER.match(line)
        if not match:
            break
        if match.group(1) == "daemon":
            daemon = match.group(2).strip()
        else:
            expect = match.group(2)
    line_no, _, reason = expect.partition(": ")
    return daemon, int(line_no), reason


def test_loader_every_bad_config_has_an_expectation() -> None:
    assert len(BAD) >= 30
    for path in BAD:
        daemon, line, reason = _expectation(path)
        assert reason, path


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_loader_bad_config(path: Path) -> None:
    daemon, line, reason = _expectation(path)
    with pytest.raises(ConfigError) as err:
        load_config(path, daemon)
    assert (err.value.file, err.value.line) == (str(path), line), str(err.value)
    assert re.fullmatch(reason, err.value.reason), str(err.value)
    assert str(err.value) == f"{path}:{line}: {err.value.reason}"
