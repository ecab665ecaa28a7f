"""The lab's base image, built here since no registry can be reached.

A Debian root file system made by ``mmdebstrap`` from this host's own apt sources, with
what the roles and Ansible need already installed (no container has to reach a mirror),
imported with ``docker import``. The image boots real systemd, so the daemons run under
the same units the roles install on real hosts.

The tag carries a hash of the recipe below: an unchanged recipe reuses the image, a
changed one builds a new image. Nothing is ever pulled.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ..errors import LabError

REPOSITORY = "bareoslab/debian"

# What a lab host has before Ansible touches it: Python and apt bindings for the modules,
# sudo/acl for become_user, PostgreSQL and its driver for the catalog role, python3-venv
# for the package's virtual environment, an SSH server for the SSH scenario, and systemd.
PACKAGES = (
    "systemd", "systemd-sysv", "dbus",
    "python3", "python3-apt", "python3-venv", "python3-packaging", "python3-psycopg2",
    "sudo", "acl", "procps", "iproute2", "netbase", "ca-certificates", "less",
    "openssh-server",
    "postgresql",
)

# Units written into the image: every container makes its own SSH host keys on first boot.
UNITS = {
    "etc/systemd/system/ssh-host-keys.service": """\
[Unit]
Description=Create this host's SSH host keys
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
""",
    "etc/systemd/system/ssh.service.d/host-keys.conf": """\
[Unit]
Wants=ssh-host-keys.service
After=ssh-host-keys.service
""",
}

# Run in the finished root file system ($1): no shared host keys, PostgreSQL started only by
# the catalog role, no timers reaching for a mirror, no consoles to wait for.
CUSTOMIZE = (
    "rm -f $1/etc/ssh/ssh_host_*",
    "chroot $1 systemctl enable ssh-host-keys.service ssh.service",
    "chroot $1 systemctl disable postgresql.service",
    "chroot $1 systemctl mask apt-daily.timer apt-daily-upgrade.timer "
    "getty.target console-getty.service systemd-firstboot.service",
    "echo lab > $1/etc/hostname",
)

IMPORT_CHANGES = (
    'CMD ["/lib/systemd/systemd"]',
    "ENV container=docker LANG=C.UTF-8",
)

EXCLUDES = ("/usr/share/doc/*", "/usr/share/man/*", "/usr/share/locale/*", "/usr/share/info/*")


class ImageError(LabError):
    """The image could not be built."""

    exit_code = 8


def host_suite() -> str:
    """The Debian suite of this host (the wheelhouse's Python must match the image's)."""
    for line in Path("/etc/os-release").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key == "VERSION_CODENAME" and value.strip('"'):
            return value.strip('"')
    raise ImageError("/etc/os-release names no VERSION_CODENAME: this host is not Debian-like")


def recipe(suite: str) -> dict[str, object]:
    return {
        "suite": suite,
        "packages": list(PACKAGES),
        "units": UNITS,
        "customize": list(CUSTOMIZE),
        "changes": list(IMPORT_CHANGES),
        "excludes": list(EXCLUDES),
    }


def image_tag(suite: str | None = None) -> str:
    """``bareoslab/debian:<suite>-<hash of the recipe>``."""
    suite = suite or host_suite()
    digest = hashlib.sha256(json.dumps(recipe(suite), sort_keys=True).encode()).hexdigest()
    return f"{REPOSITORY}:{suite}-{digest[:12]}"


def apt_sources(suite: str, root: Path = Path("/etc/apt")) -> list[Path]:
    """The host's enabled apt source files that name ``suite`` (mmdebstrap reads them as is)."""
    candidates = [root / "sources.list", *sorted((root / "sources.list.d").glob("*.list")),
                  *sorted((root / "sources.list.d").glob("*.sources"))]
    found = []
    for path in candidates:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        if any(suite in ln.split() or ln.startswith("Suites:") and suite in ln for ln in lines):
            found.append(path)
    if not found:
        raise ImageError(f"no apt source of this host names the suite {suite!r} "
                         f"(looked in {root}/sources.list and {root}/sources.list.d/)")
    return found


def image_exists(tag: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", tag], capture_output=True).returncode == 0


def _need(command: str, hint: str) -> None:
    if shutil.which(command) is None:
        raise ImageError(f"{command} is not installed: {hint}")


def build_image(out: TextIO, force: bool = False) -> str:
    """Build the image unless one with this recipe exists; return its tag."""
    _need("docker", "the lab needs Docker Engine and its CLI")
    suite = host_suite()
    tag = image_tag(suite)
    if image_exists(tag) and not force:
        print(f"image {tag} is up to date", file=out, flush=True)
        return tag
    _need("mmdebstrap", "apt-get install mmdebstrap")
    if os.geteuid() != 0:
        raise ImageError("building the image runs mmdebstrap as root (sudo make image)")
    sources = apt_sources(suite)
    print(f"building image {tag} from {', '.join(map(str, sources))} ...", file=out, flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bareoslab-image-") as tmp:
        unit_dir = Path(tmp) / "units"
        for rel, text in UNITS.items():
            (unit_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (unit_dir / rel).write_text(text, encoding="utf-8")
        tarball = Path(tmp) / "rootfs.tar"
        argv = [
            "mmdebstrap", "--variant=minbase", "--mode=root",
            f"--include={','.join(PACKAGES)}",
            *[f"--dpkgopt=path-exclude={pattern}" for pattern in EXCLUDES],
            f"--customize-hook=copy-in {unit_dir}/etc /",
            *[f"--customize-hook={step}" for step in CUSTOMIZE],
            suite, str(tarball), *map(str, sources),
        ]
        _run(argv, "mmdebstrap")
        print(f"  root file system: {tarball.stat().st_size / 2**20:.0f} MiB "
              f"in {time.monotonic() - started:.0f} s; importing ...", file=out, flush=True)
        changes = [arg for change in IMPORT_CHANGES for arg in ("--change", change)]
        _run(["docker", "import", *changes, str(tarball), tag], "docker import")
    print(f"image {tag} built in {time.monotonic() - started:.0f} s", file=out, flush=True)
    _remove_stale_images(tag)
    return tag


def _remove_stale_images(keep: str) -> None:
    """Untag the images of older recipes (an image a container still uses stays)."""
    listed = subprocess.run(["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}", REPOSITORY],
                            capture_output=True, text=True)
    for tag in listed.stdout.split():
        if tag != keep:
            subprocess.run(["docker", "image", "rm", tag], capture_output=True)


def _run(argv: Sequence[str], what: str) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise ImageError(f"{what} failed (exit {proc.returncode}):\n{tail}")
