"""Fixtures of the fault tests: the store an uninterrupted cycle over the Herat corpus leaves."""

from __future__ import annotations

from typing import Any

import pytest
from fault_helpers import uninterrupted
from snapshot import snapshot

from wiredesk.corpus import CorpusServer
from wiredesk.settings import Settings


@pytest.fixture(scope="session")
def reference(
    corpus_server: CorpusServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row an uninterrupted cycle leaves (SQLite; a PostgreSQL run must leave the same rows)."""
    home = tmp_path_factory.mktemp("reference")
    settings = Settings.from_env({"WIREDESK_HOME": str(home), "WIREDESK_FETCH_ALLOW": "127.0.0.1"})
    uninterrupted(settings, corpus_server)
    return snapshot(settings.store_url)
