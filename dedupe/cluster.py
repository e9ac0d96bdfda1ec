"""The cluster decision: which cluster a new document joins, or that it founds a new one.

Candidates come from MinHash LSH over the window of indexed documents. A document joins a cluster only on
*direct* evidence with the cluster's representatives (its founder and its current canonical), never because
it resembles some other member: that is what keeps a blend, or a text that shares one passage with a
member, from chaining two different copies together. When several clusters accept it, the best evidence
wins; ties go to the smaller cluster id, so decisions do not depend on set iteration order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence

from datasketch import LeanMinHash, MinHashLSH

from dedupe.config import DedupeConfig
from dedupe.normalize import features
from dedupe.records import Decision, Document, Features, Match
from dedupe.signature import minhash
from dedupe.verify import compare

DocumentLookup = Callable[[Sequence[str]], Mapping[str, Document]]
# cluster id -> (founder id, canonical id)
RepresentativeLookup = Callable[[Sequence[str]], Mapping[str, tuple[str, str]]]


def cluster_id_for(founder_id: str) -> str:
    """A cluster's id, derived from its founding document so that a rerun recreates the same ids."""
    return "c" + hashlib.blake2b(founder_id.encode(), digest_size=8).hexdigest()


class Clusterer:
    """The in-memory matcher over the index window. Persistence is the caller's: it loads the window with
    :meth:`index`, asks :meth:`decide`, stores the decision, then reports it back with :meth:`record`.
    """

    def __init__(self, config: DedupeConfig, documents: DocumentLookup, representatives: RepresentativeLookup) -> None:
        self._config = config
        self._documents = documents
        self._representatives = representatives
        self._lsh = MinHashLSH(threshold=config.lsh_threshold, num_perm=config.num_perm)
        self._cluster_of: dict[str, str] = {}
        self._features: dict[str, Features] = {}
        self._reps: dict[str, tuple[str, str]] = {}

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

    def record(self, decision: Decision, signature: LeanMinHash, founder_id: str, canonical_id: str) -> None:
        """Index a decided document and remember its cluster's current representatives."""
        self.index(decision.doc_id, signature, decision.cluster_id)
        self._reps[decision.cluster_id] = (founder_id, canonical_id)

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
        unknown = [c for c in clusters if c not in self._reps]
        if unknown:
            self._reps.update(self._representatives(unknown))
        rep_ids = sorted({r for c in clusters if c in self._reps for r in self._reps[c]})
        rep_features = self._features_by_id(rep_ids)
        best: tuple[float, str, tuple[Match, ...]] | None = None
        for cluster_id in clusters:
            reps = self._reps.get(cluster_id)
            if reps is None:
                continue
            evidence = tuple(
                compare(new, rep_features[r], r, self._config) for r in dict.fromkeys(reps) if r in rep_features
            )
            if not evidence or not all(m.accepted for m in evidence):
                continue
            score = min(m.score for m in evidence)
            if best is None or score > best[0]:
                best = (score, cluster_id, evidence)
        if best is None:
            return Decision(doc.id, cluster_id_for(doc.id), created=True)
        return Decision(doc.id, best[1], created=False, evidence=best[2])
