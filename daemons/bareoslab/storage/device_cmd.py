"""``mount``, ``unmount``, ``release`` and ``readlabel``: what the Director asks of a device
(Bareos' ``stored/dir_cmd.cc``; the console's ``mount``/``unmount``/``release``).

The lab's devices are file devices: a file device is opened when a job mounts a volume
on it and closed when no job holds it, it is "always mounted" and cannot be unmounted, and
a job waiting for an appendable volume blocks it "waiting for media" until a volume turns
up or someone says ``mount``. The answers are Bareos' texts, quirks included: where
Bareos quotes a device's print name, which is already quoted, the name shows two pairs of
quotes (``Device ""FileStorage" (/srv/storage)" already released.``).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ..net.framing import Connection, Signal, unbash_spaces
from .reserve import DeviceState, Reservations

if TYPE_CHECKING:
    from .daemon import StorageDaemon

# the commands as Bareos' SD scans them (device name bashed, %127s)
_MOUNT = re.compile(r"mount (\S{1,127}) drive=(-?\d+)(?: slot=(-?\d+))?\s*$")
_UNMOUNT = re.compile(r"unmount (\S{1,127}) drive=(-?\d+)\s*$")
_CHANGER = re.compile(r"autochanger (?:slots|list|listall|drives|transfer) (\S+)(?: -?\d+ -?\d+)?$")
_RELEASE = re.compile(r"release (\S{1,127}) drive=(-?\d+)\s*$")
_READLABEL = re.compile(r"readlabel (\S{1,127}) Slot=(-?\d+) drive=(-?\d+)\s*$")


def busy_message(state: DeviceState) -> str:
    """Why a device in use cannot be unmounted, released or read (``SendDirBusyMessage``)."""
    if state.waiting_for_sysop:
        return f'3933 Device "{state.print_name}" is BLOCKED waiting for media.\n'
    if state.readers:
        return f'3936 Device "{state.print_name}" is busy reading.\n'
    return f'3937 Device "{state.print_name}" is busy with writers={state.writers} reserved={state.reserved}.\n'


class DeviceCommands:
    """The device commands of one Director session."""

    def __init__(self, sd: StorageDaemon, conn: Connection) -> None:
        self.sd, self.conn = sd, conn

    @property
    def reservations(self) -> Reservations:
        return self.sd.reservations

    def table(self) -> dict[str, Callable[[str], Awaitable[bool]]]:
        return {"mount": self.mount, "unmount": self.unmount, "release": self.release,
                "readlabel": self.readlabel, "autochanger": self.autochanger}

    async def _answer(self, text: str) -> bool:
        await self.conn.send(text)
        await self.conn.signal(Signal.EOD)
        return True

    def _device(self, bashed_name: str) -> DeviceState | None:
        return self.sd.devices.get(unbash_spaces(bashed_name))

    async def mount(self, line: str) -> bool:
        found = _MOUNT.match(line.strip())
        if found is None:
            return await self._answer(f"3909 Error scanning mount command: {line.strip()}\n")
        state, slot = self._device(found[1]), int(found[3] or 0)
        if state is None:
            return await self._answer(f"3999 Device {unbash_spaces(found[1])} not found or could not be opened.\n")
        if state.waiting_for_sysop:  # wake the job that waits for a volume: it looks again
            state.waiting_for_sysop = False
            await self.reservations.notify()
            ignored = "Specified slot ignored. " if slot > 0 else ""
            return await self._answer(f"3001 OK mount requested. {ignored}Device={state.print_name}\n")
        if state.is_open:
            assert state.mounted is not None
            return await self._answer(f'3001 Device {state.print_name} is mounted with Volume '
                                      f'"{state.mounted.name}"\n')
        await self.reservations.notify()
        return await self._answer(f"3906 File device {state.print_name} is always mounted.\n")

    async def _find(self, line: str, pattern: re.Pattern[str], scan_error: str) -> DeviceState | None:
        """The device a command names; None when Bareos' answer (a scan error, no such
        device) has been sent already."""
        found = pattern.match(line.strip())
        if found is None:
            await self._answer(f"{scan_error}: {line.strip()}\n")
            return None
        state = self._device(found[1])
        if state is None:
            await self._answer(f'3999 Device "{unbash_spaces(found[1])}" not found or could not be opened.\n')
        return state

    async def autochanger(self, line: str) -> bool:
        """``autochanger slots|list|listall|drives <device>`` (and ``transfer``): the lab's
        disk devices have no changer, and say so as Bareos' SD does."""
        if (state := await self._find(line, _CHANGER, "3908 Error scanning autochanger drives/list/slots command")) is None:
            return True
        return await self._answer(f'3998 Device "{state.print_name}" is not an autochanger.\n')

    async def unmount(self, line: str) -> bool:
        if (state := await self._find(line, _UNMOUNT, "3907 Error scanning unmount command")) is None:
            return True
        if not state.is_open:  # a file device is not unmountable
            return await self._answer(f'3901 Device "{state.print_name}" is already unmounted.\n')
        return await self._answer(busy_message(state))

    async def release(self, line: str) -> bool:
        if (state := await self._find(line, _RELEASE, "3927 Error scanning release command")) is None:
            return True
        if not state.is_open:
            return await self._answer(f'3921 Device "{state.print_name}" already released.\n')
        return await self._answer(busy_message(state))

    async def readlabel(self, line: str) -> bool:
        if (state := await self._find(line, _READLABEL, "3909 Error scanning readlabel command")) is None:
            return True
        if state.is_open or state.busy:
            return await self._answer(busy_message(state))
        # a file device has no medium of its own to read (the volume is the file a job
        # opens): Bareos' SD gives no reason after "because:"
        return await self._answer(f'3902 Cannot mount Volume on Storage Device "{state.print_name}" because:\n')
