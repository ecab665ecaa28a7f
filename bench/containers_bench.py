"""How long the container lab takes: the image, each molecule scenario, ``make lab``.

Medians over ``--runs``, each next to a floor measured in the same run: creating the same
number of containers from the image and waiting until systemd has booted them all (what
any scenario pays before Ansible starts), and removing them. Per-step times of ``molecule
test`` (create, prepare, converge, idempotence, verify, destroy) come from its progress.

    .venv/bin/python bench/containers_bench.py --runs 3 --json /tmp/containers.json
    .venv/bin/python bench/containers_bench.py --runs 1 --scenarios default --no-image --no-lab

Needs what ``make lab`` needs (Docker Engine, root for the image build). It builds the
image with ``--force`` (unless ``--no-image``), runs ``molecule test`` of each scenario and
``bareoslab containers up`` + ``run`` + ``down``; nothing else of the machine is touched.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bareoslab.lab.containers import image
from bareoslab.lab.containers import lab as containers
from bareoslab.lab.containers.lab import Demo, Scenario

ROOT = Path(__file__).resolve().parents[1]
STEP = re.compile(r"^\[\s*(\d+)s\] [\w-]+: (\w+)$")


class Steps(io.StringIO):
    """Progress lines -> seconds per molecule step (and echo them, so long runs show progress)."""

    def write(self, text: str) -> int:
        sys.stderr.write(text)
        return super().write(text)

    def durations(self, total: float) -> dict[str, float]:
        marks = [(int(m.group(1)), m.group(2)) for line in self.getvalue().splitlines()
                 if (m := STEP.match(line))]
        ends = [t for t, _ in marks[1:]] + [total]
        out: dict[str, float] = {}
        for (start, step), end in zip(marks, ends):
            out[step] = out.get(step, 0.0) + end - start
        return out


def boot_floor(tag: str, count: int) -> float:
    """Seconds to create ``count`` containers as the scenarios do, boot systemd in all, remove them."""
    names = [f"bareoslab-bench-{i}" for i in range(count)]
    started = time.monotonic()
    try:
        for name in names:
            subprocess.run(["docker", "run", "-d", "--name", name, "--tmpfs", "/run", "--tmpfs", "/run/lock",
                            "--tmpfs", "/tmp", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro", tag,
                            "/lib/systemd/systemd"], check=True, capture_output=True)
        for name in names:
            subprocess.run(["docker", "exec", name, "timeout", "120", "systemctl", "is-system-running", "--wait"],
                           capture_output=True)
    finally:
        subprocess.run(["docker", "rm", "-f", *names], capture_output=True)
    return time.monotonic() - started


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scenarios", default=",".join(containers.TEST_SCENARIOS))
    parser.add_argument("--no-image", action="store_true", help="do not time an image build")
    parser.add_argument("--no-lab", action="store_true", help="do not time make lab")
    parser.add_argument("--json", metavar="FILE", help="write every figure here")
    args = parser.parse_args(argv)
    containers.check_docker()
    results: dict[str, Any] = {"runs": args.runs, "image": [], "scenarios": {}, "lab": []}
    tag = image.build_image(sys.stderr)
    for run in range(1, args.runs + 1):
        print(f"== run {run}/{args.runs}", file=sys.stderr)
        if not args.no_image:
            started = time.monotonic()
            tag = image.build_image(sys.stderr, force=True)
            results["image"].append(time.monotonic() - started)
        for name in args.scenarios.split(","):
            scenario = Scenario(name, ROOT)
            floor = boot_floor(tag, len(scenario.hosts))
            steps = Steps()
            total = containers.molecule("test", scenario, tag, steps)
            results["scenarios"].setdefault(name, []).append(
                {"seconds": total, "floor": floor, "steps": steps.durations(total)})
        if not args.no_lab:
            scenario = Scenario(containers.DEFAULT_SCENARIO, ROOT)
            floor = boot_floor(tag, len(scenario.hosts))
            started = time.monotonic()
            containers.up(scenario, sys.stderr)
            Demo(scenario, sys.stderr).run()
            results["lab"].append({"seconds": time.monotonic() - started, "floor": floor})
            containers.down(scenario, sys.stderr)

    print("\nmedians over", args.runs, "runs")
    if results["image"]:
        print(f"  image build (mmdebstrap + docker import): {median(results['image']):6.1f} s")
    for name, runs in results["scenarios"].items():
        secs, floor = median([r["seconds"] for r in runs]), median([r["floor"] for r in runs])
        steps = {s: median([r["steps"].get(s, 0.0) for r in runs]) for s in runs[0]["steps"]}
        print(f"  molecule test -s {name:<7} {secs:6.1f} s   boot floor {floor:5.1f} s ({floor / secs:4.0%})   "
              + "  ".join(f"{s} {t:.0f}" for s, t in steps.items()))
    if results["lab"]:
        secs, floor = median([r["seconds"] for r in results["lab"]]), median([r["floor"] for r in results["lab"]])
        print(f"  make lab (up + run, image present) {secs:6.1f} s   boot floor {floor:5.1f} s ({floor / secs:4.0%})")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
