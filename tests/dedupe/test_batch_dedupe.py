"""dedupe.batch: the Herat corpus clustered in memory must give exactly the manifest's clusters and
canonicals; arrival order; input errors."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from dedupe import (
    Decision,
    DedupeConfig,
    Document,
    Member,
    arrival_order,
    choose_canonical,
    cluster_id_for,
    dedupe_documents,
    features,
)
from wiredesk.corpus import Page, load_corpus

CONFIG = DedupeConfig()


def herat_documents() -> list[Document]:
    corpus = load_corpus()
    return [
        Document(id=page.path, text="\n\n".join(p.text for p in corpus.body_of(page)), published=page.published)
        for page in corpus.pages
    ]


def partition(pairs: Iterable[tuple[str, str]]) -> set[frozenset[str]]:
    """{member, ...} groups from (member, group key) pairs: compares clusterings regardless of their ids."""
    groups: dict[str, set[str]] = defaultdict(set)
    for member, key in pairs:
        groups[key].add(member)
    return {frozenset(g) for g in groups.values()}


def page_by_variant(variant: str) -> list[Page]:
    return [p for p in load_corpus().pages if p.variant == variant]


@pytest.fixture(scope="module")
def herat_decisions() -> dict[str, Decision]:
    return {d.doc_id: d for d in dedupe_documents(herat_documents(), CONFIG)}


def test_herat_clusters_match_the_manifest(herat_decisions: dict[str, Decision]) -> None:
    pages = load_corpus().pages
    assert set(herat_decisions) == {p.path for p in pages}
    expected = partition((p.path, p.cluster) for p in pages)
    got = partition((doc_id, d.cluster_id) for doc_id, d in herat_decisions.items())
    assert got == expected


def test_herat_clusters_are_founded_by_their_earliest_page(herat_decisions: dict[str, Decision]) -> None:
    by_cluster: dict[str, list[Page]] = defaultdict(list)
    for page in load_corpus().pages:
        by_cluster[page.cluster].append(page)
    for pages in by_cluster.values():
        founder = min(pages, key=lambda p: p.published)
        assert herat_decisions[founder.path].created
        assert {herat_decisions[p.path].cluster_id for p in pages} == {cluster_id_for(founder.path)}


def test_herat_evidence(herat_decisions: dict[str, Decision]) -> None:
    (trim,) = page_by_variant("trim")
    (writethru,) = page_by_variant("writethru")
    assert herat_decisions[trim.path].rule == "containment"
    assert herat_decisions[writethru.path].rule in ("jaccard", "containment")
    for page in page_by_variant("republish"):
        decision = herat_decisions[page.path]
        assert decision.created or decision.rule == "jaccard"
        assert all(m.accepted for m in decision.evidence)


def test_seed_blend_stays_alone(herat_decisions: dict[str, Decision]) -> None:
    (blend,) = page_by_variant("blend")
    assert blend.outlet == "crossroads"
    decision = herat_decisions[blend.path]
    assert decision.created
    assert [d for d in herat_decisions.values() if d.cluster_id == decision.cluster_id] == [decision]


def test_ghazni_near_miss_stays_apart(herat_decisions: dict[str, Decision]) -> None:
    (nearmiss,) = page_by_variant("nearmiss")
    cluster_id = herat_decisions[nearmiss.path].cluster_id
    assert [d.doc_id for d in herat_decisions.values() if d.cluster_id == cluster_id] == [nearmiss.path]


def test_templated_items_stay_apart(herat_decisions: dict[str, Decision]) -> None:
    templated = page_by_variant("templated")
    assert len(templated) == 2
    monday, tuesday = (herat_decisions[p.path] for p in templated)
    assert monday.created
    assert tuesday.created
    assert monday.cluster_id != tuesday.cluster_id


def test_herat_canonicals_recomputed_with_the_policy(herat_decisions: dict[str, Decision]) -> None:
    docs = {d.id: d for d in herat_documents()}
    members: dict[str, list[Member]] = defaultdict(list)
    for doc in arrival_order(docs.values()):
        word_count = features(doc.text, CONFIG.shingle_size).word_count
        members[herat_decisions[doc.id].cluster_id].append(Member(doc.id, word_count, doc.published))
    expected = {p.path for p in load_corpus().pages if p.canonical}
    got = {choose_canonical(group, CONFIG.completeness_tolerance).id for group in members.values()}
    assert got == expected


def test_herat_result_does_not_depend_on_input_order(herat_decisions: dict[str, Decision]) -> None:
    docs = herat_documents()
    assert {d.doc_id: d for d in dedupe_documents(reversed(docs), CONFIG)} == herat_decisions


def test_decisions_come_in_arrival_order() -> None:
    docs = herat_documents()
    decisions = dedupe_documents(docs, CONFIG)
    assert [d.doc_id for d in decisions] == [d.id for d in arrival_order(docs)]


def test_duplicate_ids_are_refused() -> None:
    docs = [Document("same", "First text of the day."), Document("same", "Another text entirely.")]
    with pytest.raises(ValueError, match="duplicate document id 'same'"):
        dedupe_documents(docs, CONFIG)


def test_no_documents_no_decisions() -> None:
    assert dedupe_documents([], CONFIG) == []


def test_accepts_any_iterable() -> None:
    docs = herat_documents()[:3]
    assert dedupe_documents(iter(docs), CONFIG) == dedupe_documents(docs, CONFIG)


T0 = datetime(2021, 8, 12, 8, 0, tzinfo=UTC)


def test_arrival_order_is_publication_order_with_undated_last() -> None:
    docs = [
        Document("undated-1", "x"),
        Document("late", "x", published=T0 + timedelta(hours=2)),
        Document("early", "x", published=T0),
        Document("undated-2", "x"),
        Document("tie-1", "x", published=T0 + timedelta(hours=1)),
        Document("tie-2", "x", published=T0 + timedelta(hours=1)),
    ]
    assert [d.id for d in arrival_order(docs)] == ["early", "tie-1", "tie-2", "late", "undated-1", "undated-2"]


def test_arrival_order_compares_instants() -> None:
    kabul = timezone(timedelta(hours=4, minutes=30))
    docs = [
        Document("utc-0800", "x", published=T0),
        Document("kabul-1200", "x", published=datetime(2021, 8, 12, 12, 0, tzinfo=kabul)),  # 07:30 UTC
        Document("naive-0745", "x", published=datetime(2021, 8, 12, 7, 45)),  # naive is taken as UTC
    ]
    assert [d.id for d in arrival_order(docs)] == ["kabul-1200", "naive-0745", "utc-0800"]


def test_arrival_order_keeps_input_order_among_equals() -> None:
    docs = [Document(str(i), "x", published=T0) for i in (3, 1, 2)]
    assert [d.id for d in arrival_order(docs)] == ["3", "1", "2"]
