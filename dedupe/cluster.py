"""The cluster decision: which cluster a new document joins, or that it founds a new one.

Candidates come from MinHash LSH over the window of indexed documents (:mod:`dedupe.index`): those published
within ``window_days`` of the new document, either side. A document joins a cluster only on
*direct* evidence with the cluster as a whole: it must match at least half of the members, and be related
to every one of them (no member that shares less than half of the shorter text, or reports another event).
Resembling one member is not enough: that is what keeps a blend, or a text that shares one passage with a
member, from chaining two different copies together, whatever order they arrive in. When several clusters
accept it, the cluster whose weakest link is strongest wins; ties go to the smaller cluster id, so decisions
do not depend on set iteration order.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from datasketch import LeanMinHash

from dedupe.canonical import naive_utc
from dedupe.config import DedupeConfig
from dedupe.index import Candidate, CandidateIndex, MemoryIndex
from dedupe.normalize import features, features_of, tokens
from dedupe.records import Decision, Document, Features, Match
from dedupe.signature import minhash, minhashes
from dedupe.verify import compare, passage

DocumentLookup = Callable[[Sequence[str]], Mapping[str, Document]]
MemberLookup = Callable[[Sequence[str]], Mapping[str, Sequence[str]]]  # cluster id -> member document ids


def cluster_id_for(founder_id: str) -> str:
    """A cluster's id, derived from its founding document so that a rerun recreates the same ids."""
    return "c" + hashlib.blake2b(founder_id.encode(), digest_size=8).hexdigest()


_Seen = tuple[Features, datetime | None]


