"""The bodies of the ``wiredesk_ingest`` tasks, in JSON-friendly form (XCom carries dicts).

Each takes the DAG run and uses its time (:func:`run_time`), and builds :class:`Settings` once, at the edge
(:func:`task_settings`): from the environment, with the store's URL taken from the Airflow connection
``wiredesk_store`` when it exists (``WIREDESK_STORE_URL`` otherwise). The feed and dedupe tasks send their
metrics through Airflow's metrics facade (:mod:`wiredesk.metrics`); ``publish`` records the run in the store.
Only this module, :mod:`wiredesk.metrics`, :mod:`wiredesk.alerts` and the DAG file talk to Airflow; ``ingest``,
``dedupe``, ``storage`` and ``wiredesk.settings`` never import it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from wiredesk import metrics, pipeline
from wiredesk.errors import ConfigError
from wiredesk.settings import Settings, normalise_store_url

log = logging.getLogger("wiredesk")

STORE_CONN_ID = "wiredesk_store"


def masked(url: str) -> str:
    """``url`` with its password, if any, shown as ``***``."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def store_url_from_connection(conn: Any) -> str:
    """The store's SQLAlchemy URL from an Airflow connection.

    - the extra ``sqlalchemy_url``, when set, is the URL (any database, e.g. a SQLite file);
    - otherwise the URL is built from the connection's fields: its type is the SQLAlchemy dialect and driver
      (``postgres`` and ``postgresql`` mean ``postgresql+psycopg``), host, port, login, password, schema (the
      database) and the other extras as query parameters. So ``AIRFLOW_CONN_WIREDESK_STORE=
      'postgresql+psycopg://user:pw@host:5432/wiredesk'`` and ``airflow connections add wiredesk_store
      --conn-uri 'postgres://user:pw@host:5432/wiredesk'`` give the same URL.
    """
    from sqlalchemy.engine import URL

    extra = dict(conn.extra_dejson or {})
    explicit = extra.pop("sqlalchemy_url", None)
    if explicit:
        return normalise_store_url(str(explicit))
    conn_type = (conn.conn_type or "").strip().lower()
    if not conn_type or conn_type in ("generic", "http", "https"):
        raise ConfigError(
            f"the Airflow connection {STORE_CONN_ID!r} has type {conn_type or 'none'!r}: give it a database URI "
            "(e.g. postgresql+psycopg://user:password@host:5432/wiredesk) or the extra "
            '{"sqlalchemy_url": "..."}'
        )
    drivername = normalise_store_url(f"{conn_type}://").removesuffix("://")
    url = URL.create(
        drivername=drivername,
        username=conn.login or None,
        password=conn.password or None,
        host=conn.host or None,
        port=conn.port or None,
        database=conn.schema or None,
        query={str(k): str(v) for k, v in extra.items()},
    )
    return url.render_as_string(hide_password=False)


def connection_store_url() -> str | None:
    """The URL of the Airflow connection ``wiredesk_store``, or None when no such connection exists. Any other
    failure to read it raises (the task retries): a store silently swapped for the default would be worse."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = BaseHook.get_connection(STORE_CONN_ID)
    except AirflowNotFoundException:
        return None
    return store_url_from_connection(conn)


def task_settings() -> Settings:
    """Settings for a task: the environment's, with the store from the connection ``wiredesk_store`` if any."""
    url = connection_store_url()
    settings = Settings.from_env(store_url=url)
    source = f"the Airflow connection {STORE_CONN_ID}" if url else "WIREDESK_STORE_URL or the default"
    log.info("store: %s (from %s)", masked(settings.store_url), source)
    return settings


def as_utc(when: Any) -> datetime:
    """Airflow's pendulum time (or any aware datetime) as a stdlib UTC datetime."""
    return datetime.fromtimestamp(when.timestamp(), tz=UTC)


def run_time(dag_run: Any) -> datetime:
    """The time a run stands for: the end of its data interval, else its logical date, else when it ran
    (a manual run without logical date). Scheduled runs thus see exact, evenly spaced times."""
    for attr in ("data_interval_end", "logical_date", "run_after"):
        value = getattr(dag_run, attr, None)
        if value is not None:
            return as_utc(value)
    raise ValueError("the DAG run has no time")


def due_feeds(dag_run: Any) -> list[dict[str, Any]]:
    tasks = pipeline.due_feeds(task_settings(), run_time(dag_run))
    log.info("%d feeds due", len(tasks))
    return [asdict(t) for t in tasks]


def ingest_feed(feed: dict[str, Any], dag_run: Any) -> dict[str, Any]:
    settings = task_settings()
    started = time.monotonic()
    report = pipeline.ingest_feed(settings, int(feed["feed_id"]), run_time(dag_run))
    seconds = time.monotonic() - started
    log.info("%s", report.summary())
    for error in report.page_errors:
        log.warning("%s", error)
    result = asdict(report)
    metrics.emit(metrics.feed_metrics(result, seconds))
    return result


def dedupe(dag_run: Any) -> dict[str, Any]:
    settings = task_settings()
    started = time.monotonic()
    report = pipeline.dedupe_pending(settings, run_time(dag_run))
    seconds = time.monotonic() - started
    log.info(
        "dedupe: %d articles placed, %d new clusters, %d joined, %d canonicals changed",
        report.decided,
        report.clusters_created,
        report.joined,
        report.canonical_changed,
    )
    result = asdict(report)
    metrics.emit(metrics.dedupe_metrics(result, seconds))
    return result


def counts(feed_reports: Any, dedupe_report: dict[str, Any]) -> dict[str, int]:
    """The run's counts. ``feed_reports`` is Airflow's lazy sequence of the mapped tasks' results (indexed
    by position: iterating it past its end logs a spurious "XCom not found")."""
    feeds = [pipeline.FeedReport(**feed_reports[i]) for i in range(len(feed_reports))]
    return pipeline.run_counts(feeds, pipeline.DedupeReport(**dedupe_report))


def run_started_at(dag_run: Any) -> datetime:
    """When the DAG run started (its ``start_date``), else when it was due to run."""
    for attr in ("start_date", "run_after"):
        value = getattr(dag_run, attr, None)
        if value is not None:
            return as_utc(value)
    raise ValueError("the DAG run has no start time")


def publish(feed_reports: Any, dedupe_report: dict[str, Any], dag_run: Any) -> dict[str, int]:
    """The run's counts, recorded in the store as one run (the UI's throughput per run); the DAG file puts them
    on the Asset event too."""
    run_counts = counts(feed_reports, dedupe_report)
    pipeline.record_run(
        task_settings(),
        run_id=str(dag_run.run_id),
        source="airflow",
        started_at=run_started_at(dag_run),
        finished_at=datetime.now(UTC),
        counts=run_counts,
    )
    log.info("run %s recorded: %s", dag_run.run_id, ", ".join(f"{k} {v}" for k, v in run_counts.items()))
    return run_counts
