"""Tags per concern: ``--tags packages|config|service|catalog`` selects a whole concern.

Every task of the roles and of ``playbooks/site.yml`` carries one of the concern tags (or
``always``); an include carries every tag of the tasks it includes, since Ansible filters an
include by its own tags before it looks inside. Checked on the YAML, so a new untagged task or
an include that would hide one fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONCERNS = {"packages", "config", "service", "catalog"}
INCLUDES = ("ansible.builtin.include_tasks", "ansible.builtin.import_tasks", "ansible.builtin.include_role",
            "ansible.builtin.import_role")


def tasks_of(items: list[dict[str, Any]], inherited: frozenset[str] = frozenset()) -> Iterator[tuple[dict, set[str]]]:
    """Every task with its tags, blocks' tags passed down."""
    for item in items or []:
        own = item.get("tags", [])
        tags = inherited | set([own] if isinstance(own, str) else own)
        if "block" in item:
            for key in ("block", "rescue", "always"):
                yield from tasks_of(item.get(key, []), frozenset(tags))
        else:
            yield item, tags


def included_file(task: dict[str, Any], role: str) -> Path | None:
    for key in INCLUDES:
        if key in task:
            arg = task[key]
            if key.endswith("_tasks"):
                return ROOT / "roles" / role / "tasks" / (arg if isinstance(arg, str) else arg["file"])
            return ROOT / "roles" / arg["name"] / "tasks" / arg.get("tasks_from", "main.yml")
    return None


def file_tags(path: Path) -> set[str]:
    """The tags of every task a file runs, through its includes (and its role's dependencies)."""
    role = path.parents[1].name
    out: set[str] = set()
    for task, tags in tasks_of(yaml.safe_load(path.read_text())):
        out |= tags
        inner = included_file(task, role)
        if inner is not None:
            out |= file_tags(inner)
    if path.name == "main.yml":
        meta = yaml.safe_load((path.parents[1] / "meta" / "main.yml").read_text())
        for dep in meta.get("dependencies") or []:
            out |= file_tags(ROOT / "roles" / dep["role"] / "tasks" / "main.yml")
    return out


def task_files() -> list[Path]:
    return sorted(ROOT.glob("roles/*/tasks/*.yml"))


def site_tasks() -> Iterator[tuple[dict, set[str]]]:
    for play in yaml.safe_load((ROOT / "playbooks" / "site.yml").read_text()):
        yield from tasks_of(play.get("tasks", []), frozenset(play.get("tags", [])))


@pytest.mark.parametrize("path", task_files(), ids=lambda p: f"{p.parents[1].name}/{p.name}")
def test_every_task_names_its_concern(path: Path) -> None:
    role = path.parents[1].name
    for task, tags in tasks_of(yaml.safe_load(path.read_text())):
        assert tags & (CONCERNS | {"always"}), f"{task['name']!r} has no concern tag"
        assert tags <= CONCERNS | {"always"}, f"{task['name']!r}: unknown tags {tags - CONCERNS}"
        inner = included_file(task, role)
        if inner is not None and "always" not in tags:
            hidden = file_tags(inner) - tags - {"always"}
            assert not hidden, f"{task['name']!r} hides tasks tagged {hidden}"


def test_the_site_playbook_reaches_every_concern() -> None:
    seen: set[str] = set()
    for task, tags in site_tasks():
        assert tags & (CONCERNS | {"always"}), f"{task['name']!r} has no concern tag"
        inner = included_file(task, "bareoslab_common")
        if inner is not None and "always" not in tags:
            hidden = file_tags(inner) - tags - {"always"}
            assert not hidden, f"{task['name']!r} hides tasks tagged {hidden}"
        seen |= tags
    for play in yaml.safe_load((ROOT / "playbooks" / "site.yml").read_text()):
        for entry in play.get("roles", []):
            seen |= file_tags(ROOT / "roles" / entry["role"] / "tasks" / "main.yml")
    assert CONCERNS <= seen
