"""The SD's ``passive client`` command line."""

from __future__ import annotations

import pytest
from bareoslab.storage.passive import parse_passive


@pytest.mark.parametrize("line, parsed", [
    ("passive client address=127.0.0.1 port=9102 ssl=0\n", ("127.0.0.1", 9102, 0)),
    ("passive client address=fd\x01host port=19102 ssl=4", ("fd host", 19102, 4)),
    ("passive client address=127.0.0.1 port=x ssl=0", None),
    ("passive client", None),
])
def test_parse_passive(line, parsed) -> None:
    assert parse_passive(line) == parsed
