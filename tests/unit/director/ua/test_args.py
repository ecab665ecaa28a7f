"""Console command lines: tokens, values, numbers, and Bareos' prefix lookup."""

from __future__ import annotations

import pytest
from bareoslab.director.ua.args import (
    CommandFailed,
    arg,
    has,
    int_arg,
    int_list_arg,
    parse_args,
    yesno,
)
from bareoslab.director.ua.commands import COMMANDS, TABLE, lookup


def test_parse_args_keywords_values_and_quotes() -> None:
    args = parse_args('RUN job="my job" Level=Full yes where=/tmp/a\\ b')
    assert args == [
        ("run", None),
        ("job", "my job"),
        ("level", "Full"),
        ("yes", None),
        ("where", "/tmp/a b"),
    ]
    assert arg(args, "job") == "my job" and arg(args, "yes") == "" and arg(args, "pool") is None
    assert has(args, "yes") and not has(args, "run")  # the command word is not an argument


def test_parse_args_unbalanced_quote_keeps_words() -> None:
    assert parse_args('list job="x') == [("list", None), ("job", '"x')]


def test_int_args() -> None:
    assert int_arg(parse_args("wait jobid=7"), "jobid") == 7
    assert int_arg(parse_args("wait"), "jobid") is None
    assert int_list_arg(parse_args("delete jobid=1,3-5,9"), "jobid") == [1, 3, 4, 5, 9]
    with pytest.raises(CommandFailed, match="Invalid jobid specified: x"):
        int_arg(parse_args("wait jobid=x"), "jobid")
    with pytest.raises(CommandFailed):
        int_list_arg(parse_args("delete jobid=1,a"), "jobid")


def test_yesno() -> None:
    assert yesno("YES") is True and yesno("0") is False and yesno("maybe") is None


@pytest.mark.parametrize(
    ("word", "name"),
    [
        ("mes", "messages"),
        ("st", "status"),
        ("ll", "llist"),
        ("l", "label"),
        ("li", "list"),
        ("re", "restore"),
        ("rel", "relabel"),  # Bareos: relabel, release, reload in this order
        ("rele", "release"),
        ("relo", "reload"),
        ("ru", "run"),
        ("LIST", "list"),
        (".j", ".jobdefs"),  # .jobdefs comes before .jobs in Bareos' table
        (".jobs", ".jobs"),
        ("q", "quit"),
        ("sq", "sqlquery"),
        ("w", "wait"),
    ],
)
def test_lookup_is_a_prefix_match_in_table_order(word, name) -> None:
    command = lookup(word)
    assert command is not None and command.name == name


def test_lookup_unknown() -> None:
    assert lookup("frobnicate") is None and lookup("") is None


def test_command_table_is_consistent() -> None:
    assert len(COMMANDS) == len(TABLE)
    for command in TABLE:
        assert command.help and command.usage and callable(command.handler)
