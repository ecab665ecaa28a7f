"""Pass 2: check what pass 1 read across all files and build the :class:`Config`.

In order: required directives and duplicate names (resource by resource), references,
JobDefs inheritance, what a Job needs once inherited, and the daemon's own resource.
"""

from __future__ import annotations

import copy

from bareoslab.config.errors import ConfigError
from bareoslab.config.model import RESOURCE_CLASSES, Config, Resource
from bareoslab.config.parser import RawResource
from bareoslab.config.schema import MAIN_RESOURCE

#: Job types that need a Client and a FileSet
NEEDS_CLIENT = frozenset({"Backup", "Restore", "Verify"})
#: Job types that need a Storage (on the Job or on its Pool)
NEEDS_STORAGE = frozenset({"Backup", "Restore"})
#: never taken from a JobDefs
NOT_INHERITED = frozenset({"name", "jobdefs"})


def build_config(
    daemon: str, files: list[str], raws: list[RawResource], warnings: list[str] | None = None
) -> Config:
    """Check ``raws`` (pass-1 resources of every file) and return the configuration.

    :raises ConfigError: at the first problem
    """
    index: dict[tuple[str, str], RawResource] = {}
    for raw in raws:
        _check_required(raw)
        first = index.setdefault((raw.rtype, raw.name), raw)
        if first is not raw:
            raise ConfigError(
                raw.file,
                raw.line,
                f"duplicate {raw.label()} (first defined at {first.file}:{first.line})",
            )
    for raw in raws:
        for use in raw.refs:
            if (use.rtype, use.name) not in index:
                raise ConfigError(
                    use.file, use.line, f'{raw.label()}: {use.rtype} "{use.name}" not found'
                )
    done: set[int] = set()
    for raw in raws:
        if raw.rtype in ("Job", "JobDefs"):
            _inherit(raw, index, (), done)
    for raw in raws:
        if raw.rtype == "Job":
            _check_job(raw, index)
    _check_main_resource(daemon, files, raws)
    resources = [
        RESOURCE_CLASSES.get(raw.rtype, Resource)(
            raw.schema, raw.name, (raw.file, raw.line), raw.values, raw.lines
        )
        for raw in raws
    ]
    return Config(daemon, files, resources, warnings or [])


def _check_required(raw: RawResource) -> None:
    if raw.rtype in ("Job", "JobDefs"):
        return  # a Job may inherit them: checked after JobDefs are applied
    for directive in raw.schema.directives:
        if directive.required and directive.key not in raw.values:
            _missing(raw, directive.name)


def _missing(raw: RawResource, directive: str, why: str = "") -> None:
    raise ConfigError(
        raw.file, raw.line, f'{raw.label()}: missing required directive "{directive}"{why}'
    )


def _inherit(
    raw: RawResource,
    index: dict[tuple[str, str], RawResource],
    chain: tuple[RawResource, ...],
    done: set[int],
) -> None:
    """Give ``raw`` every directive it does not set from its JobDefs (recursively)."""
    parent_name = raw.values.get("jobdefs")
    if parent_name is None or id(raw) in done:
        return
    parent = index[("JobDefs", parent_name)]
    if parent is raw or parent in chain:
        file, line = raw.lines["jobdefs"]
        raise ConfigError(
            file, line, f'{raw.label()}: JobDefs "{parent_name}" leads back to itself'
        )
    _inherit(parent, index, (*chain, raw), done)
    for key, value in parent.values.items():
        if key in NOT_INHERITED:
            continue
        if key == "runscript":
            raw.values[key] = raw.values.get(key, []) + copy.deepcopy(value)
            raw.lines.setdefault(key, parent.lines[key])
        elif key not in raw.values:
            raw.values[key] = copy.deepcopy(value)
            raw.lines[key] = parent.lines[key]
    done.add(id(raw))


def _check_job(raw: RawResource, index: dict[tuple[str, str], RawResource]) -> None:
    values = raw.values
    for directive in ("Type", "Messages", "Pool"):
        if directive.lower() not in values:
            _missing(raw, directive)
    job_type = values["type"]
    if job_type in NEEDS_CLIENT:
        for directive in ("Client", "FileSet"):
            if directive.lower() not in values:
                _missing(raw, directive, f" (a {job_type} job needs one)")
    if job_type in NEEDS_STORAGE and not values.get("storage"):
        pool = index[("Pool", values["pool"])]
        if not pool.values.get("storage"):
            _missing(raw, "Storage", f' (neither the Job nor its Pool "{pool.name}" has one)')


def _check_main_resource(daemon: str, files: list[str], raws: list[RawResource]) -> None:
    rtype = MAIN_RESOURCE[daemon]
    found = [raw for raw in raws if raw.rtype == rtype]
    if not found:
        raise ConfigError(files[0] if files else "", 0, f"no {rtype} resource defined")
    if len(found) > 1 and daemon != "console":
        second, first = found[1], found[0]
        raise ConfigError(
            second.file,
            second.line,
            f"only one {rtype} resource allowed (first: {first.label()} at {first.file}:{first.line})",
        )
