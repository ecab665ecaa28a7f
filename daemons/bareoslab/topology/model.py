"""The lab's topology, named once: hosts, clients and their connection modes, storages,
devices, pools, the catalog and the default jobs.

A :class:`Topology` is built from an inventory's groups (``directors``, ``catalogs``,
``storages``, ``clients``) and host variables, the same data the roles read. What the
Director must know of every other host (its Client, Storage, Pool, Catalog and default
Job resources) is derived here and nowhere else: the director role asks for it through
the ``bareoslab_topology`` filter, the loopback lab renders it, the deployed-lab helpers
and the container lab read hosts, pools and jobs from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import partial
from typing import Any

GROUPS = ("directors", "catalogs", "storages", "clients")
#: how a client connects (bareoslab_client_connection): the Director calls it, it calls the
#: Director (client-initiated), the SD calls it (passive), or both of the last two
CLIENT_CONNECTIONS = ("director", "client", "passive", "client+passive")
#: a Client resource's and a device's Maximum Concurrent Jobs unless set
CONCURRENT_JOBS = 5


class TopologyError(ValueError):
    """The inventory does not describe a topology the lab can deploy."""


@dataclass(frozen=True)
class Settings:
    """The shared names and ports a host falls back to (the ``bareoslab_common`` role's
    defaults: the roles pass their values, :func:`bareoslab.topology.inventory.role_settings`
    reads them from the role's defaults file)."""

    director_name: str = "bareos-dir"
    director_port: int = 9101
    client_port: int = 9102
    storage_port: int = 9103
    catalog_name: str = "MyCatalog"
    catalog_db_name: str = "bareos"
    catalog_db_user: str = "bareos"
    catalog_db_port: int = 5432
    tls_dir: str = "/etc/bareoslab/tls"
    config_root: str = "/etc/bareoslab"
    venv: str = "/opt/bareoslab/venv"

    @classmethod
    def from_vars(cls, variables: Mapping[str, Any], prefix: str = "bareoslab_common_") -> Settings:
        """Settings from ``<prefix><field>`` variables; fields not there keep their default."""
        known = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}
        for name in known:
            value = variables.get(prefix + name)
            if value is None or (isinstance(value, str) and "{{" in value):
                continue
            values[name] = int(value) if name.endswith("_port") else str(value)
        return replace(cls(), **values)


@dataclass(frozen=True)
class Client:
    host: str
    #: the Client resource (bareoslab_client_name, default ``<host>-fd``)
    name: str
    #: director | client | passive
    connection: str
    address: str = ""
    port: int = 0
    password: str = field(default="", repr=False)
    maximum_concurrent_jobs: int = CONCURRENT_JOBS

    @property
    def initiates(self) -> bool:
        """It connects to the Director (client-initiated)."""
        return "client" in self.connection.split("+")

    @property
    def passive(self) -> bool:
        """The Storage daemon connects to it."""
        return "passive" in self.connection.split("+")


@dataclass(frozen=True)
class Device:
    name: str
    #: the Director's Storage this device belongs to (default: its own name)
    storage: str
    media_type: str
    archive_device: str
    maximum_concurrent_jobs: int = CONCURRENT_JOBS
    #: every option of the device as the inventory gives it
    options: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class StorageDaemon:
    host: str
    #: its own Storage resource (bareoslab_storage_name, default ``<host>-sd``)
    name: str
    address: str
    port: int
    password: str = field(repr=False)
    devices: tuple[Device, ...]
    tls_certificate: bool = False

    def storages(self) -> dict[str, list[Device]]:
        """The Director's Storage names of this daemon and their devices, in order."""
        out: dict[str, list[Device]] = {}
        for device in self.devices:
            out.setdefault(device.storage, []).append(device)
        return out


@dataclass(frozen=True)
class Pool:
    name: str
    storage_host: str
    next_pool: str | None
    #: the pool's Storage (none given: its host's first device's)
    storage: tuple[str, ...] = ()
    #: every option of the pool as the inventory gives it
    options: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Catalog:
    host: str
    name: str
    db_name: str
    db_user: str
    db_password: str = field(repr=False)
    db_address: str
    db_port: int


