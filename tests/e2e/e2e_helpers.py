"""Helpers for end-to-end tests: registering the corpus feeds and comparing the store with the manifest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from storage import Store
from wiredesk import airflow_local
from wiredesk.corpus import CorpusServer
from wiredesk.pipeline import register_feed
from wiredesk.settings import Settings

CHROME = (
    "Leave a Reply",
    "Your email address will not be published",
    "Required fields are marked",
)


def register_corpus(settings: Settings, server: CorpusServer, now: datetime) -> None:
    for name, url in server.feed_urls():
        register_feed(settings, url, name, now)


def partition_by_path(store: Store, server: CorpusServer) -> dict[str, frozenset[str]]:
    """Page path -> the set of page paths in its stored cluster."""
    clusters: dict[str, set[str]] = defaultdict(set)
    path_of = {}
    for article in store.list_articles():
        path = article.url.removeprefix(server.url)
        path_of[article.id] = path
        assert article.cluster_id is not None, f"{path} was never clustered"
        clusters[article.cluster_id].add(path)
    return {path: frozenset(clusters[a.cluster_id or ""]) for a in store.list_articles() for path in [path_of[a.id]]}


def expected_partition(server: CorpusServer) -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for page in server.corpus.pages:
        groups[page.cluster].add(page.path)
    return {page.path: frozenset(groups[page.cluster]) for page in server.corpus.pages}


def canonical_paths(store: Store, server: CorpusServer) -> set[str]:
    """Paths of the canonical article of every stored cluster."""
    canon = store.articles_by_id([c.canonical_id for c in store.list_clusters()])
    return {a.url.removeprefix(server.url) for a in canon.values()}


# -- dag.test() in a fresh process ------------------------------------------------------------------

_RUN_DAG = """
import json, sys, warnings
from datetime import datetime
warnings.filterwarnings("ignore")
from airflow.dag_processing.dagbag import DagBag
from wiredesk import airflow_local
from wiredesk.dagconfig import DAG_ID

bag = DagBag(dag_folder=str(airflow_local.DAGS_FOLDER))
assert not bag.import_errors, bag.import_errors
dag = bag.dags[DAG_ID]
if sys.argv[2]:
    for task in dag.tasks:
        task.retries = int(sys.argv[2])
run = dag.test(logical_date=datetime.fromisoformat(sys.argv[1]))
tis = [{"task_id": ti.task_id, "map_index": ti.map_index, "state": str(ti.state)} for ti in run.get_task_instances()]
print("DAG-RUN-RESULT " + json.dumps({"run_id": run.run_id, "state": str(run.state), "tis": tis}))
"""


@dataclass(frozen=True)
class DagRunResult:
    """What a :func:`run_dag_in_subprocess` run left: its id, state, task states and the process's output."""

    run_id: str
    state: str
    task_states: dict[tuple[str, int], str]
    output: str


def run_dag_in_subprocess(
    airflow_home: Path, run_time: datetime, env: Mapping[str, str | None], *, retries: int | None = None
) -> DagRunResult:
    """One ``dag.test()`` of wiredesk_ingest in a new Python process over the session's Airflow home, with
    ``env`` added to this process's environment (None: unset): Airflow reads its configuration
    (``AIRFLOW__METRICS__*``, ...) afresh there, which it does only once per process. ``retries`` overrides every
    task's retries (0: the first failure is the last, so ``on_failure_callback`` runs without waiting for retry
    delays)."""
    full_env = {**os.environ, **airflow_local.airflow_environment(airflow_home)}
    for key, value in env.items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    done = subprocess.run(
        [sys.executable, "-c", _RUN_DAG, run_time.isoformat(), "" if retries is None else str(retries)],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("DAG-RUN-RESULT ")]
    if done.returncode != 0 or not lines:
        raise AssertionError(f"dag.test() in a subprocess failed ({done.returncode}):\n{output[-4000:]}")
    result = json.loads(lines[-1].removeprefix("DAG-RUN-RESULT "))
    states = {(ti["task_id"], int(ti["map_index"])): ti["state"] for ti in result["tis"]}
    return DagRunResult(run_id=result["run_id"], state=result["state"], task_states=states, output=output)
