"""Batch deduplication of a corpus in memory, with exactly the matcher the pipeline uses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from dedupe.canonical import choose_canonical
from dedupe.cluster import Clusterer
from dedupe.config import DedupeConfig
from dedupe.records import Decision, Document, Member

_LATEST = datetime.max


def arrival_order(docs: Iterable[Document]) -> list[Document]:
    """Publication order (undated last), input order among equals: the order the pipeline decides in."""
    indexed = list(enumerate(docs))
    indexed.sort(key=lambda pair: (pair[1].published is None, _naive(pair[1].published), pair[0]))
    return [doc for _, doc in indexed]


def _naive(when: datetime | None) -> datetime:
    if when is None:
        return _LATEST
    return when.replace(tzinfo=None) - (when.utcoffset() or (when - when))


def dedupe_documents(docs: Iterable[Document], config: DedupeConfig) -> list[Decision]:
    """Cluster ``docs``; returns one decision per document, in arrival order."""
    by_id: dict[str, Document] = {}
    members: dict[str, list[Member]] = {}
    reps: dict[str, tuple[str, str]] = {}

    def documents(ids: Sequence[str]) -> Mapping[str, Document]:
        return {i: by_id[i] for i in ids if i in by_id}

    def representatives(ids: Sequence[str]) -> Mapping[str, tuple[str, str]]:
        return {i: reps[i] for i in ids if i in reps}

    clusterer = Clusterer(config, documents, representatives)
    decisions = []
    for doc in arrival_order(docs):
        if doc.id in by_id:
            raise ValueError(f"dedupe: duplicate document id {doc.id!r}")
        by_id[doc.id] = doc
        signature = clusterer.signature(doc)
        decision = clusterer.decide(doc, signature)
        group = members.setdefault(decision.cluster_id, [])
        group.append(Member(doc.id, clusterer.features(doc).word_count, doc.published))
        canonical = choose_canonical(group, config.completeness_tolerance)
        founder = group[0].id
        reps[decision.cluster_id] = (founder, canonical.id)
        clusterer.record(decision, signature, founder, canonical.id)
        decisions.append(decision)
    return decisions
