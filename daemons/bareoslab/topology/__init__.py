"""One topology model: read from an inventory, named once (:mod:`.model`, :mod:`.inventory`)."""

from .inventory import from_ansible_inventory, read_inventory, role_settings
from .model import (
    CLIENT_CONNECTIONS,
    Catalog,
    Client,
    Device,
    JobDefaults,
    Pool,
    Settings,
    StorageDaemon,
    Topology,
    TopologyError,
)

__all__ = [
    "CLIENT_CONNECTIONS",
    "Catalog",
    "Client",
    "Device",
    "JobDefaults",
    "Pool",
    "Settings",
    "StorageDaemon",
    "Topology",
    "TopologyError",
    "from_ansible_inventory",
    "read_inventory",
    "role_settings",
]
