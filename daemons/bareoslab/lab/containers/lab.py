"""``bareoslab containers``: a topology in Docker containers, deployed by the Ansible roles
through its molecule scenario, and the lab's main job run through it.

::

    bareoslab containers up     [-s SCENARIO]   image, then molecule create, prepare, converge
    bareoslab containers run    [-s SCENARIO]   concurrent backups and restores, a local copy, a remote migrate
    bareoslab containers status [-s SCENARIO]   containers and their daemons
    bareoslab containers down   [-s SCENARIO]   molecule destroy (containers, network)
    bareoslab containers platforms [-s SCENARIO]  molecule's platforms, from the scenario's inventory
    bareoslab containers test   [SCENARIO...]   molecule test of each scenario (make test)

The scenario (default ``two-sd``) is a directory of ``molecule/``; its inventory link names
the topology. Molecule's output goes to ``lab/molecule-<scenario>-<action>.log``; the
terminal shows one line per step and play. The lab keeps running until ``down``.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from ...codes import JOB_LEVEL_NAMES, JOB_STATUS_LONG, JOB_TYPE_NAMES, JobLevel, JobStatus, JobType
from ...topology import Topology, TopologyError, read_inventory
from ...trace.render import write_diagrams
from ...trace.sequence import human_size, read_traces
from ..deployed import DeployedLab, DeployedLabError, JobRow, connection_lines, load_topology
from ..errors import LabError
from ..table import text_table
from .image import build_image, image_tag

DEFAULT_SCENARIO = "two-sd"
#: How each connection mode reaches the File daemon.
REACHED = {"director": "the Director calls it", "client": "it calls the Director",
           "passive": "passive: the SD calls it"}
TEST_SCENARIOS = ("default", "two-sd", "ssh", "faults")
#: scenarios whose hosts sit at fixed addresses (ssh: the controller reaches each by address)
FIXED_SUBNETS = {"ssh": "172.30.99.0/24"}
LOG_DIR = "lab"
SOURCE = "/srv/bareoslab/data"  # the director role's default FileSet


class ContainersError(LabError):
    """The container lab failed."""

    exit_code = 10


@dataclass(frozen=True)
class Scenario:
    name: str
    project: Path

    @property
    def directory(self) -> Path:
        return self.project / "molecule" / self.name

    def config(self) -> dict:
        path = self.directory / "molecule.yml"
        if not path.is_file():
            known = sorted(p.parent.name for p in (self.project / "molecule").glob("*/molecule.yml"))
            raise ContainersError(f"no scenario {self.name!r} in {self.project / 'molecule'} (scenarios: "
                                  f"{', '.join(known)})")
        return yaml.safe_load(path.read_text(encoding="utf-8"))

    @property
    def topology(self) -> Topology:
        try:
            return read_inventory(self.inventory)
        except TopologyError as exc:
            raise ContainersError(f"scenario {self.name}: {exc}") from exc

    @property
    def hosts(self) -> list[str]:
        """One container per host of the scenario's inventory."""
        return self.topology.hosts

    @property
    def network(self) -> str:
        return f"bareoslab-{self.name}"

    def platforms(self, image: str) -> list[dict[str, Any]]:
        """Molecule's platforms, one per host of the topology: containers of the lab's image
        booting systemd, on the scenario's network; at fixed addresses where the scenario
        reaches its hosts by address (:data:`FIXED_SUBNETS`)."""
        subnet = FIXED_SUBNETS.get(self.name)
        out: list[dict[str, Any]] = []
        for index, host in enumerate(self.hosts):
            network: dict[str, Any] = {"name": self.network}
            if subnet is not None:
                network["ipv4_address"] = str(ipaddress.ip_network(subnet)[10 + index])
            platform: dict[str, Any] = {
                "name": host, "image": image, "pre_build_image": True, "pull": False,
                "command": "/lib/systemd/systemd", "tmpfs": ["/run", "/run/lock", "/tmp"],
                "volumes": ["/sys/fs/cgroup:/sys/fs/cgroup:ro"], "networks": [network]}
            if subnet is not None and index == 0:  # molecule creates the network from the first
                platform["docker_networks"] = [{"name": self.network, "ipam_config": [{"subnet": subnet}]}]
            out.append(platform)
        return out

    @property
    def uses_collection(self) -> bool:
        """It deploys with the roles installed as a collection (``${BAREOSLAB_COLLECTIONS}``)."""
        return "${BAREOSLAB_COLLECTIONS}" in (self.directory / "molecule.yml").read_text(encoding="utf-8")

    @property
    def inventory(self) -> Path:
        """The example inventory the scenario links (its hosts.yml's directory)."""
        hosts = self.config()["provisioner"]["inventory"]["links"]["hosts"]
        return (self.directory / hosts).resolve().parent


