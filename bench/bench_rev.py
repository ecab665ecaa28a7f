"""``--rev REV``: benchmark the daemons of a git revision instead of the working tree.

Others may be editing the working tree while a benchmark runs (a daemon started for
the third run would import other code than the first). With ``--rev`` the script
exports REV's ``daemons/`` to ``WORK/code/<commit>/`` once and runs itself again with
that directory first on ``PYTHONPATH``, so every daemon it starts, and its own console
client, use that code. It must run before ``bareoslab`` is imported.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_WORK = Path("/tmp/bareoslab-bench")


def common_arguments(parser: argparse.ArgumentParser, scale: float = 1.0) -> None:
    """The options every benchmark script takes: the data sets' scale and seed, the runs,
    the work directory and the JSON output."""
    parser.add_argument("--scale", type=float, default=scale)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--json", type=Path)
CODE_ENV = "BAREOSLAB_BENCH_CODE"  # "<commit>:<daemons dir>" once re-executed


def reexec_for_rev(script: str) -> None:
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--rev")
    pre.add_argument("--work", type=Path, default=DEFAULT_WORK)
    known, _ = pre.parse_known_args()
    if not known.rev or os.environ.get(CODE_ENV):
        return
    proc = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--verify", f"{known.rev}^{{commit}}"],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"--rev {known.rev}: not a commit of {REPO}: {proc.stderr.strip()}")
    sha = proc.stdout.strip()
    code = known.work.resolve() / "code" / sha[:12]
    if not (code / ".complete").exists():
        shutil.rmtree(code, ignore_errors=True)
        code.mkdir(parents=True)
        archive = subprocess.run(
            f"git -C {shlex.quote(str(REPO))} archive {sha} daemons | tar -xf - -C "
            f"{shlex.quote(str(code))}",
            shell=True,
            capture_output=True,
            text=True,
        )
        if archive.returncode != 0:
            raise SystemExit(f"--rev {known.rev}: git archive failed: {archive.stderr.strip()}")
        (code / ".complete").write_text(sha + "\n")
    env = dict(os.environ, **{CODE_ENV: f"{sha}:{code / 'daemons'}"})
    env["PYTHONPATH"] = os.pathsep.join(
        x for x in (str(code / "daemons"), os.environ.get("PYTHONPATH")) if x
    )
    os.execve(sys.executable, [sys.executable, str(Path(script).resolve()), *sys.argv[1:]], env)
