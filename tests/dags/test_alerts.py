"""wiredesk.alerts: where alerts go, what they say, that the webhook's secrets never reach a log, and that the
callback never raises. A real HTTP server on 127.0.0.1 is the webhook. tests/e2e/test_alerts_e2e.py has a task
really fail in ``dag.test()`` and post."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from wiredesk import alerts
from wiredesk.alerts import failure_payload, masked_url, on_task_failure, one_line, post_alert, webhook_url

TOKEN = "s3cr3t-t0ken-abcdef"
NOW = datetime(2026, 11, 23, 12, 0, 3, tzinfo=UTC)


class Webhook:
    """A webhook on 127.0.0.1 answering ``status`` (after ``delay_s``) and keeping each POST's path and body."""

    def __init__(self, status: int = 200, delay_s: float = 0.0) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.posts.append((self.path, json.loads(body)))
                time.sleep(delay_s)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = f"{self.base}/hooks/T01/B02/{TOKEN}?token={TOKEN}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


def _ti(**overrides: Any) -> SimpleNamespace:
    fields: dict[str, Any] = {
        "dag_id": "wiredesk_ingest",
        "run_id": "scheduled__2026-11-23T12:00:00+00:00",
        "task_id": "ingest_feed",
        "map_index": 4,
        "rendered_map_index": "The Daily Meridian",
        "try_number": 3,
        "log_url": "http://airflow:8080/dags/wiredesk_ingest/runs/r/tasks/ingest_feed/mapped/4?try_number=3",
    }
    return SimpleNamespace(**{**fields, **overrides})


def _context(error: BaseException | None = None, **ti: Any) -> dict[str, Any]:
    return {"ti": _ti(**ti), "exception": error or RuntimeError("store: cannot open db\nTraceback detail")}


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{r.name} {r.levelname} {r.getMessage()}" for r in caplog.records)


# -- the pure parts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.slack.com/services/T0/B0/XYZ", "https://hooks.slack.com/***"),
        ("https://user:pw@alerts.example.com:8443/in?token=abc", "https://alerts.example.com:8443/***"),
        ("https://alerts.example.com/?token=abc", "https://alerts.example.com/***"),
        ("http://127.0.0.1:9000/", "http://127.0.0.1:9000"),
        ("not a url", "***"),
        ("http://host:99999999/x", "***"),
    ],
)
def test_masked_url_keeps_only_scheme_host_and_port(url: str, shown: str) -> None:
    assert masked_url(url) == shown


def test_the_environment_wins_over_the_variable_and_nothing_means_no_alerts() -> None:
    from_variable = "https://variable.example/hook"
    assert webhook_url({alerts.ENV_VAR: "https://env.example/hook"}, lambda: from_variable) == (
        "https://env.example/hook"
    )
    assert webhook_url({alerts.ENV_VAR: "  "}, lambda: from_variable) == from_variable
    assert webhook_url({}, lambda: None) is None
    assert webhook_url({}, lambda: "") is None


