"""Every test here runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from backends import BACKENDS, on_backend, pg_store_url

from wiredesk.settings import Settings

__all__ = ["pg_store_url"]


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return on_backend(request, settings, monkeypatch)
