"""``label``: a new volume, written by the SD and recorded in the catalog."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from ...catalog.api import MediaRow
from ...net.framing import bash_spaces, decode_text
from ..sd_cmd import StorageError, open_storage
from .args import Args, CommandFailed, UsageError, arg

if TYPE_CHECKING:
    from .commands import UserAgent

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
    if not re.fullmatch(r"[A-Za-z0-9:._\-]{1,127}", volume):
        raise CommandFailed(f'Illegal character in Volume name "{volume}".')
    if await director.db(cat.get_media, volume) is not None:
        raise CommandFailed(f'Media record for new Volume "{volume}" already exists.')
    await ua.send(
        f"Connecting to Storage daemon {storage.name} at {storage.address}:{storage.port} ..."
    )
    try:
        conn = await open_storage(director, storage)
    except StorageError as exc:
        raise CommandFailed(str(exc)) from exc
    ok_line = ""
    # the SD's lines go out in one packet after a line of ours: a packet starting with
    # "3000 OK ..." ends python-bareos' reply early (its "dddd OK" rule, console.md A.7)
    sd_lines = [f'Sending label command for Volume "{volume}" Slot 0 ...']
    try:
        await conn.send(
            f"label {bash_spaces(storage.device[0])} VolumeName={bash_spaces(volume)} "
            f"PoolName={bash_spaces(pool.name)} MediaType={bash_spaces(storage.media_type)} "
            f"Slot=0 drive=0 MinBlocksize=0 MaxBlocksize=0"
        )
        for msg in await conn.recv_until_eod():
            text = decode_text(msg).rstrip("\n")
            sd_lines.append(text)
            if text.startswith("3000 OK label."):
                ok_line = text
    finally:
        await conn.close()
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
    return True