# -- docker and molecule ---------------------------------------------------------------------


def check_docker() -> None:
    if shutil.which("docker") is None:
        raise ContainersError("the docker CLI is not installed: the container lab needs Docker Engine")
    info = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True)
    if info.returncode != 0:
        raise ContainersError(f"Docker Engine is not reachable: {(info.stderr or info.stdout).strip()}")


def check_names(scenario: Scenario) -> None:
    """Containers of another scenario with the same host names would be taken over: refuse."""
    for host in scenario.hosts:
        found = subprocess.run(["docker", "inspect", "--format",
                                "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", host],
                               capture_output=True, text=True)
        if found.returncode == 0 and scenario.network not in found.stdout.split():
            others = found.stdout.split()
            owner = next((n.removeprefix("bareoslab-") for n in others if n.startswith("bareoslab-")), None)
            hint = (f"bareoslab containers down -s {owner}" if owner and (scenario.project / "molecule" / owner).is_dir()
                    else f"docker rm -f {host}")
            raise ContainersError(f"a container named {host} already runs on network(s) {', '.join(others) or '-'}, "
                                  f"not {scenario.network}: remove that lab first ({hint})")


def collections_dir(project: Path) -> Path:
    return project / "build" / "collections"


def install_collection(project: Path, out: TextIO) -> None:
    """``ansible-galaxy collection build`` of the repository, installed into
    :func:`collections_dir` as a user installs it (``ansible-galaxy collection install``)."""
    galaxy = str(Path(sys.executable).parent / "ansible-galaxy")
    built = project / "build"

    def run(*argv: str) -> None:
        done = subprocess.run([galaxy, "collection", *argv], capture_output=True, text=True, cwd=project)
        if done.returncode != 0:
            raise ContainersError(f"`ansible-galaxy collection {argv[0]}` failed: {(done.stderr or done.stdout).strip()}")

    run("build", "--force", "--output-path", str(built), str(project))
    version = yaml.safe_load((project / "galaxy.yml").read_text(encoding="utf-8"))["version"]
    run("install", "--force", "-p", str(collections_dir(project)), str(built / f"bareoslab-lab-{version}.tar.gz"))
    print(f"collection bareoslab.lab installed in {collections_dir(project)}", file=out, flush=True)


def molecule_env(image: str, scenario: Scenario) -> dict[str, str]:
    """Molecule's environment: the scenario's platforms come from the topology model
    (``platforms: ${BAREOSLAB_PLATFORMS}`` in each molecule.yml), the installed collection
    from ``${BAREOSLAB_COLLECTIONS}``."""
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", BAREOSLAB_IMAGE=image,
               BAREOSLAB_PLATFORMS=json.dumps(scenario.platforms(image)),
               BAREOSLAB_COLLECTIONS=str(collections_dir(scenario.project)),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", PY_COLORS="0", NO_COLOR="1", COLUMNS="200")
    return env


_STEP = re.compile(r"(?:➜ |\[[\w-]+ > )(\w+)\]?:? Executing$")
_PLAY = re.compile(r"PLAY \[(.+?)\]?\s*\**$")
_SHOWN = re.compile(r"fatal:|UNREACHABLE!|FAILED!|\d+ (passed|failed)|Verifier tests failed")


