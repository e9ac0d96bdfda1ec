"""Shared by the fault tests: the run's time, registering the corpus, the two ways a run is resumed after a
fault, and the check that nothing was left half written."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, func, select

from storage import Store
from storage import schema as t
from wiredesk.corpus import CorpusServer
from wiredesk.pipeline import dedupe_pending, ingest_feed, register_feed, run_cycle
from wiredesk.settings import Settings

NOW = datetime(2021, 8, 20, 12, 0, tzinfo=UTC)  # a week after the Herat corpus was published


def on_store(settings: Settings, url: str) -> Settings:
    return dataclasses.replace(settings, store_url=url)


def register(settings: Settings, server: CorpusServer) -> None:
    for name, url in server.feed_urls():
        register_feed(settings, url, name, NOW)


def uninterrupted(settings: Settings, server: CorpusServer) -> None:
    register(settings, server)
    run_cycle(settings, NOW)


def retry_tasks(settings: Settings) -> None:
    """What Airflow does after a task of the run failed or its worker died: the run's ``ingest_feed`` tasks
    that did not succeed run (again), then ``dedupe``. A feed whose task had succeeded answers 304 and has
    nothing pending, so retrying every feed is the same as retrying the ones that failed."""
    with Store.open(settings.store_url) as store:
        feed_ids = [f.id for f in store.list_feeds()]
    for feed_id in feed_ids:
        ingest_feed(settings, feed_id, NOW)
    dedupe_pending(settings, NOW)


def rerun_cycle(settings: Settings) -> None:
    """What ``wiredesk run-once`` does when run again at once: one cycle over the feeds that are due."""
    run_cycle(settings, NOW)


def half_written(url: str) -> list[str]:
    """What a store holds that no complete transaction would have left (empty when nothing): an article
    whose entry is not marked fetched with it, a placed article without its signature, its 28 index keys
    (unless the window took them out), cluster, story or event, a signature or index key without a
    placement, a cluster whose size is not its count."""
    engine = create_engine(url)
    found: list[str] = []
    try:
        with engine.connect() as conn:
            entries = {r.url: r for r in conn.execute(select(t.entries))}
            articles = list(conn.execute(select(t.articles.c.id, t.articles.c.url)))
            placed = {r.article_id: r.cluster_id for r in conn.execute(select(t.memberships))}
            published = dict(conn.execute(select(t.signatures.c.article_id, t.signatures.c.published_at)).all())
            signed = set(published)
            keys: dict[str, int] = dict(
                conn.execute(select(t.index_keys.c.article_id, func.count()).group_by(t.index_keys.c.article_id)).all()
            )
            clusters = {r.id: r for r in conn.execute(select(t.clusters))}
            stories = set(conn.execute(select(t.stories.c.id)).scalars())
            evented = set(conn.execute(select(t.events.c.article_id)).scalars())
    finally:
        engine.dispose()
    # The window prune takes an article's keys out, all at once, when it is a week older than the newest.
    window_start = max((p for p in published.values() if p), default=NOW) - timedelta(days=7)
    for a in articles:
        entry = entries.get(a.url)
        if entry is None or entry.status != "fetched" or entry.article_id != a.id:
            found.append(f"article {a.id} stored but its entry is {entry.status if entry else 'missing'}")
    for article_id, cluster_id in placed.items():
        if article_id not in signed:
            found.append(f"{article_id} placed without its signature")
        if keys.get(article_id, 0) not in (0, 28):
            found.append(f"{article_id} placed with {keys[article_id]} index keys, not 28")
        elif article_id not in keys and published.get(article_id) and published[article_id] >= window_start:
            found.append(f"{article_id} placed without index keys, though within the window")
        if cluster_id not in clusters or clusters[cluster_id].story_id not in stories:
            found.append(f"{article_id} placed in {cluster_id}, which has no cluster or story row")
        if article_id not in evented:
            found.append(f"{article_id} placed without an event")
    found += [f"signature of {a} without a placement" for a in signed - set(placed)]
    found += [f"index keys of {a} without a placement" for a in set(keys) - set(placed)]
    sizes: dict[str, int] = {}
    for cluster_id in placed.values():
        sizes[cluster_id] = sizes.get(cluster_id, 0) + 1
    found += [
        f"cluster {c.id} says size {c.size}, holds {sizes.get(c.id, 0)}"
        for c in clusters.values()
        if c.size != sizes.get(c.id, 0)
    ]
    return found
