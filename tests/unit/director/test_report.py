"""Job report pieces as Bareos prints them."""

from __future__ import annotations

import pytest
from bareoslab.director.report import byte_size


@pytest.mark.parametrize("n, text", [
    (0, "0 B"), (999, "999 B"), (1000, "1.000 KB"), (12_345, "12.34 KB"), (123_456_789, "123.4 MB"),
    (209_715_200, "209.7 MB"), (5_000_000_000, "5.000 GB"),
])
def test_byte_size_as_edit_uint64_with_suffix(n: int, text: str) -> None:
    assert byte_size(n) == text
