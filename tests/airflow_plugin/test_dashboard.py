"""The page's content (wiredesk/dashboard.py) without Airflow: what it reads from a store the pipeline filled, the
feed rows a browser test finds by ``data-feed`` and ``data-status``, and escaping of everything from the feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from plugin_helpers import DEAD, FAILING, FRESH, Filled, Page

from storage import Article, Cluster, ClusterDetail, FeedHealth, Membership, RunRecord, Store
from wiredesk.dashboard import Snapshot, feed_json, render_page, run_json, snapshot


def _snapshot(filled: Filled) -> Snapshot:
    with Store.open(filled.settings.store_url) as store:
        return snapshot(store, datetime.now(UTC), dead_after=filled.settings.polling.dead_after)


def test_the_snapshot_holds_every_feed_the_runs_and_the_latest_clusters_with_their_stories(filled: Filled) -> None:
    snap = _snapshot(filled)
    statuses = {f.name: f.status for f in snap.feeds}
    assert statuses == {**dict.fromkeys(filled.corpus_feeds, "ok"), DEAD: "dead", FAILING: "failing", FRESH: "new"}
    dead = next(f for f in snap.feeds if f.name == DEAD)
    assert dead.consecutive_errors == 2 and dead.error_class == "http-404" and dead.last_success_at is None
    assert [r.run_id for r in snap.runs] == filled.runs
    # The Herat copy: AP's cluster of five versions, linked by a blend to AFP's cluster in one story.
    sizes = sorted((d.cluster.size for d in snap.clusters), reverse=True)
    assert sizes[:2] == [5, 2]
    assert len(snap.stories) == 1
    story = snap.stories[0]
    assert story.story.clusters == 3 and story.links
    assert {c.id for c, _ in story.clusters} <= {d.cluster.id for d in snap.clusters}


def test_the_page_has_a_row_per_feed_and_marks_the_failing_and_dead_ones(filled: Filled) -> None:
    html = render_page(_snapshot(filled), user="admin")
    rows = Page(html).feed_rows()
    assert set(rows) == {*filled.corpus_feeds, DEAD, FAILING, FRESH}  # the names, unescaped by the parser
    for name, row in rows.items():
        status = row.attrs["data-status"]
        assert f"status-{status}" in row.attrs["class"].split()
        assert name in row.text and status in row.text
    assert rows[DEAD].attrs["data-status"] == "dead"
    assert rows[FAILING].attrs["data-status"] == "failing"
    assert rows[FRESH].attrs["data-status"] == "new"
    assert "attention" in rows[DEAD].attrs["class"] and "attention" not in rows[filled.corpus_feeds[0]].attrs["class"]
    assert "http-404" in rows[DEAD].text
    # The markup in the feeds' names is text, never markup.
    assert "<i>wire</i>" not in html and "<b>Co</b>" not in html
    assert "Dead &lt;i&gt;wire&lt;/i&gt;" in html and "Failing &amp; &lt;b&gt;Co&lt;/b&gt;" in html


def test_the_page_shows_each_run_with_its_throughput_and_each_member_with_its_evidence(filled: Filled) -> None:
    snap = _snapshot(filled)
    page = Page(render_page(snap))
    runs = [t for t in page.tags if t.name == "tr" and "data-run" in t.attrs]
    assert [r.attrs["data-run"] for r in runs] == filled.runs
    first = next(r for r in snap.runs if r.run_id == "scheduled__first")
    stored = first.counts["articles_stored"]
    assert stored == 23
    assert f"{stored / 12:.2f}" in next(r for r in runs if r.attrs["data-run"] == "scheduled__first").text
    clusters = {t.attrs["data-cluster"] for t in page.with_attr("data-cluster")}
    assert clusters == {d.cluster.id for d in snap.clusters}
    members = [t for t in page.tags if t.name == "tr" and "data-article" in t.attrs]
    assert len(members) == sum(len(d.members) for d in snap.clusters)
    rules = {m.rule for d in snap.clusters for _, m in d.members}
    assert {"founder", "jaccard", "containment"} <= rules
    assert {t.attrs["data-story"] for t in page.with_attr("data-story")} == {s.story.id for s in snap.stories}


def test_the_json_shapes_carry_every_field_with_times_in_iso_8601(filled: Filled) -> None:
    snap = _snapshot(filled)
    feed = feed_json(next(f for f in snap.feeds if f.name == DEAD))
    assert feed["status"] == "dead" and feed["error_class"] == "http-404"
    assert datetime.fromisoformat(feed["last_polled_at"]).tzinfo is not None
    run = run_json(next(r for r in snap.runs if r.run_id == "scheduled__first"))
    assert run["duration_s"] == 12.0
    assert run["articles_per_s"] == pytest.approx(23 / 12)
    assert run["counts"]["articles_stored"] == 23


HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def test_nothing_from_the_store_is_ever_markup() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    feed = FeedHealth(
        feed_id=1,
        name=HOSTILE,
        url="javascript:alert(3)",
        status="failing",
        consecutive_errors=3,
        error_class=HOSTILE,
        last_error=HOSTILE,
        last_polled_at=now,
        last_success_at=None,
        next_poll_at=now + timedelta(minutes=30),
        poll_interval_s=900,
        polls=4,
        not_modified_share=0.25,
        items_per_day=1.5,
        duplicate_share=None,
        extraction_failures=2,
        fetch_failures=1,
    )
    article = Article(
        id="a1",
        url="javascript:alert(4)",
        content_hash="h",
        feed_id=1,
        fetched_at=now,
        title=HOSTILE,
        byline=None,
        published_at=now,
        published_source="feed",
        language="en",
        page_url=None,
        outlet=HOSTILE,
        agency=None,
        body="",
        word_count=100,
        extractor="trafilatura",
    )
    cluster = Cluster("c1", "a1", "a1", HOSTILE, 1, now, now, None)
    detail = ClusterDetail(cluster, [(article, Membership("a1", "c1", HOSTILE, now))])
    run = RunRecord(HOSTILE, HOSTILE, now, now + timedelta(seconds=2), {"articles_stored": 4})
    html = render_page(Snapshot(now, 7, [feed], [run], [detail], []), user=HOSTILE)
    assert "<script" not in html and "<img" not in html
    assert 'href="javascript' not in html  # a non-web URL is shown, never linked
    page = Page(html)
    assert [t.attrs["data-feed"] for t in page.with_attr("data-feed")] == [HOSTILE]
    assert {t.name for t in page.tags} <= {
        "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "time", "a", "section", "div", "table",
        "thead", "tbody", "tr", "th", "td", "span", "br", "details", "summary", "strong", "code",
    }  # fmt: skip
    assert "2.00" in html  # 4 articles in 2 s
