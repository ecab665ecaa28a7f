"""The error every lab command raises: a message for the user and an exit status."""

from __future__ import annotations


class LabError(Exception):
    """A lab command failed."""

    exit_code = 1

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())
