"""wiredesk_ingest: poll the due feeds, fetch and extract their new articles, cluster them, publish counts.

    due_feeds -> ingest_feed (one mapped task per feed, labelled with its name) -> dedupe -> publish

No feed due is a normal run: ``ingest_feed`` is skipped and ``publish`` still reports zero counts.
``dedupe`` runs even when a feed task failed, so the other feeds' articles are clustered. ``publish`` records
the run in the store and emits an event on the ``wiredesk_articles`` Asset (``wiredesk://store/articles``)
carrying the run's counts. The feed and dedupe tasks send metrics through Airflow's ``[metrics]`` settings
(StatsD or OpenTelemetry). Every task retries with exponential backoff and has an execution timeout; a task
that fails for good posts an alert to ``WIREDESK_ALERT_WEBHOOK_URL`` (or the Variable
``wiredesk_alert_webhook_url``) when set. What the tasks do lives in ``wiredesk.pipeline``; this file only wires
it into Airflow.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import Asset, dag, get_current_context, task

from wiredesk.dagconfig import (
    ARTICLES_ASSET_NAME,
    ARTICLES_ASSET_URI,
    DAG_ID,
    DEFAULT_ARGS,
    FEED_TASKS_PER_RUN,
    TIMEOUTS,
    schedule,
)

ARTICLES = Asset(name=ARTICLES_ASSET_NAME, uri=ARTICLES_ASSET_URI)


@dag(
    dag_id=DAG_ID,
    schedule=schedule(),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["wiredesk"],
    doc_md=__doc__,
)
def wiredesk_ingest() -> None:
    @task(execution_timeout=TIMEOUTS["due_feeds"])
    def due_feeds(dag_run: Any = None) -> list[dict[str, Any]]:
        from wiredesk import dagtasks

        return dagtasks.due_feeds(dag_run)

    @task(
        map_index_template="{{ feed_name }}",
        max_active_tis_per_dagrun=FEED_TASKS_PER_RUN,
        execution_timeout=TIMEOUTS["ingest_feed"],
    )
    def ingest_feed(feed: dict[str, Any], dag_run: Any = None) -> dict[str, Any]:
        from wiredesk import dagtasks

        get_current_context()["feed_name"] = feed["name"]  # type: ignore[typeddict-unknown-key]
        return dagtasks.ingest_feed(feed, dag_run)

    @task(trigger_rule="all_done", execution_timeout=TIMEOUTS["dedupe"])
    def dedupe(dag_run: Any = None) -> dict[str, Any]:
        from wiredesk import dagtasks

        return dagtasks.dedupe(dag_run)

    @task(outlets=[ARTICLES], trigger_rule="none_failed", execution_timeout=TIMEOUTS["publish"])
    def publish(
        feed_reports: Any, dedupe_report: Any, dag_run: Any = None, outlet_events: Any = None
    ) -> dict[str, int]:
        from wiredesk import dagtasks

        counts = dagtasks.publish(feed_reports, dedupe_report, dag_run)
        outlet_events[ARTICLES].extra = counts
        return counts

    reports = ingest_feed.expand(feed=due_feeds())
    placed = dedupe()
    reports >> placed
    publish(reports, placed)


wiredesk_ingest()
