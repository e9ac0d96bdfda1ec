"""storage.Store: feeds and their poll state, entries, articles, and dedupe decisions."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import StatementError

from storage import (
    Cluster,
    ClusterWrite,
    Feed,
    Membership,
    NewArticle,
    NewEntry,
    NotFound,
    PollRecord,
    Store,
    StoreError,
    StoreUnavailable,
)
from wiredesk.settings import Settings

T0 = datetime(2021, 8, 12, 14, 0, tzinfo=UTC)
KABUL = timezone(timedelta(hours=4, minutes=30))
FEED_URL = "https://meridian.example/rss.xml"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# -- factories -------------------------------------------------------------------------------------


def new_feed(store: Store, url: str = FEED_URL, name: str = "The Daily Meridian") -> Feed:
    feed, _ = store.add_feed(url, name, T0)
    return feed


def entry(n: int, published: datetime | None = None) -> NewEntry:
    return NewEntry(
        url=f"https://meridian.example/story-{n}",
        guid=f"guid-{n}",
        title=f"Story {n}",
        author="Desk",
        published_at=published,
    )


def new_article(
    article_id: str,
    *,
    url: str | None = None,
    feed_id: int | None = None,
    published: datetime | None = None,
    fetched: datetime = T0,
    body: str = "The Taliban seized Herat on Thursday.",
    raw_html: bytes | None = None,
    **extra: Any,
) -> NewArticle:
    return NewArticle(
        id=article_id,
        url=url or f"https://meridian.example/{article_id}",
        content_hash=f"hash-{article_id}",
        feed_id=feed_id,
        fetched_at=fetched,
        body=body,
        word_count=len(body.split()),
        extractor="trafilatura",
        published_at=published,
        raw_html=raw_html,
        **extra,
    )


def poll(status: str, minutes: float, **fields: Any) -> PollRecord:
    return PollRecord(status=status, polled_at=at(minutes), next_poll_at=at(minutes + 15), **fields)


def table_counts(**nonzero: int) -> dict[str, int]:
    """Row counts of every table the store counts, zero unless given."""
    tables = ("feeds", "entries", "articles", "clusters", "memberships", "stories", "story_links", "events")
    return {name: nonzero.get(name, 0) for name in tables}


def cluster_write(
    article_id: str,
    cluster_id: str = "c-1",
    *,
    founder_id: str | None = None,
    canonical_id: str | None = None,
    size: int = 1,
    rule: str = "founder",
    matched_id: str | None = None,
    decided: datetime = T0,
    published: datetime | None = T0,
    hashvalues: bytes = b"\x01\x00\x00\x00" * 4,
    events: Sequence[tuple[str, dict[str, Any]]] | None = None,
) -> ClusterWrite:
    founder = founder_id or article_id
    if events is None:
        events = [("cluster.created", {"article_id": article_id, "canonical_id": canonical_id or founder})]
    return ClusterWrite(
        article_id=article_id,
        hashvalues=hashvalues,
        published_at=published,
        cluster=Cluster(
            id=cluster_id,
            founder_id=founder,
            canonical_id=canonical_id or founder,
            canonical_reason="only version" if size == 1 else "earliest published",
            size=size,
            created_at=decided,
            updated_at=decided,
        ),
        membership=Membership(
            article_id=article_id,
            cluster_id=cluster_id,
            rule=rule,
            decided_at=decided,
            matched_id=matched_id,
            jaccard=None if matched_id is None else 0.9,
            containment=None if matched_id is None else 0.95,
        ),
        events=list(events),
    )


def save(store: Store, *articles: NewArticle) -> None:
    for article in articles:
        assert store.save_article(article)


# -- feeds -----------------------------------------------------------------------------------------


def test_add_feed(store: Store) -> None:
    feed, created = store.add_feed(FEED_URL, "The Daily Meridian", T0)
    assert created
    assert isinstance(feed.id, int)
    assert (feed.url, feed.name, feed.created_at) == (FEED_URL, "The Daily Meridian", T0)
    assert feed.consecutive_errors == 0
    assert feed.next_poll_at is None
    assert feed.last_polled_at is None
    assert store.get_feed(feed.id) == feed


def test_add_feed_is_idempotent_and_keeps_the_name(store: Store) -> None:
    first, created = store.add_feed(FEED_URL, "The Daily Meridian", T0)
    again, created_again = store.add_feed(FEED_URL, "Renamed", at(60))
    assert created
    assert not created_again
    assert again == first
    assert again.name == "The Daily Meridian"
    assert again.created_at == T0
    assert store.counts()["feeds"] == 1


def test_list_feeds_in_id_order(store: Store) -> None:
    ids = [new_feed(store, f"https://outlet-{i}.example/feed", f"Outlet {i}").id for i in (3, 1, 2)]
    assert [f.id for f in store.list_feeds()] == sorted(ids)
    assert [f.name for f in store.list_feeds()] == ["Outlet 3", "Outlet 1", "Outlet 2"]


def test_get_feed_unknown_id(store: Store) -> None:
    with pytest.raises(NotFound, match="no feed with id 4242") as raised:
        store.get_feed(4242)
    assert isinstance(raised.value, StoreError)


def test_due_feeds(store: Store) -> None:
    never = new_feed(store, "https://never.example/feed", "never polled")
    past = new_feed(store, "https://past.example/feed", "due before")
    exactly = new_feed(store, "https://exactly.example/feed", "due now")
    future = new_feed(store, "https://future.example/feed", "due later")
    store.record_poll(past.id, PollRecord("ok", polled_at=at(-30), next_poll_at=at(-1)))
    store.record_poll(exactly.id, PollRecord("ok", polled_at=at(-15), next_poll_at=at(0)))
    store.record_poll(future.id, PollRecord("ok", polled_at=at(-5), next_poll_at=at(10)))
    assert [f.id for f in store.due_feeds(T0)] == [never.id, past.id, exactly.id]
    assert [f.id for f in store.due_feeds(at(10))] == [never.id, past.id, exactly.id, future.id]
    assert [f.id for f in store.due_feeds(at(-20))] == [never.id]


def test_due_feeds_compares_instants(store: Store) -> None:
    feed = new_feed(store)
    store.record_poll(feed.id, PollRecord("ok", polled_at=at(-30), next_poll_at=at(10)))  # 14:10 UTC
    assert store.due_feeds(datetime(2021, 8, 12, 18, 35, tzinfo=KABUL)) == []  # 14:05 UTC
    assert [f.id for f in store.due_feeds(datetime(2021, 8, 12, 18, 45, tzinfo=KABUL))] == [feed.id]


def test_record_poll_ok(store: Store) -> None:
    feed = new_feed(store)
    store.record_poll(
        feed.id,
        poll(
            "ok",
            0,
            http_status=200,
            etag='"v1"',
            last_modified="Thu, 12 Aug 2021 14:00:00 GMT",
            title="Meridian World",
            format="rss",
        ),
    )
    got = store.get_feed(feed.id)
    assert (got.last_status, got.last_http_status) == ("ok", 200)
    assert (got.etag, got.last_modified) == ('"v1"', "Thu, 12 Aug 2021 14:00:00 GMT")
    assert (got.title, got.format) == ("Meridian World", "rss")
    assert got.last_polled_at == got.last_success_at == T0
    assert got.next_poll_at == at(15)
    assert got.consecutive_errors == 0
    assert got.last_error is None
    assert got.name == "The Daily Meridian"


def test_record_poll_not_modified_keeps_validators(store: Store) -> None:
    feed = new_feed(store)
    store.record_poll(
        feed.id, poll("ok", 0, http_status=200, etag='"v1"', last_modified="lm-1", title="T", format="atom")
    )
    store.record_poll(feed.id, poll("not_modified", 15, http_status=304))
    got = store.get_feed(feed.id)
    assert (got.last_status, got.last_http_status) == ("not_modified", 304)
    assert (got.etag, got.last_modified) == ('"v1"', "lm-1")
    assert (got.title, got.format) == ("T", "atom")
    assert got.last_polled_at == got.last_success_at == at(15)
    assert got.next_poll_at == at(30)


def test_record_poll_ok_without_title_keeps_the_title(store: Store) -> None:
    feed = new_feed(store)
    store.record_poll(feed.id, poll("ok", 0, title="Meridian World", format="rss"))
    store.record_poll(feed.id, poll("ok", 15, etag='"v2"'))
    got = store.get_feed(feed.id)
    assert (got.title, got.format, got.etag) == ("Meridian World", "rss", '"v2"')


def test_record_poll_errors_count_up_then_reset(store: Store) -> None:
    feed = new_feed(store)
    store.record_poll(feed.id, poll("ok", 0, http_status=200, etag='"v1"', last_modified="lm-1"))
    store.record_poll(feed.id, poll("error", 15, http_status=503, error="HTTP 503 Service Unavailable"))
    first = store.get_feed(feed.id)
    assert first.consecutive_errors == 1
    assert (first.last_status, first.last_http_status) == ("error", 503)
    assert first.last_error == "HTTP 503 Service Unavailable"
    assert first.last_error_at == first.last_polled_at == at(15)
    assert first.last_success_at == T0
    assert (first.etag, first.last_modified) == ('"v1"', "lm-1")

    store.record_poll(feed.id, poll("error", 30, error="timed out"))
    second = store.get_feed(feed.id)
    assert second.consecutive_errors == 2
    assert second.last_error == "timed out"
    assert second.last_http_status is None
    assert second.last_error_at == at(30)
    assert second.next_poll_at == at(45)

    store.record_poll(feed.id, poll("not_modified", 45, http_status=304))
    recovered = store.get_feed(feed.id)
    assert recovered.consecutive_errors == 0
    assert recovered.last_error is None
    assert recovered.last_success_at == at(45)
    assert (recovered.etag, recovered.last_modified) == ('"v1"', "lm-1")


def test_record_poll_for_one_feed_leaves_the_others(store: Store) -> None:
    one = new_feed(store, "https://one.example/feed", "one")
    other = new_feed(store, "https://other.example/feed", "other")
    store.record_poll(one.id, poll("error", 0, error="boom"))
    assert store.get_feed(other.id) == other


# -- entries ---------------------------------------------------------------------------------------


def test_add_entries_counts_only_new_ones(store: Store) -> None:
    feed = new_feed(store)
    assert store.add_entries(feed.id, [entry(1), entry(2)], T0) == 2
    assert store.add_entries(feed.id, [entry(1), entry(2)], at(15)) == 0
    assert store.add_entries(feed.id, [entry(2), entry(3)], at(30)) == 1
    assert store.add_entries(feed.id, [], at(45)) == 0
    assert store.counts()["entries"] == 3


def test_add_entries_same_url_twice_in_one_batch(store: Store) -> None:
    feed = new_feed(store)
    assert store.add_entries(feed.id, [entry(1), entry(1)], T0) == 1


def test_entry_listed_by_a_second_feed_stays_with_the_first(store: Store) -> None:
    first = new_feed(store, "https://first.example/feed", "first")
    second = new_feed(store, "https://second.example/feed", "second")
    store.add_entries(first.id, [entry(1)], T0)
    assert store.add_entries(second.id, [entry(1)], at(5)) == 0
    assert [e.url for e in store.pending_entries(first.id, 3)] == [entry(1).url]
    assert store.pending_entries(second.id, 3) == []


def test_pending_entries(store: Store) -> None:
    feed = new_feed(store)
    other = new_feed(store, "https://other.example/feed", "other")
    store.add_entries(feed.id, [entry(3, published=at(-60)), entry(1)], T0)
    store.add_entries(feed.id, [entry(2)], at(15))
    store.add_entries(other.id, [entry(9)], T0)
    pending = store.pending_entries(feed.id, max_attempts=3)
    # first seen first, then by URL
    assert [e.url for e in pending] == [entry(1).url, entry(3).url, entry(2).url]
    first = pending[1]
    assert (first.feed_id, first.guid, first.title, first.author) == (feed.id, "guid-3", "Story 3", "Desk")
    assert first.published_at == at(-60)
    assert first.attempts == 0


def test_pending_entries_respects_status_and_max_attempts(store: Store) -> None:
    feed = new_feed(store)
    store.add_entries(feed.id, [entry(1), entry(2), entry(3)], T0)
    store.record_fetch_failure(entry(1).url, "HTTP 500", at(1))
    store.record_fetch_failure(entry(2).url, "HTTP 500", at(1))
    store.record_fetch_failure(entry(2).url, "HTTP 500", at(2))
    store.save_article(new_article("a3", url=entry(3).url, feed_id=feed.id))

    def pending(max_attempts: int) -> dict[str, int]:
        return {e.url: e.attempts for e in store.pending_entries(feed.id, max_attempts)}

    assert pending(3) == {entry(1).url: 1, entry(2).url: 2}
    assert pending(2) == {entry(1).url: 1}
    assert pending(1) == {}


def test_record_fetch_failure_increments_attempts(store: Store) -> None:
    feed = new_feed(store)
    store.add_entries(feed.id, [entry(1)], T0)
    for n in range(1, 4):
        store.record_fetch_failure(entry(1).url, f"failure {n}", at(n))
        (pending,) = store.pending_entries(feed.id, max_attempts=10)
        assert pending.attempts == n
    assert store.entry_errors() == [(entry(1).url, "failure 3")]


def test_record_fetch_failure_of_an_unknown_url_is_harmless(store: Store) -> None:
    store.record_fetch_failure("https://nowhere.example/x", "boom", T0)
    assert store.entry_errors() == []


def test_save_article_marks_the_entry_fetched(store: Store) -> None:
    feed = new_feed(store)
    store.add_entries(feed.id, [entry(1)], T0)
    store.record_fetch_failure(entry(1).url, "timed out", at(1))
    assert store.save_article(new_article("a1", url=entry(1).url, feed_id=feed.id, fetched=at(2)))
    assert store.pending_entries(feed.id, max_attempts=10) == []
    assert store.entry_errors() == []


def test_save_article_is_idempotent(store: Store) -> None:
    feed = new_feed(store)
    store.add_entries(feed.id, [entry(1)], T0)
    article = new_article("a1", url=entry(1).url, feed_id=feed.id)
    assert store.save_article(article)
    assert not store.save_article(article)
    assert store.counts()["articles"] == 1
    assert store.pending_entries(feed.id, max_attempts=10) == []
    assert [a.id for a in store.list_articles()] == ["a1"]


def _entry_row(settings: Settings, url: str) -> dict[str, Any]:
    engine = create_engine(settings.store_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT * FROM entries WHERE url = :url"), {"url": url}).one()
            return dict(row._mapping)
    finally:
        engine.dispose()


def test_saving_the_same_article_twice_leaves_what_once_leaves(store: Store, settings: Settings) -> None:
    feed = new_feed(store)
    store.add_entries(feed.id, [entry(1)], T0)
    article = new_article("a1", url=entry(1).url, feed_id=feed.id)
    store.save_article(article)
    once = _entry_row(settings, entry(1).url)
    store.save_article(article)
    assert _entry_row(settings, entry(1).url) == once


def test_save_article_without_an_entry(store: Store) -> None:
    assert store.save_article(new_article("a1"))
    assert store.counts() == table_counts(articles=1)


def test_a_new_version_of_a_url_is_a_new_article(store: Store) -> None:
    url = "https://meridian.example/story"
    save(store, new_article("v1", url=url, body="First version."), new_article("v2", url=url, body="Second version."))
    assert {a.id for a in store.list_articles()} == {"v1", "v2"}


# -- articles --------------------------------------------------------------------------------------


def test_get_article_round_trips_every_field(store: Store) -> None:
    feed = new_feed(store)
    article = new_article(
        "a1",
        feed_id=feed.id,
        published=at(-30),
        fetched=at(5),
        title="Taliban seize Herat",
        byline="By Samir Wardak",
        published_source="jsonld",
        language="en",
        page_url="https://meridian.example/world/a1",
        outlet="The Daily Meridian",
        agency="AP",
    )
    save(store, article)
    got = store.get_article("a1")
    for field in NewArticle.__dataclass_fields__:
        if field not in ("raw_html", "block_keys"):
            assert getattr(got, field) == getattr(article, field), field
    assert got.cluster_id is None
    assert not hasattr(got, "raw_html")
    assert got.fetched_at.tzinfo is UTC


def test_get_article_unknown_id(store: Store) -> None:
    with pytest.raises(NotFound, match="no article with id nope"):
        store.get_article("nope")


def test_articles_by_id(store: Store) -> None:
    save(store, new_article("a1"), new_article("a2"), new_article("a3"))
    assert set(store.articles_by_id(["a1", "a3", "missing"])) == {"a1", "a3"}
    assert store.articles_by_id([]) == {}


def test_raw_html_round_trip(store: Store) -> None:
    html = zlib.compress("<html><body><p>The Taliban seized Herat.</p>\x00\xff</body></html>".encode(), 6)
    save(store, new_article("with-html", raw_html=html), new_article("without-html"))
    assert store.raw_html("with-html") == html
    assert zlib.decompress(store.raw_html("with-html") or b"").startswith(b"<html>")
    assert store.raw_html("without-html") is None
    assert store.raw_html("missing") is None


def test_list_articles_newest_first(store: Store) -> None:
    save(
        store,
        new_article("old", published=at(-120)),
        new_article("new", published=at(60)),
        new_article("undated-fetched-late", published=None, fetched=at(30)),
        new_article("tie-b", published=at(0)),
        new_article("tie-a", published=at(0)),
    )
    assert [a.id for a in store.list_articles()] == ["new", "undated-fetched-late", "tie-a", "tie-b", "old"]
    assert [a.id for a in store.list_articles(limit=2)] == ["new", "undated-fetched-late"]


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        (at(-121), ["new", "mid", "old"]),
        (at(0), ["new", "mid"]),  # inclusive
        (at(1), ["new"]),
        (datetime(2021, 8, 12, 18, 30, tzinfo=KABUL), ["new", "mid"]),  # 14:00 UTC
        (at(61), []),
    ],
)
def test_list_articles_since(store: Store, since: datetime, expected: list[str]) -> None:
    save(
        store,
        new_article("old", published=at(-120), fetched=at(90)),  # filtered on publication, not fetch
        new_article("mid", published=None, fetched=at(0)),  # undated: fetch time counts
        new_article("new", published=at(60)),
    )
    assert [a.id for a in store.list_articles(since=since)] == expected


def test_undecided_articles_oldest_publication_first(store: Store) -> None:
    save(
        store,
        new_article("undated-late", published=None, fetched=at(50)),
        new_article("late", published=at(30)),
        new_article("undated-early", published=None, fetched=at(10)),
        new_article("early", published=at(-30), fetched=at(100)),
        new_article("tie-b", published=at(0)),
        new_article("tie-a", published=at(0)),
    )
    assert [a.id for a in store.undecided_articles()] == [
        "early",
        "tie-a",
        "tie-b",
        "late",
        "undated-early",
        "undated-late",
    ]
    assert store.write_decision(cluster_write("tie-a"))
    assert "tie-a" not in [a.id for a in store.undecided_articles()]


# -- dedupe decisions ------------------------------------------------------------------------------


def test_write_decision_writes_everything(store: Store) -> None:
    save(store, new_article("a1", published=at(-10)))
    write = cluster_write("a1", published=at(-10), hashvalues=b"\x2a\x00\x00\x00" * 8)
    assert store.write_decision(write)
    assert store.counts() == table_counts(articles=1, clusters=1, memberships=1, events=1)
    assert store.get_cluster("c-1") == write.cluster
    assert store.get_article("a1").cluster_id == "c-1"
    (sig,) = store.indexed_signatures(since=at(-60))
    assert (sig.article_id, sig.hashvalues, sig.published_at, sig.cluster_id) == (
        "a1",
        b"\x2a\x00\x00\x00" * 8,
        at(-10),
        "c-1",
    )
    (event,) = store.events()
    assert (event.kind, event.cluster_id, event.article_id, event.at) == ("cluster.created", "c-1", "a1", T0)
    assert event.detail == {"article_id": "a1", "canonical_id": "a1"}


def test_write_decision_is_idempotent(store: Store) -> None:
    save(store, new_article("a1"))
    write = cluster_write("a1")
    assert store.write_decision(write)
    counts, events, signatures = store.counts(), store.events(), store.indexed_signatures(at(-60))
    assert not store.write_decision(write)
    assert store.counts() == counts
    assert store.events() == events
    assert store.indexed_signatures(at(-60)) == signatures


def test_a_decided_article_is_not_decided_again_elsewhere(store: Store) -> None:
    save(store, new_article("a1"))
    assert store.write_decision(cluster_write("a1", "c-1"))
    counts = store.counts()
    other = cluster_write("a1", "c-2", decided=at(5), hashvalues=b"\xff" * 16, events=[("cluster.created", {})])
    assert not store.write_decision(other)
    assert store.counts() == counts
    assert store.get_article("a1").cluster_id == "c-1"
    with pytest.raises(NotFound):
        store.get_cluster("c-2")
    assert store.indexed_signatures(at(-60))[0].hashvalues == b"\x01\x00\x00\x00" * 4


def test_write_decision_is_atomic(store: Store) -> None:
    save(store, new_article("a1"))
    # The event is written last; a detail that cannot be stored must take the whole decision with it.
    broken = cluster_write("a1", events=[("cluster.created", {"article_id": "a1", "bad": object()})])
    with pytest.raises((TypeError, ValueError, StatementError)):
        store.write_decision(broken)
    assert store.counts() == table_counts(articles=1)
    assert store.indexed_signatures(at(-60)) == []
    assert [a.id for a in store.undecided_articles()] == ["a1"]
    # ... and the same decision, repaired, still goes through
    assert store.write_decision(cluster_write("a1"))


def test_write_decision_for_an_unknown_article_writes_nothing(store: Store) -> None:
    with pytest.raises(StoreError, match=r"(?i)cannot place article ghost: .*foreign key"):
        store.write_decision(cluster_write("ghost"))
    assert store.counts()["clusters"] == 0
    assert store.indexed_signatures(at(-60)) == []


def test_events_are_appended_in_order(store: Store) -> None:
    save(store, new_article("a1", published=at(0)), new_article("a2", published=at(5), body="A longer body " * 5))
    assert store.write_decision(cluster_write("a1"))
    joined = cluster_write(
        "a2",
        founder_id="a1",
        canonical_id="a2",
        size=2,
        rule="containment",
        matched_id="a1",
        decided=at(10),
        events=[
            ("article.added", {"article_id": "a2", "rule": "containment", "evidence": [{"other_id": "a1"}]}),
            ("canonical.changed", {"article_id": "a2", "from": "a1", "reason": "most complete"}),
            ("note", {}),
        ],
    )
    assert store.write_decision(joined)
    events = store.events()
    assert [e.kind for e in events] == ["cluster.created", "article.added", "canonical.changed", "note"]
    ids = [e.id for e in events]
    assert ids == sorted(ids)
    assert len(set(ids)) == 4
    assert [e.article_id for e in events] == ["a1", "a2", "a2", "a2"]  # default: the decided article
    assert {e.cluster_id for e in events} == {"c-1"}
    assert [e.at for e in events] == [T0, at(10), at(10), at(10)]
    assert events[1].detail["evidence"] == [{"other_id": "a1"}]
    assert store.events(after=ids[1]) == events[2:]
    assert store.events(after=ids[0], limit=2) == events[1:3]
    assert store.events(after=ids[-1]) == []


def test_cluster_upsert_updates_canonical_and_size(store: Store) -> None:
    save(store, new_article("a1", published=at(0)), new_article("a2", published=at(5)))
    assert store.write_decision(cluster_write("a1", decided=T0))
    update = cluster_write(
        "a2", founder_id="a1", canonical_id="a2", size=2, rule="jaccard", matched_id="a1", decided=at(30)
    )
    assert store.write_decision(update)
    cluster = store.get_cluster("c-1")
    assert (cluster.founder_id, cluster.canonical_id, cluster.size) == ("a1", "a2", 2)
    assert cluster.canonical_reason == "earliest published"
    assert cluster.updated_at == at(30)
    assert cluster.created_at == T0  # kept from the first write
    assert store.counts()["clusters"] == 1


def test_cluster_members_and_detail(store: Store) -> None:
    save(
        store,
        new_article("m-founder", published=at(10)),
        new_article("m-undated", published=None),
        new_article("m-early", published=at(-5)),
        new_article("m-tie-b", published=at(20)),
        new_article("m-tie-a", published=at(20)),
    )
    assert store.write_decision(cluster_write("m-founder"))
    for n, article_id in enumerate(["m-undated", "m-early", "m-tie-b", "m-tie-a"], start=2):
        write = cluster_write(
            article_id, founder_id="m-founder", size=n, rule="jaccard", matched_id="m-founder", decided=at(n)
        )
        assert store.write_decision(write)
    members = store.cluster_members("c-1")
    assert [a.id for a, _ in members] == ["m-early", "m-founder", "m-tie-a", "m-tie-b", "m-undated"]
    for article, membership in members:
        assert article.cluster_id == membership.cluster_id == "c-1"
        assert membership.article_id == article.id
    by_id = {a.id: m for a, m in members}
    assert by_id["m-founder"] == Membership("m-founder", "c-1", "founder", T0)
    assert by_id["m-tie-a"] == Membership("m-tie-a", "c-1", "jaccard", at(5), "m-founder", 0.9, 0.95)

    detail = store.cluster_detail("c-1")
    assert detail.cluster == store.get_cluster("c-1")
    assert detail.cluster.size == 5
    assert detail.members == members


def test_unknown_cluster(store: Store) -> None:
    with pytest.raises(NotFound, match="no cluster with id c-missing"):
        store.get_cluster("c-missing")
    with pytest.raises(NotFound):
        store.cluster_detail("c-missing")
    assert store.cluster_members("c-missing") == []
    assert store.member_ids(["c-missing"]) == {}
    assert store.member_ids([]) == {}


def test_list_clusters_largest_first(store: Store) -> None:
    save(store, *(new_article(f"a{i}") for i in range(5)))
    assert store.write_decision(cluster_write("a0", "c-small", decided=at(0)))
    assert store.write_decision(cluster_write("a1", "c-big", decided=at(5)))
    assert store.write_decision(cluster_write("a2", "c-big", founder_id="a1", size=2, decided=at(6)))
    assert store.write_decision(cluster_write("a3", "c-b", decided=at(-5)))
    assert store.write_decision(cluster_write("a4", "c-a", decided=at(-5)))
    assert [c.id for c in store.list_clusters()] == ["c-big", "c-a", "c-b", "c-small"]
    assert [c.id for c in store.list_clusters(limit=2)] == ["c-big", "c-a"]
    assert store.member_ids(["c-a", "c-big", "nope"]) == {"c-a": ["a4"], "c-big": ["a1", "a2"]}


def test_indexed_signatures_window(store: Store) -> None:
    save(store, *(new_article(a) for a in ("s-old", "s-edge", "s-new", "s-undated")))
    assert store.write_decision(cluster_write("s-old", "c-old", published=at(-60 * 24 * 8)))
    assert store.write_decision(cluster_write("s-edge", "c-edge", published=at(-60 * 24 * 7)))
    assert store.write_decision(cluster_write("s-new", "c-new", published=at(-5)))
    assert store.write_decision(cluster_write("s-undated", "c-undated", published=None))
    window = store.indexed_signatures(since=at(-60 * 24 * 7))
    assert [(s.article_id, s.cluster_id) for s in window] == [
        ("s-edge", "c-edge"),
        ("s-new", "c-new"),
        ("s-undated", "c-undated"),
    ]
    assert window[2].published_at is None
    assert [s.article_id for s in store.indexed_signatures(since=at(0))] == ["s-undated"]
    kabul_since = (at(-6)).astimezone(KABUL)
    assert [s.article_id for s in store.indexed_signatures(since=kabul_since)] == ["s-new", "s-undated"]


# -- groups of decisions -----------------------------------------------------------------------------


def _group_then_boom(store: Store, other: Store) -> None:
    with store.group() as commit:
        assert store.write_decision(cluster_write("a1", "c-1"))
        assert store.get_cluster("c-1").founder_id == "a1"  # the group's own write
        assert store.member_ids(["c-1"]) == {"c-1": ["a1"]}
        assert not store.write_decision(cluster_write("a1", "c-9"))  # already placed, in this group
        commit()
        assert other.get_article("a1").cluster_id == "c-1"
        assert [e.kind for e in other.events()] == ["cluster.created"]  # written at the commit
        assert store.write_decision(cluster_write("a2", "c-2"))
        with pytest.raises(RuntimeError, match="nest"), store.group():
            pass  # pragma: no cover - refused on entry
        raise RuntimeError("boom")


def test_a_group_reads_its_own_writes_and_commits_in_steps(store: Store, settings: Settings) -> None:
    """Inside a group every read sees what the group wrote; others see it from each commit() on; what was
    written after the last commit goes if the block fails, and the articles stay pending."""
    save(store, new_article("a1"), new_article("a2"), new_article("a3"))
    with Store.open(settings.store_url) as other, pytest.raises(RuntimeError, match="boom"):
        _group_then_boom(store, other)
    assert [a.id for a in store.undecided_articles()] == ["a2", "a3"]
    assert store.counts() == table_counts(articles=3, clusters=1, memberships=1, events=1)
    with pytest.raises(NotFound):
        store.get_cluster("c-2")
    with store.group():  # and the store works as before, in and out of groups
        assert store.write_decision(cluster_write("a2", "c-2"))
    assert store.write_decision(cluster_write("a3", "c-3"))
    assert [s.article_id for s in store.indexed_signatures(at(-60))] == ["a1", "a2", "a3"]
    assert [e.article_id for e in store.events()] == ["a1", "a2", "a3"]


def _group_with(store: Store, *writes: ClusterWrite) -> None:
    with store.group():
        for write in writes:
            assert store.write_decision(write)


def test_a_failing_write_fails_its_group_whole(store: Store) -> None:
    save(store, new_article("a1"), new_article("a2"))
    broken = cluster_write("a2", "c-2", events=[("cluster.created", {"article_id": "a2", "bad": object()})])
    with pytest.raises((TypeError, ValueError, StatementError)):
        _group_with(store, cluster_write("a1", "c-1"), broken)  # the bad event fails at the group's end
    assert store.counts() == table_counts(articles=2)
    assert [a.id for a in store.undecided_articles()] == ["a1", "a2"]


def test_a_process_out_of_connections_gets_store_unavailable(store: Store, settings: Settings) -> None:
    """A request that waited for a free connection in vain is answered as an unavailable store (503 from the
    API), not a crash; the store goes on working once a connection is free."""
    engine = create_engine(settings.store_url, pool_size=1, max_overflow=0, pool_timeout=0.1)
    store = Store(engine)
    held = engine.connect()
    try:
        with pytest.raises(StoreUnavailable, match=r"is busy \(QueuePool limit of size 1 overflow 0 reached"):
            store.ping()
    finally:
        held.close()
    store.ping()
    engine.dispose()


def test_the_articles_list_reads_its_index_in_order(store: Store) -> None:
    """A page of canonical articles, first or after a cursor, is read from ix_articles_when in order and
    stopped after the page: no sort of every canonical article (4 s a page at a million articles)."""
    if store.dialect != "sqlite":
        pytest.skip("the plan is checked on SQLite; benchmarks/store_api.py measures both at a million articles")
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        seen.append((statement, parameters))

    event.listen(store._engine, "before_cursor_execute", capture)
    try:
        store.canonical_articles(limit=5)
        store.canonical_articles(after=(T0, "a9"), since=at(-600), limit=5)
    finally:
        event.remove(store._engine, "before_cursor_execute", capture)
    pages = [(sql, params) for sql, params in seen if "FROM articles" in sql]
    assert len(pages) == 2
    with store._engine.connect() as conn:
        for sql, params in pages:
            plan = " | ".join(row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
            assert "USING INDEX ix_articles_when" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
