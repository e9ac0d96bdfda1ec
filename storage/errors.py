"""Errors raised by the store.

StoreError
 ├── StoreUnavailable   the database cannot be reached, opened or written: lost, locked by another process,
 │                      full (the run should stop and be retried; a retry stores nothing twice)
 └── NotFound           a looked-up row does not exist (a user error: wrong id)

Every message is one line that says what and where, and for :class:`StoreUnavailable` what to do
("store: the SQLite database /x/wiredesk.db is locked by another process ...; ... retry, or raise
WIREDESK_SQLITE_BUSY_SECONDS"). Drivers' multi-line messages are joined into one.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class for every error raised by :mod:`storage`."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(line.strip() for line in message.splitlines() if line.strip()))


class StoreUnavailable(StoreError):
    """The database cannot be reached, opened or written."""


class NotFound(StoreError):
    """A row that was asked for by id does not exist."""
