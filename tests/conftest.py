"""Shared fixtures: the corpus server on loopback, settings in a temporary home, an opened store, and an
embedded Airflow home (created once per session; nothing may import airflow before it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import Store
from wiredesk.corpus import CorpusServer
from wiredesk.settings import Settings


@pytest.fixture(scope="session")
def corpus_server() -> Iterator[CorpusServer]:
    """The Herat corpus, served read-only for the whole session (do not add or fail paths on it)."""
    with CorpusServer() as server:
        yield server


@pytest.fixture
def fresh_server() -> Iterator[CorpusServer]:
    """A corpus server of the test's own, free to change (add resources, fail paths)."""
    with CorpusServer() as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings on a temporary home with loopback allowed; also exported, as the DAG tasks read the env."""
    # One worker: run_cycle in-process (tests/pipeline/test_parallel_cycle.py covers several).
    env = {"WIREDESK_HOME": str(tmp_path / "home"), "WIREDESK_FETCH_ALLOW": "127.0.0.1", "WIREDESK_WORKERS": "1"}
    monkeypatch.delenv("WIREDESK_STORE_URL", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings.from_env(env)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    with Store.open(settings.store_url) as opened:
        yield opened


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedded Airflow home with a migrated SQLite metadata DB, configured for this process."""
    from wiredesk import airflow_local

    home = Path(os.environ.get("WIREDESK_TEST_AIRFLOW_HOME") or tmp_path_factory.mktemp("airflow"))
    airflow_local.configure(home)
    return home
