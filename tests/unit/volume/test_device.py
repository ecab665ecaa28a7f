import struct

import pytest
from bareoslab.volume.bsr import BsrVolume
from bareoslab.volume.device import FileDevice
from bareoslab.volume.errors import CorruptBlock, VolumeError, VolumeSizeMismatch

from .conftest import BLOCK_SIZE, VOLUME

STIME = 1700000000


def write_two_jobs(device, volume, session_label):
    """Job 1 (session 1) then job 2 (session 2), each 5 files of 1,500 bytes; returns positions."""
    positions = {}
    with device.open_append(volume) as vol:
        for sid in (1, 2):
            writer = vol.session_writer(sid, STIME)
            writer.write_sos(session_label(sid))
            for file_index in range(1, 6):
                writer.write_record(file_index, 2, bytes([sid]) * 1500)
            writer.write_eos(session_label(sid, eos=True))
            writer.flush()
            positions[sid] = writer.position
    return positions


def corrupt_byte(device, volume, offset):
    path = device.volume_path(volume)
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x55
    path.write_bytes(raw)


def test_device_open_append_counts_blocks_and_checks_size(device, labelled, session_label):
    write_two_jobs(device, labelled, session_label)
    size = device.volume_path(labelled).stat().st_size
    blocks = len(list(device.read_blocks(labelled)))
    with device.open_append(labelled, size) as vol:
        assert (vol.size, vol.blocks, vol.catalog_outdated) == (size, blocks, False)
        assert vol.label.volume_name == labelled
    with device.open_append(labelled, size - 100) as vol:  # catalog behind: Bareos corrects it
        assert vol.catalog_outdated and vol.size == size
    with device.open_append(labelled, size, expected_blocks=blocks) as vol:
        assert vol.blocks == blocks
    with pytest.raises(
        VolumeSizeMismatch,
        match=f"file size {size} is smaller than the catalog's VolBytes {size + 1}",
    ):
        device.open_append(labelled, size + 1)


def test_device_open_append_refuses_a_torn_block_the_catalog_counts(device, labelled, session_label):
    write_two_jobs(device, labelled, session_label)
    path = device.volume_path(labelled)
    size = path.stat().st_size
    last_offset, _ = list(device.read_blocks(labelled))[-1]
    with open(path, "r+b") as f:
        f.truncate(size - 10)
    for counted in (None, size - 10):  # no catalog size, or one that counts the torn block
        with pytest.raises(CorruptBlock, match=f"offset {last_offset}: the block there runs past the end"):
            device.open_append(labelled, counted)
    assert path.stat().st_size == size - 10  # nothing cut
    with pytest.raises(
        CorruptBlock, match=f"offset {last_offset}: block of .* cut short by end of volume"
    ):
        list(device.read_records(labelled))


@pytest.mark.parametrize("left", [10, 3, 100_000])  # a header cut short too; most of a block
def test_device_open_append_cuts_off_a_torn_block_beyond_the_catalog(device, labelled, session_label, left):
    """A crash interrupted the write of the last block (the catalog counts the blocks before
    it): the torn block is cut off at open, and the volume reads to its end again."""
    write_two_jobs(device, labelled, session_label)
    path = device.volume_path(labelled)
    last_offset, last = list(device.read_blocks(labelled))[-1]
    blocks = len(list(device.read_blocks(labelled)))
    with open(path, "r+b") as f:
        f.truncate(last_offset + min(left, last.block_len - 1))
    torn = path.stat().st_size - last_offset
    with device.open_append(labelled, last_offset) as vol:
        assert (vol.size, vol.blocks, vol.torn_bytes, vol.catalog_outdated) == (last_offset, blocks - 1, torn, False)
    assert path.stat().st_size == last_offset
    assert max(offset + header.block_len for offset, header in device.read_blocks(labelled)) == last_offset


@pytest.mark.parametrize("damage", ["torn then more bytes", "a byte changed", "no block header"])
def test_device_open_append_cuts_off_a_damaged_block_beyond_the_catalog(
        device, labelled, session_label, damage):
    """A block the catalog does not count is checked whole: one cut short and followed by more
    bytes (its header alone makes it look whole), one with a changed byte, or bytes that are no
    block header at all, are cut off at open with all that follows."""
    write_two_jobs(device, labelled, session_label)
    path = device.volume_path(labelled)
    found = list(device.read_blocks(labelled))
    last_offset, last = found[-1]
    raw = bytearray(path.read_bytes())
    if damage == "a byte changed":
        raw[last_offset + last.block_len - 1] ^= 0x55
    elif damage == "no block header":
        raw[last_offset : last_offset + 64] = bytes(64)
    else:
        raw = raw[: last_offset + last.block_len - 100] + bytes(4096)
    path.write_bytes(raw)
    with device.open_append(labelled, last_offset) as vol:
        assert (vol.size, vol.blocks, vol.torn_bytes) == (last_offset, len(found) - 1, len(raw) - last_offset)
    assert path.stat().st_size == last_offset
    with device.open_append(labelled, 0 if damage == "a byte changed" else None) as vol:
        assert vol.size == last_offset  # nothing more to cut


def test_device_open_append_trusts_the_blocks_the_catalog_counts(device, labelled, session_label):
    """Within the catalog's VolBytes only the headers are read (reading is for restores)."""
    write_two_jobs(device, labelled, session_label)
    path = device.volume_path(labelled)
    size = path.stat().st_size
    offset, header = list(device.read_blocks(labelled))[-1]
    corrupt_byte(device, labelled, offset + header.block_len - 1)
    with device.open_append(labelled, size) as vol:
        assert (vol.size, vol.torn_bytes) == (size, 0)


