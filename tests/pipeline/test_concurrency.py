"""Two workers at once over overlapping feeds leave exactly the store one sequential run leaves: the same
articles, clusters, canonicals, stories and events, nothing stored twice. Runs on SQLite and PostgreSQL
(the conftest parametrizes ``settings``); the reference is a sequential run on a SQLite store of its own."""

from __future__ import annotations

import dataclasses
import multiprocessing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from concurrent_worker import work

from storage import Store
from wiredesk.corpus import CorpusServer
from wiredesk.pipeline import register_feed, run_cycle
from wiredesk.settings import Settings

NOW = datetime(2021, 8, 20, 12, 0, tzinfo=UTC)


def state(url: str) -> dict[str, object]:
    with Store.open(url) as store:
        urls = {a.id: a.url for a in store.list_articles()}
        return {
            "articles": sorted((a.url, a.content_hash, a.cluster_id) for a in store.list_articles()),
            "entries": store.counts()["entries"],
            "clusters": sorted(
                (c.id, c.size, urls[c.canonical_id], c.canonical_reason, c.story_id) for c in store.list_clusters()
            ),
            "stories": sorted((s.id, s.clusters, s.size, urls[s.canonical_id]) for s in store.list_stories()),
            "events": [(e.kind, e.cluster_id, urls.get(e.article_id or ""), e.story_id) for e in store.events()],
        }


def register(settings: Settings, server: CorpusServer) -> list[int]:
    return [register_feed(settings, url, name, NOW)[0].id for name, url in server.feed_urls()]


@pytest.fixture
def reference(fresh_server: CorpusServer, tmp_path: Path, settings: Settings) -> dict[str, object]:
    sequential = dataclasses.replace(settings, store_url=f"sqlite:///{tmp_path / 'sequential.db'}")
    register(sequential, fresh_server)
    run_cycle(sequential, NOW)
    return state(sequential.store_url)


def run_two_workers(settings: Settings, feeds: list[int], barrier: bool) -> None:
    ctx = multiprocessing.get_context("spawn")
    gate = ctx.Barrier(2) if barrier else None
    halves = [feeds[:5], feeds[3:]]  # feeds 4 and 5 are polled by both workers
    workers = [ctx.Process(target=work, args=(settings, half, NOW, gate)) for half in halves]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert [w.exitcode for w in workers] == [0, 0]


def test_two_workers_leave_what_one_sequential_run_leaves(
    settings: Settings, fresh_server: CorpusServer, reference: dict[str, object]
) -> None:
    """Both ingest at once, then both dedupe at once: the store is the sequential run's, event for event."""
    run_two_workers(settings, register(settings, fresh_server), barrier=True)
    assert state(settings.store_url) == reference


def test_two_unsynchronised_workers_store_nothing_twice(
    settings: Settings, fresh_server: CorpusServer, reference: dict[str, object]
) -> None:
    """Without a barrier one worker may dedupe before the other has stored its pages; nothing is stored
    twice and the articles fall into the same groups as in the sequential run."""
    run_two_workers(settings, register(settings, fresh_server), barrier=False)
    got = state(settings.store_url)
    assert got["entries"] == reference["entries"]
    assert [a[:2] for a in got["articles"]] == [a[:2] for a in reference["articles"]]  # type: ignore[index]

    def groups(s: dict[str, object]) -> set[frozenset[str]]:
        by: dict[str, set[str]] = {}
        for url, _hash, cluster in s["articles"]:  # type: ignore[attr-defined]
            by.setdefault(cluster, set()).add(url)
        return {frozenset(g) for g in by.values()}

    assert groups(got) == groups(reference)
    assert sorted(c[1] for c in got["clusters"]) == sorted(c[1] for c in reference["clusters"])  # type: ignore[attr-defined]


def test_dedupe_waits_for_another_workers_dedupe(settings: Settings) -> None:
    """The dedupe lock is held across processes and connections: a second dedupe waits for the first."""
    import threading
    import time

    from wiredesk.pipeline import dedupe_pending

    finished = threading.Event()
    with Store.open(settings.store_url) as holder, holder.exclusive("dedupe"):
        thread = threading.Thread(target=lambda: (dedupe_pending(settings, NOW), finished.set()))
        thread.start()
        time.sleep(1.0)
        assert not finished.is_set(), "dedupe ran while another worker held the lock"
    thread.join(timeout=30)
    assert finished.is_set()
