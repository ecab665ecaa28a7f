import os
import random
import subprocess
import sys

import pytest
from bareoslab.codes import FileType
from bareoslab.filed.attribs import (
    Attributes,
    LStat,
    decode_attributes,
    decode_lstat,
    encode_attributes,
    encode_lstat,
    from_base64_int,
    lstat_from_stat,
    mode_and_link_fi,
    to_base64_int,
)

from .helpers import NON_UTF8

# protocol.md §10.3 worked example
EXAMPLE = "gB HAEC IGk B A A A TS BAA I BlU/EA BlU/EA BlU/EA A A C"
EXAMPLE_FIELDS = LStat(
    st_dev=2049,
    st_ino=1835266,
    st_mode=0o100644,
    st_nlink=1,
    st_uid=0,
    st_gid=0,
    st_rdev=0,
    st_size=1234,
    st_blksize=4096,
    st_blocks=8,
    st_atime=1700000000,
    st_mtime=1700000000,
    st_ctime=1700000000,
    link_fi=0,
    st_flags=0,
    data_stream=2,
)


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "A"),
        (1, "B"),
        (63, "/"),
        (64, "BA"),
        (2049, "gB"),
        (33188, "IGk"),
        (-1, "-B"),
        (-64, "-BA"),
    ],
)
def test_base64_int_known_values(n, text):
    assert to_base64_int(n) == text
    assert from_base64_int(text) == n


@pytest.mark.parametrize(
    "n", [0, 5, 4095, 4096, 2**31 - 1, 2**32, 2**63 - 1, 2**64 - 1, -7, -(2**63)]
)
def test_base64_int_round_trip(n):
    assert from_base64_int(to_base64_int(n)) == n


