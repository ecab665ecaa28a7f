"""A lab the Ansible roles deployed: its topology, read from the inventory, and the
commands that drive it on its hosts.

Jobs run from the console on the director host, the catalog is read with ``psql`` on the
catalog host, sample trees are made and listed on the clients. How a command reaches a
host is the caller's: testinfra in the molecule verifier suites (``tests/infra``),
``docker exec`` in ``bareoslab containers``, anything that runs a shell command on a host.
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..codes import JobStatus
from ..topology import Topology, TopologyError, from_ansible_inventory, role_settings
from . import sample
from .errors import LabError

#: (host, shell command) -> (exit status, stdout, stderr)
Run = Callable[[str, str], tuple[int, str, str]]

#: Where the roles put the configuration (bareoslab_common_config_root's default).
CONFIG_ROOT = role_settings().config_root
UNITS = {"dir": "bareoslab-dir", "sd": "bareoslab-sd", "fd": "bareoslab-fd"}



class DeployedLabError(LabError):
    """A command on a lab host failed."""

    exit_code = 9


def load_topology(inventory: str | Path) -> Topology:
    """The topology of a deployed lab's inventory (as Ansible reads it)."""
    try:
        return from_ansible_inventory(inventory)
    except TopologyError as exc:
        raise DeployedLabError(str(exc)) from exc


@dataclass
class JobRow:
    """A Job row of the catalog (the columns the lab looks at)."""

    jobid: int
    name: str
    type: str
    level: str
    jobstatus: str
    jobfiles: int
    jobbytes: int
    priorjobid: int
    poolname: str

    @property
    def ok(self) -> bool:
        return JobStatus(self.jobstatus).ok


JOB_COLUMNS = ("Job.JobId", "Job.Name", "Job.Type", "Job.Level", "Job.JobStatus", "Job.JobFiles",
               "Job.JobBytes", "Job.PriorJobId", "COALESCE(Pool.Name, '')")


