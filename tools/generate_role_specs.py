"""The roles' ``meta/argument_specs.yml`` and ``vars/schema.yml``, generated from the config schema.

``make specs`` (``python tools/generate_role_specs.py``) rewrites them; ``tests/roles/test_specs.py``
checks that the
files in the repository equal what this module generates, so they cannot drift from
``bareoslab.config.schema.SCHEMAS``.

Option names are the snake case of the directive names (``Maximum Concurrent Jobs`` ->
``maximum_concurrent_jobs``). The main resource of a daemon (Director, Storage, Client)
becomes top-level variables ``bareoslab_<role>_<directive>``; every other resource type
becomes a list variable ``bareoslab_<role>_<list>`` of dicts with one option per directive.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from bareoslab.config.schema import MAIN_RESOURCE, SCHEMAS, Directive
from bareoslab.config.types import snake
from bareoslab.config.writer import kind

ROOT = Path(__file__).resolve().parents[1]
ROLES = ROOT / "roles"

#: role -> daemon
DAEMON = {"bareoslab_director": "dir", "bareoslab_storage": "sd", "bareoslab_client": "fd"}
#: role -> resource type -> list variable (without the role prefix)
LISTS: dict[str, dict[str, str]] = {
    "bareoslab_director": {
        "Client": "clients",
        "JobDefs": "jobdefs",
        "Job": "jobs",
        "Storage": "storages",
        "Catalog": "catalogs",
        "Schedule": "schedules",
        "FileSet": "filesets",
        "Pool": "pools",
        "Messages": "messages_resources",
        "Counter": "counters",
        "Profile": "profiles",
        "Console": "consoles",
        "User": "users",
    },
    "bareoslab_storage": {
        "Director": "directors",
        "Ndmp": "ndmp_resources",
        "Device": "devices",
        "Messages": "messages_resources",
        "Autochanger": "autochangers",
    },
    "bareoslab_client": {"Director": "directors", "Messages": "messages_resources"},
}
#: extra keys of list items that are not directives (the roles read them, templates skip them)
EXTRA_ITEM_OPTIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("bareoslab_storage", "Device"): {
        "director_storage": {
            "type": "str",
            "description": "Name of the Director's Storage resource for this device "
            "(default: the device name).",
        },
    },
}
#: how templates write a value (value: quoted/bool/number; raw: as written; block: nested
#: ``Name { ... }`` blocks) is bareoslab.config.writer.kind, the Python writer's rule
LIST_TYPES = {"string_list", "acl", "ref_list", "directory_list", "plugin_names", "schedule_run"}

RUNSCRIPT_OPTIONS = {
    "command": {"type": "str", "description": "Shell command."},
    "console": {"type": "str", "description": "Console command instead of a shell command."},
    "runs_when": {"type": "str", "choices": ["Never", "Before", "After", "Always", "AfterVSS"]},
    "runs_on_client": {"type": "bool"},
    "runs_on_success": {"type": "bool"},
    "runs_on_failure": {"type": "bool"},
    "fail_job_on_error": {"type": "bool"},
}
INCLUDE_OPTIONS = {
    "options": {
        "type": "list",
        "elements": "dict",
        "description": "Options blocks: option name in snake case -> value "
        "(signature: MD5, hard_links: true, wild: ...).",
    },
    "file": {"type": "list", "elements": "str", "description": "Files and directories."},
    "plugin": {"type": "list", "elements": "str", "description": "Plugin strings (Include only)."},
    "exclude_dir_containing": {
        "type": "list",
        "elements": "str",
        "description": "Skip directories holding this file (Include only).",
    },
}


def option_name(directive: Directive) -> str:
    return snake(directive.name)


def option_spec(directive: Directive) -> dict[str, Any]:
    """The argument spec of one directive."""
    name = directive.type.name
    doc = directive.doc or f"Bareos directive {directive.name}."
    spec: dict[str, Any] = {"description": f"{directive.name}: {doc}"}
    if name == "bool":
        spec["type"] = "bool"
    elif name == "int":
        spec["type"] = "int"
    elif name == "enum":
        spec["type"] = "str"
        spec["choices"] = list(directive.type.choices)
    elif name in LIST_TYPES:
        spec["type"] = "list"
        spec["elements"] = "str"
    elif name == "runscript":
        spec.update(type="list", elements="dict", options=dict(RUNSCRIPT_OPTIONS))
    elif name == "include_exclude":
        spec.update(type="list", elements="dict", options=dict(INCLUDE_OPTIONS))
    elif name in ("duration", "size", "speed", "messages_destination", "addresses"):
        spec["type"] = "raw"
    else:  # string, name, strname, directory, password, ref, short_runscript
        spec["type"] = "str"
    if name in ("password", "clear_password"):
        spec["no_log"] = True
    return spec


def resource_options(directives: list[Directive]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for directive in directives:
        spec = option_spec(directive)
        if directive.required and directive.name == "Name":
            spec["required"] = True
        options[option_name(directive)] = spec
    return options


#: role -> (variable suffix, daemon, resource types: None for all) of the schemas its templates use
SCHEMA_VARS: dict[str, list[tuple[str, str, tuple[str, ...] | None]]] = {
    "bareoslab_director": [("schema", "dir", None), ("console_schema", "console", None)],
    "bareoslab_storage": [("schema", "sd", None)],
    "bareoslab_client": [("schema", "fd", None)],
    # the two resources bareoslab-catalog reads the connection from
    "bareoslab_catalog": [("schema", "dir", ("Director", "Catalog"))],
}


def schema_vars(role: str) -> dict[str, Any]:
    """``__bareoslab_<role>_schema``: resource type -> option -> [spelling, kind]."""
    return {
        f"__{role}_{suffix}": {
            rtype: {option_name(d): [d.name, kind(d, daemon, rtype)] for d in directives}
            for rtype, directives in SCHEMAS[daemon].items()
            if rtypes is None or rtype in rtypes
        }
        for suffix, daemon, rtypes in SCHEMA_VARS[role]
    }


def generated_options(role: str) -> dict[str, Any]:
    """The options of the role's argument spec that come from the schema."""
    daemon = DAEMON[role]
    prefix = role + "_"
    options: dict[str, Any] = {}
    main = MAIN_RESOURCE[daemon]
    for directive in SCHEMAS[daemon][main]:
        options[prefix + option_name(directive)] = option_spec(directive)
    for rtype, listname in LISTS[role].items():
        item_options = resource_options(list(SCHEMAS[daemon][rtype]))
        item_options.update(EXTRA_ITEM_OPTIONS.get((role, rtype), {}))
        key = prefix + listname
        if key in options:
            raise ValueError(f"{key} is both a {main} directive and a {rtype} list")
        options[key] = {
            "type": "list",
            "elements": "dict",
            "description": f"{rtype} resources, one dict per resource: directive names in snake case.",
            "options": item_options,
        }
    if role == "bareoslab_storage":
        options[prefix + "pools"] = {
            "type": "list",
            "elements": "dict",
            "description": "The Director's Pool resources that write to this storage "
            "(Storage defaults to the Storage resource of the first device).",
            "options": resource_options(list(SCHEMAS["dir"]["Pool"])),
        }
    return options


