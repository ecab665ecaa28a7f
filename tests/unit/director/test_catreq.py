"""``UpdCat`` messages of a Storage daemon at the Director."""

import struct

import pytest
from bareoslab.codes import Stream
from bareoslab.director.catreq import FileAttributes, parse_updcat
from bareoslab.net.errors import ProtocolError

ATTRS = b"7 3 /etc/hosts\0A A IH B A A A A A A A A A A A A\0\0"


def updcat(stream: int, record: bytes, length: int | None = None) -> bytes:
    header = struct.pack(">IIiiI", 1, 2, 7, stream, len(record) if length is None else length)
    return b"UpdCat Job=backup.1 FileAttributes " + header + record


def test_attributes_and_digests() -> None:
    record = parse_updcat(updcat(Stream.UNIX_ATTRIBUTES, ATTRS))
    assert record is not None and record.file_index == 7
    assert record.attributes == FileAttributes(7, 3, "/etc/hosts", "A A IH B A A A A A A A A A A A A", "")
    digest = parse_updcat(updcat(Stream.MD5_DIGEST, b"\x01" * 16))
    assert digest is not None and digest.attributes is None and digest.data == b"\x01" * 16
    assert parse_updcat(b"UpdCat Job=backup.1 Something else") is None


@pytest.mark.parametrize("msg, reason", [
    (b"UpdCat Job=backup.1 FileAttributes \x00\x01", "cut short"),
    (updcat(Stream.UNIX_ATTRIBUTES, ATTRS, length=len(ATTRS) + 10), "announces"),
    (updcat(Stream.UNIX_ATTRIBUTES, b"seven 3 /etc/hosts\0\0"), "malformed attributes"),
])
def test_malformed_updcat_is_a_protocol_error(msg: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        parse_updcat(msg)
