"""``mount``, ``unmount`` and ``release``: what a console asks of a Storage's device
(Bareos' ``DoMountCmd`` and ``NativeAutochangerVolumeOperation``).

The Director sends ``<operation> <first device of the Storage> drive=<n>`` (``slot=<n>``
with a mount into an autochanger slot) and shows the Storage daemon's answer as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...net.framing import bash_spaces
from ..sd_cmd import StorageError, open_storage
from .args import Args, CommandFailed, UsageError, arg
from .status import relay_answer

if TYPE_CHECKING:
    from .commands import UserAgent


def _number(args: Args, key: str) -> int | None:
    text = arg(args, key)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise UsageError(f'{key}="{text}" is not a number.') from None


async def _operate(ua: UserAgent, args: Args, operation: str) -> bool:
    storage = ua.pick(args, "Storage", "storage")
    drive = _number(args, "drive") or 0
    slot = _number(args, "slot") if operation == "mount" else None
    command = f"{operation} {bash_spaces(storage.device[0])} drive={drive}"
    if slot:  # Bareos sends a slot only when one is given and not 0
        command += f" slot={slot}"
    await ua.send(f"Connecting to Storage daemon {storage.name} at {storage.address}:{storage.port} ...")
    try:
        conn = await open_storage(ua.director, storage)
    except StorageError as exc:
        raise CommandFailed(f"Failed to connect to Storage daemon.\n{exc}") from exc
    await relay_answer(ua, conn, command, f"Storage {storage.name}", operation)
    return True


async def cmd_mount(ua: UserAgent, args: Args) -> bool:
    return await _operate(ua, args, "mount")


async def cmd_unmount(ua: UserAgent, args: Args) -> bool:
    return await _operate(ua, args, "unmount")


async def cmd_release(ua: UserAgent, args: Args) -> bool:
    return await _operate(ua, args, "release")
