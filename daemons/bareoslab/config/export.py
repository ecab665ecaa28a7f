"""A loaded configuration written back out, and the schema as JSON: what Bareos' daemons
print for ``-xc`` and ``-xs``.

``export_config`` writes each resource with the directives set in the configuration (not
the defaults), spelled by the schema; read back, it is the same configuration. Passwords
the daemon keeps as MD5 are written ``[md5]<hex>``, which every Bareos daemon reads as the
hash it is. ``schema_json`` follows the shape of Bareos' ``PrintConfigSchemaJson``: per
resource type each directive (and alias) with its data type, default, whether it is
required or deprecated, and its description.
"""

from __future__ import annotations

from typing import Any

from ..version import VERSION
from .blocks import MessageDestination
from .model import Config, FileSetResource, Resource
from .schema import SCHEMAS, resource_type
from .types import snake
from .writer import kind, resource_text, scalar

COMPONENTS = {"dir": "bareos-dir", "sd": "bareos-sd", "fd": "bareos-fd", "console": "bconsole"}
#: the lab's value types by Bareos' data type names
DATATYPES = {
    "string": "STRING", "name": "NAME", "strname": "STRNAME", "bool": "BOOLEAN", "int": "PINT32",
    "duration": "TIME", "size": "SIZE64", "speed": "SPEED", "password": "MD5PASSWORD",
    "clear_password": "CLEARPASSWORD", "ref": "RES", "ref_list": "ALIST_RES", "string_list": "ALIST_STR",
    "directory": "DIRECTORY", "directory_list": "ALIST_DIR", "addresses": "ADDRESSES",
    "messages_destination": "MSGS", "schedule_run": "RUN", "runscript": "RUNSCRIPT",
    "include_exclude": "INCEXC", "enum": "ENUM",
}  # fmt: skip


def destination_text(dest: MessageDestination) -> str:
    """``all, !skipped`` or ``"address" = all, !skipped``: how a destination line reads."""
    types = ", ".join(dest.types)
    return types if dest.address is None else f"{scalar(dest.address)} = {types}"


def _item(daemon: str, res: Resource) -> dict[str, Any]:
    item: dict[str, Any] = {}
    shared: set[str] = set()  # directives stored together (a Messages resource's destinations)
    for directive in SCHEMAS[daemon][res.rtype]:
        if not res.is_set(directive.name) or directive.key in shared:
            continue
        value = res.get(directive.name)
        if directive.type.store_key:
            shared.add(directive.key)
        if directive.type.name == "messages_destination":
            for dest in value:
                item.setdefault(snake(dest.dest), []).append(destination_text(dest))
            continue
        if directive.type.name == "password":
            value = f"[md5]{value}"
        item[snake(directive.name)] = value
    return item


def export_config(cfg: Config, daemon: str, rtype_name: str = "", name: str = "") -> str:
    """The resources of ``cfg`` in Bareos syntax, types in the schema's order; only those of
    one type (any spelling) and of one name when given."""
    wanted = resource_type(daemon, rtype_name) if rtype_name else None
    if rtype_name and wanted is None:
        raise ValueError(f'no resource type "{rtype_name}" in a {COMPONENTS[daemon]} configuration')
    parts = []
    for rtype in SCHEMAS[daemon]:
        if wanted is not None and rtype != wanted:
            continue
        for res in cfg.resources(rtype):
            if name and res.name != name:
                continue
            if isinstance(res, FileSetResource):
                parts.append(res.fileset_text())
            else:
                parts.append(resource_text(daemon, rtype, _item(daemon, res)))
    return "\n".join(parts)


def schema_json(daemon: str) -> dict[str, Any]:
    """The configuration schema of ``daemon`` in the shape of Bareos' ``-xs``."""
    component = COMPONENTS[daemon]
    resources: dict[str, Any] = {}
    for rtype, directives in SCHEMAS[daemon].items():
        items: dict[str, Any] = {}
        for directive in directives:
            entry: dict[str, Any] = {
                "datatype": DATATYPES.get(directive.type.name, directive.type.name.upper()),
                "code": 0,
            }
            if directive.default is not None:
                default = directive.default
                entry["default_value"] = ("yes" if default else "no") if isinstance(default, bool) else str(default)
            if directive.deprecated:
                entry["deprecated"] = True
            entry["equals"] = not directive.type.no_equals and kind(directive, daemon, rtype) != "block"
            if directive.required:
                entry["required"] = True
            if directive.doc:
                entry["description"] = directive.doc
            items[directive.name] = entry
            for alias in directive.aliases:
                items[alias] = {
                    **{k: v for k, v in entry.items() if k != "description"},
                    "alias": True,
                    "description": f'This is an alias for "{directive.name}", use "{directive.name}" instead.',
                }
        resources[rtype] = items
    return {"format-version": 2, "component": component, "version": VERSION, "resource": {component: resources}}
