"""Synthetic protocol traces, shaped like the daemons' ``--trace`` lines (``net/trace.py``)."""

from __future__ import annotations

from typing import Any

DIR, SD, FD = "bareoslab-dir", "bareoslab-sd", "bareoslab-fd"

# how each daemon names the others once it knows who they are
PEER_NAMES = {
    (DIR, SD): "File",  # the Director's Storage resource
    (DIR, FD): "bareos-fd",  # the Director's Client resource
    (SD, DIR): "bareos-dir",
    (SD, FD): "bareos-fd",
    (FD, DIR): "bareos-dir",
    (FD, SD): "storage",
}
SIGNALS = {"EOD", "TERMINATE", "BTIME", "HEARTBEAT"}


class TraceBuilder:
    """Messages between the daemons, each written as a send line and a receive line."""

    def __init__(self, t0: float = 1_800_000_000.0) -> None:
        self.t = t0
        self.records: list[dict[str, Any]] = []

    def tick(self, dt: float = 0.001) -> float:
        self.t += dt
        return self.t

    def line(self, daemon: str, peer: str, direction: str, text: str, *, t: float, job: str = "",
             jobid: int = 0, size: int | None = None) -> None:
        if size is None:
            size = 0 if text in SIGNALS else len(text) + 1
        self.records.append({"t": round(t, 6), "daemon": daemon, "peer": peer, "dir": direction,
                             "job": job, "jobid": jobid, "len": size, "msg": text})

    def msg(self, src: str, dst: str, text: str, *, job: str = "", jobid: int = 0, size: int | None = None,
            src_peer: str | None = None, dst_peer: str | None = None, recv_job: str | None = None,
            recv_jobid: int | None = None, lag: float = 0.0002, send: bool = True, recv: bool = True) -> None:
        """``src`` sends ``text`` to ``dst``; the receive is stamped ``lag`` later (may be negative)."""
        t = self.tick()
        if send:
            self.line(src, src_peer or PEER_NAMES[(src, dst)], "send", text, t=t, job=job, jobid=jobid, size=size)
        if recv:
            self.line(dst, dst_peer or PEER_NAMES[(dst, src)], "recv", text, t=t + lag,
                      job=job if recv_job is None else recv_job,
                      jobid=jobid if recv_jobid is None else recv_jobid, size=size)

    def event(self, daemon: str, kind: str, peer: str, **fields: Any) -> None:
        self.records.append({"t": round(self.tick(), 6), "daemon": daemon, "event": kind, "peer": peer, **fields})

    def connect(self, src: str, dst: str, address: str, ephemeral: str, job: str = "") -> None:
        self.event(src, "connect", PEER_NAMES[(src, dst)], address=address, job=job)
        self.event(dst, "accept", ephemeral)

    def cram(self, acceptor: str, connector: str, *, job: str, jobid: int, acceptor_job: str = "",
             acceptor_jobid: int = 0) -> None:
        """Both CRAM-MD5 rounds, the acceptor challenging first (it may not know the job yet)."""
        ends = {acceptor: (acceptor_job, acceptor_jobid), connector: (job, jobid)}

        def say(src: str, dst: str, text: str, size: int | None = None) -> None:
            self.msg(src, dst, text, size=size, job=ends[src][0], jobid=ends[src][1],
                     recv_job=ends[dst][0], recv_jobid=ends[dst][1])

        for challenger, responder in ((acceptor, connector), (connector, acceptor)):
            say(challenger, responder, f"auth cram-md5 <1.2@R_X::{challenger}> ssl=0")
            say(responder, challenger, "<23 bytes>", size=23)
            say(challenger, responder, "1000 OK auth")


