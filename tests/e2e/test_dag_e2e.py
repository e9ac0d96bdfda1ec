"""The whole pipeline through Airflow: ``dag.test()`` of wiredesk_ingest against the corpus server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import CHROME, canonical_paths, expected_partition, partition_by_path, register_corpus

from storage import Store
from wiredesk import airflow_local
from wiredesk.corpus import CorpusServer
from wiredesk.dagconfig import ARTICLES_ASSET_URI, DAG_ID
from wiredesk.pipeline import register_feed
from wiredesk.settings import Settings

pytestmark = pytest.mark.airflow
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _asset_extra(run_id: str) -> dict[str, Any]:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(AssetEvent.extra, AssetModel.uri)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetEvent.source_run_id == run_id)
        ).all()
    assert [uri for _, uri in rows] == [ARTICLES_ASSET_URI]
    return dict(rows[0][0])


@pytest.fixture(scope="module")
def two_cycles(airflow_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Run two cycles 15 minutes apart on a fresh server and store; a broken feed rides along."""
    home = tmp_path_factory.mktemp("e2e")
    env = {"WIREDESK_HOME": str(home), "WIREDESK_FETCH_ALLOW": "127.0.0.1"}
    mp = pytest.MonkeyPatch()
    for key, value in env.items():
        mp.setenv(key, value)
    mp.delenv("WIREDESK_STORE_URL", raising=False)
    settings = Settings.from_env(env)
    with CorpusServer() as server:
        server.fail("/broken/feed.xml", 500)
        register_corpus(settings, server, T0)
        register_feed(settings, server.url + "/broken/feed.xml", "Broken Feed", T0)
        first = airflow_local.run_dag_once(DAG_ID, T0)
        with Store.open(settings.store_url) as store:
            after_first = store.counts()
        page_hits = {p.path: server.hits[p.path] for p in server.corpus.pages}
        second = airflow_local.run_dag_once(DAG_ID, T0 + timedelta(minutes=15))
        feed_304s = {o.feed_path: server.not_modified[o.feed_path] for o in server.corpus.outlets}
        page_hits_after = {p.path: server.hits[p.path] for p in server.corpus.pages}
        yield {
            "first_counts": _asset_extra(first.run_id),
            "settings": settings,
            "server": server,
            "first": first,
            "second": second,
            "after_first": after_first,
            "page_hits": page_hits,
            "page_hits_after": page_hits_after,
            "feed_304s": feed_304s,
        }
    mp.undo()


def test_runs_succeed_even_with_a_broken_feed(two_cycles: Any) -> None:
    assert str(two_cycles["first"].state) == "success"
    assert str(two_cycles["second"].state) == "success"


def test_each_feed_task_is_labelled_with_its_feed_name(two_cycles: Any) -> None:
    labels = {ti.rendered_map_index for ti in two_cycles["first"].get_task_instances() if ti.task_id == "ingest_feed"}
    assert labels == {o.name for o in two_cycles["server"].corpus.outlets} | {"Broken Feed"}


def test_clusters_and_canonicals_match_the_manifest(two_cycles: Any) -> None:
    server = two_cycles["server"]
    with Store.open(two_cycles["settings"].store_url) as store:
        assert partition_by_path(store, server) == expected_partition(server)
        assert canonical_paths(store, server) == {p.path for p in server.corpus.pages if p.canonical}


def test_the_herat_story_links_ap_and_afp_and_leaves_the_near_misses_out(two_cycles: Any) -> None:
    server = two_cycles["server"]
    with Store.open(two_cycles["settings"].store_url) as store:
        story_of = {
            a.url.removeprefix(server.url): store.get_cluster(a.cluster_id or "").story_id
            for a in store.list_articles()
        }
        (story,) = store.list_stories(min_clusters=2)
        assert two_cycles["first_counts"]["stories_linked"] == 2
    in_story = {p.cluster for p in server.corpus.pages if story_of[p.path] == story.id}
    assert in_story == {"ap-herat", "afp-herat", "blend-herat"}
    for page in server.corpus.pages:
        if page.cluster.startswith(("ghazni", "templated")):
            assert story_of[page.path] != story.id


def test_no_stored_body_carries_the_comment_form_or_reader_comments(two_cycles: Any) -> None:
    server = two_cycles["server"]
    comments = [c.text for thread in server.corpus.comments.values() for c in thread]
    with Store.open(two_cycles["settings"].store_url) as store:
        for article in store.list_articles():
            for text in (*CHROME, *comments):
                assert text not in article.body, f"{text!r} in {article.url}"


def test_the_broken_feed_is_recorded_and_the_others_are_healthy(two_cycles: Any) -> None:
    with Store.open(two_cycles["settings"].store_url) as store:
        feeds = {f.name: f for f in store.list_feeds()}
    broken = feeds.pop("Broken Feed")
    assert broken.last_status == "error"
    assert broken.consecutive_errors == 2
    assert broken.last_error is not None and "HTTP 500" in broken.last_error and "/broken/feed.xml" in broken.last_error
    assert all(f.last_status == "not_modified" and f.last_error is None for f in feeds.values())


def test_asset_event_carries_the_run_counts(two_cycles: Any) -> None:
    first = _asset_extra(two_cycles["first"].run_id)
    assert first["feeds_polled"] == 9
    assert first["feeds_failed"] == 1
    assert first["articles_stored"] == len(two_cycles["server"].corpus.pages)
    second = _asset_extra(two_cycles["second"].run_id)
    assert second["articles_stored"] == 0
    assert second["feeds_not_modified"] == 8


def test_second_cycle_gets_304s_and_stores_nothing_new(two_cycles: Any) -> None:
    assert set(two_cycles["feed_304s"].values()) == {1}
    assert set(two_cycles["page_hits"].values()) == {1}, "each article page is fetched exactly once"
    assert two_cycles["page_hits_after"] == two_cycles["page_hits"]
    with Store.open(two_cycles["settings"].store_url) as store:
        assert store.counts() == two_cycles["after_first"]
