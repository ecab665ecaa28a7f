"""Errors of the Director that more than one of its parts raise or catch."""

from __future__ import annotations


class ReloadError(Exception):
    """The configuration could not be read again; the one in use stays (said in one line)."""
