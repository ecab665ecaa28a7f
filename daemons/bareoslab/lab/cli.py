"""``bareoslab``: the local lab on loopback, the lab in containers, and protocol traces as
sequence diagrams.

::

    bareoslab local up     [--dir DIR] [--inventory INV] [--port-base N]
                                                         start Director, Storage and File daemon(s)
    bareoslab local status [--dir DIR]                   running? listening? (non-zero if not)
    bareoslab local down   [--dir DIR]                   stop them (by pid file); keep the data
    bareoslab local demo   [--dir DIR] [--inventory INV] Full, Incremental, restore, compare
    bareoslab image [--force | --tag]                    the containers' image (lab/containers/image.py)
    bareoslab containers up|run|status|down|test        the roles in containers (lab/containers/lab.py)
    bareoslab trace [--job JOB | --jobid N] FILE|DIR... [-o OUT.puml|.svg|.png]
                    [--format puml|text|svg|png]       svg and png drawn by plantuml
    bareoslab trace --check (--job JOB | --jobid N) FILE|DIR...
                                                         the job's messages against the reference

A lab lives in one directory (default ``./lab``): ``lab.json`` (ports, passwords),
``etc/`` (the daemons' Bareos configuration and ``bconsole.conf``), ``work/`` (the
SQLite catalog), ``storage/`` (volumes), ``data/`` (what the FileSet backs up),
``restores/``, ``run/`` (pid files, logs, protocol traces) and ``diagrams/``.

Exit status: 0 success, 1 a daemon is down (``status``) or another lab error,
2 usage, 3 no lab in DIR, 4 unreadable ``lab.json``, 5 a daemon did not start,
6 the demo failed, 7 nothing to draw (``trace``), 8 the image could not be built,
9 a command on a container failed, 10 the container lab failed, 11 the inventory is
not a topology the lab can run, 12 the job's messages differ from the reference (``trace --check``),
13 PlantUML could not draw the diagram (``trace --format svg|png``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ..trace.conformance import REFERENCE, check, job_kind
from ..trace.render import IMAGE_FORMATS, RenderError, render_image
from ..trace.sequence import (
    Arrow,
    build_sequence,
    diagram_title,
    job_names,
    read_traces,
    render_plantuml,
    render_text,
)
from .containers import image
from .containers import lab as containers
from .errors import LabError
from .local.commands import DEFAULT_DIR, local_demo, local_down, local_status, local_up


class NoTrace(LabError):
    """Nothing to draw."""

    exit_code = 7


class NoPicture(LabError):
    """PlantUML could not draw the diagram."""

    exit_code = 13


def trace(paths: Sequence[str], out: TextIO, job: str | None = None, jobid: int | None = None,
          fmt: str | None = None, output: str | None = None, list_jobs: bool = False,
          check: bool = False) -> int:
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise NoTrace(f"no such trace file: {', '.join(missing)}")
    records = read_traces(paths)
    if not records:
        raise NoTrace(f"no trace lines in {', '.join(paths)}")
    jobs = job_names(records)
    if list_jobs:
        for name, number in sorted(jobs.items(), key=lambda kv: (kv[1], kv[0])):
            print(f"{number:>6}  {name}", file=out)
        return 0
    arrows = build_sequence(records, job=job, jobid=jobid)
    if not arrows:
        known = ", ".join(f"{n} ({i})" for n, i in sorted(jobs.items(), key=lambda kv: kv[1])) or "none"
        raise NoTrace(f"no messages of {'job ' + job if job else f'JobId {jobid}'} in these traces; "
                      f"jobs seen: {known}")
    if check:
        return check_trace(arrows, out, job or f"JobId {jobid}")
    if fmt is None:  # from the output's suffix: job.svg is a picture
        suffix = Path(output).suffix.lstrip(".") if output else ""
        fmt = suffix if suffix in IMAGE_FORMATS else "puml"
    if fmt == "text":
        data = render_text(arrows).encode()
    else:
        puml = render_plantuml(arrows, title=diagram_title(arrows, jobid, job) if (job or jobid) else None)
        try:
            data = render_image(puml, fmt) if fmt in IMAGE_FORMATS else puml.encode()
        except RenderError as exc:
            raise NoPicture(str(exc)) from exc
    if output:
        Path(output).write_bytes(data)
        print(f"wrote {output}: {len(arrows)} arrows", file=sys.stderr)
    elif hasattr(out, "buffer"):
        out.flush()
        out.buffer.write(data)
    else:
        out.write(data.decode("utf-8", "replace"))
    return 0


NOT_CONFORMING = 12


def check_trace(arrows: Sequence[Arrow], out: TextIO, which: str) -> int:
    """Print how a job's messages differ from the reference sequence of its kind."""
    kind = job_kind(arrows)
    if kind is None:
        raise NoTrace(f"{which}: no reference sequence for this kind of job "
                      f"(there is one for {' and '.join(REFERENCE)})")
    findings = check(arrows, REFERENCE[kind])
    if not findings:
        print(f"{which} ({kind}): every step of the reference sequence, in order", file=out)
        return 0
    print(f"{which} ({kind}): {len(findings)} difference(s) from the reference sequence", file=out)
    for finding in findings:
        print(f"  {finding}", file=out)
    return NOT_CONFORMING


