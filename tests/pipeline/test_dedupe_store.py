"""The pipeline's dedupe over a real store: every matching case of wire copy, stories, canonicals re-decided,
the events consumers follow, the index window, and an index that survives restarts and is rebuilt when
lost. Articles go straight into the store (extraction has its own tests), then ``dedupe_pending`` runs as
the DAG's dedupe task would."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from dedupe import DedupeConfig
from storage import NewArticle, Store
from wiredesk.corpus import load_corpus
from wiredesk.pipeline import article_id_for, content_hash, dedupe_pending, reindex
from wiredesk.settings import Settings

T0 = datetime(2021, 8, 12, 15, 0, tzinfo=UTC)
NOW = datetime(2021, 8, 20, 12, 0, tzinfo=UTC)


def body(slug: str) -> str:
    return load_corpus().texts[slug].body


def paragraphs(slug: str) -> list[str]:
    return [p.text for p in load_corpus().texts[slug].paragraphs]


def put(
    store: Store,
    name: str,
    text: str,
    hours: float,
    *,
    title: str | None = None,
    outlet: str | None = None,
    agency: str | None = None,
) -> str:
    """Store one version, as ingest would; returns its article id."""
    url = f"https://{name}.example/story"
    digest = content_hash(text)
    article = NewArticle(
        id=article_id_for(url, digest),
        url=url,
        content_hash=digest,
        feed_id=None,
        fetched_at=T0 + timedelta(hours=hours, minutes=5),
        body=text,
        word_count=len(text.split()),
        extractor="test",
        title=title or name,
        published_at=T0 + timedelta(hours=hours),
        outlet=outlet,
        agency=agency,
    )
    store.save_article(article)
    return article.id


def cluster_of(store: Store, article_id: str) -> str:
    cluster = store.get_article(article_id).cluster_id
    assert cluster is not None
    return cluster


def story_of(store: Store, article_id: str) -> str:
    story = store.get_cluster(cluster_of(store, article_id)).story_id
    assert story is not None
    return story


def with_dedupe(settings: Settings, **changes: object) -> Settings:
    return dataclasses.replace(settings, dedupe=dataclasses.replace(settings.dedupe, **changes))


@pytest.fixture
def herat(store: Store) -> dict[str, str]:
    """The Herat copy as it travels: AP and AFP with republications, a trim, a write-thru, a light edit, the
    seed blend, and the near misses (the Ghazni story, two templated market reports)."""
    ap, afp = paragraphs("ap-herat"), paragraphs("afp-herat")
    ids = {
        "ap": put(store, "ap", body("ap-herat"), 0, outlet="AP", agency="AP"),
        "afp": put(store, "afp", body("afp-herat"), 0.25, agency="AFP"),
        # Another headline, the agency's boilerplate below: verbatim republication.
        "ap-rep": put(
            store,
            "ap-rep",
            body("ap-herat") + "\n\nCopyright 2021 The Associated Press. All rights reserved.",
            1,
            title="Afghanistan's third-largest city falls",
            agency="AP",
        ),
        "afp-rep": put(store, "afp-rep", body("afp-herat"), 1.5, title="Herat falls", agency="AFP"),
        "ap-trim": put(store, "ap-trim", "\n\n".join(ap[:5]), 2, agency="AP"),
        "ap-edit": put(
            store, "ap-edit", "\n\n".join(ap).replace("said", "stated", 2).replace("Taliban", "the Taliban", 1), 2.5
        ),
        "seed": put(store, "seed", body("seed"), 3, outlet="Crossroads"),
        "ap-writethru": put(store, "ap-writethru", body("ap-herat-writethru"), 6, agency="AP"),
        "ghazni": put(store, "ghazni", body("ghazni-nearmiss"), 1, agency="AP"),
        "markets-mon": put(store, "markets-mon", body("templated-markets-monday"), -24),
        "markets-tue": put(store, "markets-tue", body("templated-markets-tuesday"), 0),
    }
    assert len(afp) > 3
    return ids


def test_each_case_lands_where_it_belongs(settings: Settings, store: Store, herat: dict[str, str]) -> None:
    report = dedupe_pending(settings, NOW)
    assert report.decided == len(herat)
    ap = cluster_of(store, herat["ap"])
    for name in ("ap-rep", "ap-trim", "ap-edit", "ap-writethru"):
        assert cluster_of(store, herat[name]) == ap, name
    assert cluster_of(store, herat["afp-rep"]) == cluster_of(store, herat["afp"]) != ap
    apart = {cluster_of(store, herat[n]) for n in ("seed", "ghazni", "markets-mon", "markets-tue")}
    assert len(apart) == 4 and ap not in apart
    rules = {a.id: m.rule for a, m in store.cluster_members(ap)}
    assert rules[herat["ap"]] == "founder"
    assert rules[herat["ap-rep"]] == "jaccard"
    assert rules[herat["ap-trim"]] == "containment"


def test_the_blend_links_ap_and_afp_into_one_story(settings: Settings, store: Store, herat: dict[str, str]) -> None:
    dedupe_pending(settings, NOW)
    story = story_of(store, herat["ap"])
    assert story_of(store, herat["afp"]) == story_of(store, herat["seed"]) == story
    for near_miss in ("ghazni", "markets-mon", "markets-tue"):
        assert story_of(store, herat[near_miss]) != story
    detail = store.story_detail(story)
    assert {c.id for c, _ in detail.clusters} == {cluster_of(store, herat[n]) for n in ("ap", "afp", "seed")}
    assert detail.story.clusters == 3
    assert detail.story.size == 8
    # Every link carries its figures, its rule and when it was decided; each involves the blend (the AP and
    # AFP copies share no passage of their own).
    seed = cluster_of(store, herat["seed"])
    assert {link.article_id for link in detail.links if link.cluster_id == seed} == {herat["seed"]}
    for link in detail.links:
        assert seed in (link.cluster_id, link.other_cluster_id)
        assert link.rule == "passage"
        assert 0 < link.jaccard <= link.containment <= 1
        assert link.decided_at == NOW
    # The story's canonical is the canonical article of its most widely carried cluster (AP's).
    assert detail.story.canonical_cluster_id == cluster_of(store, herat["ap"])
    assert detail.story.canonical_reason.startswith("most widely carried: 5 versions")


def test_canonical_is_re_decided_when_a_better_version_arrives(
    settings: Settings, store: Store, herat: dict[str, str]
) -> None:
    dedupe_pending(settings, NOW)
    ap = store.get_cluster(cluster_of(store, herat["ap"]))
    # The write-thru adds paragraphs: the most complete version wins, and the story follows.
    assert ap.canonical_id == herat["ap-writethru"]
    assert ap.canonical_reason.startswith("most complete:")
    changes = [e for e in store.events() if e.kind == "canonical.changed"]
    by_scope = {e.detail["scope"]: e for e in changes if e.article_id == herat["ap-writethru"]}
    assert by_scope["cluster"].cluster_id == ap.id
    assert by_scope["story"].story_id == ap.story_id
    assert store.get_story(ap.story_id or "").canonical_id == herat["ap-writethru"]


def test_events_tell_the_whole_history_in_order(settings: Settings, store: Store, herat: dict[str, str]) -> None:
    dedupe_pending(settings, NOW)
    events = store.events()
    assert [e.id for e in events] == sorted(e.id for e in events)
    kinds = [e.kind for e in events]
    assert kinds.count("cluster.created") == len(store.list_clusters())
    assert kinds.count("article.added") == len(herat) - len(store.list_clusters())
    linked = [e for e in events if e.kind == "story.linked"]
    # The seed founds its cluster (and story) and links it to AP's and AFP's: two merges, two events.
    assert len(linked) == 2
    assert {e.detail["other_cluster_id"] for e in linked} == {
        cluster_of(store, herat["ap"]),
        cluster_of(store, herat["afp"]),
    }
    for event in linked:
        assert event.article_id == herat["seed"]
        assert event.story_id == story_of(store, herat["seed"])
        assert event.detail["rule"] == "passage"
        assert event.detail["containment"] >= DedupeConfig().story_containment
    # Each event names its cluster and story; an absorbed story's id still leads to where it went.
    for event in events:
        assert event.cluster_id is not None
        assert event.story_id is not None
        assert store.get_story(event.story_id).id == story_of(store, event.article_id or "")


def test_rerun_and_restart_change_nothing(settings: Settings, store: Store, herat: dict[str, str]) -> None:
    dedupe_pending(settings, NOW)
    counts, events = store.counts(), store.events()
    assert dedupe_pending(settings, NOW).decided == 0
    with Store.open(settings.store_url) as reopened:
        assert reopened.counts() == counts
        assert reopened.events() == events


def test_split_runs_give_the_one_run_result(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Deciding the articles across three runs (a restart between each) leaves what one run leaves."""
    names = ["ap", "afp", "ap-rep", "seed", "ap-writethru"]
    texts = {
        "ap": body("ap-herat"),
        "afp": body("afp-herat"),
        "ap-rep": body("ap-herat") + "\n\nAP",
        "seed": body("seed"),
        "ap-writethru": body("ap-herat-writethru"),
    }
    results = []
    for batches in ([names], [names[:2], names[2:4], names[4:]]):
        home = tmp_path_factory.mktemp("split")
        run = dataclasses.replace(settings, store_url=f"sqlite:///{home / 'w.db'}")
        for n, batch in enumerate(batches):
            with Store.open(run.store_url) as store:
                for name in batch:
                    put(store, name, texts[name], names.index(name))
            dedupe_pending(run, NOW + timedelta(minutes=n))
        with Store.open(run.store_url) as store:
            articles = store.list_articles()
            results.append(
                (
                    sorted((a.id, a.cluster_id) for a in articles),
                    sorted((c.id, c.canonical_id, c.story_id) for c in store.list_clusters()),
                    sorted((s.id, s.canonical_id, s.clusters) for s in store.list_stories()),
                    [(e.kind, e.cluster_id, e.article_id, e.story_id) for e in store.events()],
                )
            )
    assert results[0] == results[1]


