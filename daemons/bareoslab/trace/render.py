"""Sequence diagrams as pictures: the PlantUML text of ``sequence.render_plantuml`` drawn as
SVG or PNG by the ``plantuml`` program (Debian's package; ``tools/system-packages`` installs it).

PlantUML lays a sequence diagram out itself and draws every label whole, however long.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Collection, Sequence
from pathlib import Path

from .sequence import build_sequence, diagram_title, render_plantuml

IMAGE_FORMATS = ("svg", "png")


class RenderError(Exception):
    """The diagram could not be drawn (no ``plantuml``, or it refused the text)."""


def render_image(puml: str, fmt: str, timeout: float = 120.0) -> bytes:
    """``puml`` drawn as an ``fmt`` (svg or png) image."""
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"not an image format: {fmt}")
    program = shutil.which("plantuml")
    if program is None:
        raise RenderError("plantuml is not installed: apt-get install plantuml (make venv does)")
    try:
        done = subprocess.run([program, f"-t{fmt}", "-charset", "UTF-8", "-pipe"], input=puml.encode(),
                              capture_output=True, timeout=timeout, check=False,
                              env={k: v for k, v in os.environ.items() if k != "DISPLAY"})  # headless
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"plantuml took more than {timeout:.0f} s") from exc
    if done.returncode != 0 or not done.stdout:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RenderError(f"plantuml refused the diagram (exit {done.returncode})"
                          + (f": {why[-1]}" if why else ""))
    return done.stdout


def write_diagrams(records: Sequence[dict], jobs: Sequence[tuple[Collection[int], str]], directory: Path,
                   fmt: str = "svg") -> tuple[list[Path], str | None]:
    """For each (JobIds, file stem) of ``jobs`` with messages in ``records``: ``<stem>.puml`` and
    the picture ``<stem>.<fmt>`` in ``directory`` (a copy or migrate is drawn with the job it
    writes). Returns the files written and, when no picture could be drawn, why (the ``.puml``
    files are written all the same)."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    why = None
    for jobids, stem in jobs:
        arrows = build_sequence(records, jobids=jobids)
        if not arrows:
            continue
        puml = render_plantuml(arrows, title=diagram_title(arrows))
        (directory / f"{stem}.puml").write_text(puml, encoding="utf-8")
        if why is None:
            try:
                picture = directory / f"{stem}.{fmt}"
                picture.write_bytes(render_image(puml, fmt))
                written.append(picture)
                continue
            except RenderError as exc:
                why = str(exc)
        written.append(directory / f"{stem}.puml")
    return written, why
