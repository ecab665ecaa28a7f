"""What ``status subscriptions`` counts: plugins read from FileSet texts, units per client."""

from __future__ import annotations

import pytest
from bareoslab.director.ua.subscriptions import NO_PLUGIN, plugin_of, units


@pytest.mark.parametrize(
    ("text", "plugin"),
    [
        ('FileSet { Name = "LabData"\n Include { File = /srv }\n}', None),
        ('Include { Plugin = "python3:module_name=bareos-fd-postgresql:dbname=x" }', "postgresql"),
        ('Include { Plugin = "python:module_path=/p:module_name=bareos-fd-mariabackup" }', "mariabackup"),
        ('Include { Plugin = "python3:module_name=local-plugin:x=1" }', "local-plugin"),
        ('Plugin = "python3"', "other python plugin"),  # as PostgreSQL's $: the end of the text
        ('Include { Plugin = "python3" }', "python3"),
        ('Include { Plugin = "bpipe:file=/x:reader=cat" }', "bpipe"),
    ],
)
def test_plugin_of_a_fileset_text(text: str, plugin: str | None) -> None:
    assert plugin_of(text) == plugin


def test_units_count_file_data_once_per_client_and_each_plugin_fileset() -> None:
    rows = [
        ("fd1", 1, "Data", 2_000_000_000, "Include { File = /a }"),
        ("fd1", 1, "More", 1_000_000_000, "Include { File = /b }"),
        ("fd1", 1, "Pg", 500_000_000, 'Include { Plugin = "python3:module_name=bareos-fd-postgresql" }'),
        ("fd1", 1, "Pg2", 500_000_000, 'Include { Plugin = "python3:module_name=bareos-fd-postgresql" }'),
        ("fd2", 2, "Data", 0, "Include { File = /c }"),
    ]
    found = {(u.client, u.plugin): (u.count, round(u.size_gb, 2)) for u in units(rows)}
    assert found == {
        ("fd1", NO_PLUGIN): (1, 3.0),  # two file FileSets, one unit
        ("fd1", "postgresql"): (2, 1.0),  # each plugin FileSet a unit
        ("fd2", NO_PLUGIN): (1, 0.0),
    }
