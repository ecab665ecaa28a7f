"""The loopback lab's configuration: a topology of the model, placed on 127.0.0.1.

A :class:`LocalTopology` is the lab the tests, the benchmarks and ``bareoslab local``
start: one Director, one Storage daemon and one File daemon on loopback, and on request a
second Storage daemon with the copy/migrate resources, a second File daemon, a second
device for concurrent pools. It is turned into a :class:`~bareoslab.topology.Topology`
(:func:`topology`) — the same model the roles deploy from — and every daemon's resources
are written through the configuration schema (:mod:`bareoslab.config.writer`) and read
back by the parser before any daemon starts (:func:`render`).

Everything lives below one directory: ``etc/<host>`` (a daemon's ``-c``: ``dir``, ``sd``,
``fd``, ``sd2``, ``fd2``), ``etc/bconsole.conf``, working directories, the storage
directories and a small sample data tree to back up.
"""

from __future__ import annotations

import random
import secrets
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ...config.errors import ConfigError
from ...config.loader import load_config
from ...config.writer import resource_text, write_private, write_resources
from ...topology import JobDefaults, Settings, Topology, read_inventory

CLIENT_MODES = ("director", "client", "passive", "client+passive")
TLS_MODES = ("psk", "off")
SECOND_DEVICE = "FileStorage-B"


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


def _secret() -> str:
    return secrets.token_hex(12)


@dataclass
class CatalogSettings:
    driver: str = "sqlite3"
    name: str = "bareos"
    user: str = "bareos"
    password: str = ""
    address: str = ""
    port: int = 0


@dataclass
class SecondStorage:
    """Where the second SD listens and keeps its volumes."""

    name: str = "bareos-sd2"
    port: int = field(default_factory=free_port)
    password: str = field(default_factory=_secret)


@dataclass
class SecondClient:
    """A second File daemon of the loopback lab and its Job ``backup2``."""

    name: str = "bareos-fd2"
    port: int = field(default_factory=free_port)
    password: str = field(default_factory=_secret)


@dataclass
class Concurrency:
    """Many jobs at once: Storage ``File`` gets a second device on the same directory (two
    pools written at the same time) and every job may run ``job_jobs`` times at once."""

    device_jobs: int = 5
    job_jobs: int = 10


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
    console_password: str = field(default_factory=_secret)
    sd_password: str = field(default_factory=_secret)
    fd_password: str = field(default_factory=_secret)
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
    # -- parts a test adds (topology_extra); not kept in lab.json ---------------------------
    #: a second SD (``etc/sd2``) and the copy/migrate resources
    sd2: SecondStorage | None = field(default=None, compare=False)
    #: a second FD (``etc/fd2``) and its Job ``backup2``
    fd2: SecondClient | None = field(default=None, compare=False)
    concurrency: Concurrency | None = field(default=None, compare=False)
    # -- a lab placed from an inventory (bareoslab local --inventory) ----------------------
    #: the inventory (None: the lab's own hosts dir, sd, fd)
    inventory: Path | None = None
    #: host -> the port its daemon listens on here
    ports: dict[str, int] = field(default_factory=dict)
    #: host -> its daemon's password (Director: the console's; SD, FD: the Director's for them)
    passwords: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.client_mode not in CLIENT_MODES:
            raise ValueError(f"client_mode {self.client_mode!r}: one of {', '.join(CLIENT_MODES)}")
        if self.tls not in TLS_MODES:
            raise ValueError(f"tls {self.tls!r}: one of {', '.join(TLS_MODES)}")

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


def copy_storage_dir(t: LocalTopology) -> Path:
    return t.base / "storage-copy"


def sd2_storage_dir(t: LocalTopology) -> Path:
    return t.base / "storage2"


# -- the lab as a topology of the model ---------------------------------------------------


def _device(name: str, storage: str, archive: Path, jobs: int) -> dict[str, Any]:
    """A file device labelling its volumes automatically."""
    return {"name": name, "director_storage": storage, "media_type": "File", "archive_device": str(archive),
            "label_media": True, "random_access": True, "automatic_mount": True, "removable_media": False,
            "always_open": False, "maximum_concurrent_jobs": jobs}


