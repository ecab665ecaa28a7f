"""What a loaded configuration looks like: :class:`Resource` and :class:`Config`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bareoslab.config.errors import ConfigError
from bareoslab.config.fileset import IncludeBlock, fileset_text
from bareoslab.config.schema import MAIN_RESOURCE, ResourceSchema, resource_type


class Resource:
    """One resource, read-only, with every directive as an attribute.

    ``job.maximum_concurrent_jobs`` (snake case of the Bareos name) or
    ``job.get("Maximum Concurrent Jobs")`` give the value, with the default applied
    when the directive is not set. References hold the referenced resource's name
    (follow them with :meth:`Config.ref`).

    :ivar rtype: canonical resource type (``Job``, ``Client``, ...)
    :ivar name: the resource's Name
    :ivar source: ``(file, line)`` where the resource starts
    """

    __slots__ = ("rtype", "name", "source", "_schema", "_values", "_lines")

    rtype: str
    name: str
    source: tuple[str, int]
    _schema: ResourceSchema
    _values: Mapping[str, Any]
    _lines: Mapping[str, tuple[str, int]]

    def __init__(
        self,
        schema: ResourceSchema,
        name: str,
        source: tuple[str, int],
        values: Mapping[str, Any],
        lines: Mapping[str, tuple[str, int]],
    ) -> None:
        object.__setattr__(self, "rtype", schema.rtype)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "_schema", schema)
        object.__setattr__(self, "_values", dict(values))
        object.__setattr__(self, "_lines", dict(lines))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{self.rtype} resources are read-only")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{self.rtype} resources are read-only")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        directive = self._schema.by_key.get(name)
        if directive is None:
            raise AttributeError(f"{self.rtype} has no directive {name!r}")
        return self._value(directive.key, directive.default_value)

    def _value(self, key: str, default: Any) -> Any:
        if key not in self._values:
            return default
        value = self._values[key]
        return list(value) if isinstance(value, list) else value

    def get(self, directive: str, default: Any = None) -> Any:
        """The value of ``directive`` by Bareos spelling (case and blanks ignored) or attribute.

        An unknown directive gives ``default``; a known one its value or Bareos' default.
        """
        found = self._schema.lookup(directive)
        if found is None:
            return default
        return self._value(found.key, found.default_value)

    def is_set(self, directive: str) -> bool:
        """Whether ``directive`` was set in the config (inherited from JobDefs counts as set)."""
        found = self._schema.lookup(directive)
        return found is not None and found.key in self._values

    def line_of(self, directive: str) -> tuple[str, int] | None:
        """``(file, line)`` where ``directive`` was (last) set, if it was."""
        found = self._schema.lookup(directive)
        return None if found is None else self._lines.get(found.key)

    def items(self) -> list[tuple[str, Any]]:
        """Every directive as ``(attribute, value)``, defaults applied, in schema order."""
        return [(key, self._value(key, d.default_value)) for key, d in self._schema.by_key.items()]

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self.items())

    def __repr__(self) -> str:
        return f"<{self.rtype} {self.name!r} at {self.source[0]}:{self.source[1]}>"


class FileSetResource(Resource):
    """A FileSet: ``include`` and ``exclude`` are lists of :class:`IncludeBlock`."""

    __slots__ = ()

    include: list[IncludeBlock]
    exclude: list[IncludeBlock]

    def fileset_text(self) -> str:
        """The FileSet in config syntax, deterministic (catalog FileSetText, MD5)."""
        return fileset_text(self.name, self.include, self.exclude)


#: resource classes with extra behaviour, by resource type
RESOURCE_CLASSES: Mapping[str, type[Resource]] = {"FileSet": FileSetResource}


class Config:
    """A loaded configuration of one daemon.

    :ivar daemon: ``dir``, ``sd``, ``fd`` or ``console``
    :ivar files: every file read, includes too, in reading order
    :ivar warnings: ``file:line: ...`` notes on deprecated directives (not errors)
    """

    def __init__(
        self,
        daemon: str,
        files: list[str],
        resources: list[Resource],
        warnings: list[str] | None = None,
    ) -> None:
        self.daemon = daemon
        self.files = list(files)
        self.warnings = list(warnings or [])
        self._by_type: dict[str, list[Resource]] = {}
        self._by_name: dict[tuple[str, str], Resource] = {}
        for res in resources:
            self._by_type.setdefault(res.rtype, []).append(res)
            self._by_name[(res.rtype, res.name)] = res

    def _rtype(self, rtype: str) -> str:
        canonical = resource_type(self.daemon, rtype)
        if canonical is None:
            raise KeyError(f"{self.daemon} has no resource type {rtype!r}")
        return canonical

    def resources(self, rtype: str) -> list[Resource]:
        """All resources of ``rtype`` (case-insensitive), in reading order."""
        return list(self._by_type.get(self._rtype(rtype), []))

    def get(self, rtype: str, name: str) -> Resource | None:
        """The resource of ``rtype`` called ``name`` (names are case-sensitive)."""
        return self._by_name.get((self._rtype(rtype), name))

    def one(self, rtype: str | None = None) -> Resource:
        """The single resource of ``rtype`` (default: the daemon's own, e.g. the Director).

        :raises ConfigError: there is none, or more than one
        """
        canonical = self._rtype(rtype or MAIN_RESOURCE[self.daemon])
        found = self._by_type.get(canonical, [])
        if not found:
            raise ConfigError(
                self.files[0] if self.files else "", 0, f"no {canonical} resource defined"
            )
        if len(found) > 1:
            file, line = found[1].source
            raise ConfigError(
                file, line, f"only one {canonical} resource allowed, found {len(found)}"
            )
        return found[0]

    def ref(self, res: Resource, directive: str) -> Resource | None:
        """The resource a reference directive of ``res`` names; None when it is not set.

        For a list of references (``Storage``) this is the first one; see :meth:`refs`.
        """
        found = self.refs(res, directive)
        return found[0] if found else None

    def refs(self, res: Resource, directive: str) -> list[Resource]:
        """The resources a reference (list) directive of ``res`` names, in order."""
        spec = res._schema.lookup(directive)
        if spec is None or spec.type.ref_type is None:
            raise KeyError(f"{res.rtype} has no reference directive {directive!r}")
        value = res.get(directive)
        names = value if isinstance(value, list) else [] if value is None else [value]
        return [self._by_name[(spec.type.ref_type, name)] for name in names]

    def __repr__(self) -> str:
        counts = ", ".join(f"{rtype}={len(items)}" for rtype, items in self._by_type.items())
        return f"<Config {self.daemon} {counts}>"