def backup_trace(jobid: int = 1, job: str = "backup.2026-01-01_10.00.00_00", incremental: bool = False,
                 builder: TraceBuilder | None = None, sd_port: int = 9103, fd_port: int = 9102) -> TraceBuilder:
    """A director-initiated backup (protocol.md §7.1), in the daemons' own trace format."""
    b = builder or TraceBuilder()
    j = {"job": job, "jobid": jobid}
    eph = f"127.0.0.1:{40000 + jobid * 10}"
    # A. Director -> SD; the SD knows neither peer nor job before the hello and the job command
    b.connect(DIR, SD, f"127.0.0.1:{sd_port}", eph, job=job)
    b.msg(DIR, SD, 'Hello Director bareos-dir calling Version="25.0.0"', dst_peer=eph, recv_job="", recv_jobid=0,
          **j)
    b.cram(SD, DIR, **j)
    b.msg(SD, DIR, "3000 OK Hello", job="", recv_job=job, recv_jobid=jobid)
    b.msg(DIR, SD, f"JobId={jobid} job={job} job_name=backup client_name=bareos-fd ", recv_job="", recv_jobid=0,
          **j)
    b.msg(SD, DIR, f"3000 OK Job SDid={jobid} SDtime=1 Authorization=AAAA-BBBB", **j)
    # B. Director -> FD
    b.connect(DIR, FD, f"127.0.0.1:{fd_port}", f"127.0.0.1:{40001 + jobid * 10}", job=job)
    b.msg(DIR, FD, 'Hello Director bareos-dir calling Version="25.0.0"',
          dst_peer=f"127.0.0.1:{40001 + jobid * 10}", recv_job="", recv_jobid=0, **j)
    b.cram(FD, DIR, **j)
    b.msg(FD, DIR, "2000 OK Hello 54", job="", recv_job=job, recv_jobid=jobid)
    b.msg(DIR, FD, f"JobId={jobid} Job={job} SDid={jobid} SDtime=1 Authorization", **j)
    b.msg(FD, DIR, "2000 OK Job 25.0.0 (1 January 2026) Linux,bareoslab", **j)
    if incremental:
        b.msg(DIR, FD, "level = incremental  mtime_only=0 ", **j)
        b.msg(DIR, FD, "level = since_utime 1767261600 mtime_only=0 prev_job=x", **j)
        for i in range(10):
            b.msg(FD, DIR, "BTIME", **j)
            b.msg(DIR, FD, f"btime 17672616000000{i:02d}", **j)
        b.msg(FD, DIR, "EOD", **j)
    else:
        b.msg(DIR, FD, "level = full  mtime_only=0 ", **j)
    b.msg(FD, DIR, "2000 OK level", **j)
    for line in ("fileset", "I", "O M", "N", "F /data", "N", "N"):
        b.msg(DIR, FD, line, **j)
    b.msg(DIR, FD, "EOD", **j)
    b.msg(FD, DIR, "2000 OK include", **j)
    # C. reservation, storage, run, backup
    b.msg(DIR, SD, "use storage=File media_type=File pool_name=Full pool_type=Backup append=1 copy=0", **j)
    b.msg(DIR, SD, "use device=FileStorage", **j)
    b.msg(DIR, SD, "EOD", **j)
    b.msg(DIR, SD, "EOD", **j)
    b.msg(SD, DIR, "3000 OK use device device=FileStorage", **j)
    b.msg(DIR, FD, f"storage address=127.0.0.1 port={sd_port} ssl=0", **j)
    # D. FD -> SD: the SD logs the FD's hello from its address, before it knows the job
    eph_fd = f"127.0.0.1:{40002 + jobid * 10}"
    b.connect(FD, SD, f"127.0.0.1:{sd_port}", eph_fd, job=job)
    b.msg(FD, SD, f'Hello Start Job {job} Version="25.0.0"', dst_peer=eph_fd, recv_job="", recv_jobid=0, **j)
    b.cram(SD, FD, acceptor_job=job, **j)
    b.msg(FD, DIR, "2000 OK storage", **j)
    b.msg(DIR, SD, "run", **j)
    b.msg(SD, DIR, f"Status Job={job} JobStatus=70", **j)
    b.msg(DIR, FD, "backup FileIndex=0", **j)
    # the reply is written before the send is stamped: the receive comes first in time
    b.msg(FD, DIR, "2000 OK backup", lag=-0.0005, **j)
    b.msg(FD, SD, "append open session", **j)
    b.msg(SD, FD, "3000 OK open ticket = 1", **j)
    b.msg(FD, SD, "append data 1", **j)
    b.msg(SD, FD, "3000 OK data", **j)
    for index, payload in ((1, ["1 3 /data/a", "hello", "<16 bytes>"]), (2, ["2 3 /data/b", "x" * 9])):
        for stream, data in enumerate(payload, start=1):
            b.msg(FD, SD, f"{index} {stream} 0", **j)
            b.msg(FD, SD, data, size=len(data) + 100 if data.startswith("<") else None, **j)
            b.msg(FD, SD, "EOD", **j)
            if stream == 1:
                b.msg(SD, DIR, "<150 bytes>", size=150, **j)  # UpdCat attributes (binary)
    b.msg(FD, SD, "EOD", **j)
    b.msg(SD, DIR, "<150 bytes>", size=150, **j)
    b.msg(SD, FD, "3000 OK append data", **j)
    b.msg(FD, SD, "append close session 1", **j)
    b.msg(SD, FD, "3000 OK close Status = 84", **j)
    b.msg(SD, FD, "EOD", **j)
    b.msg(FD, SD, "TERMINATE", **j)
    b.msg(FD, DIR, "2800 End Job TermCode=84 JobFiles=2 ReadBytes=15 JobBytes=15 Errors=0", **j)
    b.msg(FD, DIR, "TERMINATE", **j)
    b.msg(SD, DIR, f"Status Job={job} JobStatus=84", **j)
    b.msg(SD, DIR, f"3099 Job {job} end JobStatus=84 JobFiles=2 JobBytes=300 JobErrors=0", **j)
    b.msg(SD, DIR, "EOD", recv=False, **j)  # the Director stopped reading at 3099
    return b


def probe(b: TraceBuilder, daemon: str, address: str) -> None:
    """``wait_for_port``: a connection that says nothing; the daemon answers TERMINATE."""
    b.event(daemon, "accept", address)
    b.line(daemon, address, "send", "TERMINATE", t=b.tick(), size=0)
