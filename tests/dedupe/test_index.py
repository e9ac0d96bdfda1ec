"""dedupe.index: the stored index's band keys give exactly datasketch MinHashLSH's candidates; the memory
index; the window and the publication-time evidence in the matcher."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from datasketch import MinHashLSH

from dedupe import (
    Clusterer,
    DedupeConfig,
    Document,
    MemoryIndex,
    band_keys,
    compare,
    dedupe_documents,
    features,
    index_params,
    minhash,
)
from wiredesk.corpus import load_corpus

CONFIG = DedupeConfig()
T0 = datetime(2021, 8, 12, 15, 0, tzinfo=UTC)


def words(rng: random.Random, n: int) -> str:
    return " ".join(f"w{rng.randrange(400)}" for _ in range(n))


def corpus_signatures() -> dict[str, object]:
    """Signatures of related and unrelated texts: the Herat corpus, its trims, and random word salads."""
    rng = random.Random(3)
    corpus = load_corpus()
    texts = {slug: t.body for slug, t in corpus.texts.items()}
    for slug, t in corpus.texts.items():
        paras = [p.text for p in t.paragraphs]
        texts[slug + "/trim"] = "\n\n".join(paras[: max(2, len(paras) // 3)])
    texts |= {f"salad{i}": words(rng, 200) for i in range(60)}
    return {k: minhash(features(v, CONFIG.shingle_size).shingles, CONFIG) for k, v in texts.items()}


def test_band_keys_give_exactly_minhash_lsh_candidates() -> None:
    signatures = corpus_signatures()
    lsh = MinHashLSH(threshold=CONFIG.lsh_threshold, num_perm=CONFIG.num_perm)
    keys: dict[str, set[int]] = {}
    for doc_id, sig in signatures.items():
        lsh.insert(doc_id, sig)
        keys[doc_id] = set(band_keys(sig, CONFIG))  # type: ignore[arg-type]
    pairs = 0
    for doc_id, sig in signatures.items():
        by_keys = {other for other, k in keys.items() if k & keys[doc_id]}
        assert by_keys == set(lsh.query(sig)), doc_id
        pairs += len(by_keys) - 1
    assert pairs > 40  # the corpus has candidates to agree on, not only singletons


def test_band_keys_are_stable_across_machines() -> None:
    """Pinned values: the stored index must mean the same on any machine and after any upgrade."""
    sig = minhash(features("one two three four five six seven eight nine ten", 5).shingles, CONFIG)
    keys = band_keys(sig, CONFIG)
    assert len(keys) == 28
    assert len(set(keys)) == 28
    assert all(-(2**63) <= k < 2**63 for k in keys)
    assert keys[:3] == [6474336240067887010, 3035533721517101909, 3544496204953900787]
    assert index_params(CONFIG) == "minhash-lsh num_perm=128 seed=1 bands=28x2"
    assert index_params(DedupeConfig(lsh_threshold=0.3)) != index_params(CONFIG)


def test_memory_index_updates_a_documents_cluster() -> None:
    index = MemoryIndex(CONFIG)
    sig = minhash(features("alpha beta gamma delta epsilon zeta eta theta", 5).shingles, CONFIG)
    index.add("d", sig, "c1", T0)
    index.add("d", sig, "c2", T0)
    assert len(index) == 1
    (candidate,) = index.query(sig)
    assert (candidate.doc_id, candidate.cluster_id, candidate.published) == ("d", "c2", T0)


# -- the window and publication time ---------------------------------------------------------------


def herat(slug: str) -> str:
    return load_corpus().texts[slug].body


@pytest.mark.parametrize(("days", "together"), [(6, True), (7, True), (8, False)])
def test_only_articles_within_the_window_are_compared(days: int, together: bool) -> None:
    docs = [
        Document("a", herat("ap-herat"), published=T0),
        Document("b", herat("ap-herat"), published=T0 + timedelta(days=days)),
    ]
    decisions = dedupe_documents(docs, CONFIG)
    assert (decisions[0].cluster_id == decisions[1].cluster_id) is together


def test_publication_time_is_evidence() -> None:
    full = features(herat("ap-herat"), 5)
    paras = [p.text for p in load_corpus().texts["ap-herat"].paragraphs]
    trim = features("\n\n".join(paras[:6]), 5)
    assert compare(trim, full, "x", CONFIG).rule == "containment"
    assert compare(trim, full, "x", CONFIG, hours_apart=47).rule == "containment"
    assert compare(trim, full, "x", CONFIG, hours_apart=49).rule == "published-apart"
    assert compare(full, full, "x", CONFIG, hours_apart=100).rule == "jaccard"  # verbatim stays a match


def test_undated_documents_are_always_in_the_window() -> None:
    clusterer = Clusterer(CONFIG, lambda ids: {}, lambda ids: {})
    old = Document("old", herat("afp-herat"), published=T0 - timedelta(days=30))
    sig = clusterer.signature(old)
    clusterer.record(clusterer.decide(old, sig), sig)
    undated = Document("undated", herat("afp-herat"))
    assert not clusterer.decide(undated, clusterer.signature(undated)).created
