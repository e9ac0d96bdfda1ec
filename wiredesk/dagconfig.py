"""What the DAG file needs at parse time, and nothing heavier: ids, schedule and task defaults.

Kept free of wiredesk's pipeline imports so that parsing ``dags/wiredesk_ingest.py`` stays cheap
(``wiredesk.alerts``, the failure callback, imports only the standard library until it runs).
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from wiredesk.alerts import on_task_failure

DAG_ID = "wiredesk_ingest"
ARTICLES_ASSET_NAME = "wiredesk_articles"
ARTICLES_ASSET_URI = "wiredesk://store/articles"


def schedule() -> timedelta:
    """Time between two runs: ``WIREDESK_SCHEDULE_MINUTES`` (default 15)."""
    raw = os.environ.get("WIREDESK_SCHEDULE_MINUTES", "").strip()
    minutes = int(raw) if raw.isdigit() and int(raw) > 0 else 15
    return timedelta(minutes=minutes)


DEFAULT_ARGS: dict[str, Any] = {
    "owner": "wiredesk",
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(minutes=30),
    # A task failed for good (after its last retry): POST it to the alert webhook, when one is configured.
    "on_failure_callback": on_task_failure,
}

TIMEOUTS = {
    "due_feeds": timedelta(minutes=2),
    "ingest_feed": timedelta(minutes=20),
    "dedupe": timedelta(minutes=30),
    "publish": timedelta(minutes=2),
}
FEED_TASKS_PER_RUN = 8  # feeds polled at once within one run
