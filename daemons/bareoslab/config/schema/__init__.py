"""Resource schemas of the four programs, as data.

``SCHEMAS[daemon][resource type]`` is the list of :class:`Directive` of that resource
type (``daemon`` is ``dir``, ``sd``, ``fd`` or ``console``). Other tools (argument
specs, templates) read it; the parser reads it through :func:`resource_schema`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from bareoslab.config.schema import console, dir, fd, sd
from bareoslab.config.schema.directive import Directive
from bareoslab.config.types import keyword

__all__ = [
    "DAEMONS",
    "MAIN_RESOURCE",
    "RESOURCE_ALIASES",
    "SCHEMAS",
    "Directive",
    "ResourceSchema",
    "resource_schema",
    "resource_type",
]

#: daemon -> resource type -> directives
SCHEMAS: Mapping[str, Mapping[str, Sequence[Directive]]] = MappingProxyType(
    {
        "dir": MappingProxyType(dir.RESOURCES),
        "sd": MappingProxyType(sd.RESOURCES),
        "fd": MappingProxyType(fd.RESOURCES),
        "console": MappingProxyType(console.RESOURCES),
    }
)
DAEMONS = tuple(SCHEMAS)
#: daemon -> other names of resource types -> canonical name
RESOURCE_ALIASES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {"dir": {}, "sd": {}, "fd": fd.RESOURCE_ALIASES, "console": {}}
)
#: the resource that describes the program itself (exactly one; bconsole: at least one)
MAIN_RESOURCE: Mapping[str, str] = MappingProxyType(
    {"dir": "Director", "sd": "Storage", "fd": "Client", "console": "Director"}
)


@dataclass(frozen=True)
class ResourceSchema:
    """The directives of one resource type, indexed for the parser and for resources."""

    daemon: str
    rtype: str
    directives: tuple[Directive, ...]
    #: keyword of every name and alias -> directive
    by_keyword: Mapping[str, Directive] = field(init=False)
    #: attribute (snake case or store key) -> first directive stored there
    by_key: Mapping[str, Directive] = field(init=False)

    def __post_init__(self) -> None:
        by_keyword: dict[str, Directive] = {}
        by_key: dict[str, Directive] = {}
        for directive in self.directives:
            for spelling in (directive.name, *directive.aliases):
                word = keyword(spelling)
                if word in by_keyword:
                    raise ValueError(f"{self.daemon} {self.rtype}: {spelling} defined twice")
                by_keyword[word] = directive
            by_key.setdefault(directive.key, directive)
        object.__setattr__(self, "by_keyword", MappingProxyType(by_keyword))
        object.__setattr__(self, "by_key", MappingProxyType(by_key))

    def lookup(self, name: str) -> Directive | None:
        """The directive called ``name`` (any spelling, alias or attribute name)."""
        return self.by_keyword.get(keyword(name)) or self.by_key.get(name)


_INDEX: Mapping[str, Mapping[str, ResourceSchema]] = MappingProxyType(
    {
        daemon: MappingProxyType(
            {
                rtype: ResourceSchema(daemon, rtype, tuple(items))
                for rtype, items in resources.items()
            }
        )
        for daemon, resources in SCHEMAS.items()
    }
)


def resource_schema(daemon: str, rtype: str) -> ResourceSchema:
    """The indexed schema of ``rtype`` (canonical spelling) in ``daemon``."""
    return _INDEX[daemon][rtype]


def resource_type(daemon: str, name: str) -> str | None:
    """The canonical resource type called ``name`` (case and blanks ignored), or None."""
    word = keyword(name)
    for rtype in SCHEMAS[daemon]:
        if keyword(rtype) == word:
            return rtype
    for alias, rtype in RESOURCE_ALIASES[daemon].items():
        if keyword(alias) == word:
            return rtype
    return None
