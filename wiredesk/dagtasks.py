"""The bodies of the ``wiredesk_ingest`` tasks, in JSON-friendly form (XCom carries dicts).

Each takes the DAG run and uses its time (:func:`run_time`), and builds :class:`Settings` from the
environment once, at the edge.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from wiredesk import pipeline
from wiredesk.settings import Settings

log = logging.getLogger("wiredesk")


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
    tasks = pipeline.due_feeds(Settings.from_env(), run_time(dag_run))
    log.info("%d feeds due", len(tasks))
    return [asdict(t) for t in tasks]


def ingest_feed(feed: dict[str, Any], dag_run: Any) -> dict[str, Any]:
    report = pipeline.ingest_feed(Settings.from_env(), int(feed["feed_id"]), run_time(dag_run))
    log.info("%s", report.summary())
    for error in report.page_errors:
        log.warning("%s", error)
    return asdict(report)


def dedupe(dag_run: Any) -> dict[str, Any]:
    report = pipeline.dedupe_pending(Settings.from_env(), run_time(dag_run))
    log.info(
        "dedupe: %d articles placed, %d new clusters, %d joined, %d canonicals changed",
        report.decided,
        report.clusters_created,
        report.joined,
        report.canonical_changed,
    )
    return asdict(report)


def counts(feed_reports: Any, dedupe_report: dict[str, Any]) -> dict[str, int]:
    """The run's counts. ``feed_reports`` is Airflow's lazy sequence of the mapped tasks' results (indexed
    by position: iterating it past its end logs a spurious "XCom not found")."""
    feeds = [pipeline.FeedReport(**feed_reports[i]) for i in range(len(feed_reports))]
    return pipeline.run_counts(feeds, pipeline.DedupeReport(**dedupe_report))
