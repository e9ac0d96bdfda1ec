"""A worker process for the concurrency tests: ingest some feeds, wait for the others, dedupe."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from wiredesk.pipeline import dedupe_pending, ingest_feed
from wiredesk.settings import Settings


def work(settings: Settings, feed_ids: list[int], now: datetime, barrier: Any | None) -> None:
    for feed_id in feed_ids:
        ingest_feed(settings, feed_id, now)
    if barrier is not None:
        barrier.wait(timeout=120)
    dedupe_pending(settings, now)


def same_settings(settings: Settings) -> Settings:
    """Settings survive pickling to a spawned process as they are (a frozen dataclass)."""
    return dataclasses.replace(settings)