def topology(t: LocalTopology) -> Topology:
    """The lab's hosts as a topology: the inventory's, placed here (:func:`place`), or the
    lab's own (``dir``, ``db``, ``sd``, ``fd``, and ``sd2``/``fd2`` when added)."""
    if t.inventory is not None:
        return _placed(t, read_inventory(t.inventory))
    device_jobs = t.concurrency.device_jobs if t.concurrency else 5
    client_jobs = t.concurrency.job_jobs if t.concurrency else 5
    copies = t.sd2 is not None
    devices = [_device("FileStorage", "File", t.storage_dir, device_jobs)]
    if t.concurrency:
        devices.append(_device(SECOND_DEVICE, "File", t.storage_dir, device_jobs))
    if copies:
        devices.append(_device("FileCopyStorage", "FileCopy", copy_storage_dir(t), 5))
    # without copies the pools name no Storage: the jobs' Storage File writes them
    pools: list[dict[str, Any]] = [
        {"name": "Full", "label_format": "Full-", "volume_retention": "365 days", "maximum_volume_bytes": "50G",
         "storage": ["File"] if copies else None, "next_pool": "FullCopy" if copies else None},
        {"name": "Incremental", "label_format": "Incremental-", "volume_retention": "30 days", "storage": None},
    ]
    if copies:
        pools.append({"name": "LocalCopy", "storage": ["FileCopy"], "label_format": "LocalCopy-",
                      "volume_retention": "365 days"})
    hostvars: dict[str, dict[str, Any]] = {
        "dir": {"ansible_host": t.host, "bareoslab_director_port": t.dir_port,
                "bareoslab_director_password": t.console_password},
        "db": {},
        "sd": {"ansible_host": t.host, "bareoslab_storage_name": t.storage, "bareoslab_storage_port": t.sd_port,
               "bareoslab_storage_password": t.sd_password, "bareoslab_storage_devices": devices,
               "bareoslab_storage_pools": pools},
        "fd": {"ansible_host": t.host, "bareoslab_client_name": t.client, "bareoslab_client_port": t.fd_port,
               "bareoslab_client_password": t.fd_password, "bareoslab_client_connection": t.client_mode,
               "bareoslab_client_maximum_concurrent_jobs": client_jobs},
    }
    groups = {"directors": ["dir"], "catalogs": ["db"], "storages": ["sd"], "clients": ["fd"]}
    if t.sd2 is not None:
        groups["storages"].append("sd2")
        hostvars["sd2"] = {
            "ansible_host": t.host, "bareoslab_storage_name": t.sd2.name, "bareoslab_storage_port": t.sd2.port,
            "bareoslab_storage_password": t.sd2.password,
            "bareoslab_storage_devices": [_device("FileStorage2", "File2", sd2_storage_dir(t), 5)],
            "bareoslab_storage_pools": [{"name": "FullCopy", "label_format": "FullCopy-",
                                         "volume_retention": "365 days"}]}
    if t.fd2 is not None:
        groups["clients"].append("fd2")
        hostvars["fd2"] = {"ansible_host": t.host, "bareoslab_client_name": t.fd2.name,
                           "bareoslab_client_port": t.fd2.port, "bareoslab_client_password": t.fd2.password,
                           "bareoslab_client_connection": t.client_mode,
                           "bareoslab_client_maximum_concurrent_jobs": client_jobs}
    return Topology(groups, hostvars, Settings(director_name=t.director, director_port=t.dir_port))


def daemon_hosts(topo: Topology) -> dict[str, str]:
    """Every host that runs a daemon and the daemon (``sd``, ``fd``, ``dir``), in start
    order: the Director last, once the daemons it calls listen."""
    return {**{h: "sd" for h in topo.storages}, **{c.host: "fd" for c in topo.clients}, topo.director: "dir"}


