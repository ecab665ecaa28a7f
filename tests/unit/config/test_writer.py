"""Resources written by the schema read back by the parser to the same values."""

from __future__ import annotations

from pathlib import Path

import pytest
from bareoslab.config.loader import load_config
from bareoslab.config.types import password_md5
from bareoslab.config.writer import resource_text, write_resources


def test_written_resources_parse_to_the_same_values(tmp_path: Path) -> None:
    resources = [
        ("Director", {"name": "bareos-dir", "password": 'pa"ss\\word', "port": 19101,
                      "working_directory": str(tmp_path), "messages": "Daemon", "maximum_concurrent_jobs": 7}),
        ("Catalog", {"name": "MyCatalog", "db_driver": "sqlite3", "db_name": "bareos", "db_user": "bareos",
                     "db_password": ""}),
        ("Messages", {"name": "Daemon", "console": "all, !skipped", "append": f'"{tmp_path}/log" = all'}),
        ("Client", {"name": "fd", "address": "127.0.0.1", "port": 19102, "password": "p", "passive": True,
                    "connection_from_director_to_client": True}),
        ("FileSet", {"name": "Set", "include": [{"options": [{"signature": "MD5"}], "file": ["/a b", "/c"]}]}),
        ("Schedule", {"name": "Nightly", "run": ["Full sun at 2:05", "Incremental mon-sat at 2:05"]}),
        ("Storage", {"name": "File", "address": "127.0.0.1", "port": 19103, "password": "s",
                     "device": ["D1", "D2"], "media_type": "File"}),
        ("Pool", {"name": "Full", "pool_type": "Backup", "label_format": "Full-", "volume_retention": "365 days"}),
        ("Job", {"name": "backup", "type": "Backup", "client": "fd", "fileset": "Set", "storage": ["File"],
                 "pool": "Full", "messages": "Daemon", "schedule": "Nightly",
                 "runscript": [{"command": "echo hi", "runs_when": "Before", "runs_on_client": False}]}),
    ]
    write_resources(tmp_path / "bareos-dir.d", "dir", resources)
    config = load_config(tmp_path, "dir")
    director = config.get("Director", "bareos-dir")
    assert director is not None
    assert director.get("Password") == password_md5('pa"ss\\word') and director.get("Port") == 19101
    client = config.get("Client", "fd")
    assert client is not None and client.get("Passive") is True
    fileset = config.get("FileSet", "Set")
    assert fileset is not None
    assert [b.files for b in fileset.get("Include")] == [["/a b", "/c"]]
    storage = config.get("Storage", "File")
    assert storage is not None and storage.get("Device") == ["D1", "D2"]
    pool = config.get("Pool", "Full")
    assert pool is not None and pool.get("Volume Retention") == 365 * 86400
    job = config.get("Job", "backup")
    assert job is not None and job.get("RunScript")[0]["command"] == "echo hi"
    assert (tmp_path / "bareos-dir.d" / "job" / "backup.conf").stat().st_mode & 0o777 == 0o600


def test_unknown_option_is_an_error() -> None:
    with pytest.raises(ValueError, match="Client 'fd': no such directive in a dir Client: colour"):
        resource_text("dir", "Client", {"name": "fd", "colour": "blue"})


def test_none_is_left_out_and_lists_repeat() -> None:
    text = resource_text("sd", "Device", {"name": "D", "media_type": "File", "archive_device": "/v",
                                          "label_media": True, "maximum_concurrent_jobs": None})
    assert text == "Device {\n  Name = D\n  Media Type = File\n  Archive Device = /v\n  Label Media = yes\n}\n"


def test_words_bare_where_bareos_writes_them_so_else_quoted() -> None:
    text = resource_text("dir", "Pool", {"name": "Full Copy", "pool_type": "Backup", "label_format": "Full-",
                                         "volume_retention": "365 days", "maximum_volume_bytes": "50G",
                                         "description": "plain"})
    assert text.splitlines()[1:-1] == ['  Name = "Full Copy"', '  Description = "plain"', "  Pool Type = Backup",
                                       "  Label Format = Full-", "  Maximum Volume Bytes = 50G",
                                       "  Volume Retention = 365 days"]  # Bareos reads a duration only bare


def test_a_daemons_own_address_is_bare() -> None:
    """Bareos reads the Address a daemon listens on only unquoted; others may be quoted."""
    assert "  Address = 127.0.0.1\n" in resource_text("sd", "Storage", {"name": "sd", "address": "127.0.0.1"})
    assert '  Address = "127.0.0.1"\n' in resource_text("dir", "Storage", {"name": "File", "address": "127.0.0.1"})
