"""Bareos' two base64 flavours for binary data (CRAM-MD5 responses, catalog digests).

Both use the standard alphabet without ``=`` padding. The *compat* flavour is
plain base64 minus padding. The *native* flavour, Bareos' default, sign-extends
bytes >= 0x80 into the bit register and right-aligns the final partial digit.
"""

from __future__ import annotations

import base64

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def bin_to_base64(data: bytes, compat: bool = False) -> str:
    if compat:
        return base64.b64encode(data).decode("ascii").rstrip("=")
    reg = 0
    rem = 0
    out: list[str] = []
    i = 0
    while i < len(data):
        if rem < 6:
            reg = (reg << 8) & 0xFFFFFFFF
            byte = data[i]
            i += 1
            reg |= (byte | 0xFFFFFF00) if byte & 0x80 else byte
            reg &= 0xFFFFFFFF
            rem += 8
        out.append(ALPHABET[(reg >> (rem - 6)) & 0x3F])
        rem -= 6
    if rem:
        out.append(ALPHABET[reg & ((1 << rem) - 1)])
    return "".join(out)
