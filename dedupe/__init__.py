"""Near-duplicate clustering of wire copy: normalise, shingle, MinHash (datasketch), LSH candidates,
exact verification, a cluster decision without chaining, and the canonical choice.

This package never touches storage or Airflow: callers load the index window and persist decisions.
"""

from dedupe.batch import arrival_order, dedupe_documents
from dedupe.canonical import CLUSTER_POLICY, STORY_POLICY, choose_canonical, parse_policy
from dedupe.cluster import Clusterer, cluster_id_for
from dedupe.config import DedupeConfig
from dedupe.index import Candidate, CandidateIndex, MemoryIndex, band_keys, index_params
from dedupe.normalize import features, tokens
from dedupe.records import Canonical, Decision, Document, Features, Match, Member
from dedupe.signature import from_bytes, minhash, to_bytes
from dedupe.story import Stories, story_id_for
from dedupe.verify import compare, passage

__all__ = [
    "CLUSTER_POLICY",
    "STORY_POLICY",
    "Candidate",
    "CandidateIndex",
    "Canonical",
    "Clusterer",
    "Decision",
    "DedupeConfig",
    "Document",
    "Features",
    "Match",
    "Member",
    "MemoryIndex",
    "Stories",
    "arrival_order",
    "band_keys",
    "choose_canonical",
    "cluster_id_for",
    "compare",
    "dedupe_documents",
    "features",
    "from_bytes",
    "index_params",
    "minhash",
    "parse_policy",
    "passage",
    "story_id_for",
    "to_bytes",
    "tokens",
]