def test_device_read_detects_corrupt_checksum(device, labelled, session_label):
    write_two_jobs(device, labelled, session_label)
    offset, header = list(device.read_blocks(labelled))[3]
    corrupt_byte(device, labelled, offset + header.block_len - 1)
    with pytest.raises(
        CorruptBlock,
        match=rf'Volume "{labelled}": corrupt block at offset {offset}: checksum mismatch',
    ):
        list(device.read_records(labelled))
    unchecked = FileDevice("d", "File", device.archive_device, checksum=False)
    assert len(list(unchecked.read_records(labelled))) == 10


def test_device_read_rejects_huge_block_length(device, labelled, session_label):
    write_two_jobs(device, labelled, session_label)
    offset, _ = list(device.read_blocks(labelled))[2]
    path = device.volume_path(labelled)
    raw = bytearray(path.read_bytes())
    struct.pack_into(">I", raw, offset + 4, 20_000_001)
    path.write_bytes(raw)
    with pytest.raises(CorruptBlock, match=f"offset {offset}: block length 20000001 outside"):
        list(device.read_records(labelled))


def test_device_read_by_address_skips_the_rest_of_the_volume(device, labelled, session_label):
    positions = write_two_jobs(device, labelled, session_label)
    # damage a block of job 2: job 1 read by VolAddr never touches it
    corrupt_byte(device, labelled, positions[2].start_address + 100)
    entry = BsrVolume(
        volume=labelled,
        vol_session_id=1,
        vol_session_time=STIME,
        vol_addrs=[(positions[1].start_address, positions[1].end_address)],
        file_indexes=[(2, 4)],
    )
    records = list(device.read_records(labelled, entry))
    assert [r.file_index for r in records] == [2, 3, 4]
    assert all(r.data == b"\x01" * 1500 and r.vol_session_id == 1 for r in records)
    with pytest.raises(CorruptBlock):
        list(device.read_records(labelled))


def _bootstraps(positions):
    """Filters with several entries per volume: FileIndex and VolAddr ranges, sessions named
    or not, two entries for one session."""
    one = positions[1]
    return [
        [BsrVolume(VOLUME, vol_session_id=1, vol_session_time=STIME, file_indexes=[(2, 3)]),
         BsrVolume(VOLUME, vol_session_id=2, vol_session_time=STIME, file_indexes=[(1, 1), (4, 5)])],
        [BsrVolume(VOLUME, vol_addrs=[(one.start_address, one.end_address)])],
        [BsrVolume(VOLUME, vol_addrs=[(one.start_address, one.end_address)]),
         BsrVolume(VOLUME, vol_session_id=2, vol_session_time=STIME, file_indexes=[(1, 1)])],
        [BsrVolume(VOLUME, file_indexes=[(3, 3)])],
        [BsrVolume(VOLUME, vol_session_id=1, vol_session_time=STIME, file_indexes=[(5, 5)],
                   vol_addrs=[(one.start_address, one.end_address)]),
         BsrVolume(VOLUME, vol_session_id=1, vol_session_time=STIME, file_indexes=[(1, 2)]),
         BsrVolume(VOLUME, vol_session_id=3, vol_session_time=STIME)],
    ]


def test_device_read_selects_what_the_bootstrap_entries_match(device, labelled, session_label):
    positions = write_two_jobs(device, labelled, session_label)
    everything = list(device.read_records(labelled))
    for entries in _bootstraps(positions):
        expected = [r for r in everything if any(e.matches(r) for e in entries)]
        assert expected, entries
        assert list(device.read_records(labelled, entries)) == expected, entries


def test_device_read_stops_after_the_session_ends(device, labelled, session_label):
    positions = write_two_jobs(device, labelled, session_label)
    corrupt_byte(device, labelled, positions[2].start_address + 100)
    entry = BsrVolume(volume=labelled, vol_session_id=1, vol_session_time=STIME)
    assert len(list(device.read_records(labelled, entry))) == 5  # EOS of session 1 ends the read
    labels = [r for r in device.read_records(labelled, entry, include_labels=True) if r.is_label]
    assert [r.file_index for r in labels] == [-4, -5]  # VOL_LABEL is session 0/0: not selected


def test_device_read_from_start_offset_and_other_volume_entries(device, labelled, session_label):
    positions = write_two_jobs(device, labelled, session_label)
    records = list(device.read_records(labelled, start_offset=positions[2].start_address))
    assert {r.vol_session_id for r in records} == {2}
    assert list(device.read_records(labelled, BsrVolume(volume="Elsewhere"))) == []


def test_device_read_label_records_and_record_offsets(device, labelled, session_label):
    positions = write_two_jobs(device, labelled, session_label)
    records = list(device.read_records(labelled, include_labels=True))
    assert records[0].file_index == -2 and records[0].block_offset == 0
    assert records[1].file_index == -4 and records[1].block_offset == positions[1].start_address
    assert [r.label_type() for r in records if r.is_label][-1].name == "EOS_LABEL"


def test_device_rejects_bad_block_sizes(tmp_path):
    with pytest.raises(ValueError):
        FileDevice("d", "File", tmp_path, maximum_block_size=100)
    with pytest.raises(ValueError):
        FileDevice("d", "File", tmp_path, label_block_size=30_000_000)


def test_device_closed_volume_refuses_writes(device, labelled):
    vol = device.open_append(labelled)
    writer = vol.session_writer(1, STIME)
    writer.write_record(1, 2, b"x")
    vol.close()
    vol.close()
    with pytest.raises(VolumeError, match="closed"):
        writer.flush()
    assert writer.buffered and BLOCK_SIZE == writer.block_size