@pytest.mark.parametrize("lost", ["index_keys", "index_keys, meta"])
def test_the_index_is_rebuilt_when_lost(settings: Settings, store: Store, herat: dict[str, str], lost: str) -> None:
    dedupe_pending(settings, NOW)
    size = store.index_size()
    assert size == len(herat)
    with store._engine.begin() as conn:  # the index is lost (a restore without it, a manual cleanup)
        for table in lost.split(", "):
            conn.execute(text(f"DELETE FROM {table}"))
    assert store.index_size() == 0
    late = put(store, "late-rep", body("afp-herat") + "\n\n(AFP)", 8)
    dedupe_pending(settings, NOW)
    assert store.index_size() == size + 1
    assert cluster_of(store, late) == cluster_of(store, herat["afp"])
    assert reindex(settings, NOW) == size + 1


def test_other_index_settings_rebuild_the_index(settings: Settings, store: Store, herat: dict[str, str]) -> None:
    dedupe_pending(settings, NOW)
    before = store.index_state()
    changed = with_dedupe(settings, lsh_threshold=0.3)
    late = put(store, "late-rep", body("ap-herat"), 7)
    dedupe_pending(changed, NOW)
    assert store.index_state() != before
    assert cluster_of(store, late) == cluster_of(store, herat["ap"])