class DeployedLab:
    """Drives a deployed topology through ``run(host, shell command)``."""

    def __init__(self, topology: Topology, run: Run) -> None:
        self.topology = topology
        self._run = run

    # -- hosts ---------------------------------------------------------------------
    def sh(self, host: str, command: str, check: bool = True) -> str:
        rc, out, err = self._run(host, command)
        if check and rc != 0:
            raise DeployedLabError(f"{host}: `{command[:200]}` exited {rc}: {(err or out).strip()[-2000:]}")
        return out

    def _bin(self, host: str, program: str) -> str:
        return f"{self.topology.var(host, 'bareoslab_common_venv', self.topology.settings.venv)}/bin/{program}"

    # -- console on the director host ----------------------------------------------
    def console(self, *commands: str) -> str:
        host = self.topology.director
        conf = f"{self.topology.var(host, 'bareoslab_common_config_root', self.topology.settings.config_root)}/dir/bconsole.conf"
        script = "".join(f"{c}\n" for c in commands)
        return self.sh(host, f"printf %s {shlex.quote(script)} | {self._bin(host, 'bareoslab-console')} "
                             f"-c {shlex.quote(conf)}")

    def run_job(self, command: str) -> int:
        """Queue a job (``run ... yes`` or ``restore ... yes``); its JobId."""
        out = self.console(command)
        queued = re.search(r"Job queued\. JobId=(\d+)", out)
        if not queued:
            raise DeployedLabError(f"`{command}` did not queue a job:\n{out}")
        return int(queued.group(1))

    def run_jobs(self, commands: list[str]) -> list[int]:
        """Queue several jobs in one console session (they start together); their JobIds."""
        out = self.console(*commands)
        jobids = [int(j) for j in re.findall(r"Job queued\. JobId=(\d+)", out)]
        if len(jobids) != len(commands):
            raise DeployedLabError(f"{len(commands)} commands queued {len(jobids)} jobs:\n{out}")
        return jobids

    def wait_job(self, jobid: int, timeout: float = 300) -> JobRow:
        """Wait (bounded) until the job has ended; its catalog row."""
        deadline = time.monotonic() + timeout
        while True:
            left = max(1, int(deadline - time.monotonic()))
            self.console(f"wait jobid={jobid} timeout={min(left, 60)}")
            row = self.job(jobid)
            if JobStatus.has_finished(row.jobstatus):
                return row
            if time.monotonic() >= deadline:
                raise DeployedLabError(f"JobId {jobid} still has status {row.jobstatus} after {timeout:.0f} s\n"
                                       + self.job_log(jobid))

    def wait_workers(self, control: int, timeout: float = 300) -> list[JobRow]:
        """A copy/migrate control job ends once it has queued its workers (as in Bareos):
        wait for every job started after it; their rows."""
        for row in self.jobs(f"Job.JobId > {int(control)}"):
            if not JobStatus.has_finished(row.jobstatus):
                self.wait_job(row.jobid, timeout)
        return self.jobs(f"Job.JobId > {int(control)}")

    def job_log(self, jobid: int) -> str:
        return self.console(f"list joblog jobid={jobid}")

    # -- the catalog, on the catalog host --------------------------------------------
    def sql(self, query: str) -> list[list[str]]:
        host = self.topology.catalog
        db = self.topology.catalog_db.db_name
        out = self.sh(host, f"cd / && runuser -u postgres -- psql -X -q -At -F '\t' -d {shlex.quote(db)} "
                            f"-v ON_ERROR_STOP=1 -c {shlex.quote(query)}")
        return [line.split("\t") for line in out.splitlines() if line]

    def jobs(self, where: str) -> list[JobRow]:
        rows = self.sql(f"SELECT {', '.join(JOB_COLUMNS)} FROM Job LEFT JOIN Pool ON Pool.PoolId = Job.PoolId "
                        f"WHERE {where} ORDER BY Job.JobId")
        return [JobRow(int(r[0]), r[1], r[2], r[3], r[4], int(r[5]), int(r[6]), int(r[7]), r[8]) for r in rows]

    def job(self, jobid: int) -> JobRow:
        rows = self.jobs(f"Job.JobId = {int(jobid)}")
        if not rows:
            raise DeployedLabError(f"JobId {jobid} is not in the catalog")
        return rows[0]

    def volumes(self, jobid: int) -> list[tuple[str, str]]:
        """(VolumeName, Pool) of the volumes the job's JobMedia rows point to."""
        rows = self.sql("SELECT DISTINCT Media.VolumeName, Pool.Name FROM JobMedia "
                        "JOIN Media ON Media.MediaId = JobMedia.MediaId JOIN Pool ON Pool.PoolId = Media.PoolId "
                        f"WHERE JobMedia.JobId = {int(jobid)} ORDER BY 1")
        return [(r[0], r[1]) for r in rows]

    def pool_rule_violations(self, jobids: Iterable[int]) -> list[list[str]]:
        """JobMedia rows of the jobs whose volume is not of the job's pool (must be none)."""
        ids = ",".join(str(int(j)) for j in jobids) or "0"
        return self.sql("SELECT Job.JobId, Media.VolumeName FROM JobMedia JOIN Job ON Job.JobId = JobMedia.JobId "
                        "JOIN Media ON Media.MediaId = JobMedia.MediaId "
                        f"WHERE Job.JobId IN ({ids}) AND Media.PoolId <> Job.PoolId")

    def common_second(self, jobids: Iterable[int]) -> bool:
        """Did the jobs all run in one same second (their [StartTime, EndTime] intersect)?"""
        ids = ",".join(str(int(j)) for j in jobids) or "0"
        rows = self.sql(f"SELECT MAX(StartTime) <= MIN(EndTime) FROM Job WHERE JobId IN ({ids})")
        return bool(rows) and rows[0][0] == "t"

    # -- data on the clients ---------------------------------------------------------
    def make_sample_tree(self, host: str, root: str, big_mib: int = 0) -> int:
        """A small tree of every kind of entry under ``root`` (plus a random file of ``big_mib``
        MiB, to make a job last); the number of entries."""
        source = Path(sample.__file__).read_text(encoding="utf-8")  # the lab's one sample tree, run there
        return int(self.sh(host, f"python3 -c {shlex.quote(source)} {shlex.quote(root)} {shlex.quote(host)} "
                                 f"{int(big_mib)}"))

    def listing(self, host: str, root: str) -> list[str]:
        """One line per entry below ``root``: path, type, mode, owner, size, SHA-256 or link target."""
        return self.sh(host, f"python3 -c {shlex.quote(_LISTING)} {shlex.quote(root)}").splitlines()

    # -- diagnostics ----------------------------------------------------------------
    def fetch_traces(self, into: Path) -> list[Path]:
        """Copy the protocol traces of every host that writes them (bareoslab_common_trace_dir)
        into ``into``: ``<host>.jsonl``, or ``<host>-<program>.jsonl`` where a host has several."""
        into.mkdir(parents=True, exist_ok=True)
        copied = []
        for host in sorted(self.topology.hostvars):
            directory = self.topology.var(host, "bareoslab_common_trace_dir", "")
            if not directory:
                continue
            names = [n for n in self.sh(host, f"ls {shlex.quote(directory)} 2>/dev/null || true", check=False).split()
                     if n.endswith(".trace.jsonl")]
            for name in names:
                stem = host if len(names) == 1 else f"{host}-{name.removesuffix('.trace.jsonl')}"
                path = into / f"{stem}.jsonl"
                path.write_text(self.sh(host, f"cat {shlex.quote(directory + '/' + name)}"), encoding="utf-8")
                copied.append(path)
        return copied

    def daemon_logs(self, hosts: Iterable[str] | None = None, lines: int = 40) -> str:
        """The journal of every bareoslab unit (and PostgreSQL) on the hosts, for failure reports."""
        parts = []
        for host in hosts or sorted(self.topology.hostvars):
            out = self.sh(host, f"journalctl --no-pager -n {lines} -u 'bareoslab-*' -u 'postgresql*' "
                                "-o short-precise 2>&1 || true", check=False)
            parts.append(f"----- {host} -----\n{out.rstrip()}")
        return "\n".join(parts)


def connection_lines(log: str) -> list[tuple[str, str]]:
    """(line, cipher) for each connection line of a job log: ``Connected ... encryption: X``
    and the `` Encryption: X`` lines (not the job report's data ``Encryption:`` field)."""
    return [(line, line.rsplit("ncryption: ", 1)[1].strip()) for line in log.splitlines()
            if ", encryption: " in line or ":  Encryption: " in line]


_LISTING = r"""
import hashlib, os, stat, sys
root = sys.argv[1]
paths = [root] + [os.path.join(top, n) for top, ds, fs in os.walk(root) for n in ds + fs]
for path in sorted(paths):
    st = os.lstat(path)
    if stat.S_ISREG(st.st_mode):
        what = hashlib.sha256(open(path, "rb").read()).hexdigest()
    elif stat.S_ISLNK(st.st_mode):
        what = "-> " + os.readlink(path)
    else:
        what = ""
    size = 0 if stat.S_ISDIR(st.st_mode) else st.st_size
    print(os.path.relpath(path, root), stat.filemode(st.st_mode), st.st_uid, st.st_gid, size, what)
"""