def molecule(action: str, scenario: Scenario, image: str, out: TextIO) -> float:
    """``molecule <action> -s <scenario>``, its output in a log, steps and plays on ``out``; seconds."""
    logs = scenario.project / LOG_DIR
    logs.mkdir(exist_ok=True)
    log_path = logs / f"molecule-{scenario.name}-{action}.log"
    exe = Path(sys.executable).parent / "molecule"
    if scenario.uses_collection and action != "destroy":
        install_collection(scenario.project, out)
    started = time.monotonic()
    tail: list[str] = []
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen([str(exe), action, "-s", scenario.name], cwd=scenario.project,
                                env=molecule_env(image, scenario), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, errors="replace")
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            text = line.strip().lstrip("│└┌─ ").rstrip()
            tail = (tail + [line.rstrip()])[-60:]
            shown = None
            if m := _STEP.search(text):
                shown = m.group(1)
            elif m := _PLAY.search(text):
                shown = f"  {m.group(1)}"
            elif _SHOWN.search(text):
                shown = f"  {text.strip('= ')}"
            if shown:
                print(f"[{time.monotonic() - started:5.0f}s] {scenario.name}: {shown}", file=out, flush=True)
        rc = proc.wait()
    seconds = time.monotonic() - started
    if rc != 0:
        print("\n".join(tail), file=out)
        raise ContainersError(f"molecule {action} -s {scenario.name} failed (exit {rc}) after {seconds:.0f} s; "
                              f"the whole output is in {log_path}")
    return seconds


# -- the actions -----------------------------------------------------------------------------


def up(scenario: Scenario, out: TextIO) -> float:
    check_docker()
    started = time.monotonic()
    image = build_image(out)
    check_names(scenario)
    molecule("converge", scenario, image, out)
    seconds = time.monotonic() - started
    print(f"{scenario.name}: {len(scenario.hosts)} containers deployed in {seconds:.0f} s: "
          f"{', '.join(scenario.hosts)}", file=out, flush=True)
    return seconds


def down(scenario: Scenario, out: TextIO) -> None:
    check_docker()
    molecule("destroy", scenario, "bareoslab/debian:unused", out)
    print(f"{scenario.name}: containers and network removed", file=out)


