"""Pure parts of the copy/migrate job kind: messages, SD identity, write pool, registry."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from bareoslab.codes import JobType
from bareoslab.director.jobs import JOB_KINDS, JobError, copy_migrate
from bareoslab.director.jobs.copy_migrate import resolve_next_pool, same_storage_daemon
from bareoslab.director.report import action, chosen_message, no_jobs_message


def storage(name: str, address: str = "127.0.0.1", port: int = 9103, password: str = "secret") -> Any:
    return SimpleNamespace(name=name, address=address, port=port, password=password)


def test_copy_migrate_registered_for_both_types() -> None:
    assert JOB_KINDS[JobType.COPY] is copy_migrate
    assert JOB_KINDS[JobType.MIGRATE] is copy_migrate


@pytest.mark.parametrize(("job_type", "ids", "text"), [
    (JobType.COPY, [1], "The following 1 JobId was chosen to be copied: 1"),
    (JobType.MIGRATE, [11, 12, 13], "The following 3 JobIds were chosen to be migrated: 11,12,13"),
    (JobType.COPY, [4, 7], "The following 2 JobIds were chosen to be copied: 4,7"),
])
def test_chosen_message_singular_and_plural(job_type: JobType, ids: list[int], text: str) -> None:
    assert chosen_message(job_type, ids) == text


def test_action_words_are_bareos_action_names() -> None:
    # "Selection of jobs to copy failed", never "to copi" (a cut of "copied")
    assert (action(JobType.COPY), action(JobType.MIGRATE)) == ("copy", "migrate")


def test_no_jobs_message_names_the_kind() -> None:
    assert no_jobs_message(JobType.COPY) == "No JobIds found to copy."
    assert no_jobs_message(JobType.MIGRATE) == "No JobIds found to migrate."


def test_same_storage_daemon_needs_address_port_and_password() -> None:
    a = storage("File")
    assert same_storage_daemon(a, storage("FileCopy"))
    assert not same_storage_daemon(a, storage("File2", port=9113))
    assert not same_storage_daemon(a, storage("File2", address="10.0.0.2"))
    assert not same_storage_daemon(a, storage("File2", password="other"))


class FakeConfig:
    def __init__(self, *pools: str) -> None:
        self.pools = {p: SimpleNamespace(name=p) for p in pools}

    def get(self, rtype: str, name: str) -> Any:
        return self.pools.get(name) if rtype == "Pool" else None


def _jcr(job_next: str | None = None, override: str | None = None) -> Any:
    return SimpleNamespace(job_res=SimpleNamespace(next_pool=job_next),
                           next_pool=SimpleNamespace(name=override) if override else None)


def test_next_pool_override_then_job_then_pool() -> None:
    director: Any = SimpleNamespace(cfg=FakeConfig("A", "B", "C"))
    read_pool = SimpleNamespace(name="Full", next_pool="C")
    assert resolve_next_pool(director, _jcr("B", "A"), read_pool).name == "A"
    assert resolve_next_pool(director, _jcr("B"), read_pool).name == "B"
    assert resolve_next_pool(director, _jcr(), read_pool).name == "C"
    with pytest.raises(JobError, match='No Next Pool specification found in Pool "Full"'):
        resolve_next_pool(director, _jcr(), SimpleNamespace(name="Full", next_pool=None))
