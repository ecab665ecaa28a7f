"""Resources as Bareos configuration text, spelled by the schema.

A resource is a mapping of option names (the snake case of a directive's name:
``maximum_concurrent_jobs``) to values; :func:`resource_text` writes every option the
schema knows in the schema's order and spelling, as the roles' ``bareos_resource.j2`` does:
strings quoted (a name or a reference of one word bare, as in Bareos' own configurations),
booleans ``yes``/``no``, numbers bare; a list repeats the directive; raw
values (Messages destinations, Schedule ``Run``, addresses, durations, sizes, speeds and a
daemon's own ``Address``, which Bareos reads only unquoted) are written as given; blocks
(RunScript, FileSet Include/Exclude) nest, their keys spelled from snake case. An option
the schema does not know is an error, not a silent omission.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from bareoslab.config.schema import MAIN_RESOURCE, SCHEMAS, Directive
from bareoslab.config.types import snake

#: value types written as given: their text is already Bareos syntax, or Bareos reads them
#: only unquoted (a duration such as ``365 days``, a size, a speed)
RAW_TYPES = frozenset({"messages_destination", "schedule_run", "addresses", "duration", "size", "speed"})
#: value types written as nested blocks
BLOCK_TYPES = frozenset({"runscript", "include_exclude"})
#: value types whose one-word values are written bare, as Bareos' own configurations do
#: (``Messages = Daemon``, ``Media Type = File``, ``Maximum Volume Bytes = 50G``)
WORD_TYPES = frozenset({"name", "strname", "ref", "ref_list", "string_list", "enum"})
_WORD = re.compile(r"[A-Za-z0-9_.:/+@-]+")


def kind(directive: Directive, daemon: str = "", rtype: str = "") -> str:
    """How a directive's value is written: ``value`` (quoted unless a bare word is allowed),
    ``raw`` (as given) or ``block``. A daemon's own ``Address`` (what it listens on) is raw:
    Bareos reads it only unquoted."""
    name = directive.type.name
    if name in RAW_TYPES or (directive.name == "Address" and rtype == MAIN_RESOURCE.get(daemon)):
        return "raw"
    return "block" if name in BLOCK_TYPES else "value"


def scalar(value: Any, bare_word: bool = False) -> str:
    """A value as Bareos reads it: yes/no, a number, a word (when allowed), else quoted."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if bare_word and _WORD.fullmatch(str(value)):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _each(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _block(spelling: str, data: Mapping[str, Any], indent: str) -> list[str]:
    lines = [f"{indent}{spelling} {{"]
    for key, value in data.items():
        if value is None:
            continue
        name = key.replace("_", " ").title()
        for one in _each(value):
            if isinstance(one, Mapping):
                lines += _block(name, one, indent + "  ")
            else:
                lines.append(f"{indent}  {name} = {scalar(one)}")
    lines.append(f"{indent}}}")
    return lines


def resource_text(daemon: str, rtype: str, item: Mapping[str, Any]) -> str:
    """One resource of ``daemon`` (``dir``, ``sd``, ``fd``, ``console``) as text."""
    directives = SCHEMAS[daemon][rtype]
    known = {snake(d.name): d for d in directives}
    unknown = [key for key in item if key not in known]
    if unknown:
        raise ValueError(f"{rtype} {item.get('name', '?')!r}: no such directive in a {daemon} {rtype}: "
                          f"{', '.join(unknown)}")
    lines = [f"{rtype} {{"]
    for option, directive in known.items():
        value = item.get(option)
        if value is None:
            continue
        how = kind(directive, daemon, rtype)
        for one in _each(value):
            if how == "block":
                lines += _block(directive.name, one, "  ")
            elif how == "raw":
                lines.append(f"  {directive.name} = {one}")
            else:
                lines.append(f"  {directive.name} = {scalar(one, directive.type.name in WORD_TYPES)}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_private(path: Path, text: str) -> None:
    """A configuration file, its directory made, readable by its owner only (it may hold passwords)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)


def write_resources(root: Path, daemon: str, resources: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
    """Each resource to ``root/<type in lower case>/<name>.conf`` (Bareos' ``bareos-<d>.d``
    layout) with :func:`write_private`."""
    for rtype, item in resources:
        write_private(root / rtype.lower() / f"{item['name']}.conf", resource_text(daemon, rtype, item))
