"""wiredesk's metrics, sent through Airflow's own metrics facade.

What a task reports becomes metrics here, in two steps: :func:`feed_metrics` and :func:`dedupe_metrics` turn a
task's report (the dict it returns to XCom) and its duration into :class:`Metric` values, with no I/O; :func:`emit`
hands them to ``airflow.sdk.observability.stats``, the facade Airflow's task runner initialises from the
``[metrics]`` section of its configuration. So StatsD (``statsd_on``, ``statsd_host``, ``statsd_port``,
``statsd_prefix``), Datadog's DogStatsD or OpenTelemetry (``otel_on``) are chosen in ``airflow.cfg`` or with
``AIRFLOW__METRICS__*``, allow and block lists apply, and with metrics off nothing is sent.

Names (StatsD adds ``statsd_prefix``, ``airflow`` by default): the poll's status is part of the counter's name,
so plain StatsD, which drops tags, keeps it; it is also a tag for backends that keep tags. Every counter is
sent on every run, zero included, so a quiet run is visible as zeros rather than as a gap. docs/operations.md
lists them all.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

log = logging.getLogger("wiredesk")

FEED_STATUSES = ("ok", "not_modified", "error", "deferred")  # what pipeline.FeedReport.status holds
_SAFE = re.compile(r"[^A-Za-z0-9_]")  # a status goes into a metric name: keep it to StatsD's safe characters

# Counter name -> the key of the feed task's report (pipeline.FeedReport) it counts.
FEED_COUNTERS = {
    "wiredesk.entries.new": "new_entries",
    "wiredesk.articles.stored": "stored",
    "wiredesk.pages.failed": "failed",
    "wiredesk.pages.deferred": "deferred",
    "wiredesk.pages.disallowed": "disallowed",
}
FEED_POLL_TIMING = "wiredesk.feed.poll_duration"

# Counter name -> the key of the dedupe task's report (pipeline.DedupeReport) it counts.
DEDUPE_COUNTERS = {
    "wiredesk.dedupe.decided": "decided",
    "wiredesk.dedupe.clusters_created": "clusters_created",
    "wiredesk.dedupe.joined": "joined",
    "wiredesk.dedupe.canonical_changed": "canonical_changed",
    "wiredesk.dedupe.stories_linked": "stories_linked",
}
DEDUPE_TIMING = "wiredesk.dedupe.duration"


@dataclass(frozen=True)
class Metric:
    """One measurement: a counter increment, or a timing in milliseconds."""

    kind: Literal["counter", "timing"]
    name: str
    value: float
    tags: Mapping[str, str] = field(default_factory=dict)


def feed_polls_name(status: str) -> str:
    """The poll counter of a status: ``wiredesk.feed.polls.ok``, ``.not_modified``, ``.error`` or ``.deferred``."""
    return f"wiredesk.feed.polls.{status}"


def feed_metrics(report: Mapping[str, Any], seconds: float) -> list[Metric]:
    """The metrics of one feed task: its report (``asdict(pipeline.FeedReport)``) and how long it took."""
    status = _SAFE.sub("_", str(report["status"])) or "unknown"
    metrics = [Metric("counter", feed_polls_name(status), 1, {"status": status})]
    metrics += [Metric("counter", name, int(report.get(key) or 0)) for name, key in FEED_COUNTERS.items()]
    metrics.append(Metric("timing", FEED_POLL_TIMING, round(seconds * 1000, 3)))
    return metrics


def dedupe_metrics(report: Mapping[str, Any], seconds: float) -> list[Metric]:
    """The metrics of the dedupe task: its report (``asdict(pipeline.DedupeReport)``) and how long it took."""
    metrics = [Metric("counter", name, int(report.get(key) or 0)) for name, key in DEDUPE_COUNTERS.items()]
    metrics.append(Metric("timing", DEDUPE_TIMING, round(seconds * 1000, 3)))
    return metrics


def emit(metrics: Iterable[Metric]) -> None:
    """Send ``metrics`` through Airflow's metrics facade, as configured in ``[metrics]`` (a no-op when metrics
    are off). Metrics never fail a task: a backend error is one warning line and the rest are still sent."""
    from airflow.sdk.observability import stats

    for metric in metrics:
        tags = dict(metric.tags) or None
        try:
            if metric.kind == "counter":
                stats.incr(metric.name, count=int(metric.value), tags=tags)
            else:
                stats.timing(metric.name, metric.value, tags=tags)
        except Exception as exc:
            log.warning("metrics: could not send %s: %s: %s", metric.name, type(exc).__name__, exc)


__all__ = [
    "DEDUPE_COUNTERS",
    "DEDUPE_TIMING",
    "FEED_COUNTERS",
    "FEED_POLL_TIMING",
    "FEED_STATUSES",
    "Metric",
    "dedupe_metrics",
    "emit",
    "feed_metrics",
    "feed_polls_name",
]
