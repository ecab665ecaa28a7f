#!/usr/bin/env python3
"""Fuzz one target with atheris (libFuzzer): ``fuzz/run.py TARGET [libFuzzer options]``.

    .venv/bin/python fuzz/run.py hello -runs=3000 -seed=1       # a bounded, repeatable run
    .venv/bin/python fuzz/run.py volume -max_total_time=300      # five minutes
    .venv/bin/python fuzz/run.py --list

The target's seeds are written to a fresh corpus directory first (a directory given as
``-corpus DIR`` keeps what the run finds). An input that raises what the target's contract
does not allow stops the run; libFuzzer writes it as ``crash-<sha1>`` (``-artifact_prefix``),
and a copy under ``fuzz/regressions/TARGET/`` makes it a regression test
(``tests/fuzz/test_fuzz.py`` replays every file there).
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import atheris  # noqa: E402

with atheris.instrument_imports(include=["bareoslab"]):
    from targets import TARGETS, Target  # noqa: E402


def one_input(target: Target):  # noqa: ANN201 (atheris calls it with bytes)
    def test_one_input(data: bytes) -> None:
        try:
            target.run(data)
        except target.allowed:
            pass

    return test_one_input


def main() -> int:
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    if args[0] == "--list":
        print("\n".join(TARGETS))
        return 0
    name, options = args[0], args[1:]
    if name not in TARGETS:
        print(f"unknown target {name!r}; one of: {', '.join(TARGETS)}", file=sys.stderr)
        return 2
    target = TARGETS[name]
    if target.module:
        with atheris.instrument_imports(include=["bareoslab"]):
            importlib.import_module(target.module)
    corpus = None
    if "-corpus" in options:
        i = options.index("-corpus")
        corpus = Path(options[i + 1])
        del options[i:i + 2]
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{name}-") as tmp:
        corpus = corpus or Path(tmp)
        corpus.mkdir(parents=True, exist_ok=True)
        for n, seed in enumerate(target.seeds):
            (corpus / f"seed-{n}").write_bytes(seed)
        atheris.Setup([sys.argv[0], *options, str(corpus)], one_input(target))
        atheris.Fuzz()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
