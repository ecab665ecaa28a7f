"""Protocol traces of several daemons -> one sequence diagram.

Every daemon started with ``--trace FILE`` writes one JSON line per message it
sends or receives (``net/trace.py``): ``t``, ``daemon`` (its program name),
``peer`` (a resource name such as ``File`` or ``bareos-dir``, or ``host:port``
before the peer has said who it is), ``dir``, ``job``, ``jobid``, ``len`` and
``msg`` (the first words), plus ``connect``/``accept`` event lines.

``build_sequence`` turns the lines of all daemons into arrows; it is a pure
function of the parsed records:

1. **Nodes.** A node is one traced daemon: its ``daemon`` field, or the
   ``node`` field ``read_traces`` adds when two files come from daemons with the
   same program name (two Storage Daemons).
2. **Peers.** Each ``(node, peer string)`` is resolved to a node. A send and a
   receive with the same summary and length, close in time, on two different
   nodes are evidence that the sender's peer string names the receiver and the
   other way round; so is a ``connect`` event followed by an ``accept``. The
   node with the most evidence wins. Peers nobody traced are guessed from their
   messages (hello lines, reply codes) and become virtual participants;
   ``console …`` peers are the Console.  Probes that only opened a socket stay
   unresolved and are left out.
3. **Pairing.** Per channel (sender node -> receiver node) and per summary, the
   receives are consumed in order (TCP keeps order) by the sends, skipping a
   receive of another job.  A send nobody received is drawn as lost (``->x``),
   a receive with no traced send in grey.
4. **Arrows.** Only the job asked for (either end's ``job``/``jobid``), in the
   order of the earlier end of each message (a send is stamped once written, so
   its receive may be stamped first); a data stream (after ``3000 OK data``) becomes one arrow
   ``data records x N (size)``; three or more equal messages in a row become one
   arrow ``… x N``; a repeated request/answer pair (the ten ``BNET_BTIME``
   clock exchanges) becomes a ``loop``.

``render_plantuml`` and ``render_text`` draw the arrows.  Participants follow
the order of the Bareos developer documentation's "Detailed View" diagrams:
Director, Storage Daemon, File Daemon.
"""

from __future__ import annotations

import bisect
import json
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..codes import JobStatus
from ..net.framing import Signal

DIRECTOR, STORAGE, CLIENT, CONSOLE = "director", "storage", "client", "console"
ROLE_LABELS = {CONSOLE: "Console", DIRECTOR: "Director", STORAGE: "Storage Daemon", CLIENT: "File Daemon"}
ROLE_ALIASES = {CONSOLE: "c", DIRECTOR: "d", STORAGE: "s", CLIENT: "f"}  # as in the Bareos .puml files
ROLE_ORDER = (CONSOLE, DIRECTOR, STORAGE, CLIENT)
_ROLE_SUFFIXES = (
    (("-dir", "director", "dird"), DIRECTOR),
    (("-sd", "stored", "storage"), STORAGE),
    (("-fd", "filed", "client"), CLIENT),
    (("console",), CONSOLE),
)

SIGNALS = frozenset(s.name for s in Signal)

SKEW = 0.5          # seconds a receive may be stamped before its send (clocks of two hosts)
VOTE_WINDOW = 2.0   # seconds between a send and a receive that may count as evidence of identity
MAX_LATE = 600.0    # seconds a message may wait in a socket before it is read
MIN_REPEAT = 3      # equal messages in a row that are drawn as one arrow
_VOTE_CROWD = 32    # more candidates than this in the window (bulk data): no evidence
_PAIR_SCAN = 64     # receives of other jobs skipped at most while looking for the partner

_BINARY = re.compile(r"^<(\d+) bytes>$")
_STREAM_HEADER = re.compile(r"^-?\d+ -?\d+ -?\d+$")
_STATUS = re.compile(r"^Status Job=\S+ JobStatus=(\d+)$")


