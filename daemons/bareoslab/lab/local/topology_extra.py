"""Parts added to the loopback lab, and the extra daemons they run.

``render_copy_migrate(t)`` adds

* on the first SD a second device ``FileCopyStorage`` (its own directory) and in the
  Director a Storage ``FileCopy`` for it: same SD, so copies to it are *local*;
* a second SD (``etc/sd2``: own port, password, storage directory, device
  ``FileStorage2``) and the Director's Storage ``File2`` for it: copies to it are
  *remote* (SD to SD replication);
* pools ``LocalCopy`` (Storage ``FileCopy``) and ``FullCopy`` (Storage ``File2``);
  ``Full`` gets ``Storage = File`` and ``Next Pool = FullCopy``;
* Copy/Migrate Job resources ``copy-local``, ``migrate-local``, ``copy-remote``,
  ``migrate-remote`` selecting jobs named ``backup`` in pool ``Full``.

``render_second_client(t)`` adds a second FD (``etc/fd2``) and a Job ``backup2`` for it;
``render_concurrency`` a second device of Storage ``File`` and more jobs at once. Each
adds its part to the :class:`~bareoslab.lab.local.render.LocalTopology` and renders the
whole lab again through the topology model. ``start_sd2``/``start_fd2`` run the extra
daemons as background processes like :mod:`bareoslab.lab.local.processes` does for the others.
"""

from __future__ import annotations

import signal

from ...config.writer import resource_text
from .processes import DaemonProcess, launch, process_files, stop_process
from .render import (
    SECOND_DEVICE,
    Concurrency,
    LocalTopology,
    SecondClient,
    SecondStorage,
    _copy_job,
    copy_storage_dir,
    render,
    sd2_storage_dir,
)

__all__ = ["SECOND_DEVICE", "SecondClient", "SecondStorage", "copy_storage_dir", "sd2_storage_dir"]


def _job(name: str, kind: str, next_pool: str, selection: str = "Job", pattern: str = "^backup$") -> str:
    """A Copy/Migrate Job resource like the lab's, as text (for tests adding more)."""
    return resource_text("dir", "Job", _copy_job(name, kind, next_pool, selection, pattern))


def render_copy_migrate(t: LocalTopology, sd2: SecondStorage | None = None) -> SecondStorage:
    """Add the copy/migrate resources and the second SD; returns the SD2 settings."""
    t.sd2 = sd2 or t.sd2 or SecondStorage()
    render(t)
    return t.sd2


def render_second_client(t: LocalTopology, fd2: SecondClient | None = None) -> SecondClient:
    """Add a second FD (``etc/fd2``), its Client resource and a Job ``backup2`` for it."""
    t.fd2 = fd2 or t.fd2 or SecondClient()
    render(t)
    return t.fd2


def render_concurrency(t: LocalTopology, fd2: SecondClient, device_jobs: int = 5, job_jobs: int = 10) -> None:
    """Many jobs at once: Storage ``File`` gets a second device on the same directory (so two
    pools are written at the same time), every job ``job_jobs`` at once, and a second FD
    (:func:`render_second_client`) joins."""
    t.concurrency = Concurrency(device_jobs, job_jobs)
    render_second_client(t, fd2)


def sd2_process(t: LocalTopology) -> DaemonProcess:
    return process_files(t, "sd2")


def stop_extra(t: LocalTopology, kind: str, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Stop an extra daemon (``SIGKILL`` to simulate a crash)."""
    stop_process(process_files(t, kind), sig, timeout)


def start_sd2(t: LocalTopology, sd2: SecondStorage, trace: bool = True, debug: int = 1) -> DaemonProcess:
    """Start the second SD in the background (no-op when it runs) and wait for its port."""
    return launch(t, "sd2", "sd", sd2.port, trace, debug)


def stop_sd2(t: LocalTopology, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Stop the second SD (``SIGKILL`` to simulate a crash)."""
    stop_extra(t, "sd2", sig, timeout)


def start_fd2(t: LocalTopology, fd2: SecondClient, trace: bool = True, debug: int = 1) -> DaemonProcess:
    """Start the second FD in the background (no-op when it runs) and wait for its port."""
    return launch(t, "fd2", "fd", fd2.port, trace, debug)
