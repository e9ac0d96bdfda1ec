"""Errors of the composition layer and the CLI.

WiredeskError
 └── ConfigError   a setting (environment variable or option) has a value we cannot use
"""

from __future__ import annotations


class WiredeskError(Exception):
    """Base class for errors raised by :mod:`wiredesk` itself."""


class ConfigError(WiredeskError):
    """A configuration value is invalid; the message names the variable and what it accepts."""
