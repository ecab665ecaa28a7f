"""Job status letters: which mean the job changes no more."""

from __future__ import annotations

import pytest
from bareoslab.codes import JobStatus


@pytest.mark.parametrize("letter", list("TWEefADI"))
def test_ended_jobs_have_finished(letter: str) -> None:
    assert JobStatus(letter).finished and JobStatus.has_finished(letter)


@pytest.mark.parametrize("letter", list("CRBFSMmsjcdtpqaiLl"))
def test_created_running_and_waiting_jobs_have_not(letter: str) -> None:
    assert not JobStatus(letter).finished and not JobStatus.has_finished(letter)


def test_an_unknown_letter_changes_no_more() -> None:
    assert JobStatus.has_finished("?")
