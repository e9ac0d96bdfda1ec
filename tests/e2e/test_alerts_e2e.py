"""A task that fails for good posts an alert to the webhook: ``dag.test()`` of wiredesk_ingest with the store down
(the Airflow connection ``wiredesk_store`` names a PostgreSQL port nobody listens on), a real HTTP server on
127.0.0.1 as the webhook, and its URL in the Airflow Variable ``wiredesk_alert_webhook_url`` of the metadata DB
(set with ``airflow variables set``; the tasks read it through the execution API). The environment variable
``WIREDESK_ALERT_WEBHOOK_URL``, which wins over the Variable, is tested in tests/dags/test_alerts.py.

How Airflow 3.3.2 runs the callback here: ``dag.test()`` runs each task in-process through
``InProcessTestSupervisor.start`` (airflow/sdk/execution_time/supervisor.py), which calls the task runner's
``run`` then ``finalize`` exactly as a worker does; ``finalize`` calls the task's ``on_failure_callback`` when the
task instance ends ``failed`` (``on_retry_callback`` when it goes up for retry). The tasks retry twice with 30 s
and more between tries, which ``dag.test()`` would really wait for, so the run here sets every task's retries to
0: the first failure is the last one, as after the last retry in production.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from e2e_helpers import DagRunResult, run_dag_in_subprocess

from wiredesk import airflow_local
from wiredesk.alerts import VARIABLE

pytestmark = pytest.mark.airflow
T0 = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
TOKEN = "wh-t0ken-9f8e7d6c5b4a"
DB_PASSWORD = "db-Pa55w0rd-0f1e2d"
API_BASE = "http://airflow.example.test:8080"


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that keeps every POST (path, query, headers, JSON body) and answers 204."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                url = urlsplit(self.path)
                receiver.posts.append(
                    {
                        "path": url.path,
                        "query": parse_qs(url.query),
                        "content_type": self.headers.get("Content-Type"),
                        "json": json.loads(body),
                    }
                )
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def webhook_variable(airflow_home: Path) -> Iterator[WebhookReceiver]:
    """A webhook server whose URL is the Variable ``wiredesk_alert_webhook_url`` in the session's metadata DB,
    deleted afterwards: other tests share that DB."""
    env = {**os.environ, **airflow_local.airflow_environment(airflow_home)}

    def airflow(*args: str) -> None:
        subprocess.run([sys.executable, "-m", "airflow", *args], env=env, check=True, capture_output=True, text=True)

    with WebhookReceiver() as webhook:
        airflow("variables", "set", VARIABLE, f"{webhook.url}/hooks/wiredesk?token={TOKEN}")
        try:
            yield webhook
        finally:
            airflow("variables", "delete", VARIABLE)


@pytest.fixture(scope="module")
def failed_run(
    airflow_home: Path, tmp_path_factory: pytest.TempPathFactory, webhook_variable: WebhookReceiver
) -> dict[str, Any]:
    store = f"postgresql+psycopg://wd:{DB_PASSWORD}@127.0.0.1:{_closed_port()}/wiredesk"
    env: dict[str, str | None] = {
        "WIREDESK_HOME": str(tmp_path_factory.mktemp("alerts")),
        "WIREDESK_STORE_URL": None,
        "WIREDESK_ALERT_WEBHOOK_URL": None,
        "AIRFLOW_CONN_WIREDESK_STORE": store,
        "AIRFLOW__API__BASE_URL": API_BASE,
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",  # so the test sees what the callback logs
    }
    result: DagRunResult = run_dag_in_subprocess(airflow_home, T0, env, retries=0)
    return {"result": result, "posts": list(webhook_variable.posts)}


def test_the_store_failure_fails_the_run(failed_run: dict[str, Any]) -> None:
    result = failed_run["result"]
    assert result.state == "failed"
    assert result.task_states[("due_feeds", -1)] == "failed"
    assert result.task_states[("dedupe", -1)] == "failed"
    assert result.task_states[("publish", -1)] == "upstream_failed"


def test_each_failed_task_posts_one_alert(failed_run: dict[str, Any]) -> None:
    posts = failed_run["posts"]
    assert sorted(p["json"]["task_id"] for p in posts) == ["dedupe", "due_feeds"]
    for post in posts:
        assert post["path"] == "/hooks/wiredesk"
        assert post["query"] == {"token": [TOKEN]}, "the webhook gets its own URL, token included"
        assert post["content_type"] == "application/json"


def test_the_alert_names_the_task_and_its_error(failed_run: dict[str, Any]) -> None:
    result = failed_run["result"]
    (alert,) = [p["json"] for p in failed_run["posts"] if p["json"]["task_id"] == "dedupe"]
    assert alert["event"] == "task_failed"
    assert alert["dag_id"] == "wiredesk_ingest"
    assert alert["run_id"] == result.run_id
    assert alert["map_index"] == -1
    assert alert["try_number"] == 1
    assert alert["error"].startswith("StoreUnavailable: store: cannot open postgresql+psycopg://wd:***@127.0.0.1:")
    assert "\n" not in alert["error"]
    assert alert["log_url"].startswith(f"{API_BASE}/dags/wiredesk_ingest/runs/")
    assert alert["log_url"].endswith("/tasks/dedupe?try_number=1")
    sent = datetime.fromisoformat(alert["timestamp"])
    assert sent.tzinfo is not None and sent > T0


def test_no_secret_reaches_the_alert_or_the_log(failed_run: dict[str, Any]) -> None:
    for post in failed_run["posts"]:
        assert DB_PASSWORD not in json.dumps(post["json"])
    output = failed_run["result"].output
    assert "alert: posted the failure of dedupe to http://127.0.0.1:" in output
    assert TOKEN not in output
    assert DB_PASSWORD not in output