class _Bounded(OrderedDict[str, _Seen]):
    """Features and publication times of recently seen documents, least recently used dropped first:
    memory stays bounded however long the run."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self._size = size

    def put(self, key: str, value: _Seen) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self._size:
            self.popitem(last=False)


class Clusterer:
    """The matcher. The index holds the decided documents of the window (:class:`MemoryIndex` unless the
    caller keeps it elsewhere); the caller asks :meth:`decide`, stores the decision, then reports it back
    with :meth:`record`. Texts and memberships it has not seen come from the ``documents`` and ``members``
    lookups.
    """

    def __init__(
        self,
        config: DedupeConfig,
        documents: DocumentLookup,
        members: MemberLookup,
        index: CandidateIndex | None = None,
        cache_size: int = 20_000,
    ) -> None:
        self._config = config
        self._documents = documents
        self._member_lookup = members
        self.index: CandidateIndex = index if index is not None else MemoryIndex(config)
        self._features = _Bounded(cache_size)
        self._members: dict[str, list[str]] = {}
        self._window = timedelta(days=config.window_days)

    def features(self, doc: Document) -> Features:
        cached = self._features.get(doc.id)
        if cached is None:
            cached = (features(doc.text, self._config.shingle_size), doc.published)
            self._features.put(doc.id, cached)
        return cached[0]

    def signature(self, doc: Document) -> LeanMinHash:
        return minhash(self.features(doc).shingles, self._config)

    def signatures(self, docs: Sequence[Document]) -> list[LeanMinHash]:
        """:meth:`signature` of many documents at once (the same values, several times faster:
        :func:`dedupe.signature.minhashes`), their features kept for :meth:`decide`."""
        words = [tokens(doc.text) for doc in docs]
        for doc, doc_words in zip(docs, words, strict=True):
            self._features.put(doc.id, (features_of(doc_words, self._config.shingle_size), doc.published))
        return minhashes(words, self._config)

    def record(self, decision: Decision, signature: LeanMinHash) -> None:
        """Index a decided (and stored) document as a member of its cluster."""
        seen = self._features.get(decision.doc_id)
        self.index.add(decision.doc_id, signature, decision.cluster_id, seen[1] if seen else None)
        if decision.created:
            self._members[decision.cluster_id] = [decision.doc_id]
        elif decision.doc_id not in self._members.setdefault(decision.cluster_id, []):
            self._members[decision.cluster_id].append(decision.doc_id)

    def forget_members(self) -> None:
        """Drop the cached member lists (another process may have changed the clusters)."""
        self._members.clear()

    def _seen(self, ids: Sequence[str]) -> dict[str, _Seen]:
        found = {i: f for i in ids if (f := self._features.get(i)) is not None}
        missing = [i for i in ids if i not in found]
        if missing:
            for doc_id, doc in self._documents(missing).items():
                found[doc_id] = (features(doc.text, self._config.shingle_size), doc.published)
                self._features.put(doc_id, found[doc_id])
        return found

    def _in_window(self, doc: Document, candidate: Candidate) -> bool:
        if doc.published is None or candidate.published is None:
            return True
        return abs(naive_utc(doc.published) - naive_utc(candidate.published)) <= self._window

    @staticmethod
    def _hours_apart(doc: Document, theirs: datetime | None) -> float | None:
        if doc.published is None or theirs is None:
            return None
        return abs((naive_utc(doc.published) - naive_utc(theirs)).total_seconds()) / 3600

    def decide(self, doc: Document, signature: LeanMinHash) -> Decision:
        """Decide where ``doc`` belongs. Does not change the index (see :meth:`record`)."""
        new = self.features(doc)
        found = [c for c in self.index.query(signature) if c.doc_id != doc.id and self._in_window(doc, c)]
        found.sort(key=lambda c: c.doc_id)
        clusters = sorted({c.cluster_id for c in found})
        if not clusters:
            return Decision(doc.id, cluster_id_for(doc.id), created=True)
        unknown = [c for c in clusters if c not in self._members]
        if unknown:
            self._members.update({c: list(ids) for c, ids in self._member_lookup(unknown).items()})
        member_ids = sorted({m for c in clusters for m in self._members.get(c, ())})
        seen = self._seen(member_ids)
        best: tuple[float, str, tuple[Match, ...]] | None = None
        for cluster_id in clusters:
            members = self._members.get(cluster_id) or []
            if not members or any(m not in seen for m in members):
                continue  # a cluster we cannot see whole is not joined on partial evidence
            evidence = [compare(new, seen[m][0], m, self._config, self._hours_apart(doc, seen[m][1])) for m in members]
            if not self._joins(evidence):
                continue
            weakest = min(m.score for m in evidence)
            if best is None or weakest > best[0]:
                ranked = sorted(evidence, key=lambda m: (-m.score, -m.jaccard, m.other_id))
                best = (weakest, cluster_id, tuple(ranked))
        chosen = best[1] if best else cluster_id_for(doc.id)
        links = self._story_links(new, found, chosen)
        if best is None:
            return Decision(doc.id, chosen, created=True, links=links)
        return Decision(doc.id, chosen, created=False, evidence=best[2], links=links)

    def _joins(self, evidence: list[Match]) -> bool:
        """Direct evidence with the cluster: a match with at least half of its members, and no member that is
        unrelated (sharing less than ``related_floor`` of the shorter text) or reports another event."""
        matched = sum(m.accepted for m in evidence)
        if matched == 0 or 2 * matched < len(evidence):
            return False
        return all(
            m.accepted or (m.rule == "below-threshold" and m.score >= self._config.related_floor) for m in evidence
        )

    def _story_links(self, new: Features, found: list[Candidate], own: str) -> tuple[tuple[str, Match], ...]:
        """For every other cluster among the candidates, the strongest passage shared with one of its members."""
        cluster_of = {c.doc_id: c.cluster_id for c in found if c.cluster_id != own}
        best: dict[str, Match] = {}
        for other_id, (other, _published) in sorted(self._seen(list(cluster_of)).items()):
            match = passage(new, other, other_id, self._config)
            cluster = cluster_of[other_id]
            if match.accepted and (cluster not in best or match.containment > best[cluster].containment):
                best[cluster] = match
        return tuple(sorted(best.items()))
