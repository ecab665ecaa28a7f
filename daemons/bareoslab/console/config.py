"""What ``bareoslab-console`` needs from ``bconsole.conf``: where the Director is and who we are.

The Director resource gives address, port and the default console's
password; a Console resource (for that Director, or for any when it names
none) makes the session a named console with the Console's password.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..config import Config, ConfigError, load_config
from ..net.auth import DEFAULT_CONSOLE
from ..net.tls import TlsSettings


@dataclass(frozen=True)
class ConsoleSettings:
    director: str
    host: str
    port: int
    #: the MD5 hex of the password, the CRAM-MD5 key
    key: str
    name: str = DEFAULT_CONSOLE
    history_file: str = ""
    history_length: int = 100
    #: the TLS directives of the resource the password comes from (Console, else Director)
    tls: TlsSettings = TlsSettings()


def settings_from_config(
    cfg: Config, director: str | None = None, console: str | None = None
) -> ConsoleSettings:
    """The settings for ``director`` (default: the first Director resource).

    :raises ConfigError: unknown director or console, or no password to log in with
    """
    directors = cfg.resources("Director")
    if not directors:
        raise ConfigError(cfg.files[0] if cfg.files else "", 0, "no Director resource defined")
    dir_res = directors[0]
    if director:
        dir_res = next((d for d in directors if d.name == director), None)  # type: ignore[assignment]
        if dir_res is None:
            raise ConfigError(
                cfg.files[0], 0, f'Director "{director}" not found in the configuration'
            )
    consoles = cfg.resources("Console")
    if console:
        cons = next((c for c in consoles if c.name == console), None)
        if cons is None:
            raise ConfigError(
                cfg.files[0], 0, f'Console "{console}" not found in the configuration'
            )
    else:
        cons = next((c for c in consoles if c.director == dir_res.name), None) or next(
            (c for c in consoles if not c.director), None
        )
    history = os.path.expanduser("~/.bconsole_history")
    if cons is not None:
        return ConsoleSettings(
            dir_res.name,
            dir_res.address,
            int(dir_res.port),
            cons.password,
            cons.name,
            cons.history_file or history,
            int(cons.history_length),
            TlsSettings.of(cons),
        )
    if not dir_res.password:
        raise ConfigError(
            cfg.files[0], dir_res.source[1], f'Director "{dir_res.name}" has no Password'
        )
    return ConsoleSettings(
        dir_res.name, dir_res.address, int(dir_res.port), dir_res.password, history_file=history,
        tls=TlsSettings.of(dir_res),
    )


def load_settings(
    path: str, director: str | None = None, console: str | None = None
) -> ConsoleSettings:
    """Read ``path`` (a ``bconsole.conf`` or a directory holding one) and choose the session."""
    return settings_from_config(load_config(path, "console"), director, console)


def director_names(path: str) -> list[str]:
    """The Director resources a ``bconsole.conf`` names (``-l``)."""
    return [d.name for d in load_config(path, "console").resources("Director")]