def docker_run(host: str, command: str) -> tuple[int, str, str]:
    proc = subprocess.run(["docker", "exec", host, "/bin/sh", "-c", command], capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr


def status(scenario: Scenario, out: TextIO) -> int:
    check_docker()
    topology = load_topology(scenario.inventory)
    units = {**{h: "bareoslab-dir" for h in topology.groups["directors"]},
             **{h: "bareoslab-sd" for h in topology.groups["storages"]},
             **{h: "bareoslab-fd" for h in topology.groups["clients"]},
             **{h: "postgresql@*" for h in topology.groups["catalogs"]}}
    rows, down_count = [], 0
    for host in scenario.hosts:
        state = subprocess.run(["docker", "inspect", "--format", "{{.State.Status}}", host],
                               capture_output=True, text=True).stdout.strip() or "absent"
        unit = units.get(host, "")
        active = docker_run(host, f"systemctl is-active '{unit}'")[1].strip() if state == "running" else "-"
        down_count += state != "running" or active != "active"
        rows.append((host, state, unit, active))
    print(text_table(("Host", "Container", "Unit", "State"), rows), file=out)
    return 1 if down_count else 0


def test(names: Sequence[str], project: Path, out: TextIO) -> int:
    """``molecule test`` of each scenario; a summary; non-zero if one failed."""
    check_docker()
    image = build_image(out)
    results = []
    for name in names:
        scenario = Scenario(name, project)
        try:
            check_names(scenario)
            seconds = molecule("test", scenario, image, out)
            results.append((name, "passed", f"{seconds:.0f} s"))
        except ContainersError as exc:
            print(f"\n{exc}\n", file=out, flush=True)
            results.append((name, "FAILED", ""))
    print("\n" + text_table(("Scenario", "Result", "molecule test"), results, right={2}), file=out)
    return 0 if all(r[1] == "passed" for r in results) else 1


# -- the main job ------------------------------------------------------------------------------


BIG_MIB = 32  # a random file in each client's sample data: its backup lasts long enough to overlap


class Demo:
    """Backups of every client, a restore, a local copy and a remote migrate, with progress."""

    def __init__(self, scenario: Scenario, out: TextIO, diagrams: Path, timeout: float = 300) -> None:
        self.topology = load_topology(scenario.inventory)
        self.lab = DeployedLab(self.topology, docker_run)
        self.out = out
        self.timeout = timeout
        self.jobs: list[int] = []
        self.step = 0
        self.diagrams = diagrams
        #: a job of each kind run, to draw: (JobIds, file stem)
        self.drawn: list[tuple[tuple[int, ...], str]] = []

    def say(self, text: str, end: str = "\n") -> None:
        print(text, end=end, file=self.out, flush=True)

    def job(self, command: str) -> tuple[JobRow, list[JobRow]]:
        """Run a job and wait for it (and for the workers of a copy/migrate control job); its row
        and its workers' rows."""
        started = time.monotonic()
        jobid = self.lab.run_job(command)
        row = self.lab.wait_job(jobid, self.timeout)
        self.jobs.append(jobid)
        workers = self.lab.wait_workers(jobid, self.timeout) if row.type in ("c", "g") else []
        failed = [w for w in workers if not w.ok]
        if failed:
            row = failed[0]
        logs = "".join(self.lab.job_log(j) for j in (jobid, *(w.jobid for w in workers)))
        ciphers = sorted({cipher for _, cipher in connection_lines(logs)})
        self.say(f" JobId {jobid} {row.name}: {JOB_STATUS_LONG.get(JobStatus(row.jobstatus), row.jobstatus)}, "
                 f"{row.jobfiles} files, {human_size(row.jobbytes)} ({time.monotonic() - started:.1f} s); "
                 f"encryption: {', '.join(ciphers) or 'none reported'}")
        if not row.ok:  # the job, or the first worker of a control job that failed
            raise ContainersError(f"JobId {row.jobid} ended {row.jobstatus}:\n{self.lab.job_log(row.jobid)}\n"
                                  f"--- daemon journals ---\n{self.lab.daemon_logs()}")
        return row, workers

    def jobs_at_once(self, commands: list[str]) -> list[JobRow]:
        """Queue every command, then wait for each: they run at the same time."""
        started = time.monotonic()
        jobids = self.lab.run_jobs(commands)
        rows = []
        for jobid in jobids:
            row = self.lab.wait_job(jobid, self.timeout)
            self.jobs.append(jobid)
            volumes = ", ".join(v for v, _ in self.lab.volumes(jobid))
            self.say(f"      JobId {jobid} {row.name}: {JOB_STATUS_LONG.get(JobStatus(row.jobstatus), row.jobstatus)}"
                     f", {row.jobfiles} files, {human_size(row.jobbytes)}"
                     f"{f', pool {row.poolname}: {volumes}' if row.type == 'B' else ''}")
            if not row.ok:
                raise ContainersError(f"JobId {jobid} ended {row.jobstatus}:\n{self.lab.job_log(jobid)}\n"
                                      f"--- daemon journals ---\n{self.lab.daemon_logs()}")
            rows.append(row)
        together = "ran at the same time" if self.lab.common_second(jobids) else "did not overlap"
        self.say(f"      {len(jobids)} jobs {together}, {time.monotonic() - started:.1f} s in all")
        return rows

    def check_pool_rule(self, jobids: list[int]) -> None:
        wrong = self.lab.pool_rule_violations(jobids)
        if wrong:
            raise ContainersError(f"volumes of another pool than their job's: {wrong}")
        self.say("      every JobMedia row points at a volume of its job's pool")

    def numbered(self, total: int, text: str) -> None:
        self.step += 1
        self.say(f"[{self.step}/{total}] {text}", end="")

    def run(self) -> int:
        t, lab = self.topology, self.lab
        local, remote = t.copy_pools(remote=False), t.copy_pools(remote=True)
        total = 5 + bool(local) + bool(remote)
        self.numbered(total, f"sample data in {SOURCE} on {', '.join(c.host for c in t.clients)} ...")
        entries = {c.host: lab.make_sample_tree(c.host, SOURCE, big_mib=BIG_MIB) for c in t.clients}
        self.say(f" {sum(entries.values())} entries")
        pools = [p.name for p in t.backup_pools()] or [""]
        plan = [(c, pools[i % len(pools)]) for i, c in enumerate(t.clients)]
        self.numbered(total, f"Full backups of {len(plan)} clients at once, into pools {', '.join(pools)}:\n")
        backups = self.jobs_at_once([f"run job=backup-{c.name} level=Full{f' pool={p}' if p else ''} yes"
                                     for c, p in plan])
        self.check_pool_rule([b.jobid for b in backups])
        self.drawn += [((b.jobid,), f"backup-{c.connection.replace('+', '-')}")
                       for (c, _), b in zip(plan, backups, strict=True)]
        self.numbered(total, f"restores of the {len(backups)} backups at once, each on its client:\n")
        wheres = {c.host: f"/var/tmp/bareoslab-restore-{b.jobid}" for (c, _), b in zip(plan, backups, strict=True)}
        restores = self.jobs_at_once([f"restore jobid={b.jobid} client={c.name} where={wheres[c.host]} all done yes"
                                      for (c, _), b in zip(plan, backups, strict=True)])
        self.drawn.append(((restores[0].jobid,), "restore"))
        self.numbered(total, "compare each restored tree with its source ...")
        for c, _ in plan:
            if lab.listing(c.host, wheres[c.host] + SOURCE) != lab.listing(c.host, SOURCE):
                raise ContainersError(f"{c.host}: the restore in {wheres[c.host]} differs from {SOURCE}")
        self.say(f" {sum(entries.values())} entries identical (content, modes, owners, links)")
        if local:
            pool, client = local[0], t.clients[0]
            self.numbered(total, f"local copy on {pool.storage_host}: a backup into pool {pool.name} ...")
            self.job(f"run job=backup-{client.name} level=Full pool={pool.name} yes")
            self.say(f"      copy-{pool.name} to pool {pool.next_pool} ...", end="")
            _, workers = self.job(f"run job=copy-{pool.name} yes")
            self.drawn += [(_with_new_job(w), "local-copy") for w in _first_that_moved_data(workers)]
        if remote:
            pool = remote[0]
            assert pool.next_pool is not None  # copy_pools has only pools with a Next Pool
            target = t.pools[pool.next_pool].storage_host
            self.numbered(total, f"remote migrate of pool {pool.name} from {pool.storage_host} to {target} ...")
            _, workers = self.job(f"run job=migrate-{pool.name} yes")
            self.drawn += [(_with_new_job(w), "remote-migrate") for w in _first_that_moved_data(workers)]
        self.say("\nCatalog (PostgreSQL on " + t.catalog + "):")
        self.say(self.table())
        self.draw()
        self.say(f"\nThe lab keeps running. Console: docker exec -it {t.director} "
                 f"/opt/bareoslab/venv/bin/bareoslab-console -c /etc/bareoslab/dir/bconsole.conf\n"
                 "Remove it: make lab-down")
        return 0

    def draw(self) -> None:
        """A sequence diagram of each kind of job run, from the daemons' traces."""
        traces = self.lab.fetch_traces(self.diagrams / "traces")
        if not traces:
            return  # the inventory sets no bareoslab_common_trace_dir
        written, why = write_diagrams(read_traces(traces), self.drawn, self.diagrams)
        self.say("\nSequence diagrams:" + "".join(f"\n  {_shown(p)}" for p in written))
        if why:
            self.say(f"  (PlantUML text only: {why})")

    def table(self) -> str:
        first = min(self.jobs)
        rows = self.lab.jobs(f"Job.JobId >= {first}")
        body = []
        for r in rows:
            volumes = self.lab.volumes(r.jobid)
            body.append((str(r.jobid), r.name, _named(JOB_TYPE_NAMES, JobType, r.type),
                         _named(JOB_LEVEL_NAMES, JobLevel, r.level), f"{r.jobstatus}", str(r.jobfiles),
                         human_size(r.jobbytes), str(r.priorjobid or ""), r.poolname,
                         ", ".join(v for v, _ in volumes)))
        return text_table(("JobId", "Name", "Type", "Level", "Status", "Files", "Bytes", "Prior", "Pool", "Volumes"),
                          body, right={0, 5, 6, 7})


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it."""
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def _first_that_moved_data(workers: list[JobRow]) -> list[JobRow]:
    """The first worker of a copy/migrate that copied files (one with nothing to copy talks to no SD)."""
    return [w for w in workers if w.jobfiles][:1]


def _with_new_job(worker: JobRow) -> tuple[int, ...]:
    """A copy or migrate worker and the job it writes (its PriorJobId points there)."""
    return (worker.jobid, worker.priorjobid) if worker.priorjobid else (worker.jobid,)


def _named(names: dict, enum: type, code: str) -> str:
    try:
        return f"{code} {names[enum(code)]}"
    except (ValueError, KeyError):
        return code


# -- command line ------------------------------------------------------------------------------


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("containers", help="a topology in Docker containers, deployed by the roles",
                            description=__doc__.split("\n\n")[0])
    actions = parser.add_subparsers(dest="action", required=True)
    for name, text in (("up", "build the image if needed, create the containers, deploy the roles"),
                       ("run", "backups of every client at once into two pools, their restores, a local copy "
                               "and a remote migrate; catalog table"),
                       ("status", "the containers and their daemons (exit 1 if one is down)"),
                       ("down", "remove the containers and the network"),
                       ("platforms", "print molecule's platforms of the scenario (BAREOSLAB_PLATFORMS), from "
                                     "its inventory")):
        p = actions.add_parser(name, help=text)
        p.add_argument("-s", "--scenario", default=DEFAULT_SCENARIO, help=f"default {DEFAULT_SCENARIO}")
        if name == "run":
            p.add_argument("--diagrams", metavar="DIR",
                           help="write the jobs' sequence diagrams here (default: lab/diagrams in the project)")
    t = actions.add_parser("test", help="molecule test of scenarios (default: all)")
    t.add_argument("scenarios", nargs="*", default=list(TEST_SCENARIOS))
    for p in actions.choices.values():
        p.add_argument("--project", default=".", help="the bareoslab repository (default: .)")


def require_lab_extra() -> None:
    """Ansible and molecule drive the container lab: they come with the [lab] extra."""
    try:
        import ansible  # noqa: F401

        import molecule  # noqa: F401
    except ImportError as exc:
        raise ContainersError("the container lab needs the [lab] extra: pip install 'bareoslab[lab]'") from exc


def main(args: argparse.Namespace, out: TextIO) -> int:
    require_lab_extra()
    project = Path(args.project).resolve()
    if args.action == "test":
        return test(args.scenarios, project, out)
    scenario = Scenario(args.scenario, project)
    if args.action == "up":
        up(scenario, out)
        return 0
    if args.action == "down":
        down(scenario, out)
        return 0
    if args.action == "status":
        return status(scenario, out)
    if args.action == "platforms":
        print(json.dumps(scenario.platforms(image_tag())), file=out)
        return 0
    try:
        return Demo(scenario, out, Path(args.diagrams or project / "lab" / "diagrams")).run()
    except DeployedLabError as exc:
        raise ContainersError(f"{exc}\n(is the lab up? bareoslab containers up -s {scenario.name})") from exc
