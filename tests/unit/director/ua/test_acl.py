"""Console ACLs: first match wins, console before profiles, nothing matching means no access."""

from __future__ import annotations

import pytest
from bareoslab.config import load_config_text
from bareoslab.director.ua.acl import COMMAND, JOB, WHERE, Acl, acl_decision

CONFIG = """
Director { Name = d; Password = x; Working Directory = /tmp }
Catalog { Name = c; DB Name = b; DB Driver = sqlite3; DB User = u }
Messages { Name = Daemon }
Pool { Name = Full; Pool Type = Backup }
Profile { Name = operator; Command ACL = list, run, delete; Job ACL = *all*; Pool ACL = *all* }
Profile { Name = second; Command ACL = status }
Console { Name = alice; Password = pw; Profile = operator, second; Command ACL = !delete; Job ACL = !secret-.* }
Console { Name = nobody; Password = pw }
Console { Name = mover; Password = pw; Command ACL = restore; Where ACL = /tmp/restores, "/srv/.*" }
"""


@pytest.fixture(scope="module")
def cfg():
    return load_config_text(CONFIG, "dir")


@pytest.mark.parametrize(
    ("entries", "item", "expected"),
    [
        (["*all*"], "anything", True),
        (["*ALL*"], "anything", True),
        (["list", "run"], "RUN", True),
        (["list"], "run", None),
        (["!run", "*all*"], "run", False),
        (["*all*", "!run"], "run", True),  # first match wins
        (["backup-.*"], "backup-web", True),
        (["backup-.*"], "my-backup-web", None),  # a regex must match the whole item
        (["!backup-.*", "*all*"], "backup-web", False),
        (["[broken"], "[broken", True),  # not a valid regex, but an exact name
        ([], "run", None),
    ],
)
def test_acl_decision_first_match_wins(entries, item, expected) -> None:
    assert acl_decision(entries, item) is expected


def test_acl_default_console_is_unrestricted(cfg) -> None:
    acl = Acl(cfg, None)
    assert acl.unrestricted and acl.ok(COMMAND, "delete") and acl.ok(JOB, "anything")


def test_acl_console_lists_come_before_profiles(cfg) -> None:
    acl = Acl(cfg, cfg.get("Console", "alice"))
    assert acl.ok(COMMAND, "list") and acl.ok(COMMAND, "run")
    assert not acl.ok(COMMAND, "delete")  # the console's "!delete" wins over the profile's "delete"
    assert acl.ok(COMMAND, "status")  # from the second profile
    assert not acl.ok(COMMAND, "sqlquery")
    assert not acl.ok(JOB, "secret-db") and acl.ok(JOB, "backup")
    assert acl.resource_ok(cfg.get("Pool", "Full"))
    assert not acl.resource_ok(cfg.get("Messages", "Daemon"))  # needs the configure command


def test_acl_named_console_without_acls_can_run_nothing(cfg) -> None:
    acl = Acl(cfg, cfg.get("Console", "nobody"))
    assert not any(acl.ok(COMMAND, c) for c in ("list", "run", "version", "status", "messages"))
    assert not acl.resource_ok(cfg.get("Pool", "Full"))
    assert acl.ok(COMMAND, "quit") and acl.ok(COMMAND, ".api")  # session commands stay usable
    assert acl.ok(WHERE, "")  # an empty Where ACL allows the job's own Where


def test_acl_where(cfg) -> None:
    acl = Acl(cfg, cfg.get("Console", "mover"))
    assert acl.ok(WHERE, "/tmp/restores") and acl.ok(WHERE, "/srv/data")
    assert not acl.ok(WHERE, "/etc") and not acl.ok(WHERE, "")
    # the path the File daemon writes to is checked, not its spelling
    assert not acl.ok(WHERE, "/srv/../etc") and not acl.ok(WHERE, "/srv/data/../../etc")
    assert acl.ok(WHERE, "/srv/x/../data") and acl.ok(WHERE, "/tmp/restores/")
