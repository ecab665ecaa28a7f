"""The one error the configuration layer raises."""

from __future__ import annotations


class ConfigError(Exception):
    """A configuration could not be read; ``str()`` is ``"<file>:<line>: <reason>"``.

    :param file: the file the problem is in (the path as given or resolved)
    :param line: 1-based line number, 0 when the problem is not tied to a line
    :param reason: what is wrong, in words
    """

    def __init__(self, file: str, line: int, reason: str) -> None:
        super().__init__(file, line, reason)
        self.file = file
        self.line = line
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"
