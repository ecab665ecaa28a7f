"""A job's trace against the Detailed View sequence of its kind: the lab's conformance report.

The reference sequences (``REFERENCE``) are the steps of the Bareos developer documentation's
Detailed View, as ``shared/reference/protocol.md`` §7 writes them down: who sends, who
receives, and a pattern of the message's first words. A job's arrows (``build_sequence``) are
compared with them **per conversation** — the messages between two daemons, which one
connection carries in order — because messages on different connections have no order of
their own. Within a conversation:

* a step with no matching message is **missing**;
* a step whose message came before an earlier step's is **out of order**;
* a message that matches no step is **extra**, unless it is one of the messages Bareos sends
  at any point (``ANYTIME``: job messages, status lines, catalog requests and their answers,
  CRAM-MD5, data records, the lines of a FileSet or a bootstrap) or a signal.

A trace keeps the first 80 characters of a message: the patterns stop before that.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .sequence import CLIENT, DIRECTOR, STORAGE, Arrow, role_of

D, S, F = DIRECTOR, STORAGE, CLIENT


@dataclass(frozen=True)
class Step:
    src: str
    dst: str
    pattern: str

    def matches(self, arrow: Arrow, src: str, dst: str) -> bool:
        return (src, dst) == (self.src, self.dst) and re.match(self.pattern, arrow.text) is not None


_HELLO_TO_SD = [Step(D, S, r"Hello Director "), Step(S, D, r"3000 OK Hello")]
_HELLO_TO_FD = [Step(D, F, r"Hello Director "), Step(F, D, r"2000 OK Hello \d+")]
_FD_TO_SD = [Step(F, S, r"Hello Start Job ")]
_SD_JOB = [Step(D, S, r"JobId=\d+ job=\S+ job_name="), Step(S, D, r"3000 OK Job SDid=\d+ SDtime=\d+ Authorization=")]
_SD_ERASE = [Step(D, S, r"getSecureEraseCmd"), Step(S, D, r"2000 OK SDSecureEraseCmd")]
_FD_JOB = [Step(D, F, r"JobId=\d+ Job=\S+ SDid=\d+ SDtime=\d+"), Step(F, D, r"2000 OK Job")]
_FD_ERASE = [Step(D, F, r"getSecureEraseCmd"), Step(F, D, r"2000 OK FDSecureEraseCmd")]
_RESERVE = [Step(D, S, r"use storage=\S+ media_type=\S+ pool_name="), Step(S, D, r"3000 OK use device device=")]
_BOOTSTRAP = [Step(D, S, r"bootstrap"), Step(S, D, r"3000 OK bootstrap")]

#: protocol.md §7.1: backup, director-initiated, active FD
BACKUP = [
    *_HELLO_TO_SD, *_SD_JOB, *_SD_ERASE,
    *_HELLO_TO_FD, *_FD_JOB,
    Step(D, F, r"level = "), Step(F, D, r"2000 OK level"),
    Step(D, F, r"fileset"), Step(F, D, r"2000 OK include"),
    *_FD_ERASE, *_RESERVE,
    Step(D, F, r"storage address=\S+ port=\d+ ssl=\d+"),
    *_FD_TO_SD,
    Step(F, D, r"2000 OK storage"),
    Step(D, S, r"run$"),
    Step(D, F, r"backup FileIndex=\d+"),
    Step(S, D, r"3010 Job \S+ start"),
    Step(F, D, r"2000 OK backup"),
    Step(F, S, r"append open session"), Step(S, F, r"3000 OK open ticket = \d+"),
    Step(F, S, r"append data \d+"), Step(S, F, r"3000 OK data"),
    Step(S, F, r"3000 OK append data"),
    Step(F, S, r"append end session \d+"), Step(S, F, r"3000 OK end"),
    Step(F, S, r"append close session \d+"), Step(S, F, r"3000 OK close Status = \d+"),
    Step(F, D, r"2800 End Job TermCode=\d+ JobFiles=\d+"),
    Step(S, D, r"3099 Job \S+ end JobStatus=\d+"),
]

#: protocol.md §7.2: restore, one storage, active FD
RESTORE = [
    *_HELLO_TO_SD, *_SD_JOB, *_SD_ERASE, *_RESERVE,
    *_HELLO_TO_FD, *_FD_JOB, *_FD_ERASE,
    *_BOOTSTRAP,
    Step(D, S, r"run$"),
    Step(D, F, r"storage address=\S+ port=\d+ ssl=\d+ Authorization="),
    *_FD_TO_SD,
    Step(F, D, r"2000 OK storage"),
    Step(D, F, r"restore replace=\w prelinks=\d+ (where|regexwhere)="), Step(F, D, r"2000 OK restore"),
    Step(F, S, r"read open session = "), Step(S, F, r"3000 OK open ticket = \d+"),
    Step(F, S, r"read data \d+"), Step(S, F, r"3000 OK data"),
    Step(F, S, r"read close session \d+"), Step(S, F, r"3000 OK close Status = \d+"),
    Step(S, D, r"3010 Job \S+ start"),
    Step(F, D, r"2000 OK storage end"),
    Step(S, D, r"3099 Job \S+ end JobStatus=\d+"),
    Step(D, F, r"endrestore"),
    Step(F, D, r"2800 End Job TermCode=\d+"),
]

def _without(steps: list[Step], *drop: Step) -> list[Step]:
    return [s for s in steps if s not in drop]


_SD_CALLS_FD = [Step(D, S, r"passive client address=\S+ port=\d+ ssl=\d+"),
                Step(S, F, r"Hello Storage calling Start Job "), Step(S, D, r"2000 OK passive client")]


def _passive(steps: list[Step], *, restore: bool) -> list[Step]:
    """§7.6: the SD calls the FD (``passive client``) instead of the FD calling the SD; for a
    restore the FD gets the job's key first (``setauthorization``) and the call precedes ``run``."""
    out: list[Step] = []
    for step in steps:
        if step.pattern.startswith("storage address="):
            out += ([Step(D, F, r"setauthorization Authorization="), Step(F, D, r"2000 OK Authorization")]
                    if restore else _SD_CALLS_FD)
        elif restore and step.pattern == "run$":
            out += [*_SD_CALLS_FD, step]
        elif step not in _FD_TO_SD and step.pattern != "2000 OK storage":
            out.append(step)
    return out


