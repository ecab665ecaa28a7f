"""Shared bits of the config tests."""

from __future__ import annotations

from pathlib import Path

from bareoslab.config import Config, load_config_text

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "configs"

#: a director config's required companions, for tests about one resource
DIR_BASE = """\
Director { Name = bareos-dir; Password = "secret" }
Messages { Name = Standard; Console = all }
Storage { Name = File; Address = sd.lab; Password = "sd"; Device = FileStorage; Media Type = File }
Pool { Name = Full; Storage = File }
Client { Name = client1-fd; Address = client1.lab; Password = "fd" }
FileSet { Name = fs; Include { File = /etc } }
"""


def dir_config(text: str, base: str = DIR_BASE) -> Config:
    """A director config made of ``base`` and ``text``."""
    return load_config_text(base + text, "dir", "test-dir.conf")
