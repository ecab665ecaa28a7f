"""The roles as a collection: ``ansible-galaxy collection build`` makes an artifact that
installs, and a playbook naming its roles by their full names passes Ansible's syntax check."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

PLAYBOOK = """---
- name: A client and a storage from the collection
  hosts: all
  gather_facts: false
  roles:
    - role: bareoslab.lab.bareoslab_client
    - role: bareoslab.lab.bareoslab_storage
"""


def run(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def test_collection_builds_installs_and_its_roles_resolve(tmp_path: Path) -> None:
    built = run(str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path))
    assert built.returncode == 0, built.stderr
    artifact = next(tmp_path.glob("bareoslab-lab-*.tar.gz"))
    with tarfile.open(artifact) as tar:
        names = set(tar.getnames())
    assert "roles/bareoslab_director/tasks/main.yml" in names
    assert "roles/bareoslab_common/library/bareoslab_config_tree.py" in names
    assert not any(n.startswith(("daemons/", "tests/", ".venv/")) for n in names)

    installed = run(str(BIN / "ansible-galaxy"), "collection", "install", str(artifact),
                    "-p", str(tmp_path / "collections"))
    assert installed.returncode == 0, installed.stderr
    roles = tmp_path / "collections" / "ansible_collections" / "bareoslab" / "lab" / "roles"
    assert {p.name for p in roles.iterdir()} >= {"bareoslab_common", "bareoslab_client", "bareoslab_director"}

    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK)
    checked = run(str(BIN / "ansible-playbook"), "--syntax-check", "-i", "localhost,", str(playbook),
                  env={"ANSIBLE_COLLECTIONS_PATH": str(tmp_path / "collections"), "ANSIBLE_ROLES_PATH": "/nonexistent"})
    assert checked.returncode == 0, checked.stdout + checked.stderr
