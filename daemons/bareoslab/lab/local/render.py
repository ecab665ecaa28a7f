"""Bareos configuration directories for a local one-SD topology on loopback.

Everything lives below one directory: ``etc/{dir,sd,fd}`` (the daemons'
``-c``), ``etc/bconsole.conf``, working directories, the storage directory
and a small sample data tree to back up.
"""

from __future__ import annotations

import random
import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path


def _ephemeral_low() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as fh:
            return int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_handed_out: set[int] = set()  # ports this process already chose (a lab's daemons bind them later)


def free_port(host: str = "127.0.0.1", attempts: int = 200) -> int:
    """A free port below the ephemeral range, so no outgoing connection takes it meanwhile,
    and never one this process handed out before (the daemons of a lab bind their ports
    only when they start: two picks must not fall on the same free port)."""
    high = max(_ephemeral_low(), 12000)
    for _ in range(attempts):
        port = random.randrange(10000, high)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    with socket.socket() as s:  # crowded: let the kernel choose
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class CatalogSettings:
    driver: str = "sqlite3"
    name: str = "bareos"
    user: str = "bareos"
    password: str = ""
    address: str = ""
    port: int = 0


@dataclass
class LocalTopology:
    base: Path
    host: str = "127.0.0.1"
    dir_port: int = field(default_factory=free_port)
    sd_port: int = field(default_factory=free_port)
    fd_port: int = field(default_factory=free_port)
    director: str = "bareos-dir"
    storage: str = "bareos-sd"
    client: str = "bareos-fd"
    console_password: str = field(default_factory=lambda: secrets.token_hex(12))
    sd_password: str = field(default_factory=lambda: secrets.token_hex(12))
    fd_password: str = field(default_factory=lambda: secrets.token_hex(12))
    catalog: CatalogSettings = field(default_factory=CatalogSettings)
    signature: str = "MD5"
    client_connect_wait: int = 60
    data_dir: Path | None = None
    #: how the client connects: ``director`` (the Director calls the FD), ``client``
    #: (client-initiated), ``passive`` (the SD calls the FD) or ``client+passive``
    client_mode: str = "director"
    #: client-initiated: the FD's Heartbeat Interval, also its reconnect interval (seconds)
    client_heartbeat: int = 5
    #: ``psk``: Bareos' defaults (no TLS directive: TLS-PSK on every connection);
    #: ``off``: ``TLS Enable = no`` on every resource (cleartext)
    tls: str = "psk"
    #: the Director's scheduler reads the time from this file (``bareoslab-dir --clock``)
    clock_file: Path | None = None

    @property
    def tls_lines(self) -> str:
        """The TLS directives every network resource of the lab carries."""
        if self.tls not in TLS_MODES:
            raise ValueError(f"tls {self.tls!r}: one of {', '.join(TLS_MODES)}")
        return "  TLS Enable = no\n" if self.tls == "off" else ""

    @property
    def etc(self) -> Path:
        return self.base / "etc"

    @property
    def storage_dir(self) -> Path:
        return self.base / "storage"

    @property
    def restore_dir(self) -> Path:
        return self.base / "restores"

    def working_dir(self, daemon: str) -> Path:
        return self.base / "work" / daemon

    @property
    def fileset_dir(self) -> Path:
        return self.data_dir or self.base / "data"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)


CLIENT_MODES = ("director", "client", "passive", "client+passive")
TLS_MODES = ("psk", "off")


def _modes(t: LocalTopology) -> set[str]:
    if t.client_mode not in CLIENT_MODES:
        raise ValueError(f"client_mode {t.client_mode!r}: one of {', '.join(CLIENT_MODES)}")
    return set(t.client_mode.split("+"))


def _dir_client_mode(t: LocalTopology) -> str:
    modes, lines = _modes(t), []
    if "passive" in modes:
        lines.append("  Passive = yes")
    if "client" in modes:
        lines += ["  Connection From Client To Director = yes", "  Connection From Director To Client = no"]
    return "".join(line + "\n" for line in lines)


def _fd_client_mode(t: LocalTopology) -> str:
    return f"  Heartbeat Interval = {t.client_heartbeat}\n" if "client" in _modes(t) else ""


def _fd_director_mode(t: LocalTopology) -> str:
    if "client" not in _modes(t):
        return ""
    return (f"  Address = {t.host}\n  Port = {t.dir_port}\n  Connection From Client To Director = yes\n"
            "  Connection From Director To Client = no\n")


def render_storage_daemon(t: LocalTopology, etc: Path, name: str, port: int, password: str,
                          work: Path) -> None:
    """A Storage daemon's configuration directory (``etc/bareos-sd.d``), without devices."""
    s = etc / "bareos-sd.d"
    _write(s / "storage" / f"{name}.conf", f"""Storage {{
  Name = {name}
  SDAddress = {t.host}
  SDPort = {port}
  Working Directory = "{work}"
  Client Connect Wait = {t.client_connect_wait}
{t.tls_lines}}}
""")
    _write(s / "director" / f"{t.director}.conf", f"""Director {{
  Name = {t.director}
  Password = "{password}"
{t.tls_lines}}}
""")
    _write(s / "messages" / "Standard.conf", f"""Messages {{
  Name = Standard
  Director = {t.director} = all
}}
""")


def write_client(t: LocalTopology, name: str, port: int, password: str) -> None:
    """The Director's Client resource for a File daemon of the topology."""
    _write(t.etc / "dir" / "bareos-dir.d" / "client" / f"{name}.conf", f"""Client {{
  Name = {name}
  Address = {t.host}
  Port = {port}
  Password = "{password}"
  Maximum Concurrent Jobs = 5
{t.tls_lines}{_dir_client_mode(t)}}}
""")


