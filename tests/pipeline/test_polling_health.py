"""Adaptive polling and feed health through real cycles against the loopback corpus server, on SQLite and
PostgreSQL: a failing feed backs off and dies while the others stay healthy, Retry-After is honoured, quiet
feeds slow down, robots.txt is obeyed for article pages, a throttling site's pages wait, and a busy host
defers instead of piling on."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from storage import Feed, FeedHealth, Store
from wiredesk.corpus import CorpusServer
from wiredesk.pipeline import feed_health, record_run, register_feed, run_cycle
from wiredesk.settings import Settings

T0 = datetime(2021, 8, 20, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
BROKEN = "/broken/feed.xml"


def _register_all(settings: Settings, server: CorpusServer) -> None:
    for name, url in server.feed_urls():
        register_feed(settings, url, name, T0)


def _feed(settings: Settings, name: str) -> Feed:
    with Store.open(settings.store_url) as store:
        return next(f for f in store.list_feeds() if f.name == name)


def _health(settings: Settings, now: datetime) -> dict[str, FeedHealth]:
    return {h.name: h for h in feed_health(settings, now)}


def test_a_failing_feed_backs_off_then_dies_while_the_others_stay_healthy(
    settings: Settings, fresh_server: CorpusServer
) -> None:
    settings = replace(settings, polling=replace(settings.polling, dead_after=4))
    _register_all(settings, fresh_server)
    fresh_server.fail(BROKEN, 500)
    register_feed(settings, fresh_server.url + BROKEN, "Broken Feed", T0)

    now, waits = T0, []
    for _ in range(6):
        report = run_cycle(settings, now)
        broken = next(f for f in report.feeds if f.name == "Broken Feed")
        assert (broken.status, broken.error_class) == ("error", "http-500")
        feed = _feed(settings, "Broken Feed")
        waits.append(feed.next_poll_at - now)
        now = feed.next_poll_at

    # Equal jitter: between half and all of 15, 30, 60 min; then dead (after 4 errors): 12-24 h, and again.
    for wait, full in zip(waits, [15 * MIN, 30 * MIN, 60 * MIN], strict=False):
        assert full / 2 <= wait < full
    assert all(timedelta(hours=12) <= w <= timedelta(hours=24) for w in waits[3:])

    health = _health(settings, now)
    assert health["Broken Feed"].status == "dead"
    assert health["Broken Feed"].consecutive_errors == 6
    assert health["Broken Feed"].error_class == "http-500"
    assert "HTTP 500" in (health["Broken Feed"].last_error or "")
    others = [h for name, h in health.items() if name != "Broken Feed"]
    assert len(others) == 8
    assert {h.status for h in others} == {"ok"}
    assert all(h.last_success_at is not None for h in others)
    with Store.open(settings.store_url) as store:
        assert len(store.list_articles()) == len(fresh_server.corpus.pages)

    fresh_server.heal(BROKEN)
    fresh_server.add(BROKEN, b"<rss version='2.0'><channel><title>Back</title></channel></rss>", "application/rss+xml")
    run_cycle(settings, now)
    back = _health(settings, now)["Broken Feed"]
    assert (back.status, back.consecutive_errors, back.error_class) == ("ok", 0, None)


def test_retry_after_on_a_429_sets_the_next_poll(settings: Settings, fresh_server: CorpusServer) -> None:
    name, url = fresh_server.feed_urls()[0]
    register_feed(settings, url, name, T0)
    fresh_server.fail(url.removeprefix(fresh_server.url), 429, {"Retry-After": "7200"})
    report = run_cycle(settings, T0)
    assert (report.feeds[0].status, report.feeds[0].error_class, report.feeds[0].poll_reason) == (
        "error",
        "http-429",
        "retry-after",
    )
    assert _feed(settings, name).next_poll_at == T0 + timedelta(hours=2)
    assert run_cycle(settings, T0 + timedelta(hours=1)).feeds == []  # not due before then


def test_a_feed_that_repeats_itself_is_polled_less_often(settings: Settings, fresh_server: CorpusServer) -> None:
    name, url = fresh_server.feed_urls()[0]
    register_feed(settings, url, name, T0)
    now, waits = T0, []
    for _ in range(5):
        run_cycle(settings, now)
        feed = _feed(settings, name)
        waits.append((feed.next_poll_at - now) // MIN)
        now = feed.next_poll_at
    assert waits == [15, 15, 30, 60, 120]  # news, then 304s: x1, x2, x4, x8 (the cap)
    health = _health(settings, now)[name]
    assert health.not_modified_share == 0.8  # every poll after the first (4 of 5): 304
    assert health.polls == 5


def test_robots_txt_is_obeyed_for_article_pages(settings: Settings, fresh_server: CorpusServer) -> None:
    fresh_server.add("/robots.txt", b"User-agent: wiredesk\nDisallow: /globe/\n", "text/plain")
    _register_all(settings, fresh_server)
    report = run_cycle(settings, T0)
    globe = next(f for f in report.feeds if f.name == "Globe Dispatch")
    globe_pages = [p for p in fresh_server.corpus.pages if p.path.startswith("/globe/")]
    assert globe.status == "ok"  # the feed itself is fetched: it was subscribed to
    assert (globe.stored, globe.disallowed) == (0, len(globe_pages))
    assert all(fresh_server.hits[p.path] == 0 for p in globe_pages)
    assert fresh_server.hits["/robots.txt"] == 1  # once per site, shared through the store
    assert report.counts()["pages_disallowed"] == len(globe_pages)
    with Store.open(settings.store_url) as store:
        assert len(store.list_articles()) == len(fresh_server.corpus.pages) - len(globe_pages)
        assert store.pending_entries(globe.feed_id, settings.max_attempts) == []  # never retried


def test_robots_txt_can_be_ignored(settings: Settings, fresh_server: CorpusServer) -> None:
    fresh_server.add("/robots.txt", b"User-agent: *\nDisallow: /\n", "text/plain")
    _register_all(settings, fresh_server)
    run_cycle(replace(settings, obey_robots=False), T0)
    assert fresh_server.hits["/robots.txt"] == 0
    with Store.open(settings.store_url) as store:
        assert len(store.list_articles()) == len(fresh_server.corpus.pages)


def test_an_unreachable_robots_txt_defers_pages_without_losing_attempts(
    settings: Settings, fresh_server: CorpusServer
) -> None:
    fresh_server.fail("/robots.txt", 503)
    _register_all(settings, fresh_server)
    report = run_cycle(settings, T0)
    assert report.counts()["articles_stored"] == 0
    assert report.counts()["pages_deferred"] == len(fresh_server.corpus.pages)
    fresh_server.heal("/robots.txt")
    report = run_cycle(settings, T0 + 15 * MIN)
    assert report.counts()["articles_stored"] == len(fresh_server.corpus.pages)


def test_a_throttling_site_keeps_its_pages_for_later(settings: Settings, fresh_server: CorpusServer) -> None:
    name, url = next((n, u) for n, u in fresh_server.feed_urls() if "meridian" in u)
    register_feed(settings, url, name, T0)
    pages = [p.path for p in fresh_server.corpus.pages if p.path.startswith("/meridian/")]
    for path in pages:
        fresh_server.fail(path, 429, {"Retry-After": "60"})
    report = run_cycle(settings, T0).feeds[0]
    assert (report.stored, report.failed, report.deferred) == (0, 0, len(pages))
    assert sum(fresh_server.hits[p] for p in pages) == 0
    # The first 429 stops further requests to the host for this poll.
    with Store.open(settings.store_url) as store:
        pending = store.pending_entries(report.feed_id, settings.max_attempts)
        assert len(pending) == len(pages) and all(p.attempts == 0 for p in pending)
    for path in pages:
        fresh_server.heal(path)
    assert run_cycle(settings, T0 + 15 * MIN).feeds[0].stored == len(pages)


def test_a_busy_host_defers_the_poll(settings: Settings, fresh_server: CorpusServer) -> None:
    settings = replace(settings, host_concurrency=1, host_wait_s=0.2)
    name, url = fresh_server.feed_urls()[0]
    register_feed(settings, url, name, T0)
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with Store.open(settings.store_url) as store, store.slot("host:127.0.0.1", 1, 0) as held:
            assert held
            taken.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert taken.wait(10)
        report = run_cycle(settings, T0).feeds[0]
        assert (report.status, report.error) == ("deferred", "host 127.0.0.1 busy")
    finally:
        release.set()
        holder.join()
    assert _feed(settings, name).last_polled_at is None  # due again next run
    assert run_cycle(settings, T0).feeds[0].status == "ok"


def test_health_figures(settings: Settings, fresh_server: CorpusServer) -> None:
    _register_all(settings, fresh_server)
    fresh_server.add("/empty/feed.xml", _rss(fresh_server.url + "/empty/page"), "application/rss+xml")
    fresh_server.add("/empty/page", b"<html><body><nav>Home</nav></body></html>", "text/html")
    register_feed(settings, fresh_server.url + "/empty/feed.xml", "Empty Pages", T0)
    run_cycle(settings, T0)
    run_cycle(settings, T0 + 15 * MIN)
    health = _health(settings, T0 + 16 * MIN)
    empty = health["Empty Pages"]
    assert (empty.extraction_failures, empty.fetch_failures) == (1, 0)
    with Store.open(settings.store_url) as store:
        clusters = store.list_clusters()
        placed = sum(c.size for c in clusters)
        feeds = {f.name: f.id for f in store.list_feeds()}
        joined = 0
        for c in clusters:
            for _, membership in store.cluster_detail(c.id).members:
                joined += membership.rule != "founder"
    total_joined = sum(round((h.duplicate_share or 0) * _placed(settings, feeds[n])) for n, h in health.items())
    assert placed == len(fresh_server.corpus.pages)
    assert total_joined == joined > 0
    for h in health.values():
        assert h.polls == 2
        assert h.poll_interval_s == 15 * 60  # 1 quiet poll: still the base
        assert h.items_per_day >= 0
    meridian = health["The Daily Meridian"]
    assert meridian.not_modified_share == 0.5
    # Its items are dated 12 Aug (two) and 16 Aug 2021 (one): a week back from 20 Aug holds one of them.
    assert meridian.items_per_day == round(1 / 7, 2)
    earlier = _health(settings, datetime(2021, 8, 16, 4, 0, tzinfo=UTC))["The Daily Meridian"]
    assert earlier.items_per_day == round(3 / 7, 2)


def _placed(settings: Settings, feed_id: int) -> int:
    with Store.open(settings.store_url) as store:
        return sum(1 for a in store.list_articles() if a.feed_id == feed_id and a.cluster_id)


def _rss(link: str) -> bytes:
    return (
        "<rss version='2.0'><channel><title>Empty Pages</title>"
        f"<item><title>Nothing here</title><link>{link}</link></item></channel></rss>"
    ).encode()


def test_runs_are_recorded_and_listed_newest_first(settings: Settings) -> None:
    record_run(settings, "r1", "cli", T0, T0 + 2 * MIN, {"articles_stored": 5})
    record_run(settings, "r2", "airflow", T0 + 15 * MIN, T0 + 16 * MIN, {"articles_stored": 1})
    record_run(settings, "r1", "cli", T0, T0 + 3 * MIN, {"articles_stored": 6})  # a rerun overwrites
    with Store.open(settings.store_url) as store:
        runs = store.recent_runs()
    assert [(r.run_id, r.source, r.counts["articles_stored"]) for r in runs] == [("r2", "airflow", 1), ("r1", "cli", 6)]
    assert runs[1].finished_at == T0 + 3 * MIN


def test_recording_a_run_drops_poll_history_older_than_30_days(settings: Settings, fresh_server: CorpusServer) -> None:
    name, url = fresh_server.feed_urls()[0]
    register_feed(settings, url, name, T0)
    run_cycle(settings, T0)
    later = T0 + timedelta(days=31)
    run_cycle(settings, later)
    record_run(settings, "later", "cli", later, later, {})
    assert _health(settings, later + MIN)[name].polls == 1
    assert feed_health(settings, later + MIN, days=60)[0].polls == 1  # the older poll is gone
