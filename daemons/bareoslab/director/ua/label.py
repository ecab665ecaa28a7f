"""``label``: a new volume, written by the SD and recorded in the catalog; ``add``: catalog
records for volumes that are not labelled."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from ...catalog.api import MediaRow
from ...config import Resource
from ...net.framing import bash_spaces, decode_text
from ..sd_cmd import StorageError, open_storage
from .args import Args, CommandFailed, UsageError, arg
from .prompt import MAX_ANSWERS, get_cmd
from .run_prompt import select_resource

if TYPE_CHECKING:
    from .commands import UserAgent

_VOLUME_NAME = re.compile(r"[A-Za-z0-9:._\-]+")
MAX_VOLUME_NAME = 127


def legal_volume_name(name: str, room: int = 0) -> bool:
    """Bareos' ``IsVolumeNameLegal``: letters, digits and ``:._-``, not too long (``room``
    characters kept free for what is appended)."""
    return bool(_VOLUME_NAME.fullmatch(name)) and len(name) <= MAX_VOLUME_NAME - room


async def _label_request(ua: UserAgent, storage: Resource, command: str, first: str) -> tuple[str, list[str]]:
    """Send a label or relabel command to the storage's SD; its ``3000 OK label.`` line (empty
    when it refused) and every line to show."""
    await ua.send(f"Connecting to Storage daemon {storage.name} at {storage.address}:{storage.port} ...")
    try:
        conn = await open_storage(ua.director, storage)
    except StorageError as exc:
        raise CommandFailed(str(exc)) from exc
    ok_line = ""
    # the SD's lines go out in one packet after a line of ours: a packet starting with
    # "3000 OK ..." ends python-bareos' reply early (its "dddd OK" rule, console.md A.7)
    sd_lines = [first]
    try:
        await conn.send(command)
        for msg in await conn.recv_until_eod():
            text = decode_text(msg).rstrip("\n")
            sd_lines.append(text)
            if text.startswith("3000 OK label."):
                ok_line = text
    finally:
        await conn.close()
    return ok_line, sd_lines


async def _automount(ua: UserAgent, storage: Resource) -> None:
    """After a label, ask the SD to mount its device (``automount on``, Bareos' default)."""
    if not ua.automount:
        await ua.send("Do not forget to mount the drive!!!")
        return
    device = storage.device[0]
    await ua.send(f"Requesting to mount {device} ...")
    try:
        conn = await open_storage(ua.director, storage)
    except StorageError as exc:
        raise CommandFailed(str(exc)) from exc
    try:
        await conn.send(f"mount {bash_spaces(device)} drive=0")
        for msg in await conn.recv_until_eod():
            await ua.send(decode_text(msg).rstrip("\n"))
    finally:
        await conn.close()


async def cmd_label(ua: UserAgent, args: Args) -> bool:
    director = ua.director
    cfg, cat = director.cfg, director.catalog
    volume = arg(args, "volume") or arg(args, "volumename")
    if not volume:
        raise UsageError("")
    storages = ua.acl.allowed(cfg.resources("Storage"))
    storage = (
        ua.res("Storage", arg(args, "storage"))
        if arg(args, "storage")
        else (storages[0] if len(storages) == 1 else None)
    )
    pool = ua.res("Pool", arg(args, "pool") or "Default")
    if not volume or storage is None or pool is None:
        raise UsageError("")
    if not legal_volume_name(volume):
        raise CommandFailed(f'Illegal character in Volume name "{volume}".')
    if await director.db(cat.get_media, volume) is not None:
        raise CommandFailed(f'Media record for new Volume "{volume}" already exists.')
    command = (
        f"label {bash_spaces(storage.device[0])} VolumeName={bash_spaces(volume)} "
        f"PoolName={bash_spaces(pool.name)} MediaType={bash_spaces(storage.media_type)} "
        f"Slot=0 drive=0 MinBlocksize=0 MaxBlocksize=0"
    )
    ok_line, sd_lines = await _label_request(ua, storage, command, f'Sending label command for Volume "{volume}" Slot 0 ...')
    if not ok_line:
        await ua.send("\n".join(sd_lines))
        raise CommandFailed(f"Label command failed for Volume {volume}.")
    found = re.search(r"VolBytes=(\d+)", ok_line)
    vol_bytes = int(found.group(1)) if found else 0
    pool_id = await director.db(cat.pool_id, pool.name)
    await director.db(
        cat.create_media,
        MediaRow(
            volume_name=volume,
            pool_id=pool_id or 0,
            media_type=storage.media_type,
            storage_id=director.storage_ids.get(storage.name, 0),
            vol_bytes=vol_bytes,
            vol_blocks=1,
            vol_status="Append" if vol_bytes else "Unlabeled",
            label_date=datetime.now().replace(microsecond=0),
        ),
    )
    created = f'Catalog record for Volume "{volume}", Slot 0 successfully created.'
    await ua.send("\n".join([*sd_lines, created]))
    await _automount(ua, storage)
    return True


ADD_WARNING = (
    "You probably don't want to be using this command since it\n"
    "creates database records without labeling the Volumes.\n"
    'You probably want to use the "label" command.\n'
)


async def _number(ua: UserAgent, prompt: str, low: int, high: int, warning: str) -> int | None:
    for _ in range(MAX_ANSWERS):
        text = await get_cmd(ua, prompt)
        if text is None:
            return None
        if not text.isdigit():
            await ua.send(f"Expected a positive integer, got: {text}")
        elif not low <= int(text) <= high:
            await ua.send(warning)
        else:
            return int(text)
    return None


async def cmd_add(ua: UserAgent, args: Args) -> bool:
    """Catalog records for volumes that are not labelled (Bareos' ``add``): a number of
    them named base name + 4 digits, or one with a fixed name."""
    director, cat = ua.director, ua.director.catalog
    await ua.send(ADD_WARNING)
    pool = ua.res("Pool", arg(args, "pool")) if arg(args, "pool") else await select_resource(ua, "Pool")
    if pool is None:
        return True
    pool_id = await director.db(cat.pool_id, pool.name)
    row = await director.db(cat.get_pool, pool.name)
    if pool_id is None or row is None:
        raise CommandFailed(f'Pool "{pool.name}" is not in the catalog.')
    if row.max_vols and row.num_vols >= row.max_vols:
        raise CommandFailed(f"Pool already has maximum volumes={row.max_vols}")
    storage = ua.res("Storage", arg(args, "storage")) if arg(args, "storage") else await select_resource(ua, "Storage")
    if storage is None:
        return True
    most = row.max_vols - row.num_vols if row.max_vols else 1000
    count = await _number(ua, f"Enter number of Volumes to create. 0=>fixed name. Max={most}: ", 0, most,
                          f"The number must be between 0 and {most}")
    if count is None:
        return True
    base = ""
    for _ in range(MAX_ANSWERS):
        base = await get_cmd(ua, "Enter Volume name: " if count == 0 else "Enter base volume name: ") or ""
        if not base:
            await ua.send("Volume name must be at least one character long.")
        elif not legal_volume_name(base, room=10):  # room for the 4-digit numbers
            await ua.send(f'Illegal character in Volume name "{base}".')
        else:
            break
    else:
        return True
    names = [base]
    if count > 0:
        start = await _number(ua, "Enter the starting number: ", 1, 10**9, "Start number must be greater than zero.")
        if start is None:
            return True
        names = [f"{base}{n:04d}" for n in range(start, start + count)]
    for name in names:
        if await director.db(cat.get_media, name) is not None:
            raise CommandFailed(f'Media record for Volume "{name}" already exists.')
        await director.db(cat.create_media, MediaRow(
            volume_name=name, pool_id=pool_id, media_type=storage.media_type,
            storage_id=director.storage_ids.get(storage.name, 0), vol_status="Append",
        ))  # fmt: skip
    await ua.send(f"{len(names)} Volumes created in pool {pool.name}")
    return True


async def cmd_relabel(ua: UserAgent, args: Args) -> bool:
    """A Purged or Recycled volume labelled again under a new name (its old catalog record
    goes, a new one comes), as Bareos' ``relabel``."""
    director, cat = ua.director, ua.director.catalog
    storage = ua.res("Storage", arg(args, "storage")) if arg(args, "storage") else await select_resource(ua, "Storage")
    if storage is None:
        return True
    old_name = arg(args, "oldvolume") or await get_cmd(ua, "Enter old Volume name: ")
    if not old_name:
        return True
    old = await director.db(cat.get_media, old_name)
    if old is None:
        raise CommandFailed(f'Volume "{old_name}" not found in catalog.')
    if old.vol_status not in ("Purged", "Recycle"):
        raise CommandFailed(
            f'Volume "{old.volume_name}" has VolStatus {old.vol_status}. It must be Purged or Recycled '
            "before relabeling."
        )
    new_name = arg(args, "volume") or await get_cmd(ua, "Enter new Volume name: ")
    if not new_name:
        return True
    if not legal_volume_name(new_name):
        raise CommandFailed(f'Illegal character in Volume name "{new_name}".')
    if await director.db(cat.get_media, new_name) is not None:
        raise CommandFailed(f'Media record for new Volume "{new_name}" already exists.')
    pool = ua.res("Pool", arg(args, "pool")) if arg(args, "pool") else await select_resource(ua, "Pool")
    if pool is None:
        return True
    command = (
        f"relabel {bash_spaces(storage.device[0])} OldName={bash_spaces(old.volume_name)} "
        f"NewName={bash_spaces(new_name)} PoolName={bash_spaces(pool.name)} "
        f"MediaType={bash_spaces(storage.media_type)} Slot=0 drive=0 "
        f"MinBlocksize={old.min_block_size} MaxBlocksize={old.max_block_size}"
    )
    ok_line, sd_lines = await _label_request(
        ua, storage, command, f'Sending relabel command from "{old.volume_name}" to "{new_name}" ...'
    )
    await ua.send("\n".join(sd_lines))
    if not ok_line:
        raise CommandFailed(f"Relabel command failed for Volume {old.volume_name}.")
    found = re.search(r"VolBytes=(\d+)", ok_line)
    pool_id = await director.db(cat.pool_id, pool.name)
    await director.db(cat.create_media, MediaRow(
        volume_name=new_name, pool_id=pool_id or 0,
        media_type=storage.media_type, storage_id=director.storage_ids.get(storage.name, 0),
        vol_bytes=int(found.group(1)) if found else 0, vol_blocks=1, vol_status="Append",
        label_date=datetime.now().replace(microsecond=0),
    ))  # fmt: skip
    await ua.send(f'Catalog record for Volume "{new_name}", Slot 0 successfully created.')
    await director.db(cat.delete_media, old.media_id)
    await ua.send(f'Old volume "{old.volume_name}" deleted from catalog.')
    await _automount(ua, storage)
    return True
