"""bareoslab.trace.sequence: traces of several daemons -> arrows -> PlantUML / text."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bareoslab.trace.sequence import (
    Arrow,
    build_sequence,
    job_names,
    read_traces,
    render_plantuml,
    render_text,
)

from .tracegen import DIR, FD, SD, TraceBuilder, backup_trace, probe

JOB1 = "backup.2026-01-01_10.00.00_00"
JOB2 = "backup.2026-01-01_10.00.00_01"


def steps(arrows: list[Arrow]) -> list[tuple[str, str, str]]:
    return [(a.src, a.dst, a.label) for a in arrows]


def index(arrows: list[Arrow], label: str) -> int:
    return next(i for i, a in enumerate(arrows) if a.label.startswith(label))


def test_build_sequence_pairs_the_backup_like_the_detailed_view() -> None:
    arrows = build_sequence(backup_trace().records)
    assert steps(arrows)[:10] == [
        (DIR, SD, "connect 127.0.0.1:9103"),
        (DIR, SD, 'Hello Director bareos-dir calling Version="25.0.0"'),
        (SD, DIR, "auth cram-md5 <1.2@R_X::bareoslab-sd> ssl=0"),
        (DIR, SD, "CRAM-MD5 response"),
        (SD, DIR, "1000 OK auth"),
        (DIR, SD, "auth cram-md5 <1.2@R_X::bareoslab-dir> ssl=0"),
        (SD, DIR, "CRAM-MD5 response"),
        (DIR, SD, "1000 OK auth"),
        (SD, DIR, "3000 OK Hello"),
        (DIR, SD, f"JobId=1 job={JOB1} job_name=backup client_name=bareos-fd "),
    ]
    order = [index(arrows, x) for x in ("JobId=1 job=", "JobId=1 Job=", "level = full", "fileset", "use storage=",
                                        "storage address=", "Hello Start Job", "run", "backup FileIndex",
                                        "append open session", "data records", "2800 End Job", "3099 Job")]
    assert order == sorted(order)
    # every message has both ends, except the EOD the Director never read after 3099
    assert [(a.label, a.unpaired) for a in arrows if a.unpaired] == [("BNET_EOD", "lost")]


def test_build_sequence_resolves_peers_known_only_by_address() -> None:
    arrows = build_sequence(backup_trace().records)
    hello = arrows[index(arrows, "Hello Start Job")]
    assert (hello.src, hello.dst, hello.unpaired) == (FD, SD, "")
    # the FD's connection is drawn from the FD to the SD, once (connect and accept are one arrow)
    assert [(a.src, a.dst) for a in arrows if a.kind == "connect"] == [(DIR, SD), (DIR, FD), (FD, SD)]


def test_build_sequence_leaves_out_probes_nobody_can_be_matched_with() -> None:
    b = TraceBuilder()
    probe(b, SD, "127.0.0.1:55555")
    backup_trace(builder=b)
    probe(b, FD, "127.0.0.1:55556")
    arrows = build_sequence(b.records)
    assert all("55555" not in a.label and "55556" not in a.label for a in arrows)
    assert sum(a.label == "BNET_TERMINATE" and a.src == FD and a.dst == SD for a in arrows) == 1
    assert steps(arrows) == steps(build_sequence(backup_trace().records))


def test_build_sequence_collapses_the_data_stream_and_keeps_its_final_eod() -> None:
    arrows = build_sequence(backup_trace().records)
    i = index(arrows, "data records")
    data = arrows[i]
    assert (data.kind, data.src, data.dst, data.count, data.size) == ("data", FD, SD, 5, 150)
    assert data.label == "data records x 5 (150 B)"
    rest = [a for a in arrows[i + 1:] if (a.src, a.dst) == (FD, SD)]
    assert [a.label for a in rest[:2]] == ["BNET_EOD", "append close session 1"]
    assert not any(re.match(r"^\d+ \d+ 0$", a.text) or a.text == "hello" for a in arrows)


def test_build_sequence_orders_by_the_earlier_end_of_each_message() -> None:
    # "2000 OK backup" is stamped at the FD after the Director logged its receipt
    arrows = build_sequence(backup_trace().records)
    assert index(arrows, "backup FileIndex=0") + 1 == index(arrows, "2000 OK backup")


def test_build_sequence_draws_the_clock_exchange_as_a_loop() -> None:
    arrows = build_sequence(backup_trace(incremental=True).records)
    i = index(arrows, "BNET_BTIME")
    assert arrows[i].loop == 10
    assert (arrows[i].src, arrows[i + 1].src) == (FD, DIR)
    assert arrows[i + 1].label.startswith("btime ")
    assert arrows[i + 2].label == "BNET_EOD"
    assert sum(a.label.startswith("btime") for a in arrows) == 1


def test_build_sequence_collapses_runs_of_equal_messages() -> None:
    b = backup_trace()
    for n in range(4):
        b.msg(SD, DIR, f"Jmsg Job={JOB1} type=6 level=1 message {n}", job=JOB1, jobid=1)
    arrows = build_sequence(b.records)
    jmsg = [a for a in arrows if a.text.startswith("Jmsg")]
    assert len(jmsg) == 1 and jmsg[0].count == 4 and jmsg[0].label.endswith(" x 4")


def test_build_sequence_keeps_concurrent_jobs_apart() -> None:
    one = backup_trace(jobid=1, job=JOB1)
    two = backup_trace(jobid=2, job=JOB2, builder=TraceBuilder(one.records[0]["t"] + 0.0005))
    records = one.records + two.records  # the same texts on the same channels, interleaved in time
    alone = build_sequence(backup_trace(jobid=1, job=JOB1).records)
    first = build_sequence(records, jobid=1)
    second = build_sequence(records, job=JOB2)
    assert [(a.src, a.dst, a.label, a.unpaired) for a in first] == [
        (a.src, a.dst, a.label, a.unpaired) for a in alone]
    assert [a.label.replace(JOB2, JOB1).replace("JobId=2", "JobId=1").replace("SDid=2", "SDid=1")
            for a in second] == [a.label for a in alone]
    assert {a.jobid for a in first} == {1} and {a.jobid for a in second} == {2}
    assert {a.job for a in second} == {JOB2}


def test_build_sequence_selects_a_job_by_name_prefix_or_jobid() -> None:
    records = backup_trace().records
    assert build_sequence(records, job="backup") == build_sequence(records, jobid=1)
    assert build_sequence(records, job="nosuchjob") == []
    assert build_sequence(records, jobid=7) == []
    assert job_names(records) == {JOB1: 1}


def test_build_sequence_guesses_peers_from_one_trace() -> None:
    records = [r for r in backup_trace().records if r["daemon"] == DIR]
    arrows = build_sequence(records)
    assert {a.src for a in arrows} | {a.dst for a in arrows} == {DIR, "~storage", "~client"}
    assert not any(a.unpaired for a in arrows)  # nothing to pair with: nothing is "lost"
    names = [line for line in render_plantuml(arrows).splitlines() if line.startswith("participant")]
    assert names == ['participant "Director" as d', 'participant "Storage Daemon" as s',
                     'participant "File Daemon" as f']


def test_build_sequence_marks_a_message_nobody_received_as_lost() -> None:
    b = backup_trace()
    b.msg(DIR, FD, "TERMINATE", job=JOB1, jobid=1, recv=False)
    b.msg(SD, DIR, "HEARTBEAT", job=JOB1, jobid=1, send=False)
    last = build_sequence(b.records)[-2:]
    assert [(a.label, a.unpaired) for a in last] == [("BNET_TERMINATE", "lost"), ("BNET_HEARTBEAT", "unsent")]
    puml = render_plantuml(last)
    assert "d ->x f : BNET_TERMINATE" in puml and "s -[#999999]> d : BNET_HEARTBEAT" in puml


def test_build_sequence_skips_malformed_records() -> None:
    records = backup_trace().records
    noisy = [{"t": "x"}, {"daemon": DIR}, {"t": 1, "daemon": DIR, "dir": "sideways"}, *records]
    assert build_sequence(noisy) == build_sequence(records)


def test_read_traces_keeps_two_daemons_of_one_program_apart(tmp_path: Path) -> None:
    b = backup_trace()
    for name, daemon in (("sd1", SD), ("sd2", SD), ("dir", DIR)):
        lines = [json.dumps(r) for r in b.records if r["daemon"] == daemon]
        (tmp_path / f"{name}.trace.jsonl").write_text("\n".join(lines + ["not json"]) + "\n")
    records = read_traces([tmp_path])
    assert {r.get("node") for r in records} == {f"{SD}#sd1", f"{SD}#sd2", None}
    labels = [line for line in render_plantuml(build_sequence(records)).splitlines() if line.startswith("part")]
    assert labels[0] == 'participant "Director" as d'
    assert {x.split('"')[1] for x in labels[1:]} <= {"Storage Daemon sd1", "Storage Daemon sd2", "File Daemon"}


def test_render_plantuml_follows_the_detailed_view() -> None:
    arrows = build_sequence(backup_trace(incremental=True).records)
    puml = render_plantuml(arrows, title="Job backup (JobId 1)")
    lines = puml.splitlines()
    assert lines[:5] == ["@startuml", "title Job backup (JobId 1)", 'participant "Director" as d',
                         'participant "Storage Daemon" as s', 'participant "File Daemon" as f']
    assert lines[-1] == "@enduml"
    assert "d -[#3465a4]>o s : <i>connect 127.0.0.1:9103</i>" in lines
    assert "f -[#2e7d32,bold]>> s : data records x 5 (150 B)" in lines
    assert "f -> s : BNET_EOD" in lines
    loop = lines.index("loop 10 times")
    assert lines[loop + 1] == "  f -> d : BNET_BTIME" and lines[loop + 3] == "end"
    status = lines.index(f"s -> d : Status Job={JOB1} JobStatus=70")
    assert lines[status + 1] == "note right : 70 = 'F' (wait fd)"


def test_render_plantuml_shows_labels_literally() -> None:
    arrows = [Arrow(1.0, DIR, SD, "x", label="FileSetMD5=**Dummy** a//b c\\d --x"),
              Arrow(2.0, FD, DIR, "y", label="1000\\x1eOK")]
    puml = render_plantuml(arrows)
    assert "d -> s : FileSetMD5=*\u200b*Dummy*\u200b* a/\u200b/b c\\\\d -\u200b-x" in puml
    # the File Daemon appears first in time but is drawn last, as in the Bareos diagrams
    assert [x for x in puml.splitlines() if x.startswith("participant")][-1] == 'participant "File Daemon" as f'


def test_build_sequence_shows_control_characters() -> None:
    b = TraceBuilder()
    b.msg(DIR, SD, "1000\x1eOK: bareos-dir", job=JOB1, jobid=1)
    assert build_sequence(b.records)[0].label == "1000\\x1eOK: bareos-dir"


def test_render_text_is_one_aligned_line_per_arrow() -> None:
    arrows = build_sequence(backup_trace(incremental=True).records)
    text = render_text(arrows).splitlines()
    assert len(text) == len(arrows)
    assert text[0] == "   +0.000s        Director =>o Storage Daemon : connect 127.0.0.1:9103"
    assert text[1].endswith('Director ->  Storage Daemon : Hello Director bareos-dir calling Version="25.0.0"')
    assert len({line.index(" : ") for line in text}) == 1
    loop = [line for line in text if "[loop x10]" in line]
    assert len(loop) == 2 and "BNET_BTIME" in loop[0] and "btime" in loop[1]
    assert render_text([]) == ""


def test_an_untraced_file_daemon_is_not_taken_for_the_storage_daemon() -> None:
    """A real bareos-fd writes no trace: the Director's and the SD's conversations with it end at
    a virtual File Daemon, though the SD received equal messages from the Director meanwhile."""
    from bareoslab.trace.sequence import role_of

    records = [r for r in backup_trace().records if r.get("daemon") != FD]
    arrows = build_sequence(records)
    by_label = {a.label: a for a in arrows}
    assert role_of(by_label["fileset"].dst) == "client"
    assert role_of(by_label["append open session"].src) == "client"
    assert role_of(by_label["2000 OK Hello 54"].src) == "client"
    assert not [a for a in arrows if {role_of(a.src), role_of(a.dst)} == {"director", "storage"}
                and a.label in ("fileset", "backup FileIndex=0", "2800 End Job")]


def test_a_replication_between_two_sds_pairs_across_their_two_jobs(tmp_path: Path) -> None:
    """The reading SD traces the conversation under the copy job, the writing SD under the job
    it writes: every message still has both ends, and either JobId draws it."""
    sd1, sd2 = [], []
    t = 1_800_000_000.0

    def line(records: list, peer: str, direction: str, text: str, job: str, jobid: int) -> None:
        nonlocal t
        t += 0.001
        records.append({"t": t, "daemon": SD, "peer": peer, "dir": direction, "job": job, "jobid": jobid,
                        "len": len(text) + 1, "msg": text})

    t += 0.001
    sd1.append({"t": t, "daemon": SD, "event": "connect", "peer": "sd2", "address": "127.0.0.1:9104",
                "job": "copy.1"})
    sd2.append({"t": t + 0.0005, "daemon": SD, "event": "accept", "peer": "127.0.0.1:40001"})
    conversation = [(sd1, sd2, "Hello Start Storage Job backup.2 Version=25.0.0"),
                    (sd2, sd1, "3000 OK start replicate ticket = 1"),
                    (sd1, sd2, "end replicate"), (sd2, sd1, "3000 OK end replicate")]
    for src, dst, text in conversation:
        line(src, "sd2" if src is sd1 else "127.0.0.1:40001", "send", text,
             *(("copy.1", 12) if src is sd1 else ("backup.2", 0)))
        line(dst, "127.0.0.1:40001" if dst is sd2 else "sd2", "recv", text,
             *(("copy.1", 12) if dst is sd1 else ("backup.2", 0)))
    for name, records in (("sd1", sd1), ("sd2", sd2)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))

    arrows = build_sequence(read_traces([tmp_path]), jobid=12)
    messages = [a for a in arrows if a.kind == "message"]
    assert [(a.text, a.unpaired) for a in messages] == [(text, "") for _, _, text in conversation]
    assert {a.src for a in messages} == {f"{SD}#sd1", f"{SD}#sd2"}
    assert [a.text for a in build_sequence(read_traces([tmp_path]), job="backup") if a.kind == "message"] == [
        text for _, _, text in conversation]
