"""Failure alerts: a JSON POST to a webhook when a task of ``wiredesk_ingest`` fails for good.

:func:`on_task_failure` is the tasks' ``on_failure_callback`` (``dagconfig.DEFAULT_ARGS``). Airflow calls it when
a task instance ends ``failed``, that is after its last retry (a retry calls ``on_retry_callback``, which
wiredesk leaves alone): in the worker's task runner after the task raised, or, when the worker itself died, in
the DAG processor. The webhook is ``WIREDESK_ALERT_WEBHOOK_URL``, else the Airflow Variable
``wiredesk_alert_webhook_url``; with neither, nothing is sent.

The webhook's URL may carry a secret (a token in the query, credentials, a Slack-style secret path): it is
logged only as ``scheme://host/***`` and registered with Airflow's secrets masker. The POST has a short timeout
and never raises out of the callback: a failure to deliver is one warning line.

The payload (``failure_payload``)::

    {"event": "task_failed", "dag_id": "wiredesk_ingest", "run_id": "scheduled__2026-...", "task_id": "dedupe",
     "map_index": -1, "rendered_map_index": null, "try_number": 3,
     "error": "StoreUnavailable: store: cannot open ...", "log_url": "http://airflow:8080/dags/...",
     "timestamp": "2026-11-23T12:00:03.512345+00:00"}

This module imports only the standard library at import time: the DAG file's parse needs it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("wiredesk")

ENV_VAR = "WIREDESK_ALERT_WEBHOOK_URL"
VARIABLE = "wiredesk_alert_webhook_url"
TIMEOUT_S = 5.0  # connect, write and read each: a slow webhook must not hold the worker slot
MAX_ERROR_CHARS = 500


def masked_url(url: str) -> str:
    """``url`` as it may be logged: scheme, host and port only, the rest (credentials, path, query) as ``***``."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "***"
    if not parts.scheme or not host:
        return "***"
    secret = parts.username or parts.password or parts.path.strip("/") or parts.query or parts.fragment
    return f"{parts.scheme}://{host}{port}" + ("/***" if secret else "")


def _variable_url() -> str | None:
    """The Airflow Variable ``wiredesk_alert_webhook_url``, or None (also outside a task, where Airflow's
    execution API cannot be reached)."""
    try:
        from airflow.sdk import Variable

        value = Variable.get(VARIABLE, default=None)
    except Exception as exc:
        log.warning("alert: could not read the Airflow Variable %s: %s", VARIABLE, type(exc).__name__)
        return None
    return str(value) if value else None


def webhook_url(
    environ: Mapping[str, str] | None = None, variable: Callable[[], str | None] = _variable_url
) -> str | None:
    """Where alerts go: ``WIREDESK_ALERT_WEBHOOK_URL``, else the Airflow Variable, else None (no alerts)."""
    env = os.environ if environ is None else environ
    url = (env.get(ENV_VAR) or "").strip() or (variable() or "").strip()
    return url or None


def one_line(error: BaseException | str | None) -> str | None:
    """An exception as one short line: ``Type: first line of the message``."""
    if error is None:
        return None
    if isinstance(error, BaseException):
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    else:
        text = " ".join(str(error).split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def _redact(text: str | None) -> str | None:
    """``text`` with the secrets Airflow knows of (connection passwords, sensitive Variables) masked."""
    if text is None:
        return None
    try:
        from airflow.sdk._shared.secrets_masker import redact

        return str(redact(text))
    except Exception:  # outside Airflow, or a masker that cannot: the message as it is
        return text


def failure_payload(context: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The JSON body of a failure alert, from Airflow's task context."""
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    dag = context.get("dag")
    log_url: str | None
    try:
        log_url = str(ti.log_url) if ti is not None else None
    except Exception:  # log_url reads Airflow's [api] base_url; an alert goes out without it
        log_url = None
    return {
        "event": "task_failed",
        "dag_id": getattr(ti, "dag_id", None) or getattr(dag, "dag_id", None),
        "run_id": getattr(ti, "run_id", None) or getattr(dag_run, "run_id", None) or context.get("run_id"),
        "task_id": getattr(ti, "task_id", None),
        "map_index": getattr(ti, "map_index", None),
        "rendered_map_index": getattr(ti, "rendered_map_index", None),
        "try_number": getattr(ti, "try_number", None),
        "error": _redact(one_line(context.get("exception"))),
        "log_url": log_url,
        "timestamp": now.astimezone(UTC).isoformat(),
    }


@contextmanager
def _httpx_quiet() -> Iterator[None]:
    """Keep httpx's own request log line (it names the full URL) out of the logs, for this thread's request."""
    me = threading.get_ident()

    def other_threads_only(record: logging.LogRecord) -> bool:
        return record.thread != me

    logger = logging.getLogger("httpx")
    logger.addFilter(other_threads_only)
    try:
        yield
    finally:
        logger.removeFilter(other_threads_only)


def _scrub(text: str, url: str) -> str:
    """``text`` (an error message) without the parts of ``url`` that may be secret."""
    parts = urlsplit(url)
    for secret in (url, parts.query, parts.password, parts.username, parts.path):
        if secret and len(secret) > 1:
            text = text.replace(secret, "***")
    return text


def post_alert(url: str, payload: Mapping[str, Any], timeout_s: float = TIMEOUT_S) -> bool:
    """POST ``payload`` as JSON to ``url``; True when the webhook answered 2xx. Never raises: a failure is one
    warning line naming the webhook as :func:`masked_url` shows it."""
    target = masked_url(url)
    try:
        import httpx

        with _httpx_quiet(), httpx.Client(timeout=timeout_s, follow_redirects=False) as client:
            response = client.post(url, json=dict(payload), headers={"User-Agent": "wiredesk-alerts"})
    except Exception as exc:
        log.warning(
            "alert: could not post to the webhook %s: %s: %s", target, type(exc).__name__, _scrub(str(exc), url)
        )
        return False
    if not 200 <= response.status_code < 300:
        log.warning("alert: the webhook %s answered HTTP %d", target, response.status_code)
        return False
    log.info("alert: posted the failure of %s to %s", payload.get("task_id"), target)
    return True


def _mask(url: str) -> None:
    """Register the webhook URL with Airflow's secrets masker, so no other log line shows it either."""
    try:
        from airflow.sdk.log import mask_secret

        mask_secret(url)
    except Exception:
        log.debug("alert: Airflow's secrets masker is not available")


def on_task_failure(context: Mapping[str, Any]) -> None:
    """``on_failure_callback`` of wiredesk's tasks: post the failure to the webhook, if one is configured."""
    try:
        url = webhook_url()
        if url is None:
            return
        _mask(url)
        post_alert(url, failure_payload(context, datetime.now(UTC)))
    except Exception as exc:  # a callback that raises only adds noise to the task's log
        log.warning("alert: not sent: %s", type(exc).__name__)


__all__ = [
    "ENV_VAR",
    "VARIABLE",
    "failure_payload",
    "masked_url",
    "on_task_failure",
    "one_line",
    "post_alert",
    "webhook_url",
]
