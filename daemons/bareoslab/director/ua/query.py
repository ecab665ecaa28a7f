"""``query``: the canned queries of the Director's ``Query File`` (Bareos' ``ua_query.cc``):
pick one from the list, answer its questions, see its tables."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .args import Args, CommandFailed
from .listing import run_sql
from .output import format_table, format_vertical
from .prompt import choose, get_cmd

if TYPE_CHECKING:
    from .commands import UserAgent

#: the file used when the Director names none and Bareos' default is not installed
LAB_QUERIES = Path(__file__).resolve().parent.parent / "query.sql"
MAX_QUESTIONS = 9


@dataclass
class Query:
    title: str
    questions: list[str] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)


def parse_queries(text: str) -> list[Query]:
    """The queries of a query file: ``:title``, ``*question``, SQL up to ``;``, ``#`` comments."""
    queries: list[Query] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith("#") or (not queries and not line.startswith(":")):
            continue
        if line.startswith(":"):
            queries.append(Query(line[1:]))
            pending = ""
            continue
        query = queries[-1]
        if line.startswith("*") and len(query.questions) < MAX_QUESTIONS:
            query.questions.append(line[1:] + " ")
            continue
        pending = f"{pending} {line}".strip()
        if pending.endswith(";"):
            query.statements.append(pending[:-1])
            pending = ""
    if queries and pending:
        queries[-1].statements.append(pending)
    return queries


def _query_file(ua: UserAgent) -> Path:
    res = ua.director.res
    configured = Path(str(res.get("Query File")))
    if not res.is_set("Query File") and not configured.exists():
        return LAB_QUERIES
    return configured


async def cmd_query(ua: UserAgent, args: Args) -> bool:
    path = _query_file(ua)
    try:
        queries = parse_queries(path.read_text(encoding="utf-8", errors="replace"))
    except OSError as exc:
        raise CommandFailed(f"Could not open {path}: ERR={exc.strerror}") from exc
    picked = await choose(ua, "Available queries:\n", [q.title for q in queries], "", "Choose a query")
    if picked is None:
        return True
    query = queries[picked]
    answers: dict[int, str] = {}

    async def substitute(statement: str) -> str | None:
        for number in sorted({int(n) for n in re.findall(r"%([1-9])", statement)}):
            if number > len(query.questions):
                continue
            if number not in answers:
                answer = await get_cmd(ua, query.questions[number - 1])
                if answer is None:
                    return None
                answers[number] = answer.replace("'", "''")  # an answer is a value, never SQL
            statement = statement.replace(f"%{number}", answers[number])
        return statement

    results = []
    for statement in query.statements:
        sql = await substitute(statement)
        if sql is None:
            return True
        vertical = sql.startswith("!")
        columns, rows = await run_sql(ua, sql[1:] if vertical else sql)
        await ua.lines(format_vertical(columns, rows) if vertical else format_table(columns, rows))
        results.append({"columns": columns, "rows": [[str(v) for v in r] for r in rows]})
    ua.json_result = {"query": results}
    return True
