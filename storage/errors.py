"""Errors raised by the store.

StoreError
 ├── StoreUnavailable   the database cannot be reached or opened (the run should fail and be retried)
 └── NotFound           a looked-up row does not exist (a user error: wrong id)
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class for every error raised by :mod:`storage`."""


class StoreUnavailable(StoreError):
    """The database cannot be opened, migrated or written."""


class NotFound(StoreError):
    """A row that was asked for by id does not exist."""