# -- command line ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bareoslab",
        description="A Bareos lab on loopback or in containers, and protocol traces as sequence diagrams.")
    sub = parser.add_subparsers(dest="command", required=True)

    local = sub.add_parser("local", help="a lab on loopback (no containers)",
                           description="A Director, a Storage and a File daemon on 127.0.0.1, SQLite catalog; "
                                       "or every daemon of an inventory's topology (--inventory).")
    actions = local.add_subparsers(dest="action", required=True)
    dir_help = f"the lab's directory (default ./{DEFAULT_DIR})"
    up = actions.add_parser("up", help="render the configuration and start the daemons")
    up.add_argument("--port-base", type=int, metavar="N",
                    help="listen on N (Director), N+1 (File daemon), N+2 (Storage daemon); with an inventory: "
                         "N, N+1, ... for the Director, the Storage daemons, the File daemons")
    status = actions.add_parser("status", help="which daemons run and listen (exit 1 if one does not)")
    down = actions.add_parser("down", help="stop the daemons (by their pid files); keep the data")
    demo = actions.add_parser("demo", aliases=["run"],
                              help="up, Full + Incremental backup, restore, compare, job table")
    demo.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for each job (default 300)")
    for p in (up, status, down, demo):
        p.add_argument("--dir", default=DEFAULT_DIR, help=dir_help)
    for p in (up, demo):
        p.add_argument("--inventory", type=Path, metavar="INV",
                       help="a new lab runs this inventory's topology on loopback (inventories/one-sd, two-sd): "
                            "every daemon host, its clients' connection modes, devices, pools and jobs; "
                            "SQLite stands in for its catalog host")

    img = sub.add_parser("image", help="build the containers' Debian image here (never pulled)",
                         description="mmdebstrap from this host's apt sources, then docker import; "
                                     "prints the tag (its recipe's hash), builds only when it is missing")
    img.add_argument("--force", action="store_true", help="build even if the image exists")
    img.add_argument("--tag", action="store_true", help="print the tag of the current recipe and exit")
    containers.add_parser(sub)

    tr = sub.add_parser("trace", help="protocol traces -> sequence diagram (PlantUML, SVG, PNG)",
                        description="Pair the messages the daemons traced (--trace FILE) and draw them.")
    which = tr.add_mutually_exclusive_group()
    which.add_argument("--job", help="only this job (unique name, or the Job name before the '.')")
    which.add_argument("--jobid", type=int, help="only this JobId")
    which.add_argument("--jobs", action="store_true", help="list the jobs in the traces")
    tr.add_argument("files", nargs="+", metavar="FILE", help="trace files, or directories of *.jsonl files")
    tr.add_argument("-o", "--output", metavar="OUT", help="write here instead of standard output")
    tr.add_argument("--format", choices=("puml", "text", *IMAGE_FORMATS),
                    help="PlantUML text (the default, unless -o names a .svg or .png), one aligned text line "
                         "per arrow, or the diagram drawn as SVG or PNG (by plantuml)")
    tr.add_argument("--check", action="store_true",
                    help="compare the job's messages with the reference sequence of its kind "
                         "(protocol.md section 7): missing, out of order, extra")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = sys.stdout
    try:
        if args.command == "trace":
            if args.check and not (args.job or args.jobid):
                raise NoTrace("--check needs --job or --jobid")
            return trace(args.files, out, job=args.job, jobid=args.jobid, fmt=args.format,
                         output=args.output, list_jobs=args.jobs, check=args.check)
        if args.command == "image":
            print(image.image_tag() if args.tag else image.build_image(sys.stderr, force=args.force))
            return 0
        if args.command == "containers":
            return containers.main(args, out)
        base = Path(args.dir).resolve()
        if args.action == "up":
            local_up(base, out, port_base=args.port_base, inventory=args.inventory)
            return 0
        if args.action == "status":
            return local_status(base, out)
        if args.action == "down":
            return local_down(base, out)
        return local_demo(base, out, timeout=args.timeout, inventory=args.inventory)
    except LabError as exc:
        out.flush()
        print(f"\nbareoslab: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `bareoslab … | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
