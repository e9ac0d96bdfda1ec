"""Run a test module's store-backed tests on both backends: SQLite (the default) and PostgreSQL (a
throwaway database on the local server, migrated once per session and emptied before each test)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from pg import empty_all_tables, fresh_database

from storage import Store
from wiredesk.settings import Settings

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_store_url() -> Iterator[str]:
    with fresh_database() as url:
        Store.open(url).close()  # migrate once
        yield url


def on_backend(request: pytest.FixtureRequest, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """``settings`` pointed at the backend the test is parametrized with (exported for DAG tasks too)."""
    if request.param == "sqlite":
        return settings
    url = request.getfixturevalue("pg_store_url")
    empty_all_tables(url)
    monkeypatch.setenv("WIREDESK_STORE_URL", url)
    return dataclasses.replace(settings, store_url=url)