def test_old_articles_leave_the_index_but_stay_in_the_store(settings: Settings, store: Store) -> None:
    old = put(store, "old", body("afp-herat"), -24 * 10)
    dedupe_pending(settings, NOW)
    assert store.index_size() == 1
    new = put(store, "new", body("afp-herat") + "\n\nbur/jm", 0)
    dedupe_pending(settings, NOW)
    # Ten days on, the old copy has left the index (the window is seven days): the new copy founds its own
    # cluster; the old article is still stored, in its cluster.
    assert cluster_of(store, new) != cluster_of(store, old)
    assert store.get_article(old).body == body("afp-herat")
    assert store.index_size() == 1


def test_the_window_is_configurable(settings: Settings, store: Store) -> None:
    old = put(store, "old", body("afp-herat"), -24 * 10)
    dedupe_pending(with_dedupe(settings, window_days=14), NOW)
    new = put(store, "new", body("afp-herat") + "\n\nbur/jm", 0)
    dedupe_pending(with_dedupe(settings, window_days=14), NOW)
    assert cluster_of(store, new) == cluster_of(store, old)


def test_a_copy_days_later_that_is_not_verbatim_stays_apart(settings: Settings, store: Store) -> None:
    ap = paragraphs("ap-herat")
    first = put(store, "first", "\n\n".join(ap), 0)
    verbatim_days_later = put(store, "verbatim", "\n\n".join(ap), 60)
    trim_days_later = put(store, "trim", "\n\n".join(ap[:6]), 72)
    dedupe_pending(settings, NOW)
    assert cluster_of(store, verbatim_days_later) == cluster_of(store, first)
    (membership,) = [m for a, m in store.cluster_members(cluster_of(store, first)) if a.id == verbatim_days_later]
    assert membership.rule == "jaccard"
    assert cluster_of(store, trim_days_later) != cluster_of(store, first)


def test_the_canonical_policy_is_configurable(settings: Settings, store: Store, herat: dict[str, str]) -> None:
    dedupe_pending(with_dedupe(settings, cluster_policy=("earliest",)), NOW)
    ap = store.get_cluster(cluster_of(store, herat["ap"]))
    assert ap.canonical_id == herat["ap"]
    assert ap.canonical_reason.startswith("earliest published (2021-08-12 15:00 UTC)")


def test_settings_read_the_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"WIREDESK_CANONICAL_POLICY": "latest", "WIREDESK_STORY_CANONICAL_POLICY": "complete,earliest"}
    settings = Settings.from_env(env)
    assert settings.dedupe.cluster_policy == ("latest",)
    assert settings.dedupe.story_policy == ("complete", "earliest")
