"""``bareoslab trace`` draws the sequence diagram as SVG and PNG (trace/render.py, by plantuml)."""

from __future__ import annotations

import json
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bareoslab.lab import cli
from bareoslab.trace.render import RenderError, render_image, write_diagrams
from bareoslab.trace.sequence import build_sequence, read_traces

from .tracegen import backup_trace

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def traces(tmp_path: Path) -> Path:
    """A backup's trace, one file per daemon as the daemons write them."""
    directory = tmp_path / "run"
    directory.mkdir()
    records = backup_trace().records
    for daemon in ("dir", "sd", "fd"):
        lines = [json.dumps(r) for r in records if r["daemon"] == f"bareoslab-{daemon}"]
        (directory / f"{daemon}.trace.jsonl").write_text("\n".join(lines) + "\n")
    return directory


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_trace_draws_an_svg_with_every_participant_and_whole_labels(traces: Path, tmp_path: Path) -> None:
    out = tmp_path / "job.svg"
    assert cli.main(["trace", "--jobid", "1", str(traces), "-o", str(out)]) == 0  # the suffix says svg
    texts = [t.text or "" for t in ET.parse(out).getroot().iter(f"{SVG}text")]
    assert {"Director", "Storage Daemon", "File Daemon"} <= set(texts)
    drawn = " ".join(texts)
    arrows = build_sequence(read_traces([traces]), jobid=1)
    longest = max((a.label for a in arrows if a.kind == "message"), key=len)
    assert len(longest) > 60 and longest.strip() in drawn  # not cut
    assert "Job backup.2026-01-01_10.00.00_00 (JobId 1)" in drawn


def test_trace_draws_a_png_taller_than_wide(traces: Path, tmp_path: Path) -> None:
    out = tmp_path / "job.out"
    assert cli.main(["trace", "--jobid", "1", "--format", "png", str(traces), "-o", str(out)]) == 0
    width, height = png_size(out.read_bytes())
    assert 400 < width < height


def test_write_diagrams_names_each_job_and_keeps_the_text(traces: Path, tmp_path: Path) -> None:
    written, why = write_diagrams(read_traces([traces]), [((1,), "backup-director"), ((7,), "nothing")], tmp_path / "d")
    assert why is None and written == [tmp_path / "d" / "backup-director.svg"]
    assert (tmp_path / "d" / "backup-director.puml").read_text().startswith("@startuml")
    assert not (tmp_path / "d" / "nothing.puml").exists()  # JobId 7 sent nothing


def test_without_plantuml_the_text_is_kept_and_the_reason_given(traces: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no plantuml on it
    assert cli.main(["trace", "--jobid", "1", str(traces), "-o", str(tmp_path / "job.svg")]) == 13
    assert "plantuml is not installed" in capsys.readouterr().err
    written, why = write_diagrams(read_traces([traces]), [((1,), "backup")], tmp_path / "d")
    assert written == [tmp_path / "d" / "backup.puml"] and why and "plantuml is not installed" in why


def test_plantuml_refusing_the_text_is_an_error() -> None:
    with pytest.raises(RenderError, match="plantuml refused the diagram"):
        render_image("@startuml\nthis is -> not a diagram ->\n@enduml\n", "svg")
