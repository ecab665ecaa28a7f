"""The topology as bareoslab's topology model sees it.

``groups | bareoslab_topology_problems(hostvars, settings)``: every problem of the
inventory's topology (empty: none); ``groups | bareoslab_topology(hostvars, settings)``: the
Client, Storage, Pool and Catalog resources the Director needs of the other hosts;
``groups | bareoslab_client_director(hostvars, host, settings)``: a File daemon's Director
resource; ``groups | bareoslab_director_endpoint(hostvars, settings)``: where the Director is; ``clients | bareoslab_default_jobs(pools, defaults)``: the default Job resources. The model (``bareoslab.topology``) is the package the playbook's
Python runs with: the one place the topology is derived, for the roles as for the labs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

try:
    from bareoslab.topology import JobDefaults, Settings, Topology, TopologyError
    from bareoslab.topology.model import GROUPS
except ImportError as exc:  # pragma: no cover - depends on the controller
    _IMPORT_ERROR: ImportError | None = exc
else:
    _IMPORT_ERROR = None


def _require() -> None:
    if _IMPORT_ERROR is not None:
        raise AnsibleFilterError(
            f"bareoslab_topology: the bareoslab package is not importable by the controller's Python "
            f"({_IMPORT_ERROR}); run the playbooks from the project's virtual environment "
            "(make venv) or pip install the project there")


def _plain(value: Any) -> Any:
    """Ansible's lazy containers as plain dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _topology(groups: Mapping[str, Any], hostvars: Mapping[str, Any], settings: Mapping[str, Any]) -> Topology:
    _require()
    # the host variables the model reads (hostvars are lazy: only these are templated)
    wanted = ("ansible_host", "bareoslab_director_password", "bareoslab_director_port",
              "bareoslab_director_public_address", "bareoslab_client_name", "bareoslab_client_connection",
              "bareoslab_client_port", "bareoslab_client_password", "bareoslab_client_public_address",
              "bareoslab_client_maximum_concurrent_jobs", "bareoslab_storage_name", "bareoslab_storage_port",
              "bareoslab_storage_password", "bareoslab_storage_public_address", "bareoslab_storage_devices",
              "bareoslab_storage_pools", "bareoslab_common_tls_certificate", "bareoslab_catalog_db_name",
              "bareoslab_catalog_db_user", "bareoslab_catalog_db_password", "bareoslab_catalog_db_port",
              "bareoslab_catalog_public_address")
    hosts = {h for g in GROUPS for h in groups.get(g, [])}
    plain = {h: {k: _plain(hostvars[h][k]) for k in wanted if k in hostvars[h]} for h in hosts}
    return Topology({g: list(groups.get(g, [])) for g in GROUPS}, plain, Settings.from_vars(_plain(settings), prefix=""))


def bareoslab_topology(groups: Mapping[str, Any], hostvars: Mapping[str, Any],
                       settings: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The Director's resources for the other hosts of the inventory."""
    try:
        t = _topology(groups, hostvars, settings)
        return {"clients": t.client_resources(), "storages": t.storage_resources(),
                "pools": t.pool_resources(), "catalogs": t.catalog_resources() if groups.get("catalogs") else []}
    except TopologyError as exc:
        raise AnsibleFilterError(f"bareoslab_topology: {exc}") from exc


def bareoslab_topology_problems(groups: Mapping[str, Any], hostvars: Mapping[str, Any],
                                settings: Mapping[str, Any]) -> list[str]:
    """Every problem of the topology, one line each (none: an empty list)."""
    try:
        _topology(groups, hostvars, settings).check()
    except TopologyError as exc:
        return str(exc).splitlines()
    return []


def bareoslab_client_director(groups: Mapping[str, Any], hostvars: Mapping[str, Any], host: str,
                              settings: Mapping[str, Any]) -> dict[str, Any]:
    """The Director resource of a File daemon (client-initiated: where the Director is)."""
    try:
        (director,) = _topology(groups, hostvars, settings).client_directors(host)
    except TopologyError as exc:
        raise AnsibleFilterError(f"bareoslab_client_director: {exc}") from exc
    return director


def bareoslab_director_endpoint(groups: Mapping[str, Any], hostvars: Mapping[str, Any],
                                settings: Mapping[str, Any]) -> list[Any]:
    """[address, port] where the others reach the Director."""
    try:
        return list(_topology(groups, hostvars, settings).director_endpoint())
    except TopologyError as exc:
        raise AnsibleFilterError(f"bareoslab_director_endpoint: {exc}") from exc


def bareoslab_default_jobs(clients: list[Mapping[str, Any]], pools: list[Mapping[str, Any]],
                           defaults: Mapping[str, Any]) -> list[dict[str, Any]]:
    """backup-<client> per client, RestoreFiles, copy-/migrate-<pool> per pool with a Next Pool."""
    _require()
    return Topology({}, {}).default_jobs(_plain(clients), _plain(pools), JobDefaults(**_plain(defaults)))


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"bareoslab_topology": bareoslab_topology, "bareoslab_topology_problems": bareoslab_topology_problems,
                "bareoslab_client_director": bareoslab_client_director,
                "bareoslab_director_endpoint": bareoslab_director_endpoint,
                "bareoslab_default_jobs": bareoslab_default_jobs}
