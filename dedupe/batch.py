"""Batch deduplication of a corpus in memory, with exactly the matcher the pipeline uses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from dedupe.canonical import naive_utc
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
    return _LATEST if when is None else naive_utc(when)


def dedupe_documents(docs: Iterable[Document], config: DedupeConfig) -> list[Decision]:
    """Cluster ``docs``; returns one decision per document, in arrival order."""
    by_id: dict[str, Document] = {}
    members: dict[str, list[Member]] = {}

    def documents(ids: Sequence[str]) -> Mapping[str, Document]:
        return {i: by_id[i] for i in ids if i in by_id}

    def member_ids(ids: Sequence[str]) -> Mapping[str, Sequence[str]]:
        return {i: [m.id for m in members[i]] for i in ids if i in members}

    clusterer = Clusterer(config, documents, member_ids)
    decisions = []
    for doc in arrival_order(docs):
        if doc.id in by_id:
            raise ValueError(f"dedupe: duplicate document id {doc.id!r}")
        by_id[doc.id] = doc
        signature = clusterer.signature(doc)
        decision = clusterer.decide(doc, signature)
        members.setdefault(decision.cluster_id, []).append(
            Member(doc.id, clusterer.features(doc).word_count, doc.published)
        )
        clusterer.record(decision, signature)
        decisions.append(decision)
    return decisions
