"""The one rule every job kind ends by: the Director's status, its daemons', and problems."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from bareoslab.codes import JobStatus as S
from bareoslab.director.jobs import final_status


def jcr(status: S = S.RUNNING, canceled: bool = False) -> SimpleNamespace:
    return SimpleNamespace(status=status, canceled=canceled)


@pytest.mark.parametrize(("own", "required", "optional", "problems", "canceled", "expected"), [
    (S.RUNNING, [S.TERMINATED], [S.TERMINATED], 0, False, S.TERMINATED),
    (S.RUNNING, [S.TERMINATED], [S.TERMINATED], 2, False, S.WARNINGS),      # errors or warnings
    (S.RUNNING, [S.TERMINATED], [None], 0, False, S.TERMINATED),            # an optional daemon may be silent
    (S.RUNNING, [None], [S.TERMINATED], 0, False, S.ERROR_TERMINATED),      # a required one may not
    (S.RUNNING, [S.RUNNING], [S.TERMINATED], 0, False, S.ERROR_TERMINATED),  # it never ended
    (S.RUNNING, [S.TERMINATED], [S.FATAL_ERROR], 0, False, S.FATAL_ERROR),  # the daemon's own failure
    (S.RUNNING, [S.CANCELED], [S.TERMINATED], 0, False, S.CANCELED),
    (S.FATAL_ERROR, [S.ERROR_TERMINATED], [], 0, False, S.FATAL_ERROR),    # the Director's failure stands
    (S.FATAL_ERROR, [S.TERMINATED], [], 0, True, S.CANCELED),             # a canceled job's fatal error
    (S.CREATED, [S.TERMINATED, S.WARNINGS], [], 0, False, S.TERMINATED),   # copy workers: every one OK
])
def test_final_status(own: S, required: list[S | None], optional: list[S | None], problems: int,
                      canceled: bool, expected: S) -> None:
    assert final_status(jcr(own, canceled), required=required, optional=optional,  # type: ignore[arg-type]
                        problems=problems) is expected