def place(t: LocalTopology) -> Topology:
    """Place an inventory's topology on this machine: every daemon host gets a port and a
    password (kept in ``lab.json``); the lab's Director, first SD and first FD fields name
    them. The inventory is checked first."""
    assert t.inventory is not None
    inv = read_inventory(t.inventory)
    inv.check()
    for host in daemon_hosts(inv):
        if host not in t.ports:
            t.ports[host] = free_port(t.host)
        t.passwords.setdefault(host, _secret())
    topo = _placed(t, inv)
    first_sd, first_fd = topo.storage_daemon(topo.storages[0]), topo.clients[0]
    t.director, t.dir_port, t.console_password = topo.director_name, t.ports[topo.director], t.passwords[topo.director]
    t.storage, t.sd_port, t.sd_password = first_sd.name, first_sd.port, first_sd.password
    t.client, t.fd_port, t.fd_password = first_fd.name, first_fd.port, first_fd.password
    return topo


def placement_notes(t: LocalTopology) -> list[str]:
    """What an inventory's lab does differently on loopback."""
    if t.inventory is None:
        return []
    inv = read_inventory(t.inventory)
    notes = [f"{inv.catalog}: the catalog is {t.catalog.driver} here (see catalog below)"]
    notes += [f"{h}: certificate TLS in the inventory, TLS-PSK here (no lab CA on loopback)"
              for h in inv.hosts if inv.var(h, "bareoslab_common_tls_certificate", False) is True]
    return notes


def _placed(t: LocalTopology, inv: Topology) -> Topology:
    """The inventory's hosts on ``t.host`` with the lab's ports and passwords; each storage
    host's volume directories below ``storage/<host>/`` (devices that share one still do);
    TLS-PSK on every connection (certificate TLS needs the roles' lab CA)."""
    hostvars = {h: dict(v) for h, v in inv.hostvars.items()}
    for host in inv.hosts:
        hostvars.setdefault(host, {})["ansible_host"] = t.host
    for host, daemon in daemon_hosts(inv).items():
        role = {"dir": "director", "sd": "storage", "fd": "client"}[daemon]
        hostvars[host].pop(f"bareoslab_{role}_public_address", None)
        hostvars[host].pop("bareoslab_common_tls_certificate", None)  # no lab CA here: TLS-PSK
        hostvars[host][f"bareoslab_{role}_port"] = t.ports[host]
        hostvars[host][f"bareoslab_{role}_password"] = t.passwords[host]
    for host in inv.storages:
        hostvars[host]["bareoslab_storage_devices"] = [
            {**d, "archive_device": str(t.storage_dir / host / Path(d["archive_device"]).name)}
            for d in inv.var(host, "bareoslab_storage_devices", [])]
    return Topology(inv.groups, hostvars, replace(inv.settings, director_port=t.ports[inv.director]))


# -- each daemon's resources ---------------------------------------------------------------

Resources = list[tuple[str, dict[str, Any]]]


def _tls(t: LocalTopology, item: Mapping[str, Any]) -> dict[str, Any]:
    """A network resource with the lab's TLS directives (none for Bareos' default, TLS-PSK)."""
    return {**item, "tls_enable": False} if t.tls == "off" else dict(item)


def _copy_job(name: str, kind: str, next_pool: str, selection: str = "Job", pattern: str = "^backup$") -> dict[str, Any]:
    return {"name": name, "type": kind, "pool": "Full", "next_pool": next_pool, "storage": ["File"],
            "selection_type": selection, "selection_pattern": pattern, "messages": "Standard", "priority": 10,
            "maximum_concurrent_jobs": 10}


