"""The roles agree with the configuration schema (STYLE 7, 10, 11).

``meta/argument_specs.yml`` and ``vars/schema.yml`` are generated from
``bareoslab.config.schema.SCHEMAS`` by ``tools/generate_role_specs.py``; these tests fail when the
files drift from the schema, when a resource type has no template, or when a variable
in ``defaults/main.yml`` is missing from the argument spec.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml
from bareoslab.config.schema import MAIN_RESOURCE, SCHEMAS
from bareoslab.config.types import snake

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import generate_role_specs as gen  # noqa: E402

ROLES = [
    "bareoslab_common",
    "bareoslab_catalog",
    "bareoslab_director",
    "bareoslab_storage",
    "bareoslab_client",
]


def _spec(role: str) -> dict:
    data = yaml.safe_load((gen.ROLES / role / "meta" / "argument_specs.yml").read_text())
    return data["argument_specs"]["main"]["options"]


def test_generated_files_are_up_to_date() -> None:
    stale = [
        str(path.relative_to(gen.ROOT))
        for path, text in gen.files().items()
        if not path.exists() or path.read_text() != text
    ]
    assert not stale, f"run: make specs ({', '.join(stale)})"


@pytest.mark.parametrize("role", sorted(gen.DAEMON))
def test_argument_specs_cover_every_directive(role: str) -> None:
    daemon = gen.DAEMON[role]
    options = _spec(role)
    prefix = role + "_"
    for directive in SCHEMAS[daemon][MAIN_RESOURCE[daemon]]:
        spec = options[prefix + snake(directive.name)]
        assert spec["description"].startswith(directive.name)
    for rtype, listname in gen.LISTS[role].items():
        spec = options[prefix + listname]
        assert spec["type"] == "list" and spec["elements"] == "dict"
        names = {snake(d.name) for d in SCHEMAS[daemon][rtype]}
        extra = set(gen.EXTRA_ITEM_OPTIONS.get((role, rtype), {}))
        assert set(spec["options"]) == names | extra, rtype
        for directive in SCHEMAS[daemon][rtype]:
            item = spec["options"][snake(directive.name)]
            expected = {"bool": "bool", "int": "int"}.get(directive.type.name)
            if expected:
                assert item["type"] == expected, (rtype, directive.name)
            if directive.type.name in ("password", "clear_password"):
                assert item.get("no_log") is True, (rtype, directive.name)
            if directive.type.choices:
                assert item["choices"] == list(directive.type.choices)


@pytest.mark.parametrize("role", ROLES)
def test_defaults_are_prefixed_and_in_the_argument_spec(role: str) -> None:
    defaults = yaml.safe_load((gen.ROLES / role / "defaults" / "main.yml").read_text()) or {}
    options = _spec(role)
    for name in defaults:
        assert name.startswith(role + "_"), name
        assert name in options, f"{role}: {name} not in meta/argument_specs.yml"


@pytest.mark.parametrize("role", ROLES)
def test_passwords_are_required_without_default(role: str) -> None:
    defaults = yaml.safe_load((gen.ROLES / role / "defaults" / "main.yml").read_text()) or {}
    for name, spec in _spec(role).items():
        if "password" in name and spec.get("no_log"):
            assert name not in defaults, f"{name} has a default"
    required = [n for n, s in _spec(role).items() if s.get("required")]
    assert all(_spec(role)[n].get("no_log") for n in required if "password" in n)


@pytest.mark.parametrize("role", sorted(gen.DAEMON))
def test_every_resource_type_has_a_template(role: str) -> None:
    daemon = gen.DAEMON[role]
    templates = gen.ROLES / role / "templates"
    for rtype in SCHEMAS[daemon]:
        path = templates / f"{rtype.lower()}.conf.j2"
        assert path.exists(), f"{role}: no template for {rtype}"
        text = path.read_text()
        assert text.startswith("{{ ansible_managed | comment }}")
        assert f"'{rtype}'" in text, path


def test_templates_write_no_directive_by_hand() -> None:
    """Resource templates go through the shared macro: no ``if defined`` ladders."""
    for path in Path(gen.ROLES).glob("bareoslab_*/templates/*.conf.j2"):
        text = path.read_text()
        assert "is defined" not in text, path
        assert re.search(r"import (main_)?resource with context", text), path
