"""The pipeline without a scheduler (what `wiredesk run-once` does): idempotence, state across runs, errors."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from e2e_helpers import canonical_paths, expected_partition, partition_by_path, register_corpus

from storage import Store, StoreUnavailable
from wiredesk import pipeline
from wiredesk.corpus import CorpusServer
from wiredesk.settings import Settings

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=15)


def _rss(server: CorpusServer, paths: list[str]) -> bytes:
    items = "".join(f"<item><title>{p}</title><link>{server.url}{p}</link></item>" for p in paths)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Custom</title>{items}</channel></rss>'.encode()


def test_run_cycle_matches_the_manifest_and_a_rerun_changes_nothing(
    settings: Settings, fresh_server: CorpusServer
) -> None:
    register_corpus(settings, fresh_server, T0)
    first = pipeline.run_cycle(settings, T0)
    assert first.counts()["articles_stored"] == len(fresh_server.corpus.pages)
    with Store.open(settings.store_url) as store:
        assert partition_by_path(store, fresh_server) == expected_partition(fresh_server)
        assert canonical_paths(store, fresh_server) == {p.path for p in fresh_server.corpus.pages if p.canonical}
        before = store.counts()
    # The same run again (a retried DAG run): every feed is still "due" at T0 only if never polled, so
    # force the work by calling the steps directly.
    for task in pipeline.due_feeds(settings, LATER):
        pipeline.ingest_feed(settings, task.feed_id, T0)
    assert pipeline.dedupe_pending(settings, T0) == pipeline.DedupeReport()
    with Store.open(settings.store_url) as store:
        assert store.counts() == before


def test_retrying_a_feed_task_stores_nothing_twice(settings: Settings, fresh_server: CorpusServer) -> None:
    register_corpus(settings, fresh_server, T0)
    feed = pipeline.due_feeds(settings, T0)[0]
    first = pipeline.ingest_feed(settings, feed.feed_id, T0)
    retry = pipeline.ingest_feed(settings, feed.feed_id, T0)
    assert first.stored == 3
    assert (retry.status, retry.new_entries, retry.stored) == ("not_modified", 0, 0)
    with Store.open(settings.store_url) as store:
        assert store.counts()["articles"] == 3


def test_an_article_arriving_later_joins_the_existing_cluster(settings: Settings, fresh_server: CorpusServer) -> None:
    ap = [p.path for p in fresh_server.corpus.pages if p.cluster == "ap-herat"]
    fresh_server.add("/custom/today.xml", _rss(fresh_server, ap[:1]), "application/rss+xml")
    fresh_server.add("/custom/tomorrow.xml", _rss(fresh_server, ap[1:]), "application/rss+xml")
    pipeline.register_feed(settings, fresh_server.url + "/custom/today.xml", "today", T0)
    pipeline.run_cycle(settings, T0)
    with Store.open(settings.store_url) as store:
        (cluster,) = store.list_clusters()
    pipeline.register_feed(settings, fresh_server.url + "/custom/tomorrow.xml", "tomorrow", T0 + timedelta(days=1))
    report = pipeline.run_cycle(settings, T0 + timedelta(days=1))
    assert report.dedupe.joined == len(ap) - 1
    with Store.open(settings.store_url) as store:
        assert [c.id for c in store.list_clusters()] == [cluster.id]
        assert store.get_cluster(cluster.id).size == len(ap)
        kinds = [e.kind for e in store.events()]
    assert kinds[0] == "cluster.created"
    assert kinds.count("article.added") == len(ap) - 1
    assert "canonical.changed" in kinds


def test_a_failing_page_is_recorded_retried_and_stored_once_it_works(
    settings: Settings, fresh_server: CorpusServer
) -> None:
    good = fresh_server.corpus.pages[0].path
    fresh_server.add("/custom/feed.xml", _rss(fresh_server, [good, "/custom/late-page"]), "application/rss+xml")
    pipeline.register_feed(settings, fresh_server.url + "/custom/feed.xml", "custom", T0)
    report = pipeline.run_cycle(settings, T0)
    assert (report.feeds[0].stored, report.feeds[0].failed) == (1, 1)
    with Store.open(settings.store_url) as store:
        ((url, error),) = store.entry_errors()
    assert url.endswith("/custom/late-page")
    assert error.startswith("fetch: HTTP 404 at ") and "\n" not in error

    page = fresh_server.corpus.pages[8]  # any page: served under a new path it is a new article
    fresh_server.add("/custom/late-page", fresh_server._lookup(page.path)[0].body, "text/html")  # type: ignore[union-attr]
    report = pipeline.run_cycle(settings, LATER)
    assert (report.feeds[0].status, report.feeds[0].stored) == ("not_modified", 1)
    with Store.open(settings.store_url) as store:
        assert store.entry_errors() == []
        assert store.counts()["articles"] == 2


def test_feed_errors_are_one_line_and_do_not_stop_the_other_feeds(
    settings: Settings, fresh_server: CorpusServer
) -> None:
    register_corpus(settings, fresh_server, T0)
    fresh_server.add("/bad/html-not-feed", b"<html><body><p>Hello</p></body></html>", "text/html")
    fresh_server.add("/bad/json", b'{"not": "a feed"}', "application/json")
    for path in ("/bad/html-not-feed", "/bad/json", "/bad/missing"):
        pipeline.register_feed(settings, fresh_server.url + path, path, T0)
    report = pipeline.run_cycle(settings, T0)
    errors = {f.name: f.error for f in report.feeds if f.status == "error"}
    assert set(errors) == {"/bad/html-not-feed", "/bad/json", "/bad/missing"}
    assert all(e and "\n" not in e and fresh_server.url in e for e in errors.values())
    assert report.counts()["articles_stored"] == len(fresh_server.corpus.pages)


def test_the_fetcher_refuses_loopback_unless_allowed(tmp_path: Path, fresh_server: CorpusServer) -> None:
    settings = Settings.from_env({"WIREDESK_HOME": str(tmp_path)})
    pipeline.register_feed(settings, fresh_server.feed_urls()[0][1], "meridian", T0)
    report = pipeline.run_cycle(settings, T0)
    assert report.feeds[0].status == "error"
    assert "non-public address" in (report.feeds[0].error or "")
    assert sum(fresh_server.hits.values()) == 0


def test_store_unavailable_raises_for_the_run(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the store's folder should be")
    settings = Settings.from_env({"WIREDESK_HOME": str(blocker / "home")})
    with pytest.raises(StoreUnavailable):
        pipeline.run_cycle(settings, T0)


def test_raw_html_is_kept_compressed_for_re_extraction(settings: Settings, fresh_server: CorpusServer) -> None:
    register_corpus(settings, fresh_server, T0)
    pipeline.run_cycle(settings, T0)
    with Store.open(settings.store_url) as store:
        for article in store.list_articles():
            raw = store.raw_html(article.id)
            assert raw is not None
            served = fresh_server._lookup(article.url.removeprefix(fresh_server.url))[0]
            assert served is not None
            assert zlib.decompress(raw) == served.body
            assert len(raw) < len(served.body)
            assert article.extractor == "trafilatura+cleanup"
