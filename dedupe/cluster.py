"""The cluster decision: which cluster a new document joins, or that it founds a new one.

Candidates come from MinHash LSH over the window of indexed documents. A document joins a cluster only on
*direct* evidence with the cluster as a whole: it must match at least half of the members, and be related
to every one of them (no member that shares less than half of the shorter text, or reports another event).
Resembling one member is not enough: that is what keeps a blend, or a text that shares one passage with a
member, from chaining two different copies together, whatever order they arrive in. When several clusters
accept it, the cluster whose weakest link is strongest wins; ties go to the smaller cluster id, so decisions
do not depend on set iteration order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence

from datasketch import LeanMinHash, MinHashLSH

from dedupe.config import DedupeConfig
from dedupe.normalize import features
from dedupe.records import Decision, Document, Features, Match
from dedupe.signature import minhash
from dedupe.verify import compare, passage

DocumentLookup = Callable[[Sequence[str]], Mapping[str, Document]]
MemberLookup = Callable[[Sequence[str]], Mapping[str, Sequence[str]]]  # cluster id -> member document ids


def cluster_id_for(founder_id: str) -> str:
    """A cluster's id, derived from its founding document so that a rerun recreates the same ids."""
    return "c" + hashlib.blake2b(founder_id.encode(), digest_size=8).hexdigest()


class Clusterer:
    """The in-memory matcher over the index window. Persistence is the caller's: it loads the window with
    :meth:`index`, asks :meth:`decide`, stores the decision, then reports it back with :meth:`record`.
    Texts and memberships outside what it has seen come from the ``documents`` and ``members`` lookups.
    """

    def __init__(self, config: DedupeConfig, documents: DocumentLookup, members: MemberLookup) -> None:
        self._config = config
        self._documents = documents
        self._member_lookup = members
        self._lsh = MinHashLSH(threshold=config.lsh_threshold, num_perm=config.num_perm)
        self._cluster_of: dict[str, str] = {}
        self._features: dict[str, Features] = {}
        self._members: dict[str, list[str]] = {}

    def __len__(self) -> int:
        return len(self._cluster_of)

    def features(self, doc: Document) -> Features:
        cached = self._features.get(doc.id)
        if cached is None:
            cached = self._features[doc.id] = features(doc.text, self._config.shingle_size)
        return cached

    def signature(self, doc: Document) -> LeanMinHash:
        return minhash(self.features(doc).shingles, self._config)

    def index(self, doc_id: str, signature: LeanMinHash, cluster_id: str) -> None:
        """Put a decided document into the index (loading the window, or after a decision)."""
        if doc_id not in self._cluster_of:
            self._lsh.insert(doc_id, signature)
        self._cluster_of[doc_id] = cluster_id

    def record(self, decision: Decision, signature: LeanMinHash) -> None:
        """Index a decided (and stored) document as a member of its cluster."""
        self.index(decision.doc_id, signature, decision.cluster_id)
        if decision.created:
            self._members[decision.cluster_id] = [decision.doc_id]
        elif decision.doc_id not in self._members.setdefault(decision.cluster_id, []):
            self._members[decision.cluster_id].append(decision.doc_id)

    def _features_by_id(self, ids: Sequence[str]) -> dict[str, Features]:
        missing = [i for i in ids if i not in self._features]
        if missing:
            for doc_id, doc in self._documents(missing).items():
                self._features[doc_id] = features(doc.text, self._config.shingle_size)
        return {i: self._features[i] for i in ids if i in self._features}

    def decide(self, doc: Document, signature: LeanMinHash) -> Decision:
        """Decide where ``doc`` belongs. Does not change the index (see :meth:`record`)."""
        new = self.features(doc)
        candidates = sorted(c for c in self._lsh.query(signature) if c != doc.id and c in self._cluster_of)
        clusters = sorted({self._cluster_of[c] for c in candidates})
        if not clusters:
            return Decision(doc.id, cluster_id_for(doc.id), created=True)
        unknown = [c for c in clusters if c not in self._members]
        if unknown:
            self._members.update({c: list(ids) for c, ids in self._member_lookup(unknown).items()})
        member_ids = sorted({m for c in clusters for m in self._members.get(c, ())})
        member_features = self._features_by_id(member_ids)
        best: tuple[float, str, tuple[Match, ...]] | None = None
        for cluster_id in clusters:
            members = self._members.get(cluster_id) or []
            if not members or any(m not in member_features for m in members):
                continue  # a cluster we cannot see whole is not joined on partial evidence
            evidence = [compare(new, member_features[m], m, self._config) for m in members]
            if not self._joins(evidence):
                continue
            weakest = min(m.score for m in evidence)
            if best is None or weakest > best[0]:
                ranked = sorted(evidence, key=lambda m: (-m.score, -m.jaccard, m.other_id))
                best = (weakest, cluster_id, tuple(ranked))
        chosen = best[1] if best else cluster_id_for(doc.id)
        links = self._story_links(new, candidates, chosen)
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

    def _story_links(self, new: Features, candidates: list[str], own: str) -> tuple[tuple[str, Match], ...]:
        """For every other cluster among the candidates, the strongest passage shared with one of its members."""
        others = [c for c in candidates if self._cluster_of[c] != own]
        best: dict[str, Match] = {}
        for other_id, other in self._features_by_id(others).items():
            match = passage(new, other, other_id, self._config)
            cluster = self._cluster_of[other_id]
            if match.accepted and (cluster not in best or match.containment > best[cluster].containment):
                best[cluster] = match
        return tuple(sorted(best.items()))
