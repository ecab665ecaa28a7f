"""Copy/migrate on the SD: FileIndex renumbering, copied session labels, the replicate data format."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from bareoslab.codes import JobStatus, VolumeLabel
from bareoslab.net.framing import Signal
from bareoslab.storage.mac import Renumber, copied_label, end_label
from bareoslab.storage.replicate import ReplicateEmitter
from bareoslab.volume.label import SessionLabel
from bareoslab.volume.record import Record


def test_renumber_gives_sequential_indexes_per_source_file() -> None:
    renumber = Renumber()
    assert [renumber(i) for i in (7, 7, 7, 9, 9, 10, 15)] == [1, 1, 1, 2, 2, 3, 4]


def test_copied_label_keeps_the_original_names_with_the_new_jobid() -> None:
    source = SessionLabel(job_id=1, job_name="backup", job="backup.2026-01-01_00.00.00_01", client_name="fd",
                          file_set_name="LabData", job_type=ord("B"), job_level=ord("F"), pool_name="Full",
                          write_btime=5)
    job: Any = SimpleNamespace(jobid=3, job_files=12, job_bytes=345, errors=0, status=JobStatus.RUNNING)
    sos = copied_label(source, job, "LocalCopy", "Backup")
    assert (sos.job_id, sos.job_name, sos.job, sos.job_type, sos.job_level) == (
        3, "backup", "backup.2026-01-01_00.00.00_01", ord("B"), ord("F"))
    assert sos.pool_name == "LocalCopy" and sos.write_btime > 5
    eos = end_label(sos, job)
    assert eos.label_type is VolumeLabel.EOS_LABEL
    assert (eos.job_files, eos.job_bytes, eos.job_status) == (12, 345, ord("T"))
    # both survive the volume encoding
    again = SessionLabel.from_bytes(eos.to_bytes(), VolumeLabel.EOS_LABEL)
    assert (again.job_id, again.job, again.job_files) == (3, sos.job, 12)


class FakeConn:
    def __init__(self) -> None:
        self.out: list[Any] = []

    def write(self, payload: Any) -> None:
        self.out.append(payload if isinstance(payload, str) else bytes(payload))

    def write_signal(self, sig: Signal) -> None:
        self.out.append(sig)


def test_replicate_emitter_sends_one_header_per_file_and_stream() -> None:
    conn: Any = FakeConn()
    emit = ReplicateEmitter()
    records = [Record(1, 2, 1, 1, b"attr"), Record(1, 2, 1, 2, b"aa"), Record(1, 2, 1, 2, b"bb"),
               Record(1, 2, 2, 1, b"attr2")]
    assert sum(emit(conn, r) for r in records) == 13
    emit.finish(conn)
    assert conn.out == ["1 1 0", b"attr", Signal.EOD, "1 2 0", b"aa", b"bb", Signal.EOD,
                        "2 1 0", b"attr2", Signal.EOD, Signal.EOD]


def test_replicate_emitter_with_no_records_only_ends_the_data() -> None:
    conn: Any = FakeConn()
    ReplicateEmitter().finish(conn)
    assert conn.out == [Signal.EOD]