def director_resources(t: LocalTopology, topo: Topology) -> Resources:
    job_jobs = t.concurrency.job_jobs if t.concurrency else None
    work = t.working_dir(topo.director)
    c = t.catalog
    if t.inventory is not None:  # the jobs the roles deploy for this inventory
        pools = topo.pool_resources()
        jobs = topo.default_jobs(topo.client_resources(), pools, JobDefaults(restore_where=str(t.restore_dir)))
        jobdefs = {"name": "DefaultJob", "type": "Backup", "level": "Incremental", "fileset": "LabData",
                   "pool": pools[0]["name"] if pools else None, "messages": "Standard", "priority": 10}
    else:
        jobs, jobdefs = _own_jobs(t), {
            "name": "DefaultJob", "type": "Backup", "level": "Incremental", "client": t.client, "fileset": "LabData",
            "storage": ["File"], "pool": "Incremental", "full_backup_pool": "Full",
            "incremental_backup_pool": "Incremental", "differential_backup_pool": "Incremental",
            "messages": "Standard", "priority": 10, "maximum_concurrent_jobs": job_jobs}
    messages = "all, !skipped, !saved, !audit"
    return [
        ("Director", _tls(t, {"name": t.director, "password": t.console_password, "address": t.host,
                              "port": t.dir_port, "working_directory": str(work), "messages": "Daemon",
                              "maximum_concurrent_jobs": max(10, 2 * job_jobs) if job_jobs else 10})),
        ("Catalog", {"name": topo.settings.catalog_name, "db_driver": c.driver, "db_name": c.name, "db_user": c.user,
                     "db_password": c.password, "db_address": c.address or None, "db_port": c.port or None}),
        *(("Client", _tls(t, r)) for r in topo.client_resources()),
        *(("Storage", _tls(t, r)) for r in topo.storage_resources()),
        *(("Pool", r) for r in topo.pool_resources()),
        ("FileSet", {"name": "LabData", "include": [{"options": [{"signature": t.signature}],
                                                     "file": [str(t.fileset_dir)]}]}),
        ("Messages", {"name": "Standard", "console": messages, "append": f'"{work}/bareos.log" = {messages}',
                      "catalog": messages}),
        ("Messages", {"name": "Daemon", "console": messages, "append": f'"{work}/bareos.log" = all, !skipped, !audit'}),
        ("JobDefs", jobdefs),
        *(("Job", job) for job in jobs),
    ]


def _own_jobs(t: LocalTopology) -> list[dict[str, Any]]:
    """The lab's own jobs: ``backup``, ``RestoreFiles``, the copy/migrate jobs with a second
    SD, ``backup2`` with a second FD."""
    jobs: list[dict[str, Any]] = [
        {"name": "backup", "jobdefs": "DefaultJob"},
        {"name": "RestoreFiles", "type": "Restore", "client": t.client, "fileset": "LabData",
         "storage": ["File"], "pool": "Incremental", "messages": "Standard", "where": str(t.restore_dir)}]
    if t.sd2 is not None:
        jobs += [_copy_job("copy-local", "Copy", "LocalCopy"), _copy_job("migrate-local", "Migrate", "LocalCopy"),
                 _copy_job("copy-remote", "Copy", "FullCopy"), _copy_job("migrate-remote", "Migrate", "FullCopy")]
    if t.fd2 is not None:
        jobs.append({"name": "backup2", "jobdefs": "DefaultJob", "client": t.fd2.name})
    return jobs


def storage_resources(t: LocalTopology, topo: Topology, host: str) -> Resources:
    sd = topo.storage_daemon(host)
    return [
        ("Storage", _tls(t, {"name": sd.name, "address": t.host, "port": sd.port,
                             "working_directory": str(t.working_dir(host)),
                             "client_connect_wait": t.client_connect_wait})),
        *(("Director", _tls(t, r)) for r in topo.storage_directors(host)),
        ("Messages", {"name": "Standard", "director": f"{t.director} = all"}),
        *(("Device", {k: v for k, v in d.options.items() if k != "director_storage"}) for d in sd.devices),
    ]


def client_resources(t: LocalTopology, topo: Topology, host: str) -> Resources:
    client = topo.client(host)
    return [
        ("Client", _tls(t, {"name": client.name, "address": t.host, "port": client.port,
                            "working_directory": str(t.working_dir(host)),
                            "heartbeat_interval": t.client_heartbeat if client.initiates else None})),
        *(("Director", _tls(t, r)) for r in topo.client_directors(host)),
        ("Messages", {"name": "Standard", "director": f"{t.director} = all, !skipped, !restored"}),
    ]


