"""Bootstraps the Director writes from JobMedia rows read back by the volume layer's parser."""

from __future__ import annotations

from bareoslab.catalog.api import JobMediaRow
from bareoslab.director.bsr import FileSelection, build_bootstrap
from bareoslab.volume.bsr import parse_bsr


def row(volume: str, first: int, last: int, start: int, end: int, job_id: int = 7) -> JobMediaRow:
    return JobMediaRow(job_media_id=0, job_id=job_id, media_id=1, volume_name=volume, media_type="File",
                       slot=0, vol_session_id=3, vol_session_time=1700000000, first_index=first,
                       last_index=last, start_file=0, end_file=0, start_block=start, end_block=end,
                       vol_index=1)


def test_a_job_spanning_volumes_gets_one_entry_per_volume_in_order() -> None:
    text = build_bootstrap([row("Full-0001", 1, 40, 200, 5000), row("Full-0002", 40, 90, 200, 9000)],
                           storage="File")
    entries = parse_bsr(text)
    assert [(e.volume, e.storage, e.file_indexes, e.vol_addrs, e.count) for e in entries] == [
        ("Full-0001", "File", [(1, 40)], [(200, 5000)], 40),
        ("Full-0002", "File", [(40, 90)], [(200, 9000)], 51),
    ]


def test_selected_files_become_ranges_and_names_are_quoted() -> None:
    text = build_bootstrap([row('odd "name" \\ vol', 1, 10, 0, 100)], wanted=FileSelection.of({7: [2, 3, 4, 9], 8: [1]}))
    [entry] = parse_bsr(text)
    assert entry.volume == 'odd "name" \\ vol'
    assert (entry.file_indexes, entry.count, entry.vol_session_id) == ([(2, 4), (9, 9)], 4, 3)
    assert build_bootstrap([row("V", 1, 10, 0, 100)], wanted=FileSelection.of({7: [11]})) == ""


def test_a_selection_keeps_runs_whatever_the_order_files_are_added_in() -> None:
    selection = FileSelection.of({7: [9, 2, 3, 3, 4, 10], 8: []})
    assert selection.ranges(7, 1, 100) == [(2, 4), (9, 10)] and selection.count() == 5
    assert selection.ranges(7, 3, 9) == [(3, 4), (9, 9)]  # cut to one JobMedia span
    assert 8 in selection and not selection.has_files(8) and selection.jobs() == [7, 8]
    selection.add_range(8, 1, 50_000)  # a whole job is one run
    assert selection.ranges(8, 1, 50_000) == [(1, 50_000)] and selection.count() == 50_005
    assert selection.indexes()[7] == [2, 3, 4, 9, 10]
    assert not FileSelection()
