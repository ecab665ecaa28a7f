import struct

import pytest
from bareoslab.codes import JobLevel, JobType, VolumeLabel
from bareoslab.volume.block import build_block
from bareoslab.volume.errors import (
    LabelFormatError,
    VolumeError,
    VolumeExists,
    VolumeLabelError,
    VolumeNotFound,
)
from bareoslab.volume.label import SessionLabel, VolumeLabelRecord

from .conftest import VOLUME

BTIME = 1_700_000_000_000_000


def worked_example_label() -> VolumeLabelRecord:
    """The label of volume-format.md §5's example."""
    return VolumeLabelRecord(
        volume_name="Full-0001",
        prev_volume_name="",
        pool_name="Full",
        pool_type="Backup",
        media_type="File",
        host_name="sd-host",
        label_prog="bareos-sd",
        prog_version="Ver. 25.0.0 (01 Jan 2026)",
        prog_date="Build Jan  1 2026 00:00:00",
        label_btime=BTIME,
        write_btime=BTIME,
    )


def test_label_worked_example_bytes():
    data = worked_example_label().to_bytes()
    assert len(data) == 156
    block = build_block([(VolumeLabel.VOL_LABEL, 0, data)], 0, 0, block_number=0)
    assert len(block) == 192
    assert block[:24].hex() == "9417b15d000000c000000000424230320000000000000000"
    assert block[24:36].hex() == "fffffffe000000000000009c"
    assert block[36:61].hex() == "426172656f7320322e3020696d6d6f7274616c0a0000000014"
    # the rest of the layout: two btimes, two float64 zeros, then the strings
    assert struct.unpack_from(">qqdd", block, 61) == (BTIME, BTIME, 0.0, 0.0)
    assert block[93:].split(b"\0")[:-1] == [
        b"Full-0001",
        b"",
        b"Full",
        b"Backup",
        b"File",
        b"sd-host",
        b"bareos-sd",
        b"Ver. 25.0.0 (01 Jan 2026)",
        b"Build Jan  1 2026 00:00:00",
    ]


def test_label_volume_label_roundtrip():
    label = worked_example_label()
    assert VolumeLabelRecord.from_bytes(label.to_bytes()) == label


def test_label_device_writes_the_label_block_alone(device, monkeypatch):
    monkeypatch.setattr("bareoslab.volume.device.now_btime", lambda: BTIME)
    vol_bytes = device.label(VOLUME, "Full", host_name="sd-host", prog_name="bareos-sd")
    raw = device.volume_path(VOLUME).read_bytes()
    assert vol_bytes == len(raw)
    expected = worked_example_label()
    expected.prog_version = device.read_label(VOLUME).prog_version
    expected.prog_date = device.read_label(VOLUME).prog_date
    assert raw == build_block([(VolumeLabel.VOL_LABEL, 0, expected.to_bytes())])
    assert device.read_label(VOLUME) == expected


def test_label_refuses_to_overwrite_a_labelled_volume(device, labelled):
    before = device.volume_path(labelled).read_bytes()
    with pytest.raises(VolumeExists, match="already labelled"):
        device.label(labelled, "Other")
    device.volume_path("junk").write_bytes(b"not a volume")
    with pytest.raises(VolumeExists, match="not an empty file"):
        device.label("junk", "Full")
    assert device.volume_path(labelled).read_bytes() == before


def test_label_accepts_an_empty_file_and_relabels_its_own_volume(device):
    device.volume_path(VOLUME).touch()
    device.label(VOLUME, "Full")
    assert device.read_label(VOLUME).pool_name == "Full"
    device.label(VOLUME, "Scratch", relabel=True)
    assert device.read_label(VOLUME).pool_name == "Scratch"
    assert [p.name for p in device.archive_device.iterdir()] == [VOLUME]


def test_label_read_label_validates_name_and_presence(device, labelled):
    device.volume_path(labelled).rename(device.volume_path("Other-0001"))
    with pytest.raises(VolumeLabelError, match='wrong volume: label names "Full-0001"'):
        device.read_label("Other-0001")
    with pytest.raises(VolumeNotFound):
        device.read_label(labelled)
    device.volume_path("Empty").touch()
    with pytest.raises(VolumeLabelError, match="empty"):
        device.read_label("Empty")


