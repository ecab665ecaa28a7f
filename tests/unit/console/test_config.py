"""bconsole.conf: the Director to reach and the console to log in as."""

from __future__ import annotations

import pytest
from bareoslab.config import ConfigError, load_config_text
from bareoslab.console.config import DEFAULT_CONSOLE, settings_from_config
from bareoslab.net.auth import password_key

TWO_DIRECTORS = """
Director { Name = dir-a; Address = host-a; Password = "secret-a" }
Director { Name = dir-b; Address = host-b; Port = 9999; Password = "secret-b" }
"""


def test_console_settings_default_console() -> None:
    s = settings_from_config(load_config_text(TWO_DIRECTORS, "console"))
    assert (s.director, s.host, s.port, s.name) == ("dir-a", "host-a", 9101, DEFAULT_CONSOLE)
    assert s.key == password_key("secret-a")
    b = settings_from_config(load_config_text(TWO_DIRECTORS, "console"), director="dir-b")
    assert (b.host, b.port, b.key) == ("host-b", 9999, password_key("secret-b"))


def test_console_settings_named_console() -> None:
    cfg = load_config_text(
        TWO_DIRECTORS
        + """
Console { Name = admin-b; Password = "console-b"; Director = dir-b }
Console { Name = anywhere; Password = "console-any" }
""",
        "console",
    )
    a = settings_from_config(cfg)
    assert (a.name, a.key) == ("anywhere", password_key("console-any"))
    b = settings_from_config(cfg, director="dir-b")
    assert (b.name, b.key) == ("admin-b", password_key("console-b"))
    assert settings_from_config(cfg, console="admin-b").name == "admin-b"


def test_console_settings_unknown_names() -> None:
    cfg = load_config_text(TWO_DIRECTORS, "console")
    with pytest.raises(ConfigError, match='Director "nope" not found'):
        settings_from_config(cfg, director="nope")
    with pytest.raises(ConfigError, match='Console "nope" not found'):
        settings_from_config(cfg, console="nope")
