"""``configure``: add a resource to the running Director, export a client's File daemon side
(Bareos' ``ua_configure.cc``).

``configure add <type> name=<name> <directive>=<value> ...`` writes
``bareos-dir.d/<type>/<name>.conf`` with the schema's spelling, loads the whole
configuration with it and takes it in as ``reload`` does; a configuration that does not
load is left as it was and the file removed. A new Client also gets its File daemon's
Director resource exported, as ``configure export client=<name>`` writes it under
``bareos-dir-export/client/<name>/bareos-fd.d/director/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...config import ConfigError, load_config
from ...config.loader import config_root
from ...config.schema import resource_schema, resource_type
from ...config.types import name_problem, snake
from ...config.writer import resource_text, write_private
from ..errors import ReloadError
from . import acl
from .args import Args, CommandFailed, yesno

if TYPE_CHECKING:
    from .commands import UserAgent

_FORBIDDEN = {"@": "'@' (include)", ";": "';' (end of directive)"}


def _root(ua: UserAgent) -> Path:
    """The configuration directory holding ``bareos-dir.d``; a single-file configuration has none."""
    path = Path(config_root(ua.director.cfg.files))
    if path.is_file() or not (path / "bareos-dir.d").is_dir():
        raise CommandFailed(
            "It seems that the configuration is not adapted to the include directory structure. "
            "configure needs a configuration directory with bareos-dir.d."
        )
    return path


def _resource(rtype: str, args: Args) -> dict[str, Any]:
    schema = resource_schema("dir", rtype)
    item: dict[str, Any] = {}
    for key, value in args:
        if value is None:
            raise CommandFailed(f'Missing value for directive "{key}"')
        directive = schema.lookup(key)
        if directive is None:
            raise CommandFailed(f'Resource "{rtype}" does not permit directive "{key}".')
        bad = next((what for ch, what in _FORBIDDEN.items() if ch in value), None)
        if bad:
            raise CommandFailed(f'Could not add directive "{key}": character {bad} is forbidden.')
        typed: Any = value
        if directive.type.name == "bool" and yesno(value) is not None:
            typed = yesno(value)
        elif directive.type.name in ("int", "pint", "port") and value.isdigit():
            typed = int(value)
        if directive.type.accumulate:
            item.setdefault(snake(directive.name), []).append(typed)
        else:
            item[snake(directive.name)] = typed
    if not item.get("name"):
        raise CommandFailed(f'Resource "{rtype}": missing name parameter.')
    problem = name_problem(str(item["name"]))
    if problem:  # also what keeps the file name inside bareos-dir.d/<type>/
        raise CommandFailed(f"name argument: {problem}")
    return item


async def _export(ua: UserAgent, client_name: str) -> dict[str, str]:
    """The File daemon's Director resource that lets this Director in."""
    client = ua.director.cfg.get("Client", client_name)
    if client is None:
        raise CommandFailed("usage: configure export client=<clientname>")
    director = ua.director.name
    # the Director keeps a password as its MD5 only: the File daemon reads "[md5]<hex>" as that
    text = f'Director {{\n  Name = "{director}"\n  Password = "[md5]{client.password}"\n}}\n'
    path = _root(ua) / "bareos-dir-export" / "client" / client.name / "bareos-fd.d" / "director" / f"{director}.conf"
    write_private(path, text)
    await ua.send(f'Exported resource file "{path}":\n{text}')
    return {"clientname": client.name, "component": "bareos-fd", "resource": "director",
            "name": director, "filename": str(path), "content": text}  # fmt: skip


async def _add(ua: UserAgent, args: Args) -> bool:
    word, first_value = args[2]
    rtype = resource_type("dir", word)
    if rtype is None:
        raise CommandFailed(f"invalid resource type {word}.")
    if rtype == "Director":
        raise CommandFailed("Only one Director resource allowed.")
    rest = ([("name", first_value)] if first_value else []) + args[3:]
    item = _resource(rtype, rest)
    name = str(item["name"])
    if ua.director.cfg.get(rtype, name) is not None:
        raise CommandFailed(f'Resource "{rtype}" with name "{name}" already exists.')
    folder = _root(ua) / "bareos-dir.d" / rtype.lower()
    path = folder / f"{name}.conf"
    if path.resolve().parent != folder.resolve():
        raise CommandFailed(f'name argument: "{name}" is no file name of {folder}')
    if path.exists():
        raise CommandFailed(f'failed to create config file "{path}": it exists')
    try:
        text = resource_text("dir", rtype, item)
    except ValueError as exc:
        raise CommandFailed(f"configure error: {exc}") from exc
    write_private(path, text)
    try:
        load_config(config_root(ua.director.cfg.files), "dir")
    except (ConfigError, OSError) as exc:
        path.unlink(missing_ok=True)
        raise CommandFailed(f"configure error: {exc}") from exc
    try:
        await ua.director.reload()
    except ReloadError as exc:
        path.unlink(missing_ok=True)
        raise CommandFailed(str(exc)) from exc
    await ua.send(f'Created resource config file "{path}":\n{text}')
    result: dict[str, Any] = {"add": {"resource": rtype, "name": name, "filename": str(path), "content": text}}
    if rtype == "Client":
        result["export"] = await _export(ua, name)
    ua.json_result = {"configure": result}
    return True


async def cmd_configure(ua: UserAgent, args: Args) -> bool:
    if len(args) < 3:
        raise CommandFailed(
            "usage:\n  configure add <resourcetype> <key1>=<value1> ...\n  configure export client=<clientname>"
        )
    what = args[1][0]
    if what == "add":
        return await _add(ua, args)
    if what == "export":
        client = next((v for k, v in args[2:] if k == "client" and v), None)
        if client is None:
            raise CommandFailed("usage: configure export client=<clientname>")
        ua.check(acl.CLIENT, client)
        ua.json_result = {"configure": {"export": await _export(ua, client)}}
        return True
    raise CommandFailed(f"invalid subcommand {what}.")
