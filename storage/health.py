"""Feed health: each feed's poll state and its record over the last days, in a handful of grouped queries
(one per figure, over all feeds at once, whatever their number)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from storage import schema as t
from storage.records import FeedHealth


def _grouped(conn: Connection, query: Any) -> dict[int, Any]:
    return {row[0]: row for row in conn.execute(query).all()}


def feed_health(conn: Connection, now: datetime, days: int, dead_after: int) -> list[FeedHealth]:
    since = now - timedelta(days=days)
    f, p, e, a, m = t.feeds.c, t.polls.c, t.entries.c, t.articles.c, t.memberships.c
    answered = p.status.in_(("ok", "not_modified"))
    polls = _grouped(
        conn,
        select(
            p.feed_id,
            func.count(),
            func.sum(case((answered, 1), else_=0)),
            func.sum(case((p.status == "not_modified", 1), else_=0)),
        )
        .where(p.polled_at >= since)
        .group_by(p.feed_id),
    )
    dated = func.coalesce(e.published_at, e.first_seen_at)
    items = _grouped(
        conn,
        select(e.feed_id, func.count()).where(and_(dated >= since, dated <= now)).group_by(e.feed_id),
    )
    failures = _grouped(
        conn,
        select(
            e.feed_id,
            func.sum(case((e.error_class == "extract", 1), else_=0)),
            func.sum(case((func.coalesce(e.error_class, "") != "extract", 1), else_=0)),
        )
        .where(and_(e.status == "failed", e.last_attempt_at >= since))
        .group_by(e.feed_id),
    )
    placed = _grouped(
        conn,
        select(a.feed_id, func.count(), func.sum(case((m.rule == "founder", 0), else_=1)))
        .join(t.memberships, m.article_id == a.id)
        .where(a.fetched_at >= since)
        .group_by(a.feed_id),
    )
    health = []
    for row in conn.execute(select(t.feeds).order_by(f.id)).all():
        _, n_polls, n_answered, n_not_modified = polls.get(row.id, (row.id, 0, 0, 0))
        _, extract_failed, fetch_failed = failures.get(row.id, (row.id, 0, 0))
        _, n_placed, n_joined = placed.get(row.id, (row.id, 0, 0))
        errors = int(row.consecutive_errors or 0)
        if errors >= dead_after:
            status = "dead"
        elif errors:
            status = "failing"
        else:
            status = "ok" if row.last_polled_at else "new"
        interval = None
        if row.next_poll_at and row.last_polled_at:
            interval = int((row.next_poll_at - row.last_polled_at).total_seconds())
        health.append(
            FeedHealth(
                feed_id=row.id,
                name=row.name,
                url=row.url,
                status=status,
                consecutive_errors=errors,
                error_class=row.last_error_class if errors else None,
                last_error=row.last_error,
                last_polled_at=row.last_polled_at,
                last_success_at=row.last_success_at,
                next_poll_at=row.next_poll_at,
                poll_interval_s=interval,
                polls=int(n_polls or 0),
                not_modified_share=(int(n_not_modified) / int(n_answered)) if n_answered else None,
                items_per_day=round(int(items.get(row.id, (row.id, 0))[1]) / days, 2),
                duplicate_share=(int(n_joined) / int(n_placed)) if n_placed else None,
                extraction_failures=int(extract_failed or 0),
                fetch_failures=int(fetch_failed or 0),
            )
        )
    return health
