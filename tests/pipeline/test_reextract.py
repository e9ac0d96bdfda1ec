"""wiredesk reextract: stored raw HTML through the current extractor; metadata updated in place; a changed
body leaves its cluster and is placed again; a rerun changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from storage import Store
from wiredesk.cli import main
from wiredesk.corpus import CorpusServer
from wiredesk.pipeline import content_hash, register_feed, run_cycle
from wiredesk.reextract import reextract
from wiredesk.settings import Settings

NOW = datetime(2021, 8, 20, 12, 0, tzinfo=UTC)
LATER = datetime(2021, 8, 21, 12, 0, tzinfo=UTC)
AP = "/plainwire/2021/08/12/ap-taliban-seize-herat"
BELARUS = "/plainwire/2021/08/05/belarus-athlete-asylum"


@pytest.fixture
def ingested(settings: Settings, fresh_server: CorpusServer) -> CorpusServer:
    for name, url in fresh_server.feed_urls():
        register_feed(settings, url, name, NOW)
    run_cycle(settings, NOW)
    reextract(settings, NOW)  # whatever the first site model learned is applied once
    return fresh_server


def article_at(store: Store, server: CorpusServer, path: str) -> object:
    (article,) = [a for a in store.list_articles() if a.url == server.url + path]
    return article


def snapshot(store: Store) -> tuple[object, ...]:
    articles = sorted((a.id, a.body, a.cluster_id, a.section, a.dateline) for a in store.list_articles())
    clusters = sorted((c.id, c.size, c.canonical_id) for c in store.list_clusters())
    return articles, clusters, len(store.events())


def test_a_rerun_changes_nothing(settings: Settings, ingested: CorpusServer) -> None:
    with Store.open(settings.store_url) as store:
        before = snapshot(store)
    report = reextract(settings, LATER)
    assert report.examined == len(ingested.corpus.pages)
    assert report.unchanged == report.examined
    assert (report.body_changed, report.metadata_changed, report.failed) == (0, 0, 0)
    with Store.open(settings.store_url) as store:
        assert snapshot(store) == before


def _tamper(store: Store, article_id: str, **values: object) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in values)
    with store._engine.begin() as conn:
        conn.execute(text(f"UPDATE articles SET {sets} WHERE id = :id"), {"id": article_id, **values})


def test_metadata_is_updated_in_place(settings: Settings, ingested: CorpusServer) -> None:
    with Store.open(settings.store_url) as store:
        ap = article_at(store, ingested, AP)
        _tamper(store, ap.id, section="Wrong", dateline=None)  # as an older extractor left it
        events = len(store.events())
    report = reextract(settings, LATER, site="127.0.0.1")
    assert (report.metadata_changed, report.body_changed) == (1, 0)
    with Store.open(settings.store_url) as store:
        again = article_at(store, ingested, AP)
        assert (again.section, again.dateline, again.cluster_id) == (None, "KABUL, Afghanistan", ap.cluster_id)
        (event,) = store.events(after=events)
        assert event.kind == "article.reextracted"
        assert event.detail == {"article_id": ap.id, "body_changed": False, "changed": ["section", "dateline"]}


def test_a_changed_body_is_placed_again(settings: Settings, ingested: CorpusServer) -> None:
    with Store.open(settings.store_url) as store:
        ap = article_at(store, ingested, AP)
        before = snapshot(store)
        junk = ap.body + "\n\nSign up for our newsletter. Share this story."
        _tamper(store, ap.id, body=junk, content_hash=content_hash(junk), word_count=len(junk.split()))
        events = len(store.events())
    report = reextract(settings, LATER)
    assert (report.body_changed, report.metadata_changed) == (1, 0)
    assert report.dedupe.decided == 1
    with Store.open(settings.store_url) as store:
        again = article_at(store, ingested, AP)
        assert again.body == ap.body
        assert again.cluster_id == ap.cluster_id
        assert snapshot(store)[:2] == before[:2]
        kinds = [e.kind for e in store.events(after=events)]
        assert kinds[0] == "article.reextracted"
        assert "article.added" in kinds


def test_an_only_member_leaves_a_tombstone_and_comes_back(settings: Settings, ingested: CorpusServer) -> None:
    with Store.open(settings.store_url) as store:
        lone = article_at(store, ingested, BELARUS)
        assert store.get_cluster(lone.cluster_id).size == 1
        junk = lone.body + "\n\nAdvertisement"
        _tamper(store, lone.id, body=junk, content_hash=content_hash(junk))
    reextract(settings, LATER)
    with Store.open(settings.store_url) as store:
        again = article_at(store, ingested, BELARUS)
        assert again.cluster_id == lone.cluster_id  # the id derives from the founder: the same cluster again
        assert store.get_cluster(lone.cluster_id).size == 1


def test_site_and_since_select_pages(settings: Settings, ingested: CorpusServer) -> None:
    assert reextract(settings, LATER, site="elsewhere.example").examined == 0
    assert 0 < reextract(settings, LATER, since=datetime(2021, 8, 13, tzinfo=UTC)).examined < len(ingested.corpus.pages)


def test_cli_reextract_json(settings: Settings, ingested: CorpusServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reextract", "--json", "--since", "2021-08-01"]) == 0
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert report["examined"] == len(ingested.corpus.pages)
    assert report["unchanged"] == report["examined"]
    assert "re-extracting" in out.err
