import pytest
from bareoslab.volume.bsr import BsrVolume, format_bsr, parse_bsr, volume_names
from bareoslab.volume.errors import BsrError
from bareoslab.volume.record import Record

EXAMPLE = """\
Storage="File"
Volume="Full-0001"
MediaType="File"
Device="FileStorage"
VolSessionId=1
VolSessionTime=1562050726
VolAddr=209-822
FileIndex=1
Count=1
"""


def test_bsr_parses_the_reference_example():
    [entry] = parse_bsr(EXAMPLE)
    assert entry == BsrVolume(
        volume="Full-0001",
        media_type="File",
        device="FileStorage",
        storage="File",
        vol_session_id=1,
        vol_session_time=1562050726,
        vol_addrs=[(209, 822)],
        file_indexes=[(1, 1)],
        count=1,
    )
    assert format_bsr([entry]) == EXAMPLE


def test_bsr_storage_line_belongs_to_the_following_volume():
    text = EXAMPLE + EXAMPLE.replace("Full-0001", "Full-0002").replace(
        'Storage="File"', 'Storage="File2"'
    )
    first, second = parse_bsr(text)
    assert (first.volume, first.storage) == ("Full-0001", "File")
    assert (second.volume, second.storage) == ("Full-0002", "File2")
    assert volume_names([first, second, first]) == ["Full-0001", "Full-0002"]


def test_bsr_roundtrip_with_ranges_quotes_and_pass_through_keys():
    entries = [
        BsrVolume(
            volume='Vol "quoted" \\ name',
            media_type="File",
            vol_session_id=3,
            vol_session_time=4,
            vol_addrs=[(0, 99), (4294967296, 4294967400)],
            file_indexes=[(1, 5), (7, 7), (9, 12)],
            count=10,
            extra=[("Client", "client1-fd"), ("Job", "Backup Job.2026"), ("JobId", "12")],
        ),
        BsrVolume(volume="Full-0002"),
    ]
    text = format_bsr(entries)
    assert 'Job="Backup Job.2026"' in text and "JobId=12" in text and "FileIndex=7\n" in text
    assert parse_bsr(text) == entries


def test_bsr_accepts_comments_case_and_comma_lists():
    text = "# restore of job 7\n\nvolume=Full-0001\nfileindex = 1-3,5\nFileIndex=8\nvoladdr=10\n"
    [entry] = parse_bsr(text)
    assert entry.file_indexes == [(1, 3), (5, 5), (8, 8)]
    assert entry.vol_addrs == [(10, 10)]
    assert entry.max_file_index == 8


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Volume=A\nFoo=1\n", "line 2: unknown keyword 'Foo'"),
        ("Volume=A\nVolSessionId=x\n", "line 2: VolSessionId must be a number, got 'x'"),
        ("Volume=A\n\nFileIndex=5-3\n", "line 3: FileIndex range 5-3 is reversed"),
        ("Volume=A\nVolSessionId\n", "line 2: expected keyword=value"),
        ("MediaType=File\n", "line 1: MediaType given before any Volume= line"),
        ("Volume=A\nVolSessionId=1\nVolSessionId=2\n", "line 3: VolSessionId given twice"),
        ('Volume="A\n', "line 1: unterminated quoted value"),
        ('Volume="A" junk\n', "line 1: unexpected text after quoted value"),
        ("Volume=\n", "line 1: empty Volume name"),
        ("Volume=A\nVolSessionTime=4294967296\n", "line 2: VolSessionTime 4294967296 is too large"),
    ],
)
def test_bsr_errors_name_the_line(text, message):
    with pytest.raises(BsrError) as info:
        parse_bsr(text)
    assert str(info.value).startswith(message)


def test_bsr_matches_session_file_index_and_address():
    entry = BsrVolume(
        volume="V",
        vol_session_id=1,
        vol_session_time=2,
        file_indexes=[(3, 4)],
        vol_addrs=[(100, 199)],
    )
    assert entry.matches(Record(1, 2, 3, 2, b"", 100))
    assert entry.matches(Record(1, 2, 4, 2, b"", 199))
    assert not entry.matches(Record(1, 2, 5, 2, b"", 150))  # FileIndex
    assert not entry.matches(Record(1, 3, 3, 2, b"", 150))  # VolSessionTime
    assert not entry.matches(Record(9, 2, 3, 2, b"", 150))  # VolSessionId
    assert not entry.matches(Record(1, 2, 3, 2, b"", 200))  # VolAddr
    assert entry.matches(Record(1, 2, -4, 1, b"", 150))  # the session's labels
    assert BsrVolume(volume="V").matches(Record(5, 6, 7, 2, b""))