def test_label_read_label_rejects_wrong_version(device):
    data = bytearray(worked_example_label().to_bytes())
    struct.pack_into(">I", data, 21, 11)  # VerNum
    device.volume_path(VOLUME).write_bytes(build_block([(VolumeLabel.VOL_LABEL, 0, bytes(data))]))
    with pytest.raises(VolumeLabelError, match="VerNum 11"):
        device.read_label(VOLUME)


def test_label_read_label_rejects_data_block(device):
    device.volume_path(VOLUME).write_bytes(build_block([(1, 2, b"data")]))
    with pytest.raises(VolumeLabelError, match="first record is 1"):
        device.read_label(VOLUME)


def test_label_invalid_volume_names_are_refused(device):
    for name in ("", ".", "..", "../etc/passwd", "a/b"):
        with pytest.raises(VolumeError, match="invalid volume name"):
            device.volume_path(name)


def session(eos: bool) -> SessionLabel:
    return SessionLabel(
        label_type=VolumeLabel.EOS_LABEL if eos else VolumeLabel.SOS_LABEL,
        job_id=7,
        write_btime=BTIME,
        pool_name="Full",
        pool_type="Backup",
        job_name="BackupClient1",
        client_name="client1-fd",
        job="BackupClient1.2026-01-01_00.00.00_07",
        file_set_name="SelfTest",
        job_type=JobType.BACKUP.code,
        job_level=JobLevel.FULL.code,
        file_set_md5="abc",
        job_files=3,
        job_bytes=1 << 40,
        start_block=24,
        end_block=4095,
        start_file=0,
        end_file=1,
        job_errors=0,
        job_status=84,
    )


def test_label_sos_layout():
    label = session(eos=False)
    data = label.to_bytes()
    assert label.file_index == -4 and label.stream == 7
    assert data.startswith(b"Bareos 2.0 immortal\n\0")
    assert struct.unpack_from(">IIqd", data, 21) == (20, 7, BTIME, 0.0)
    strings_end = data.index(b"SelfTest\0") + len(b"SelfTest\0")
    assert data[45:strings_end].split(b"\0")[:-1] == [
        b"Full",
        b"Backup",
        b"BackupClient1",
        b"client1-fd",
        b"BackupClient1.2026-01-01_00.00.00_07",
        b"SelfTest",
    ]
    assert struct.unpack_from(">II", data, strings_end) == (66, 70)
    assert data[strings_end + 8 :] == b"abc\0"


def test_label_eos_layout_and_roundtrip():
    sos, eos = session(eos=False), session(eos=True)
    data = eos.to_bytes()
    assert len(data) == len(sos.to_bytes()) + 36
    tail = struct.unpack(">IQIIIIII", data[-36:])
    assert tail == (3, 1 << 40, 24, 4095, 0, 1, 0, 84)
    assert SessionLabel.from_bytes(data, VolumeLabel.EOS_LABEL) == eos
    decoded_sos = SessionLabel.from_bytes(sos.to_bytes(), -4)
    assert decoded_sos.job == sos.job and decoded_sos.job_files == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Bareos 2.0 immortal\n", "no NUL"),
        (b"Bacula 1.0 immortal\n\0" + bytes(100), "label Id"),
        (b"Bareos 2.0 immortal\n\0\0\0\0\x14\0", "cut short in label_btime"),
    ],
)
def test_label_from_bytes_reports_bad_data(data, message):
    with pytest.raises(LabelFormatError, match=message):
        VolumeLabelRecord.from_bytes(data)


def test_label_session_label_cut_short():
    data = session(eos=True).to_bytes()[:-3]
    with pytest.raises(LabelFormatError, match="JobStatus"):
        SessionLabel.from_bytes(data, VolumeLabel.EOS_LABEL)
    with pytest.raises(LabelFormatError, match="not a session label"):
        SessionLabel.from_bytes(data, VolumeLabel.VOL_LABEL)
