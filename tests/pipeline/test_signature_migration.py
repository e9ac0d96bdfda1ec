"""Stored signatures follow the signature scheme: a store written by an older release (SHA-1 shingle hash,
no ``signatures`` row in ``meta``) or under other MinHash settings has its signatures recomputed from the
article bodies, and its index rebuilt from them, by the next dedupe or reindex, before anything is placed."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from datasketch import LeanMinHash, MinHash
from sqlalchemy import text

from dedupe import DedupeConfig, band_keys, features, index_params, to_bytes
from dedupe.signature import minhash, signature_params
from storage import NewArticle, Store
from wiredesk.corpus import load_corpus
from wiredesk.pipeline import article_id_for, content_hash, dedupe_pending, ensure_signatures, reindex
from wiredesk.settings import Settings

T0 = datetime(2021, 8, 12, 15, 0, tzinfo=UTC)
NOW = datetime(2021, 8, 20, 12, 0, tzinfo=UTC)
SLUGS = ["ap-herat", "afp-herat", "seed", "ghazni-nearmiss", "templated-markets-monday"]


def put(store: Store, name: str, body: str, hours: float) -> str:
    url = f"https://{name}.example/story"
    digest = content_hash(body)
    article = NewArticle(
        id=article_id_for(url, digest),
        url=url,
        content_hash=digest,
        feed_id=None,
        fetched_at=T0 + timedelta(hours=hours, minutes=5),
        body=body,
        word_count=len(body.split()),
        extractor="test",
        title=name,
        published_at=T0 + timedelta(hours=hours),
    )
    store.save_article(article)
    return article.id


def sha1_signature(body: str, config: DedupeConfig) -> LeanMinHash:
    """How the previous release computed a signature: datasketch's default SHA-1 hash per shingle."""
    m = MinHash(num_perm=config.num_perm, seed=config.seed, scheme="affine32")
    m.update_batch(sorted(features(body, config.shingle_size).shingles))
    return LeanMinHash(m)


def stored(store: Store) -> dict[str, bytes]:
    return {s.article_id: s.hashvalues for s in store.indexed_signatures(since=T0 - timedelta(days=3650))}


def index_rows(store: Store) -> set[tuple[int, str]]:
    with store._engine.connect() as conn:
        return {(r.key, r.article_id) for r in conn.execute(text("SELECT key, article_id FROM index_keys"))}


def make_old_release_store(store: Store, config: DedupeConfig) -> None:
    """Turn a deduped store into what the previous release left: SHA-1 signatures, the index built from
    them (same index settings), and no record of the signature scheme."""
    bodies = {a.id: a.body for a in store.list_articles()}
    old = {i: sha1_signature(bodies[i], config) for i in stored(store)}
    with store._engine.begin() as conn:
        for article_id, signature in old.items():
            conn.execute(
                text("UPDATE signatures SET hashvalues = :v WHERE article_id = :i"),
                {"v": to_bytes(signature), "i": article_id},
            )
        conn.execute(text("DELETE FROM meta WHERE name = 'signatures'"))
    published = {a.id: a.published_at or a.fetched_at for a in store.list_articles()}
    store.replace_index(index_params(config), [(i, published[i], band_keys(s, config)) for i, s in old.items()])


@pytest.fixture
def old_store(settings: Settings, store: Store) -> dict[str, str]:
    corpus = load_corpus()
    ids = {slug: put(store, slug, corpus.texts[slug].body, hours) for hours, slug in enumerate(SLUGS)}
    dedupe_pending(settings, NOW)
    make_old_release_store(store, settings.dedupe)
    assert store.signature_state() is None
    return ids


def test_an_old_release_store_is_migrated_by_the_next_dedupe(
    settings: Settings, store: Store, old_store: dict[str, str]
) -> None:
    config = settings.dedupe
    bodies = {a.id: a.body for a in store.list_articles()}
    clusters = {i: store.get_article(i).cluster_id for i in old_store.values()}
    # A republication of the AP copy arrives: against the old index it would find nothing.
    late = put(store, "late-rep", load_corpus().texts["ap-herat"].body + "\n\n(AP)", 8)
    new_late = minhash(features(bodies[old_store["ap-herat"]], config.shingle_size).shingles, config)
    assert not set(band_keys(new_late, config)) & {k for k, _ in index_rows(store)}

    dedupe_pending(settings, NOW)

    assert store.signature_state() == signature_params(config)
    signatures = stored(store)
    for article_id, body in bodies.items():
        expected = minhash(features(body, config.shingle_size).shingles, config)
        assert signatures[article_id] == to_bytes(expected), article_id
        assert signatures[article_id] != to_bytes(sha1_signature(body, config))
    expected_index = {
        (k, i)
        for i, body in {**bodies, late: store.get_article(late).body}.items()
        for k in band_keys(minhash(features(body, config.shingle_size).shingles, config), config)
    }
    assert index_rows(store) == expected_index
    assert store.get_article(late).cluster_id == clusters[old_store["ap-herat"]]
    assert {i: store.get_article(i).cluster_id for i in old_store.values()} == clusters  # nothing else moved


def test_signatures_are_recomputed_once(settings: Settings, store: Store, old_store: dict[str, str]) -> None:
    assert ensure_signatures(store, settings.dedupe) == len(old_store)
    assert ensure_signatures(store, settings.dedupe) is None
    before = index_rows(store)
    dedupe_pending(settings, NOW)  # nothing pending, nothing to recompute: the index stays as rebuilt
    assert store.signature_state() == signature_params(settings.dedupe)
    assert index_rows(store) == before


def test_reindex_migrates_an_old_release_store(settings: Settings, store: Store, old_store: dict[str, str]) -> None:
    assert reindex(settings, NOW) == len(old_store)
    assert store.signature_state() == signature_params(settings.dedupe)
    config = settings.dedupe
    for article in store.list_articles():
        assert stored(store)[article.id] == to_bytes(
            minhash(features(article.body, config.shingle_size).shingles, config)
        )


def test_other_minhash_settings_recompute_the_signatures(settings: Settings, store: Store) -> None:
    corpus = load_corpus()
    ids = [put(store, slug, corpus.texts[slug].body, hours) for hours, slug in enumerate(SLUGS)]
    dedupe_pending(settings, NOW)
    state = store.signature_state()
    reseeded = dataclasses.replace(settings, dedupe=dataclasses.replace(settings.dedupe, seed=2))
    late = put(store, "late-rep", corpus.texts["afp-herat"].body + "\n\n(AFP)", 8)
    dedupe_pending(reseeded, NOW)
    assert store.signature_state() == signature_params(reseeded.dedupe) != state
    config = reseeded.dedupe
    for article in store.list_articles():
        assert stored(store)[article.id] == to_bytes(
            minhash(features(article.body, config.shingle_size).shingles, config)
        )
    assert store.get_article(late).cluster_id == store.get_article(ids[1]).cluster_id


def test_a_new_store_records_the_scheme_without_recomputing(settings: Settings, store: Store) -> None:
    assert store.signature_state() is None
    assert ensure_signatures(store, settings.dedupe) is None
    assert store.signature_state() == signature_params(settings.dedupe)