def render_file_daemon(t: LocalTopology, etc: Path, name: str, port: int, password: str, work: Path) -> None:
    """A File daemon's configuration directory (``etc/bareos-fd.d``)."""
    work.mkdir(parents=True, exist_ok=True)
    f = etc / "bareos-fd.d"
    _write(f / "client" / "myself.conf", f"""Client {{
  Name = {name}
  FDAddress = {t.host}
  FDPort = {port}
  Working Directory = "{work}"
{t.tls_lines}{_fd_client_mode(t)}}}
""")
    _write(f / "director" / f"{t.director}.conf", f"""Director {{
  Name = {t.director}
  Password = "{password}"
{t.tls_lines}{_fd_director_mode(t)}}}
""")
    _write(f / "messages" / "Standard.conf", f"""Messages {{
  Name = Standard
  Director = {t.director} = all, !skipped, !restored
}}
""")


def write_device(etc: Path, name: str, media_type: str, archive: Path, max_jobs: int = 5) -> None:
    """A file Device of a Storage daemon, labelling its volumes automatically."""
    _write(etc / "bareos-sd.d" / "device" / f"{name}.conf", f"""Device {{
  Name = {name}
  Media Type = {media_type}
  Archive Device = "{archive}"
  Label Media = yes
  Random Access = yes
  Automatic Mount = yes
  Removable Media = no
  Always Open = no
  Maximum Concurrent Jobs = {max_jobs}
}}
""")


def render(t: LocalTopology) -> None:
    """Write the configuration of all three daemons and the console."""
    for daemon in ("dir", "sd", "fd"):
        t.working_dir(daemon).mkdir(parents=True, exist_ok=True)
    t.storage_dir.mkdir(parents=True, exist_ok=True)
    t.restore_dir.mkdir(parents=True, exist_ok=True)
    d = t.etc / "dir" / "bareos-dir.d"
    c = t.catalog
    catalog_lines = [f'  DB Driver = {c.driver}', f'  DB Name = "{c.name}"', f'  DB User = "{c.user}"',
                     f'  DB Password = "{c.password}"']
    if c.address:
        catalog_lines.append(f'  DB Address = "{c.address}"')
    if c.port:
        catalog_lines.append(f"  DB Port = {c.port}")
    _write(d / "director" / f"{t.director}.conf", f"""Director {{
  Name = {t.director}
  Password = "{t.console_password}"
  DirAddress = {t.host}
  DirPort = {t.dir_port}
  Working Directory = "{t.working_dir('dir')}"
  Messages = Daemon
  Maximum Concurrent Jobs = 10
{t.tls_lines}}}
""")
    _write(d / "catalog" / "MyCatalog.conf", "Catalog {\n  Name = MyCatalog\n" + "\n".join(catalog_lines) + "\n}\n")
    write_client(t, t.client, t.fd_port, t.fd_password)
    _write(d / "storage" / "File.conf", f"""Storage {{
  Name = File
  Address = {t.host}
  Port = {t.sd_port}
  Password = "{t.sd_password}"
  Device = FileStorage
  Media Type = File
  Maximum Concurrent Jobs = 5
{t.tls_lines}}}
""")
    _write(d / "pool" / "Full.conf", """Pool {
  Name = Full
  Pool Type = Backup
  Label Format = "Full-"
  Volume Retention = 365 days
  Maximum Volume Bytes = 50G
}
""")
    _write(d / "pool" / "Incremental.conf", """Pool {
  Name = Incremental
  Pool Type = Backup
  Label Format = "Incremental-"
  Volume Retention = 30 days
}
""")
    _write(d / "fileset" / "LabData.conf", f"""FileSet {{
  Name = "LabData"
  Include {{
    Options {{
      Signature = {t.signature}
    }}
    File = "{t.fileset_dir}"
  }}
}}
""")
    _write(d / "messages" / "Standard.conf", f"""Messages {{
  Name = Standard
  Console = all, !skipped, !saved, !audit
  Append = "{t.working_dir('dir')}/bareos.log" = all, !skipped, !saved, !audit
  Catalog = all, !skipped, !saved, !audit
}}
""")
    _write(d / "messages" / "Daemon.conf", f"""Messages {{
  Name = Daemon
  Console = all, !skipped, !saved, !audit
  Append = "{t.working_dir('dir')}/bareos.log" = all, !skipped, !audit
}}
""")
    _write(d / "jobdefs" / "DefaultJob.conf", f"""JobDefs {{
  Name = "DefaultJob"
  Type = Backup
  Level = Incremental
  Client = {t.client}
  FileSet = "LabData"
  Storage = File
  Pool = Incremental
  Full Backup Pool = Full
  Incremental Backup Pool = Incremental
  Differential Backup Pool = Incremental
  Messages = Standard
  Priority = 10
}}
""")
    _write(d / "job" / "backup.conf", """Job {
  Name = "backup"
  JobDefs = "DefaultJob"
}
""")
    _write(d / "job" / "RestoreFiles.conf", f"""Job {{
  Name = "RestoreFiles"
  Type = Restore
  Client = {t.client}
  FileSet = "LabData"
  Storage = File
  Pool = Incremental
  Messages = Standard
  Where = "{t.restore_dir}"
}}
""")
    render_storage_daemon(t, t.etc / "sd", t.storage, t.sd_port, t.sd_password, t.working_dir("sd"))
    write_device(t.etc / "sd", "FileStorage", "File", t.storage_dir)
    render_file_daemon(t, t.etc / "fd", t.client, t.fd_port, t.fd_password, t.working_dir("fd"))
    _write(t.etc / "bconsole.conf", f"""Director {{
  Name = {t.director}
  Address = {t.host}
  Port = {t.dir_port}
  Password = "{t.console_password}"
{t.tls_lines}}}
""")