def role_options(role: str) -> dict[str, Any]:
    """The hand-written options of the role (``meta/argument_specs.d/role.yml``)."""
    path = ROLES / role / "meta" / "role_options.yml"
    return yaml.safe_load(path.read_text()) or {}


HEADER = "# Generated by tools/generate_role_specs.py from bareoslab.config.schema: do not edit.\n"


def argument_specs(role: str) -> dict[str, Any]:
    hand = role_options(role)
    options = dict(hand.get("options", {}))
    if role in DAEMON:
        for key, spec in generated_options(role).items():
            options.setdefault(key, spec)
    return {
        "argument_specs": {
            "main": {
                "short_description": hand["short_description"],
                "description": hand.get("description", []),
                "options": options,
            }
        }
    }


class _Dumper(yaml.SafeDumper):
    """Indents sequences inside mappings, as yamllint (ansible-lint) wants."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def dump(data: dict[str, Any]) -> str:
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True)
    return "---\n" + HEADER + text


def _default(value: Any) -> str:
    """A default as the README shows it: YAML on one line, long ones cut."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6, allow_unicode=True).strip()
    text = text.removesuffix("...").strip()
    return text if len(text) <= 60 else text[:57] + "..."


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def readme(role: str) -> str:
    """The role's README: what it does, every variable with its default, an example playbook."""
    hand = role_options(role)
    spec = argument_specs(role)["argument_specs"]["main"]
    defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text()) or {}
    lines = [f"# {role}", "", f"{spec['short_description']}.", ""]
    lines += [" ".join(d.split()) for d in spec["description"]] + [""]
    lines += [
        "## Variables",
        "",
        "Every variable with its default (`defaults/main.yml`); `meta/argument_specs.yml` has their",
        "types and the options of list items. A directive of the daemon's own resource is the",
        "variable of its name in snake case; one left unset takes Bareos' default.",
        "",
        "| Variable | Default | Description |",
        "|---|---|---|",
    ]
    for name, option in spec["options"].items():
        if name in defaults:
            default = f"`{_cell(_default(defaults[name]))}`"
        else:
            default = "required" if option.get("required") else "unset"
        lines.append(f"| `{name}` | {default} | {_cell(option.get('description', ''))} |")
    lines += ["", "## Example playbook", "", "```yaml", hand.get("example", "").rstrip("\n"), "```", ""]
    lines += [
        "Generated by `tools/generate_role_specs.py` (`make specs`) from `meta/role_options.yml`,",
        "`defaults/main.yml` and the configuration schema: edit those, not this file.",
        "",
    ]
    return "\n".join(lines)


def files() -> dict[Path, str]:
    """Generated path -> content."""
    out: dict[Path, str] = {}
    for role in sorted(
        p.name for p in ROLES.iterdir() if (p / "meta" / "role_options.yml").exists()
    ):
        out[ROLES / role / "meta" / "argument_specs.yml"] = dump(argument_specs(role))
        out[ROLES / role / "README.md"] = readme(role)
        if role in SCHEMA_VARS:
            out[ROLES / role / "vars" / "schema.yml"] = dump(schema_vars(role))
    return out


def main() -> int:
    for path, text in files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
