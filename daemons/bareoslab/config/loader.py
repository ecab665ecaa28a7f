"""Find a daemon's configuration files and load them."""

from __future__ import annotations

import os
from pathlib import Path

from bareoslab.config.errors import ConfigError
from bareoslab.config.model import Config
from bareoslab.config.parser import PROGRAMS, RawResource, parse_file
from bareoslab.config.resolve import build_config

#: daemon -> base name of its configuration (``<base>.conf`` or ``<base>.d/*/*.conf``)
CONFIG_NAMES = PROGRAMS


def find_config_files(path: str | os.PathLike[str], daemon: str) -> list[str]:
    """The files ``load_config`` reads, in order.

    A directory gives ``<dir>/<base>.conf`` if it exists, else every
    ``<dir>/<base>.d/*/*.conf`` in sorted order; a file gives itself.

    :raises ConfigError: nothing to read (line 0)
    """
    if daemon not in CONFIG_NAMES:
        raise ValueError(f"unknown daemon {daemon!r}, expected one of {', '.join(CONFIG_NAMES)}")
    base = Path(path)
    if base.is_dir():
        single = base / f"{CONFIG_NAMES[daemon]}.conf"
        if single.is_file():
            return [str(single)]
        subdir = base / f"{CONFIG_NAMES[daemon]}.d"
        files = sorted(str(p) for p in subdir.glob("*/*.conf") if p.is_file())
        if not files:
            raise ConfigError(
                str(base),
                0,
                f"no configuration files found: neither {single} nor {subdir}/*/*.conf",
            )
        return files
    if base.is_file():
        return [str(base)]
    raise ConfigError(str(base), 0, "no configuration files found: no such file or directory")


def load_config(path: str | os.PathLike[str], daemon: str) -> Config:
    """Load the configuration of ``daemon`` (``dir``, ``sd``, ``fd`` or ``console``).

    :param path: a directory laid out like ``/etc/bareos``, or a single file
    :raises ConfigError: ``str()`` is ``"<file>:<line>: <reason>"``
    """
    raws: list[RawResource] = []
    files: list[str] = []
    warnings: list[str] = []
    for file in find_config_files(path, daemon):
        parsed = parse_file(file, daemon)
        raws.extend(parsed.resources)
        files.extend(parsed.files)
        warnings.extend(parsed.warnings)
    return build_config(daemon, files, raws, warnings)


def load_config_text(text: str, daemon: str, file: str = "<config>") -> Config:
    """Load a configuration from a string (tests, generated configs); ``file`` names it."""
    parsed = parse_file(file, daemon, text)
    return build_config(daemon, parsed.files, parsed.resources, parsed.warnings)


def config_root(files: list[str]) -> str:
    """What ``-c`` named for a loaded configuration: the single ``bareos-<d>.conf`` or the
    directory holding ``bareos-<d>.d`` (the root a reload reads again)."""
    first = Path(files[0])
    for parent in first.parents:
        if parent.name.startswith("bareos-") and parent.name.endswith(".d"):
            return str(parent.parent)
    return str(first)
