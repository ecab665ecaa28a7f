"""Protocol trace: one JSON line per message sent or received.

Fields: ``t`` (epoch seconds), ``daemon``, ``peer``, ``dir`` (send|recv),
``job``, ``jobid``, ``len`` and ``msg`` (the message's first words, or the
signal name, or ``<N bytes>`` for binary data).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from enum import IntEnum
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .framing import Connection

_SUMMARY_LEN = 80
#: what a trace or a log never shows: per-job keys, passwords typed into a console
_SECRETS = [
    (re.compile(r"(Authorization=)\S+"), r"\1****"),
    (re.compile(r"(\w*password=)(\"[^\"]*\"|'[^']*'|\S+)", re.IGNORECASE), r"\1****"),
]
#: a CRAM-MD5 response: the base64 HMAC-MD5 of the challenge, alone in its message and sent
#: with its C string's terminator
_CRAM_RESPONSE = re.compile(rb"[A-Za-z0-9+/]{21,22}(?:==)?\0")


def redact(text: str) -> str:
    """``text`` with the secrets it may carry masked."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def summarize(msg: bytes | IntEnum, size: int | None = None) -> str:
    """The first words of a message; binary payloads show only their size."""
    if isinstance(msg, IntEnum):
        return msg.name
    size = len(msg) if size is None else size
    head = msg[:_SUMMARY_LEN]
    if _CRAM_RESPONSE.fullmatch(head):
        return "<cram-md5 response>"
    if len(msg) <= _SUMMARY_LEN and head.endswith(b"\0"):
        head = head[:-1]  # a C string sent with its terminator
    # data records and attributes are binary: show their size only
    if not head or any(b < 9 or 13 < b < 32 for b in head if b not in (1, 0x1E)):
        if head[:1].isdigit() and b"\0" in head:
            # attribute record: "<FileIndex> <type> <name>\0..."
            return redact(head.split(b"\0", 1)[0].decode("utf-8", "replace"))
        return f"<{size} bytes>"
    text = head.decode("utf-8", "replace").replace("\x01", " ").rstrip("\n")
    return redact(text.split("\n", 1)[0])


class Tracer:
    """Writes trace lines to a file; safe to share between connections."""

    def __init__(self, stream: IO[str], daemon: str) -> None:
        self.stream = stream
        self.daemon = daemon
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: str, daemon: str) -> Tracer:
        """Append to ``path``, a file only its owner may read (it names hosts, jobs, volumes)."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)
        return cls(open(fd, "a", buffering=1, encoding="utf-8", errors="backslashreplace"), daemon)

    def message(self, conn: Connection, direction: str, msg: Any, length: int | None = None) -> None:
        size = 0 if isinstance(msg, IntEnum) else (len(msg) if length is None else length)
        record = {
            "t": round(time.time(), 6),
            "daemon": self.daemon,
            "peer": conn.peer,
            "dir": direction,
            "job": conn.job,
            "jobid": conn.jobid,
            "len": size,
            "msg": summarize(msg, size),
        }
        line = json.dumps(record, ensure_ascii=False)
        with self._lock:
            self.stream.write(line + "\n")

    def event(self, kind: str, **fields: Any) -> None:
        """A non-message event such as ``connect`` or ``accept`` (who connected to whom)."""
        record = {"t": round(time.time(), 6), "daemon": self.daemon, "event": kind, **fields}
        with self._lock:
            self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.stream.close()


def read_trace(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]

