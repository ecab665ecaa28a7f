"""``show`` prints resources back in configuration syntax that loads again."""

from __future__ import annotations

from bareoslab.config import load_config_text
from bareoslab.config.loader import config_root
from bareoslab.director.ua.show import resource_text

CONFIG = """
Director { Name = lab-dir; Password = "console-pw"; Working Directory = "/var/lib/lab"; Messages = Daemon }
Catalog { Name = MyCatalog; DB Name = bareos; DB Driver = sqlite3; DB User = bareos; DB Password = "db pw" }
Messages { Name = Daemon; Console = all }
Client { Name = fd1; Address = "fd.example"; Password = "fd-pw"; Maximum Concurrent Jobs = 3 }
Storage { Name = File; Address = sd.example; Password = "sd-pw"; Device = FileStorage; Media Type = File }
Pool { Name = Full; Pool Type = Backup; Volume Retention = 30 days; Label Format = "Full-"; Recycle = no }
FileSet { Name = "Lab Data"; Include { File = "/srv/data dir" } }
Job {
  Name = "backup job"; Type = Backup; Level = Full; Client = fd1; FileSet = "Lab Data"
  Storage = File; Pool = Full; Messages = Daemon; Priority = 7
}
"""


def test_show_text_loads_back_with_the_same_values() -> None:
    cfg = load_config_text(CONFIG, "dir")
    text = "\n".join(
        "\n".join(resource_text(res, hide_secrets=False))
        for rtype in ("Director", "Catalog", "Client", "Storage", "Pool", "FileSet", "Job")
        for res in cfg.resources(rtype)
    )
    again = load_config_text(text + "\nMessages { Name = Daemon; Console = all }\n", "dir")
    for rtype, name, directives in [
        ("Director", "lab-dir", ("Password", "Working Directory")),
        ("Catalog", "MyCatalog", ("DB Password", "DB Driver")),
        ("Client", "fd1", ("Address", "Password", "Maximum Concurrent Jobs")),
        ("Pool", "Full", ("Volume Retention", "Label Format", "Recycle", "Pool Type")),
        ("Job", "backup job", ("Type", "Level", "FileSet", "Priority", "Storage")),
    ]:
        old, new = cfg.get(rtype, name), again.get(rtype, name)
        for directive in directives:
            assert new.get(directive) == old.get(directive), (rtype, directive)
    assert again.get("FileSet", "Lab Data").fileset_text() == cfg.get("FileSet", "Lab Data").fileset_text()


def test_show_hides_secrets_without_configure() -> None:
    cfg = load_config_text(CONFIG, "dir")
    lines = resource_text(cfg.get("Client", "fd1"), hide_secrets=True)
    assert '  Password = "****"' in lines and lines[0] == "Client {" and lines[-1] == "}"


def test_config_root_of_a_directory_layout() -> None:
    assert config_root(["/etc/bareos/bareos-dir.d/job/backup.conf"]) == "/etc/bareos"
    assert config_root(["/etc/lab/bareos-dir.conf"]) == "/etc/lab/bareos-dir.conf"