def _digits(n: int) -> str:
    """Bareos' lstat base64, one 6-bit digit at a time (the definition, slowly)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    if n < 0:
        return "-" + _digits(-n)
    out = ""
    while True:
        n, digit = divmod(n, 64)
        out = alphabet[digit] + out
        if not n:
            return out


@pytest.mark.parametrize(
    "n", [4096, 262143, 262144, 2**24 - 1, 2**24, 2**30 + 5, 1_700_000_000, 2**36, 2**48 - 1,
          2**48, 2**63 - 1, 2**64 - 1, 2**64, -(2**40)]
)
def test_base64_int_of_large_numbers_is_digit_by_digit(n):
    assert to_base64_int(n) == _digits(n)


def test_reading_lstats_builds_no_table_of_digit_pairs():
    """Only the File daemon writes lstats: the others do not pay for the table (0.25 MiB)."""
    code = (f"from bareoslab.filed import attribs; attribs.decode_lstat({EXAMPLE!r}); "
            "print(len(attribs._PAIRS)); attribs.encode_lstat(__import__('os').stat('/')); "
            "print(len(attribs._PAIRS))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["0", "4096"]


@pytest.mark.parametrize("bad", ["", "-", "A=", "AB C", "é", "A-B"])
def test_base64_int_rejects_garbage(bad):
    with pytest.raises(ValueError):
        from_base64_int(bad)


def test_lstat_worked_example_encodes_exactly():
    assert EXAMPLE_FIELDS.encode() == EXAMPLE
    assert encode_lstat(EXAMPLE_FIELDS, link_fi=0, data_stream=2) == EXAMPLE


def test_lstat_worked_example_decodes():
    assert decode_lstat(EXAMPLE) == EXAMPLE_FIELDS
    assert decode_lstat(EXAMPLE).st_mode == 0o100644


def test_lstat_from_a_real_stat(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"x" * 10)
    st = os.lstat(p)
    lst = decode_lstat(encode_lstat(st, link_fi=7, data_stream=29))
    assert lst == lstat_from_stat(st, 7, 29)
    assert (lst.st_ino, lst.st_size, lst.st_mode, lst.st_nlink) == (st.st_ino, 10, st.st_mode, 1)
    assert lst.st_mtime == int(st.st_mtime)
    assert (lst.link_fi, lst.st_flags, lst.data_stream) == (7, 0, 29)


def test_lstat_of_a_stat_result_is_the_lstat_tuples_string(tmp_path):
    # encode_lstat writes an os.stat_result's string directly, without the LStat in between
    (tmp_path / "f").write_bytes(b"x" * 70_000)
    (tmp_path / "old").write_bytes(b"")
    os.utime(tmp_path / "old", ns=(-1_500_000_000, -86_400_500_000_000))  # floors to -2, -86401
    (tmp_path / "link").symlink_to("f")
    for name in ("f", "old", "link", "."):
        st = os.lstat(tmp_path / name)
        assert encode_lstat(st, 3, 2) == lstat_from_stat(st, 3, 2).encode()
    assert decode_lstat(encode_lstat(os.lstat(tmp_path / "old"))).st_mtime == -86_401


def test_lstat_negative_time_round_trips(tmp_path):
    p = tmp_path / "old"
    p.write_bytes(b"")
    os.utime(p, (-86400, -86400))
    lst = decode_lstat(encode_lstat(os.lstat(p)))
    assert lst.st_mtime == -86400


def test_lstat_short_legacy_form_defaults_to_zero():
    legacy = " ".join(EXAMPLE.split()[:13])
    lst = decode_lstat(legacy)
    assert (lst.link_fi, lst.st_flags, lst.data_stream) == (0, 0, 0)
    assert lst.st_size == 1234


@pytest.mark.parametrize(
    "bad", ["", "A B C", EXAMPLE + " A", "gB HAEC IGk B A A A TS BAA I BlU/EA BlU/EA B!"]
)
def test_lstat_rejects_garbage(bad):
    with pytest.raises(ValueError):
        decode_lstat(bad)


def test_attributes_exact_bytes():
    data = encode_attributes(1, FileType.REG, "/etc/hosts", EXAMPLE)
    assert data == b"1 3 /etc/hosts\0" + EXAMPLE.encode() + b"\0\0\x000\0"


@pytest.mark.parametrize(
    ("ftype", "name", "link"),
    [
        (FileType.REG, "/srv/data/plain.txt", ""),
        (FileType.REG, "/srv/with space/and  two  spaces ", ""),
        (FileType.REG, "/srv/naïve/日本語.txt", ""),
        (FileType.REG, "/srv/" + NON_UTF8, ""),
        (FileType.DIREND, "/srv/data/", ""),
        (FileType.LNK, "/srv/link", "../target with space"),
        (FileType.LNKSAVED, "/srv/second", "/srv/" + NON_UTF8),
        (FileType.REG, "/srv/new\nline", ""),
    ],
)
def test_attributes_round_trip(ftype, name, link):
    data = encode_attributes(42, ftype, name, EXAMPLE_FIELDS, link, delta_seq=3)
    attrs = decode_attributes(data)
    assert attrs == Attributes(42, ftype, name, EXAMPLE_FIELDS, link, "", 3)
    assert attrs.name_bytes == os.fsencode(name)


def test_attributes_accept_bytes_names():
    data = encode_attributes(1, FileType.REG, b"/x/\xff\xfe", EXAMPLE)
    assert decode_attributes(data).name_bytes == b"/x/\xff\xfe"


def test_attributes_tolerate_missing_trailing_nul_and_delta_seq():
    full = encode_attributes(5, FileType.REG, "/a b", EXAMPLE, delta_seq=9)
    assert decode_attributes(full[:-1]).delta_seq == 9
    no_delta = b"5 3 /a b\0" + EXAMPLE.encode() + b"\0\0\0"
    assert decode_attributes(no_delta).delta_seq == 0
    assert decode_attributes(no_delta[:-1]).name == "/a b"


def test_attributes_mask_the_data_stream_flag():
    data = encode_attributes(1, FileType.REG | 0x10000, "/f", EXAMPLE)
    assert decode_attributes(data).file_type == FileType.REG


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        b"garbage",
        b"1 3",
        b"x 3 /f\0" + EXAMPLE.encode() + b"\0\0\0",
        b"1 3 /f-without-fields",
        b"1 3 /f\0" + EXAMPLE.encode(),
        b"1 99 /f\0" + EXAMPLE.encode() + b"\0\0\0",
        b"1 3 /f\0not an lstat\0\0\0",
        b"1 3 \0" + EXAMPLE.encode() + b"\0\0\0",
        b"1 3 /f\0" + EXAMPLE.encode() + b"\0\0\0x\0",
        b"1 3 /f\0" + EXAMPLE.encode() + b"\0\0\0" + b"0\0extra\0\0",
    ],
)
def test_attributes_reject_garbage_with_value_error(bad):
    with pytest.raises(ValueError):
        decode_attributes(bad)


def test_attributes_refuse_nul_in_names():
    with pytest.raises(ValueError):
        encode_attributes(1, FileType.REG, "/a\0b", EXAMPLE)


def test_mode_and_link_fi_agrees_with_decode_lstat() -> None:
    """The restore tree's shortcut reads the same two fields, and refuses what decode_lstat
    refuses (seeded random strings and one-character damage of a real lstat)."""
    good = "P0A CH3k IGk B Po Po A e BAA I BkSs/5 BkSs/5 BkSs/5 Cg A C"
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/- =\t"
    rnd = random.Random(1)
    cases = [good, good.rsplit(" ", 3)[0], "", " " + good.replace(" ", "  ") + " ", good + " A"]
    for _ in range(2000):
        cases.append("".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 60))))
        damaged = list(good)
        damaged[rnd.randrange(len(damaged))] = rnd.choice(alphabet)
        cases.append("".join(damaged))

    def either(fn, text):
        try:
            return fn(text)
        except ValueError:
            return None

    for text in cases:
        full = either(decode_lstat, text)
        assert either(mode_and_link_fi, text) == (None if full is None else (full.st_mode, full.link_fi)), text
    assert mode_and_link_fi(good) == (0o100644, 160)  # "IGk", "Cg"