# -- writing and checking ------------------------------------------------------------------


def _write_daemon(root: Path, daemon: str, resources: Resources, own_file: str | None = None) -> None:
    """A daemon's ``bareos-<daemon>.d``; its own resource in ``own_file`` when given (the FD's
    ``client/myself.conf``, as Bareos ships it)."""
    d = root / f"bareos-{daemon}.d"
    if own_file is None:
        write_resources(d, daemon, resources)
        return
    (rtype, item), rest = resources[0], resources[1:]
    _write(d / rtype.lower() / own_file, resource_text(daemon, rtype, item))
    write_resources(d, daemon, rest)


_write = write_private  # what tests use to add their own resource files


def check(configs: Iterable[tuple[Path, str]]) -> None:
    """Read every configuration written as its daemon will: the first error is raised."""
    for path, daemon in configs:
        load_config(path, daemon)


def started_here(t: LocalTopology) -> dict[str, str]:
    """The daemons ``bareoslab local`` and :mod:`.processes` start (host -> daemon): every
    daemon of an inventory's lab; of the lab's own, ``sd``, ``fd`` and ``dir`` (the parts a
    test adds run through :mod:`.topology_extra`)."""
    if t.inventory is not None:
        return daemon_hosts(topology(t))
    return {"sd": "sd", "fd": "fd", "dir": "dir"}


def daemon_names(t: LocalTopology) -> dict[str, str]:
    """host -> the name its daemon goes by (its own resource's Name)."""
    if t.inventory is None:
        return {"dir": t.director, "sd": t.storage, "fd": t.client}
    topo = topology(t)
    return {**{h: topo.storage_daemon(h).name for h in topo.storages}, **{c.host: c.name for c in topo.clients},
            topo.director: topo.director_name}


def director_host(t: LocalTopology) -> str:
    return topology(t).director if t.inventory is not None else "dir"


def backup_jobs(t: LocalTopology) -> dict[str, str]:
    """client -> the job that backs it up (an inventory's lab: ``backup-<client>``, as the roles)."""
    if t.inventory is None:
        return {t.client: "backup"}
    return {c.name: f"backup-{c.name}" for c in topology(t).clients}


def set_port(t: LocalTopology, host: str, port: int) -> None:
    """Move a daemon to another port (render again to take effect)."""
    if t.inventory is None:
        setattr(t, f"{host}_port", port)
    else:
        t.ports[host] = port
        place(t)


def port_of(t: LocalTopology, host: str) -> int:
    """The port the daemon of a host listens on."""
    own = {"dir": t.dir_port, "sd": t.sd_port, "fd": t.fd_port}
    return t.ports[host] if t.inventory is not None else own[host]


def render(t: LocalTopology) -> None:
    """Write every daemon's configuration and the console's, and read them back."""
    topo = topology(t)
    daemons = daemon_hosts(topo)
    for host, daemon in daemons.items():
        t.working_dir(host).mkdir(parents=True, exist_ok=True)
        if daemon == "dir":
            _write_daemon(t.etc / host, daemon, director_resources(t, topo))
        elif daemon == "sd":
            _write_daemon(t.etc / host, daemon, storage_resources(t, topo, host))
            for device in topo.devices(host):
                Path(device.archive_device).mkdir(parents=True, exist_ok=True)
        else:
            _write_daemon(t.etc / host, daemon, client_resources(t, topo, host), own_file="myself.conf")
    t.restore_dir.mkdir(parents=True, exist_ok=True)
    _write(t.etc / "bconsole.conf", resource_text("console", "Director", _tls(t, {
        "name": t.director, "address": t.host, "port": t.dir_port, "password": t.console_password})))
    try:
        check((t.etc / host, daemon) for host, daemon in daemons.items())
    except ConfigError as exc:
        raise ValueError(f"the lab's configuration does not read back: {exc}") from exc