@pytest.mark.airflow
def test_the_variable_is_read_through_airflow(airflow_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(alerts.ENV_VAR, raising=False)
    monkeypatch.delenv("AIRFLOW_VAR_WIREDESK_ALERT_WEBHOOK_URL", raising=False)
    assert webhook_url() is None
    monkeypatch.setenv("AIRFLOW_VAR_WIREDESK_ALERT_WEBHOOK_URL", "https://variable.example/hook")
    assert webhook_url() == "https://variable.example/hook"


def test_one_line_is_the_type_and_the_first_line() -> None:
    assert one_line(ValueError("bad value\n  at line 2")) == "ValueError: bad value"
    assert one_line(KeyError()) == "KeyError"
    assert one_line(None) is None
    long = one_line(RuntimeError("x" * 2000))
    assert long is not None and len(long) == alerts.MAX_ERROR_CHARS and long.endswith("…")


def test_the_payload() -> None:
    payload = failure_payload(_context(), NOW)
    assert payload == {
        "event": "task_failed",
        "dag_id": "wiredesk_ingest",
        "run_id": "scheduled__2026-11-23T12:00:00+00:00",
        "task_id": "ingest_feed",
        "map_index": 4,
        "rendered_map_index": "The Daily Meridian",
        "try_number": 3,
        "error": "RuntimeError: store: cannot open db",
        "log_url": "http://airflow:8080/dags/wiredesk_ingest/runs/r/tasks/ingest_feed/mapped/4?try_number=3",
        "timestamp": "2026-11-23T12:00:03+00:00",
    }
    json.dumps(payload)  # it is JSON


def test_the_payload_of_a_dag_level_context_without_a_task_instance() -> None:
    payload = failure_payload({"dag": SimpleNamespace(dag_id="wiredesk_ingest"), "run_id": "r1"}, NOW)
    assert payload["dag_id"] == "wiredesk_ingest" and payload["run_id"] == "r1"
    assert payload["task_id"] is None and payload["log_url"] is None and payload["error"] is None


# -- posting ---------------------------------------------------------------------------------------


def test_the_post_reaches_the_webhook_and_logs_no_secret(webhook: Webhook, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="httpx")  # Airflow's logging setup may have quietened it
    assert post_alert(webhook.url, failure_payload(_context(), NOW)) is True
    ((path, body),) = webhook.posts
    assert path == f"/hooks/T01/B02/{TOKEN}?token={TOKEN}"
    assert body["task_id"] == "ingest_feed" and body["error"] == "RuntimeError: store: cannot open db"
    assert f"alert: posted the failure of ingest_feed to {webhook.base}/***" in _logged(caplog)
    assert TOKEN not in _logged(caplog), "httpx's own request line names the full URL"


def test_an_error_status_is_one_warning_without_the_secret(caplog: pytest.LogCaptureFixture) -> None:
    hook = Webhook(status=500)
    try:
        assert post_alert(hook.url, {"task_id": "dedupe"}) is False
    finally:
        hook.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [f"alert: the webhook {hook.base}/*** answered HTTP 500"]
    assert TOKEN not in _logged(caplog)


def test_an_unreachable_webhook_is_one_warning_without_the_secret(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://alerts:{TOKEN}@127.0.0.1:{port}/hook?token={TOKEN}"
    assert post_alert(url, {"task_id": "dedupe"}) is False
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"alert: could not post to the webhook http://127.0.0.1:{port}/***: ConnectError")
    assert TOKEN not in _logged(caplog)


def test_a_slow_webhook_times_out_quickly(caplog: pytest.LogCaptureFixture) -> None:
    hook = Webhook(delay_s=3.0)
    try:
        started = time.monotonic()
        assert post_alert(hook.url, {"task_id": "dedupe"}, timeout_s=0.5) is False
        assert time.monotonic() - started < 2.5
    finally:
        hook.close()
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert "ReadTimeout" in warning and TOKEN not in warning


# -- the callback ----------------------------------------------------------------------------------


def test_the_callback_posts_when_the_environment_names_a_webhook(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(alerts.ENV_VAR, webhook.url)
    on_task_failure(_context(task_id="dedupe", map_index=-1, rendered_map_index=None))
    ((_, body),) = webhook.posts
    assert body["task_id"] == "dedupe" and body["map_index"] == -1
    assert datetime.fromisoformat(body["timestamp"]).tzinfo is not None


def test_without_a_webhook_the_callback_does_nothing(webhook: Webhook, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(alerts.ENV_VAR, raising=False)
    monkeypatch.setattr(alerts, "_variable_url", lambda: None)
    on_task_failure(_context())
    assert webhook.posts == []


def test_the_callback_never_raises(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        @property
        def log_url(self) -> str:
            raise RuntimeError("no [api] base_url")

        def __getattr__(self, name: str) -> Any:
            raise RuntimeError(f"no {name}")

    monkeypatch.setenv(alerts.ENV_VAR, f"http://127.0.0.1:9/hook?token={TOKEN}")
    on_task_failure({"ti": Broken(), "exception": ValueError("x")})
    on_task_failure({})
    assert TOKEN not in _logged(caplog)
    assert all(r.getMessage().startswith("alert: ") for r in caplog.records if r.levelno >= logging.WARNING)


@pytest.mark.airflow
def test_every_task_of_the_dag_alerts_on_failure(airflow_home: Path) -> None:
    from airflow.dag_processing.dagbag import DagBag

    from wiredesk import airflow_local
    from wiredesk.dagconfig import DAG_ID

    bag = DagBag(dag_folder=str(airflow_local.DAGS_FOLDER))
    assert bag.import_errors == {}
    for task in bag.dags[DAG_ID].tasks:
        callbacks = task.on_failure_callback  # a mapped task keeps the value as given, a list for the others
        assert (callbacks if isinstance(callbacks, list) else [callbacks]) == [on_task_failure], task.task_id
