"""The Airflow plugin "wiredesk" (wiredesk/airflow_plugin.py, wiredesk/dashboard.py). Nothing here imports airflow
at module level: the session's embedded Airflow home (the ``airflow_home`` fixture) must be configured first."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from plugin_helpers import Filled, fill_store

from storage import Store
from wiredesk.corpus import CorpusServer

DEPLOY = str(Path(__file__).resolve().parents[1] / "deploy")
if DEPLOY not in sys.path:
    sys.path.append(DEPLOY)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory, corpus_server: CorpusServer) -> Filled:
    filled = fill_store(tmp_path_factory.mktemp("wiredesk"), corpus_server)
    with Store.open(filled.settings.store_url) as store:
        assert store.counts()["articles"] == len(corpus_server.corpus.pages)
    return filled
