"""wiredesk.metrics: task reports to metric names and values (pure), and their way out through Airflow's metrics
facade (``airflow.sdk.observability.stats``). tests/e2e/test_metrics_e2e.py has them arrive over real StatsD."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import pytest

from wiredesk.metrics import Metric, dedupe_metrics, emit, feed_metrics
from wiredesk.pipeline import DedupeReport, FeedReport


def _by_name(metrics: list[Metric]) -> dict[str, Metric]:
    named = {m.name: m for m in metrics}
    assert len(named) == len(metrics), "one metric per name"
    return named


def test_a_feed_report_becomes_counters_and_a_timing() -> None:
    report = FeedReport(
        feed_id=3, name="The Daily Meridian", status="ok", entries=5, new_entries=4, stored=3, failed=1, deferred=2
    )
    metrics = _by_name(feed_metrics(asdict(report), seconds=1.25))
    assert metrics == {
        "wiredesk.feed.polls.ok": Metric("counter", "wiredesk.feed.polls.ok", 1, {"status": "ok"}),
        "wiredesk.entries.new": Metric("counter", "wiredesk.entries.new", 4),
        "wiredesk.articles.stored": Metric("counter", "wiredesk.articles.stored", 3),
        "wiredesk.pages.failed": Metric("counter", "wiredesk.pages.failed", 1),
        "wiredesk.pages.deferred": Metric("counter", "wiredesk.pages.deferred", 2),
        "wiredesk.pages.disallowed": Metric("counter", "wiredesk.pages.disallowed", 0),
        "wiredesk.feed.poll_duration": Metric("timing", "wiredesk.feed.poll_duration", 1250.0),
    }


@pytest.mark.parametrize("status", ["ok", "not_modified", "error", "deferred"])
def test_the_poll_status_is_in_the_counter_name(status: str) -> None:
    report = asdict(FeedReport(feed_id=1, name="x", status=status, error="boom" if status == "error" else None))
    polls = [m for m in feed_metrics(report, 0.0) if m.name.startswith("wiredesk.feed.polls.")]
    assert polls == [Metric("counter", f"wiredesk.feed.polls.{status}", 1, {"status": status})]


def test_a_status_never_breaks_the_metric_name() -> None:
    (polls, *_) = feed_metrics({"status": "weird status!"}, 0.0)
    assert polls.name == "wiredesk.feed.polls.weird_status_"


def test_zero_counts_are_metrics_too() -> None:
    report = asdict(FeedReport(feed_id=1, name="x", status="not_modified"))
    counters = {m.name: m.value for m in feed_metrics(report, 0.0) if m.kind == "counter"}
    assert counters == {
        "wiredesk.feed.polls.not_modified": 1,
        "wiredesk.entries.new": 0,
        "wiredesk.articles.stored": 0,
        "wiredesk.pages.failed": 0,
        "wiredesk.pages.deferred": 0,
        "wiredesk.pages.disallowed": 0,
    }


def test_a_dedupe_report_becomes_counters_and_a_timing() -> None:
    report = DedupeReport(decided=23, clusters_created=18, joined=5, canonical_changed=2, stories_linked=2)
    metrics = _by_name(dedupe_metrics(asdict(report), seconds=0.5))
    assert {name: (m.kind, m.value) for name, m in metrics.items()} == {
        "wiredesk.dedupe.decided": ("counter", 23),
        "wiredesk.dedupe.clusters_created": ("counter", 18),
        "wiredesk.dedupe.joined": ("counter", 5),
        "wiredesk.dedupe.canonical_changed": ("counter", 2),
        "wiredesk.dedupe.stories_linked": ("counter", 2),
        "wiredesk.dedupe.duration": ("timing", 500.0),
    }


class RecordingBackend:
    """A stand-in for Airflow's StatsD/OTel loggers: records calls, or raises on the names it is told to."""

    def __init__(self, failing: set[str]) -> None:
        self.calls: list[tuple[str, str, Any, Any]] = []
        self.failing = failing

    def _call(self, kind: str, stat: str, value: Any, tags: Any) -> None:
        if stat in self.failing:
            raise OSError(f"cannot send {stat}")
        self.calls.append((kind, stat, value, tags))

    def incr(self, stat: str, count: int = 1, rate: float = 1, *, tags: Any = None) -> None:
        self._call("incr", stat, count, tags)

    def timing(self, stat: str, dt: Any, *, tags: Any = None) -> None:
        self._call("timing", stat, dt, tags)


@pytest.fixture
def backend(airflow_home: Any) -> Iterator[RecordingBackend]:
    """Airflow's metrics facade pointed at a :class:`RecordingBackend`, restored afterwards."""
    from airflow.sdk._shared.observability.metrics import stats as shared
    from airflow.sdk.observability import stats

    recording = RecordingBackend(failing={"wiredesk.pages.failed"})
    saved = (shared._factory, shared._export_legacy_names)
    stats.initialize(factory=lambda: recording, export_legacy_names=True)
    try:
        yield recording
    finally:
        shared._factory, shared._export_legacy_names = saved
        shared._backend = None


@pytest.mark.airflow
def test_emit_goes_through_airflows_facade_and_survives_a_failing_backend(
    backend: RecordingBackend, caplog: pytest.LogCaptureFixture
) -> None:
    report = asdict(FeedReport(feed_id=1, name="x", status="ok", new_entries=2, stored=2, failed=1))
    emit(feed_metrics(report, 0.002))
    assert backend.calls == [
        ("incr", "wiredesk.feed.polls.ok", 1, {"status": "ok"}),
        ("incr", "wiredesk.entries.new", 2, None),
        ("incr", "wiredesk.articles.stored", 2, None),
        ("incr", "wiredesk.pages.deferred", 0, None),
        ("incr", "wiredesk.pages.disallowed", 0, None),
        ("timing", "wiredesk.feed.poll_duration", 2.0, None),
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == ["metrics: could not send wiredesk.pages.failed: OSError: cannot send wiredesk.pages.failed"]
