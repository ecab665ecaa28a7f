"""Helpers shared by the filed tests: run a backup the way the FD does, then a restore."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from bareoslab.codes import MsgType
from bareoslab.filed.backup_stream import FileOutcome, file_streams
from bareoslab.filed.fileset import FileEntry, FileSetSpec, IncludeBlock, WalkIssue, walk
from bareoslab.filed.restore_writer import RestoreStats, RestoreWriter

NON_UTF8 = os.fsdecode(b"caf\xe9 latin1")  # not valid UTF-8: kept with surrogateescape


@dataclass
class BackupRun:
    records: list[tuple[int, int, bytes]] = field(default_factory=list)
    entries: list[FileEntry] = field(default_factory=list)
    outcomes: list[FileOutcome] = field(default_factory=list)
    issues: list[WalkIssue] = field(default_factory=list)


def run_backup(
    spec: FileSetSpec, since: float | None = None, chunk_size: int = 64 * 1024
) -> BackupRun:
    """walk + file_streams, the way the FD's data channel uses them."""
    run = BackupRun()
    file_index = 1
    for entry in walk(spec, since=since, on_error=run.issues.append):
        fs = file_streams(entry, file_index, chunk_size=chunk_size)
        for stream, chunks in fs:
            for chunk in chunks:
                assert len(chunk) <= chunk_size + 64
                run.records.append((file_index, int(stream), bytes(chunk)))
        run.outcomes.append(fs.outcome)
        if fs.outcome.sent:
            run.entries.append(entry)
            file_index += 1
    return run


@dataclass
class RestoreRun:
    stats: RestoreStats
    messages: list[tuple[MsgType, str]]

    @property
    def errors(self) -> list[str]:
        return [t for k, t in self.messages if k == MsgType.ERROR]


def run_restore(records, where: str, replace: str = "a", verify_digests: bool = True) -> RestoreRun:
    messages: list[tuple[MsgType, str]] = []
    writer = RestoreWriter(
        str(where), replace=replace, on_message=lambda k, t: messages.append((k, t)),
        verify_digests=verify_digests,
    )
    for file_index, stream, data in records:
        writer.record(file_index, stream, data)
    return RestoreRun(writer.finish(), messages)


def spec_for(*files, options=None, exclude=None, ignore=None):
    return FileSetSpec(
        include=[
            IncludeBlock(
                options=list(options or []),
                files=[str(f) for f in files],
                exclude_dir_containing=list(ignore or []),
            )
        ],
        exclude=list(exclude or []),
    )


def listing(spec, root, **kw):
    """[(type name, name relative to root)] of a walk."""
    out = []
    for e in walk(spec, **kw):
        rel = os.path.relpath(e.path, root)
        out.append((e.file_type.name, rel + "/" if e.name.endswith("/") else rel))
    return out