@dataclass(frozen=True)
class JobDefaults:
    """What the default jobs need that the topology does not say (the director role's
    ``bareoslab_director_*`` settings)."""

    fileset: str = "LabData"
    #: the pool of RestoreFiles (none: the first pool)
    pool: str | None = None
    restore_where: str = "/var/lib/bareoslab/restores"
    copy_selection_type: str = "Job"
    copy_selection_pattern: str = "^backup-"
    jobdefs: str = "DefaultJob"
    messages: str = "Standard"


@dataclass(frozen=True)
class Topology:
    """Groups and host variables of an inventory, and what the lab makes of them."""

    groups: Mapping[str, list[str]]
    hostvars: Mapping[str, Mapping[str, Any]]
    settings: Settings = field(default_factory=Settings)

    # -- hosts ------------------------------------------------------------------------
    def one(self, group: str) -> str:
        hosts = self.groups.get(group, [])
        if len(hosts) != 1:
            raise TopologyError(f"group {group}: a topology needs exactly one host, found {len(hosts)}"
                                f"{' (' + ', '.join(hosts) + ')' if hosts else ''}")
        return hosts[0]

    @property
    def director(self) -> str:
        return self.one("directors")

    @property
    def catalog(self) -> str:
        return self.one("catalogs")

    @property
    def storages(self) -> list[str]:
        return list(self.groups.get("storages", []))

    @property
    def hosts(self) -> list[str]:
        """Every host of the topology once, in group order."""
        seen: dict[str, None] = {}
        for group in GROUPS:
            seen.update(dict.fromkeys(self.groups.get(group, [])))
        return list(seen)

    def var(self, host: str, name: str, default: Any) -> Any:
        """A host variable, ``default`` when the host does not set it."""
        value = self.hostvars.get(host, {}).get(name)
        return default if value is None else value

    def address(self, host: str, role: str) -> str:
        """Where the others reach a host's daemon (``bareoslab_<role>_public_address``,
        else ``ansible_host``, else the host's name)."""
        return str(self.var(host, f"bareoslab_{role}_public_address", self.var(host, "ansible_host", host)))

    def _password(self, host: str, name: str) -> str:
        value = self.hostvars.get(host, {}).get(name)
        if value is None or not str(value):
            raise TopologyError(f"{name} on host {host}: the password is missing or empty")
        return str(value)

    def check(self) -> None:
        """Every problem of the topology at once (the roles check it before any host
        changes, the loopback lab before it renders); raises :class:`TopologyError` with one
        line per problem."""
        problems: list[str] = []

        def look(step: Callable[[], object]) -> None:
            try:
                step()
            except TopologyError as exc:
                problems.append(str(exc))

        look(lambda: self._password(self.director, "bareoslab_director_password"))
        look(lambda: self.catalog_db)
        for host in self.groups.get("clients", []):
            look(partial(self._connection, host))
            look(partial(self._password, host, "bareoslab_client_password"))
        for host in self.storages:
            look(partial(self._devices_of, host))
            look(partial(self._password, host, "bareoslab_storage_password"))
        if problems:
            raise TopologyError("\n".join(problems))

    def _connection(self, host: str) -> str:
        connection = str(self.var(host, "bareoslab_client_connection", "director"))
        if connection not in CLIENT_CONNECTIONS:
            raise TopologyError(f"bareoslab_client_connection on host {host}: {connection!r} is not one "
                                f"of {', '.join(CLIENT_CONNECTIONS)}")
        return connection

    def _devices_of(self, host: str) -> tuple[Device, ...]:
        devices = self.devices(host)
        if not devices:
            raise TopologyError(f"bareoslab_storage_devices on host {host}: a storage needs at least one device")
        return devices

    # -- the parts --------------------------------------------------------------------
    @property
    def clients(self) -> list[Client]:
        out = []
        for host in self.groups.get("clients", []):
            connection = self._connection(host)
            out.append(Client(host, str(self.var(host, "bareoslab_client_name", f"{host}-fd")), connection,
                              self.address(host, "client"),
                              int(self.var(host, "bareoslab_client_port", self.settings.client_port)),
                              str(self.var(host, "bareoslab_client_password", "")),
                              int(self.var(host, "bareoslab_client_maximum_concurrent_jobs", CONCURRENT_JOBS))))
        return out

    def client(self, host: str) -> Client:
        for c in self.clients:
            if c.host == host:
                return c
        raise TopologyError(f"host {host} is no client of the topology")

    def devices(self, host: str) -> tuple[Device, ...]:
        return tuple(
            Device(str(d["name"]), str(d.get("director_storage") or d["name"]), str(d.get("media_type", "File")),
                   str(d.get("archive_device", "")),
                   int(d.get("maximum_concurrent_jobs") or CONCURRENT_JOBS), dict(d))
            for d in self.var(host, "bareoslab_storage_devices", [])
        )

    def storage_daemon(self, host: str) -> StorageDaemon:
        return StorageDaemon(host, str(self.var(host, "bareoslab_storage_name", f"{host}-sd")),
                             self.address(host, "storage"),
                             int(self.var(host, "bareoslab_storage_port", self.settings.storage_port)),
                             str(self.var(host, "bareoslab_storage_password", "")), self.devices(host),
                             _bool(self.var(host, "bareoslab_common_tls_certificate", False)))

    @property
    def storage_daemons(self) -> list[StorageDaemon]:
        return [self.storage_daemon(host) for host in self.storages]

    @property
    def pools(self) -> dict[str, Pool]:
        return {
            str(pool["name"]): Pool(str(pool["name"]), host, pool.get("next_pool") or None,
                                    tuple(pool.get("storage") or ()), dict(pool))
            for host in self.storages
            for pool in self.var(host, "bareoslab_storage_pools", [])
        }

    def copy_pools(self, remote: bool) -> list[Pool]:
        """Pools with a Next Pool on the same storage host (local) or another one (remote)."""
        pools = self.pools
        return [
            p for p in pools.values()
            if p.next_pool in pools and (pools[p.next_pool].storage_host != p.storage_host) == remote
        ]

    def backup_pools(self, most: int = 2) -> list[Pool]:
        """Up to ``most`` pools of the first storage host's default Storage that are no copy's
        target: where backups of several clients go at the same time (one device per pool:
        Storage File has two)."""
        pools = self.pools
        targets = {p.next_pool for p in pools.values()}
        first = self.storages[0] if self.storages else ""
        return [p for p in pools.values()
                if p.storage_host == first and not p.storage and p.name not in targets][:most]

    def volume_dirs(self, host: str) -> list[str]:
        return [d.archive_device for d in self.devices(host)]

    @property
    def catalog_db(self) -> Catalog:
        host, s = self.catalog, self.settings
        return Catalog(host, s.catalog_name, str(self.var(host, "bareoslab_catalog_db_name", s.catalog_db_name)),
                       str(self.var(host, "bareoslab_catalog_db_user", s.catalog_db_user)),
                       self._password(host, "bareoslab_catalog_db_password"), self.address(host, "catalog"),
                       int(self.var(host, "bareoslab_catalog_db_port", s.catalog_db_port)))

    # -- the Director's resources -----------------------------------------------------
    def client_resources(self) -> list[dict[str, Any]]:
        """One Client resource per host in group clients."""
        return [{
            "name": c.name, "address": c.address, "port": c.port,
            "password": self._password(c.host, "bareoslab_client_password"),
            "catalog": self.settings.catalog_name,
            "passive": c.passive,
            "connection_from_client_to_director": c.initiates,
            "connection_from_director_to_client": not c.initiates,
            "maximum_concurrent_jobs": c.maximum_concurrent_jobs,
        } for c in self.clients]

    # -- what the other daemons know of the Director ----------------------------------
    @property
    def director_name(self) -> str:
        return self.settings.director_name

    def director_endpoint(self) -> tuple[str, int]:
        """Where a client-initiated File daemon reaches the Director."""
        host = self.director
        return self.address(host, "director"), int(self.var(host, "bareoslab_director_port",
                                                            self.settings.director_port))

    def storage_directors(self, host: str) -> list[dict[str, Any]]:
        """The Director resource of a Storage daemon: who may command it, with its password."""
        return [{"name": self.director_name, "password": self._password(host, "bareoslab_storage_password")}]

    def client_directors(self, host: str) -> list[dict[str, Any]]:
        """The Director resource of a File daemon; a client-initiated one also says where
        the Director is and that the client calls it."""
        client = self.client(host)
        director: dict[str, Any] = {"name": self.director_name,
                                    "password": self._password(host, "bareoslab_client_password")}
        if client.initiates:
            address, port = self.director_endpoint()
            director.update(address=address, port=port, connection_from_client_to_director=True,
                            connection_from_director_to_client=False)
        return [director]

    def storage_resources(self) -> list[dict[str, Any]]:
        """One Storage per Director storage name of every storage host: the devices that
        share it are its devices, its Maximum Concurrent Jobs is the sum of theirs (the SD
        picks the device, as in Bareos); a host with a certificate of the lab CA is verified."""
        out = []
        for sd in self.storage_daemons:
            self._devices_of(sd.host)
            password = self._password(sd.host, "bareoslab_storage_password")
            for name, devices in sd.storages().items():
                resource: dict[str, Any] = {
                    "name": name, "address": sd.address, "port": sd.port, "password": password,
                    "device": [d.name for d in devices], "media_type": devices[0].media_type,
                    "maximum_concurrent_jobs": sum(d.maximum_concurrent_jobs for d in devices),
                }
                if sd.tls_certificate:
                    resource.update(tls_ca_certificate_file=f"{self.settings.tls_dir}/ca.pem", tls_verify_peer=True)
                out.append(resource)
        return out

    def pool_resources(self) -> list[dict[str, Any]]:
        """The pools of every storage host; Storage defaults to its host's first device's."""
        out = []
        for sd in self.storage_daemons:
            first = [sd.devices[0].storage] if sd.devices else [None]
            for pool in self.var(sd.host, "bareoslab_storage_pools", []):
                out.append({"pool_type": "Backup", "storage": first, **pool})
        return out

    def catalog_resources(self) -> list[dict[str, Any]]:
        c = self.catalog_db
        return [{"name": c.name, "db_driver": "postgresql", "db_name": c.db_name, "db_user": c.db_user,
                 "db_password": c.db_password, "db_address": c.db_address, "db_port": c.db_port}]

    def default_jobs(self, clients: Iterable[Mapping[str, Any]], pools: Iterable[Mapping[str, Any]],
                     defaults: JobDefaults) -> list[dict[str, Any]]:
        """``backup-<client>`` per client, ``RestoreFiles``, ``copy-<pool>``/``migrate-<pool>``
        per pool with a Next Pool."""
        clients, pools = list(clients), list(pools)
        jobs: list[dict[str, Any]] = [{"name": f"backup-{c['name']}", "jobdefs": defaults.jobdefs,
                                       "client": c["name"]} for c in clients]
        if clients:
            jobs.append({"name": "RestoreFiles", "type": "Restore", "client": clients[0]["name"],
                         "fileset": defaults.fileset, "pool": defaults.pool or (pools[0]["name"] if pools else None),
                         "messages": defaults.messages, "where": defaults.restore_where})
        for pool in pools:
            if not pool.get("next_pool"):
                continue
            for kind in ("Copy", "Migrate"):
                jobs.append({"name": f"{kind.lower()}-{pool['name']}", "type": kind, "pool": pool["name"],
                             "selection_type": defaults.copy_selection_type,
                             "selection_pattern": defaults.copy_selection_pattern,
                             "messages": defaults.messages, "priority": 10, "maximum_concurrent_jobs": 10})
        return jobs


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("yes", "true", "1", "on")
    return bool(value)