#: protocol.md §7.3: local copy or migrate, one SD (the worker job; no FD, no ``3010``)
LOCAL_COPY = [
    *_HELLO_TO_SD, *_SD_JOB, *_BOOTSTRAP, *_SD_ERASE,
    *_RESERVE,  # the read side
    *_RESERVE,  # the write side
    Step(D, S, r"run$"),
    Step(S, D, r"3099 Job \S+ end JobStatus=\d+"),
]

#: the kinds ``job_kind`` names; §7.5: a client-initiated client's job starts on the connection
#: it parked, so there is no hello for the job
REFERENCE = {"copy/migrate": LOCAL_COPY}
for _kind, _steps, _restore in (("backup", BACKUP, False), ("restore", RESTORE, True)):
    REFERENCE[_kind] = _steps
    REFERENCE[f"{_kind}, client-initiated"] = _without(_steps, *_HELLO_TO_FD)
    REFERENCE[f"{_kind}, passive client"] = _passive(_steps, restore=_restore)
    REFERENCE[f"{_kind}, client-initiated, passive client"] = _without(
        _passive(_steps, restore=_restore), *_HELLO_TO_FD)

#: sent at any point of a conversation (protocol.md §7: "FD and SD may interleave Jmsg lines
#: and HEARTBEAT signals at almost any point"; §8: the SD's catalog requests and status)
ANYTIME = re.compile(
    r"Jmsg |Status Job=|CatReq |UpdCat |1000 OK|1901 No Media|3000 OK VolName|auth cram-md5 |<cram-md5 response>"
    r"|<binary>|<\d+ bytes>|data records|rechdr |pluginoptions|2000 OK plugin"
    r"|I$|O |N$|F |E$|R |RD |RF |W |WD |WF |B |X |Z |P |use device=|accurate files=|btime |BTIME"
    r"|Run OnSuccess|RunBeforeNow|2000 OK RunScript|2000 OK RunBeforeNow|restoreobject|2000 OK ObjectRestored"
    r"|setbandwidth=|2000 OK Bandwidth|level = since_utime|Volume=|MediaType=|VolSessionId=|VolSessionTime="
    r"|VolAddr=|FileIndex=|Count=|Storage=|Slot=|Device=|VolFile=|VolBlock=|JobId=|Job=|Client="
)