@dataclass
class Arrow:
    """One line of the diagram: a message, a signal, a collapsed data stream or a connection.

    ``kind`` is ``message``, ``signal``, ``data`` or ``connect``; ``text`` the
    trace summary (the signal name for a signal); ``count`` how many messages it
    stands for and ``size`` their bytes; ``loop`` > 0 opens a loop of that many
    rounds over this arrow and the next; ``unpaired`` is ``lost`` (sent, never
    received) or ``unsent`` (received, the send is not in the traces).
    """

    t: float
    src: str
    dst: str
    text: str
    kind: str = "message"
    job: str = ""
    jobid: int = 0
    size: int = 0
    count: int = 1
    unpaired: str = ""
    loop: int = 0
    label: str = ""
    note: str = ""
    #: the receiver's job where it is another (two SDs replicating a remote copy/migrate)
    other_job: str = ""
    other_jobid: int = 0


# -- reading --------------------------------------------------------------------------


def read_traces(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Parse trace files (a directory stands for its ``*.jsonl`` files).

    Lines that are not JSON objects are skipped.  When two files come from
    daemons with the same program name, their records get a ``node`` field
    ``<daemon>#<file stem>`` so the two stay apart.
    """
    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(sorted(p.glob("*.jsonl")) if p.is_dir() else [p])
    per_file: list[tuple[Path, list[dict[str, Any]]]] = []
    for f in files:
        records = []
        with open(f, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if isinstance(rec, dict):
                    records.append(rec)
        per_file.append((f, records))
    owners: dict[str, list[Path]] = defaultdict(list)
    for f, records in per_file:
        for daemon in {str(r.get("daemon", "")) for r in records}:
            owners[daemon].append(f)
    out: list[dict[str, Any]] = []
    for f, records in per_file:
        for r in records:
            if len(owners[str(r.get("daemon", ""))]) > 1:
                r = {**r, "node": f"{r.get('daemon', '')}#{f.name.split('.')[0]}"}
            out.append(r)
    return out


# -- parsing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Msg:
    seq: int
    t: float
    node: str
    peer: str
    send: bool
    job: str
    jobid: int
    size: int
    text: str

    @property
    def key(self) -> tuple[str, int]:
        return self.text, self.size

    @property
    def alias(self) -> tuple[str, str]:
        return self.node, self.peer

    @property
    def is_signal(self) -> bool:
        return self.size == 0 and self.text in SIGNALS


@dataclass(frozen=True)
class _Event:
    seq: int
    t: float
    node: str
    kind: str
    peer: str
    address: str
    job: str

    @property
    def alias(self) -> tuple[str, str]:
        return self.node, self.peer


def role_of(node: str) -> str:
    """``director``, ``storage``, ``client``, ``console`` or "" from a node name."""
    if node.startswith("~"):
        return node[1:]
    name = node.split("#", 1)[0].lower()
    for suffixes, role in _ROLE_SUFFIXES:
        if name.endswith(suffixes):
            return role
    return ""


def _parse(records: Iterable[dict[str, Any]]) -> tuple[list[_Msg], list[_Event]]:
    msgs: list[_Msg] = []
    events: list[_Event] = []
    for seq, r in enumerate(records):
        try:
            t = float(r["t"])
            node = str(r.get("node") or r["daemon"])
            if "event" in r:
                events.append(_Event(seq, t, node, str(r["event"]), str(r.get("peer") or ""),
                                     str(r.get("address") or ""), str(r.get("job") or "")))
            elif r.get("dir") in ("send", "recv"):
                msgs.append(_Msg(seq, t, node, str(r.get("peer") or ""), r["dir"] == "send",
                                 str(r.get("job") or ""), int(r.get("jobid") or 0), int(r.get("len") or 0),
                                 str(r.get("msg") or "")))
        except (KeyError, TypeError, ValueError):
            continue
    msgs.sort(key=lambda m: (m.t, m.seq))
    events.sort(key=lambda e: (e.t, e.seq))
    return msgs, events


def _compatible(a: _Msg, b: _Msg) -> bool:
    """Two records may be the two ends of one message unless their jobs differ."""
    if a.job and b.job and a.job != b.job:
        return False
    return not (a.jobid and b.jobid and a.jobid != b.jobid)


def _replication(a: _Msg, b: _Msg) -> bool:
    """Two Storage daemons replicating a remote copy/migrate: each end of the one
    conversation is traced under its own job (the reading and the writing job)."""
    return role_of(a.node) == STORAGE and role_of(b.node) == STORAGE


# -- who is who --------------------------------------------------------------------------


_GUESS_RECV = [  # what a peer sends us says what it is
    (re.compile(r"^Hello Director "), DIRECTOR),
    (re.compile(r"^Hello (Storage calling Start Job|Start Storage Job) "), STORAGE),
    (re.compile(r"^Hello (Start Job|Client) "), CLIENT),
    (re.compile(r"^Hello \S+ calling version "), CONSOLE),
    (re.compile(r"^2000 OK (SDSecureEraseCmd|plugin options|passive client)"), STORAGE),
    (re.compile(r"^(3\d\d\d |CatReq |Catreq |UpdCat |BlastAttr |Status Job=)"), STORAGE),
    (re.compile(r"^2\d\d\d "), CLIENT),
    (re.compile(r"^(1\d\d\d[ :]|btime |JobId=\d+ |level = |fileset|storage address=|use storage=)"), DIRECTOR),
]
_GUESS_SEND = [  # what we send a peer says what it is
    (re.compile(r"^JobId=\d+ job="), STORAGE),
    (re.compile(r"^JobId=\d+ Job="), CLIENT),
    (re.compile(r"^(use storage=|append |read open session|start replicate|replicate |Hello Start (Storage )?Job )"),
     STORAGE),
    (re.compile(r"^(level = |fileset|storage address=|backup FileIndex|restore replace=|Hello Storage calling)"),
     CLIENT),
    (re.compile(r"^(Hello Client |CatReq |UpdCat |2800 End Job|3099 Job |Status Job=)"), DIRECTOR),
]
_NO_EVIDENCE = re.compile(r"^(auth cram-md5|1000 OK auth|1999 |<\d+ bytes>$)")


def _is_evidence(m: _Msg) -> bool:
    """Signals, CRAM lines and bare binary sizes are too common to say who a peer is."""
    return not m.is_signal and not _NO_EVIDENCE.match(m.text)


def _guess_role(alias: tuple[str, str], msgs: Sequence[_Msg]) -> str:
    named = role_of(alias[1].split(" at ", 1)[0])  # "bareos-fd at 127.0.0.1:40312"
    if named:
        return named
    for m in msgs:
        if not _is_evidence(m):
            continue
        for pattern, role in (_GUESS_SEND if m.send else _GUESS_RECV):
            if pattern.match(m.text):
                return role
    return ""


def _match_connects(events: Sequence[_Event]) -> dict[int, _Event]:
    """For each ``connect`` (by seq), the nearest later ``accept`` on another node."""
    accepts = [e for e in events if e.kind == "accept"]
    taken: set[int] = set()
    matched: dict[int, _Event] = {}
    for c in events:
        if c.kind != "connect":
            continue
        candidates = [a for a in accepts if a.node != c.node and a.seq not in taken
                      and c.t - SKEW <= a.t <= c.t + VOTE_WINDOW]
        if candidates:
            best = min(candidates, key=lambda a: (abs(a.t - c.t), a.seq))
            taken.add(best.seq)
            matched[c.seq] = best
    return matched


def _may_be(alias: tuple[str, str], node: str) -> bool:
    """Whether the peer a daemon names ``alias[1]`` (``bareos-fd``, ``bareos-dir at host:port``)
    can be the traced ``node``: a name that says its role (``-fd``, ``-sd``, ``-dir``) must
    agree with the node's. An untraced FD's messages must not be taken for the SD's."""
    named = role_of(alias[1].split(" at ", 1)[0])
    return not named or not role_of(node) or named == role_of(node)


def _resolve_peers(msgs: Sequence[_Msg], events: Sequence[_Event],
                   connects: dict[int, _Event]) -> dict[tuple[str, str], str | None]:
    nodes = {m.node for m in msgs} | {e.node for e in events}
    aliases = {m.alias for m in msgs} | {e.alias for e in events}
    resolved: dict[tuple[str, str], str | None] = {
        a: "~" + CONSOLE for a in aliases if a[1].lower().startswith("console")}

    votes: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    recvs: dict[tuple[str, int], list[_Msg]] = defaultdict(list)
    for m in msgs:
        if not m.send and m.alias not in resolved and _is_evidence(m):
            recvs[m.key].append(m)
    times = {k: [m.t for m in v] for k, v in recvs.items()}
    for s in msgs:
        if not s.send or s.alias in resolved or s.key not in recvs:
            continue
        ts = times[s.key]
        lo, hi = bisect.bisect_left(ts, s.t - SKEW), bisect.bisect_right(ts, s.t + VOTE_WINDOW)
        if hi - lo > _VOTE_CROWD:
            continue
        candidates = [r for r in recvs[s.key][lo:hi] if r.node != s.node and _compatible(s, r)
                      and _may_be(s.alias, r.node) and _may_be(r.alias, s.node)]
        if candidates:
            best = min(candidates, key=lambda r: (abs(r.t - s.t), r.seq))
            votes[s.alias][best.node] += 1.0
            votes[best.alias][s.node] += 1.0
    by_seq = {e.seq: e for e in events}
    for cseq, accept in connects.items():
        c = by_seq[cseq]
        if _may_be(c.alias, accept.node) and _may_be(accept.alias, c.node):
            votes[c.alias][accept.node] += 2.0
            votes[accept.alias][c.node] += 2.0

    by_alias: dict[tuple[str, str], list[_Msg]] = defaultdict(list)
    for m in msgs:
        by_alias[m.alias].append(m)
    for a in sorted(aliases):
        if a in resolved:
            continue
        if votes.get(a):
            resolved[a] = max(votes[a].items(), key=lambda kv: (kv[1], kv[0]))[0]
            continue
        role = _guess_role(a, by_alias.get(a, []))
        if not role:
            resolved[a] = None
            continue
        same_role = [n for n in nodes if role_of(n) == role and n != a[0]]
        resolved[a] = same_role[0] if len(same_role) == 1 else "~" + role
    return resolved


# -- pairing ------------------------------------------------------------------------------


def _pair(msgs: Sequence[_Msg], peers: dict[tuple[str, str], str | None]
          ) -> list[tuple[_Msg | None, _Msg | None, str, str]]:
    """(send, receive, src, dst) for every message; one end may be missing."""
    queues: dict[tuple[str, str, str, int], list[_Msg | None]] = defaultdict(list)
    heads: dict[tuple[str, str, str, int], int] = defaultdict(int)
    for r in msgs:
        src = peers.get(r.alias)
        if not r.send and src is not None:
            queues[(src, r.node, *r.key)].append(r)
    pairs: list[tuple[_Msg | None, _Msg | None, str, str]] = []
    matched: set[int] = set()
    for s in msgs:
        dst = peers.get(s.alias)
        if not s.send or dst is None:
            continue
        k = (s.node, dst, *s.key)
        q = queues.get(k)
        partner = None
        if q:
            i = heads[k]
            while i < len(q) and (q[i] is None or q[i].t < s.t - SKEW):  # type: ignore[union-attr]
                i += 1  # consumed, or received before this was sent: stays unpaired
            heads[k] = i
            for j in range(i, min(len(q), i + _PAIR_SCAN)):
                c = q[j]
                if c is None:
                    continue
                if c.t > s.t + MAX_LATE:
                    break
                if _compatible(s, c) or _replication(s, c):
                    partner, q[j] = c, None
                    matched.add(c.seq)
                    break
        pairs.append((s, partner, s.node, dst))
    for r in msgs:
        src = peers.get(r.alias)
        if not r.send and src is not None and r.seq not in matched:
            pairs.append((None, r, src, r.node))
    return pairs


# -- arrows ---------------------------------------------------------------------------------


def build_sequence(records: Iterable[dict[str, Any]], job: str | None = None,
                   jobid: int | None = None, jobids: Collection[int] = ()) -> list[Arrow]:
    """The arrows of the diagram for the traces of several daemons.

    :param records: parsed trace lines of any number of daemons, in any order
    :param job: keep only this job (its unique name, or its name up to the ``.``)
    :param jobid: keep only this JobId
    :param jobids: keep only these JobIds (a remote copy's reading and writing jobs)
    """
    msgs, events = _parse(records)
    connects = _match_connects(events)
    peers = _resolve_peers(msgs, events, connects)
    traced = {m.node for m in msgs} | {e.node for e in events}

    arrows: list[tuple[float, int, Arrow]] = []
    alias_job: dict[tuple[str, str], tuple[str, int]] = {}
    for s, r, src, dst in _pair(msgs, peers):
        one = s or r
        assert one is not None
        job_name = (s.job if s else "") or (r.job if r else "")
        job_id = (s.jobid if s else 0) or (r.jobid if r else 0)
        # a replication between two SDs: each end traced it under its own job; the arrow is both's
        other = (r.job, r.jobid) if s and r and r.job and r.job != s.job else ("", 0)
        unpaired = ""
        if r is None and dst in traced:
            unpaired = "lost"
        elif s is None and src in traced:
            unpaired = "unsent"
        t = min(end.t for end in (s, r) if end is not None)  # a send is stamped once written: maybe late
        arrows.append((t, one.seq, Arrow(
            t, src, dst, one.text, "signal" if one.is_signal else "message",
            job_name, job_id, one.size, 1, unpaired, other_job=other[0], other_jobid=other[1])))
        if job_name or job_id:
            for end in (s, r):
                if end is not None:
                    alias_job.setdefault(end.alias, (job_name, job_id))

    accepted = {a.seq for a in connects.values()}
    id_of_job = {m.job: m.jobid for m in msgs if m.job and m.jobid}
    for e in events:
        if e.kind == "connect" and peers.get(e.alias):
            target = peers[e.alias]
            assert target is not None
            arrows.append((e.t, e.seq, Arrow(e.t, e.node, target, f"connect {e.address}".strip(), "connect",
                                             e.job, id_of_job.get(e.job, 0))))
        elif e.kind == "accept" and e.seq not in accepted and peers.get(e.alias):
            source = peers[e.alias]
            assert source is not None
            name, number = alias_job.get(e.alias, ("", 0))
            arrows.append((e.t, e.seq, Arrow(e.t, source, e.node, f"connect (accepted from {e.peer})", "connect",
                                             name, number)))
    arrows.sort(key=lambda x: (x[0], x[1]))
    out = [a for _, _, a in arrows]
    if job or jobid or jobids:
        out = _only_job(out, msgs, job, {jobid, *jobids} - {None, 0})
    out = _collapse_repeats(_collapse_data(out))
    _finish_labels(out)
    return out


def job_names(records: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Every job seen in the traces with its JobId (0 if never seen)."""
    jobs: dict[str, int] = {}
    for r in records:
        name = str(r.get("job") or "")
        if name:
            jobs[name] = jobs.get(name) or int(r.get("jobid") or 0)
    return jobs


def _only_job(arrows: list[Arrow], msgs: Sequence[_Msg], job: str | None, jobids: set[Any]) -> list[Arrow]:
    """The arrows of one job (or of several JobIds): by name where an end knew it, else by JobId."""
    seen = {m.job for m in msgs if m.job} | {a.job for a in arrows if a.job}
    names = {n for n in seen if job and (n == job or n.startswith(job + "."))}
    if job and not names:
        return []
    ids = set(jobids)
    ids |= {m.jobid for m in msgs if m.jobid and m.job in names}
    names |= {m.job for m in msgs if m.job and m.jobid in ids}

    def keep(a: Arrow) -> bool:
        if a.other_job in names or a.other_jobid in ids:
            return True
        return a.job in names if a.job else bool(a.jobid) and a.jobid in ids

    return [a for a in arrows if keep(a)]


@dataclass
class _Stream:
    framing: str  # "append": "<FileIndex> <Stream> 0" headers, EOD after each; "read": "rechdr …" + one record
    expect_header: bool = True
    arrow: Arrow | None = None


def _collapse_data(arrows: list[Arrow]) -> list[Arrow]:
    """Each data stream after ``3000 OK data`` becomes one ``data`` arrow (its final EOD stays)."""
    out: list[Arrow] = []
    last_sent: dict[tuple[str, str], str] = {}
    streams: dict[tuple[str, str], _Stream] = {}
    for a in arrows:
        channel = (a.src, a.dst)
        stream = streams.get(channel)
        if stream is not None:
            if _absorb(stream, a, out):
                continue
            del streams[channel]
        out.append(a)
        if a.kind == "message" and a.text == "3000 OK data":
            request = last_sent.get((a.dst, a.src), "")
            if request.startswith("read data"):
                streams[channel] = _Stream("read")
            elif request.startswith(("append data", "replicate data")):
                streams[(a.dst, a.src)] = _Stream("append")
        if a.kind in ("message", "signal"):
            last_sent[channel] = a.text
    return out


def _absorb(stream: _Stream, a: Arrow, out: list[Arrow]) -> bool:
    """Take ``a`` into the stream's arrow; False ends the stream (``a`` is drawn on its own)."""
    if a.kind == "signal":
        if stream.framing == "append" and a.text == "EOD" and not stream.expect_header:
            stream.expect_header = True  # end of one header's records
            return True
        return False  # the final EOD, or any other signal
    if a.kind != "message":
        return False
    if stream.expect_header:
        is_header = (_STREAM_HEADER.match(a.text) if stream.framing == "append" else a.text.startswith("rechdr "))
        if not is_header:
            return False
        stream.expect_header = False
        if stream.arrow is None:
            stream.arrow = replace(a, text="data records", kind="data", size=0, count=0, unpaired="")
            out.append(stream.arrow)
        return True
    assert stream.arrow is not None
    stream.arrow.count += 1
    stream.arrow.size += a.size
    if stream.framing == "read":
        stream.expect_header = True
    return True


def _repeat_key(a: Arrow) -> tuple[str, str, str, str] | None:
    if a.kind not in ("message", "signal"):
        return None
    if _BINARY.match(a.text):
        text = "<binary>"
    else:
        words = re.sub(r"\d+", "#", a.text).split()[:3]
        text = " ".join(w.split("=", 1)[0] + "=" if "=" in w else w for w in words)
    return a.src, a.dst, a.kind, text


def _merge(arrows: Sequence[Arrow], count: bool = True) -> Arrow:
    first = arrows[0]
    return replace(first, count=sum(a.count for a in arrows) if count else 1, size=sum(a.size for a in arrows),
                   unpaired=next((a.unpaired for a in arrows if a.unpaired), ""))


def _collapse_repeats(arrows: list[Arrow]) -> list[Arrow]:
    """Runs of equal messages -> one arrow ``x N``; a repeated request/answer pair -> a loop."""
    keys = [_repeat_key(a) for a in arrows]
    out: list[Arrow] = []
    i, n = 0, len(arrows)
    while i < n:
        k = keys[i]
        if k is not None:
            j = i + 1
            while j < n and keys[j] == k:
                j += 1
            if j - i >= MIN_REPEAT:
                out.append(_merge(arrows[i:j]))
                i = j
                continue
            k2 = keys[i + 1] if i + 1 < n else None
            if k2 is not None and k2 != k:
                rounds, j = 1, i + 2
                while j + 1 < n and keys[j] == k and keys[j + 1] == k2:
                    rounds, j = rounds + 1, j + 2
                if rounds >= MIN_REPEAT:
                    first = _merge(arrows[i:j:2], count=False)
                    first.loop = rounds
                    out += [first, _merge(arrows[i + 1:j:2], count=False)]
                    i = j
                    continue
        out.append(arrows[i])
        i += 1
    return out


def human_size(n: int) -> str:
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _visible(text: str) -> str:
    """Control characters (the console's 0x1E separator) as ``\\x1e``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _finish_labels(arrows: list[Arrow]) -> None:
    challenged: set[tuple[str, str]] = set()
    for a in arrows:
        if a.kind == "signal":
            a.label = "BNET_" + a.text
        elif a.kind == "data":
            a.label = f"data records x {a.count} ({human_size(a.size)})"
            continue
        elif a.kind == "connect":
            a.label = a.text
            continue
        elif (a.dst, a.src) in challenged and a.count == 1:
            challenged.discard((a.dst, a.src))
            a.label = "CRAM-MD5 response"
        elif _BINARY.match(a.text) and a.count > 1:
            a.label = "<binary>"
        else:
            a.label = _visible(a.text)
        if a.text.startswith("auth cram-md5"):
            challenged.add((a.src, a.dst))
        if a.count > 1:
            a.label += f" x {a.count}" + (f" ({human_size(a.size)})" if a.label == "<binary>" else "")
        status = _STATUS.match(a.text)
        if status:
            try:
                js = JobStatus.from_code(int(status.group(1)))
                a.note = f"{status.group(1)} = '{js.value}' ({js.name.lower().replace('_', ' ')})"
            except ValueError:
                pass


# -- drawing ----------------------------------------------------------------------------------


def participants(arrows: Sequence[Arrow]) -> list[tuple[str, str, str]]:
    """(node, label, alias) in the Detailed View's order: Director, Storage Daemon, File Daemon."""
    first: dict[str, int] = {}
    for i, a in enumerate(arrows):
        for node in (a.src, a.dst):
            first.setdefault(node, i)

    def rank(node: str) -> tuple[int, int]:
        role = role_of(node)
        return (ROLE_ORDER.index(role) if role in ROLE_ORDER else len(ROLE_ORDER), first[node])

    nodes = sorted(first, key=rank)
    per_role: dict[str, int] = defaultdict(int)
    for node in nodes:
        per_role[role_of(node)] += 1
    seen: dict[str, int] = defaultdict(int)
    out = []
    for node in nodes:
        role = role_of(node)
        seen[role] += 1
        label = ROLE_LABELS.get(role, node)
        if per_role[role] > 1:
            label += " " + (node.split("#", 1)[1] if "#" in node else node.lstrip("~"))
        alias = ROLE_ALIASES.get(role, "p") + (str(seen[role]) if seen[role] > 1 or role not in ROLE_ALIASES else "")
        out.append((node, label, alias))
    return out


_CREOLE = re.compile(r"(\*\*|//|\"\"|__|--|~~|==)")


def _puml_text(text: str) -> str:
    """A label as PlantUML shows it literally: no creole markup, no escapes."""
    text = text.replace("\\", "\\\\")
    return _CREOLE.sub(lambda m: m.group(1)[0] + "\u200b" + m.group(1)[1], text)


def render_plantuml(arrows: Sequence[Arrow], title: str | None = None) -> str:
    """A PlantUML sequence diagram of ``build_sequence``'s arrows."""
    parts = participants(arrows)
    alias = {node: a for node, _, a in parts}
    lines = ["@startuml"]
    if title:
        lines.append(f"title {_puml_text(title)}")
    for _node, label, short in parts:
        lines.append(f'participant "{label}" as {short}')
    i = 0
    while i < len(arrows):
        a = arrows[i]
        if a.loop and i + 1 < len(arrows):
            lines.append(f"loop {a.loop} times")
            lines.append("  " + _puml_arrow(a, alias))
            lines.append("  " + _puml_arrow(arrows[i + 1], alias))
            lines.append("end")
            i += 2
            continue
        lines.append(_puml_arrow(a, alias))
        if a.note:
            lines.append(f"note right : {_puml_text(a.note)}")
        i += 1
    lines.append("@enduml")
    return "\n".join(lines) + "\n"


def _puml_arrow(a: Arrow, alias: dict[str, str]) -> str:
    if a.kind == "connect":
        head = "-[#3465a4]>o"
    elif a.kind == "data":
        head = "-[#2e7d32,bold]>>"
    elif a.unpaired == "lost":
        head = "->x"
    elif a.unpaired == "unsent":
        head = "-[#999999]>"
    else:
        head = "->"
    label = _puml_text(a.label or a.text)
    if a.kind == "connect":
        label = f"<i>{label}</i>"
    return f"{alias[a.src]} {head} {alias[a.dst]} : {label}"


def render_text(arrows: Sequence[Arrow]) -> str:
    """One aligned line per arrow: ``+0.004s  Director -> Storage Daemon : Hello …``."""
    if not arrows:
        return ""
    names = {node: label for node, label, _ in participants(arrows)}
    width = max(len(v) for v in names.values())
    t0 = arrows[0].t
    lines = []
    rounds, left = 0, 0
    for a in arrows:
        head = {"connect": "=>o", "data": "->>"}.get(a.kind, "->x" if a.unpaired == "lost" else "->")
        label = a.label or a.text
        if a.loop:
            rounds, left = a.loop, 2
        if left:
            label = f"[loop x{rounds}] {label}"
            left -= 1
        if a.note:
            label += f"   ({a.note})"
        lines.append(f"{a.t - t0:+9.3f}s  {names[a.src]:>{width}} {head:<3} {names[a.dst]:<{width}} : {label}")
    return "\n".join(lines) + "\n"


def diagram_title(arrows: Sequence[Arrow], jobid: int | None = None, job: str | None = None) -> str:
    """A diagram's title: the jobs and JobIds its arrows belong to."""
    names = sorted({a.job for a in arrows if a.job})
    ids = sorted({a.jobid for a in arrows if a.jobid})
    what = ", ".join(names) or job or ""
    number = ", ".join(map(str, ids)) or (str(jobid) if jobid else "")
    return f"Job {what} (JobId {number})" if number else f"Job {what}"
