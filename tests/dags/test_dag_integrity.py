"""The DAG parses in a real DagBag, and every task is configured to survive transient failures."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from wiredesk import airflow_local
from wiredesk.dagconfig import ARTICLES_ASSET_URI, DAG_ID, schedule

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
def dag(airflow_home: Path) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(airflow_local.DAGS_FOLDER))
    assert bag.import_errors == {}
    return bag.dags[DAG_ID]


def test_dag_is_scheduled_without_catchup_and_one_run_at_a_time(dag: Any) -> None:
    assert dag.schedule == timedelta(minutes=15)
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert [t.task_id for t in dag.topological_sort()] == ["due_feeds", "ingest_feed", "dedupe", "publish"]


def test_every_task_retries_with_backoff_and_has_a_timeout(dag: Any) -> None:
    for task in dag.tasks:
        assert task.retries >= 2, task.task_id
        assert task.retry_exponential_backoff, task.task_id
        assert task.execution_timeout is not None and task.execution_timeout > timedelta(0), task.task_id


def test_feed_task_is_mapped_and_labelled_by_feed_name(dag: Any) -> None:
    feed_task = dag.get_task("ingest_feed")
    assert feed_task.map_index_template == "{{ feed_name }}"
    assert feed_task.max_active_tis_per_dagrun >= 1


def test_publish_emits_the_articles_asset(dag: Any) -> None:
    outlets = dag.get_task("publish").outlets
    assert [o.uri for o in outlets] == [ARTICLES_ASSET_URI]


def test_schedule_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREDESK_SCHEDULE_MINUTES", "5")
    assert schedule() == timedelta(minutes=5)
    monkeypatch.setenv("WIREDESK_SCHEDULE_MINUTES", "nonsense")
    assert schedule() == timedelta(minutes=15)


def test_parsing_the_dag_file_imports_no_pipeline_code(airflow_home: Path) -> None:
    """DAG files are parsed often: the heavy imports belong inside the tasks."""
    code = (
        "import runpy, sys; runpy.run_path(sys.argv[1]);"
        "heavy = ('trafilatura', 'datasketch', 'feedparser', 'storage', 'ingest', 'dedupe', 'wiredesk.pipeline');"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    env = {**os.environ, **airflow_local.airflow_environment(airflow_home)}
    done = subprocess.run(
        [sys.executable, "-c", code, str(airflow_local.DAGS_FOLDER / "wiredesk_ingest.py")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == ""


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("ingest", {"airflow", "dedupe", "storage", "wiredesk"}),
        ("dedupe", {"airflow", "ingest", "storage", "wiredesk"}),
        ("storage", {"airflow", "ingest", "dedupe", "wiredesk", "feedparser", "trafilatura", "datasketch"}),
    ],
)
def test_layers_import_only_downwards(package: str, forbidden: set[str]) -> None:
    for path in sorted((ROOT / package).rglob("*.py")):
        assert not _imports(path) & forbidden, f"{path.relative_to(ROOT)} imports {_imports(path) & forbidden}"