@dataclass(frozen=True)
class Finding:
    kind: str  # "missing", "out of order", "extra"
    src: str
    dst: str
    text: str

    def __str__(self) -> str:
        return f"{self.kind:>12}  {self.src} -> {self.dst}: {self.text}"


def job_kind(arrows: Sequence[Arrow]) -> str | None:
    """``backup`` or ``restore`` from what the Director asks the FD to do, with the client's
    mode when it is not director-initiated and active (``backup, passive client``); None for
    other jobs. (A trace keeps a message's first words: the SD job command's ``type=`` may be cut.)"""
    kind = None
    called, passive = False, False  # the Director called the FD for the job; the SD did
    to_sd = [a.text for a in arrows if (role_of(a.src), role_of(a.dst)) == (D, S)]
    if any(t.startswith(("replicate ", "listen")) for t in to_sd):
        return "copy/migrate, remote"
    if "bootstrap" in to_sd and not any(F in (role_of(a.src), role_of(a.dst)) for a in arrows):
        return "copy/migrate"
    for arrow in arrows:
        src, dst = role_of(arrow.src), role_of(arrow.dst)
        if (src, dst) == (D, F) and arrow.text.startswith("Hello Director "):
            called = True
        elif (src, dst) == (D, S) and arrow.text.startswith("passive client "):
            passive = True
        elif (src, dst) == (D, F) and arrow.text.startswith("backup FileIndex="):
            kind = "backup"
        elif (src, dst) == (D, F) and arrow.text.startswith("restore replace="):
            kind = "restore"
    if kind is None:
        return None
    return kind + ("" if called else ", client-initiated") + (", passive client" if passive else "")


def check(arrows: Sequence[Arrow], reference: Sequence[Step]) -> list[Finding]:
    """What differs between a job's arrows and its reference sequence, conversation by
    conversation, in reference order."""
    findings: list[Finding] = []
    pairs = {frozenset((s.src, s.dst)) for s in reference}
    for pair in sorted(pairs, key=sorted):
        steps = [s for s in reference if frozenset((s.src, s.dst)) == pair]
        said = [(a, role_of(a.src), role_of(a.dst)) for a in arrows
                if a.kind in ("message", "data") and frozenset((role_of(a.src), role_of(a.dst))) == pair]
        used: set[int] = set()
        pos = 0
        for step in steps:
            found = next((i for i in range(pos, len(said)) if i not in used and step.matches(*said[i])), None)
            if found is not None:
                used.add(found)
                pos = found + 1
                continue
            earlier = next((i for i in range(pos) if i not in used and step.matches(*said[i])), None)
            if earlier is not None:
                used.add(earlier)
                findings.append(Finding("out of order", step.src, step.dst, said[earlier][0].text))
            else:
                findings.append(Finding("missing", step.src, step.dst, step.pattern))
        for i, (arrow, src, dst) in enumerate(said):
            if i not in used and not ANYTIME.match(arrow.text):
                findings.append(Finding("extra", src, dst, arrow.text))
    return findings
