"""The candidate index: MinHash LSH over the window of decided documents.

:class:`MemoryIndex` keeps datasketch's ``MinHashLSH`` in memory (batch mode, the evaluation). The pipeline
keeps the same bands in its store (``storage``), as 64-bit keys from :func:`band_keys`: two documents are
candidates exactly when ``MinHashLSH`` at the same threshold would return them, so both give the
matcher the same candidates, and the stored index survives restarts and serves several processes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Protocol

import numpy as np
from datasketch import LeanMinHash, MinHashLSH

from dedupe.config import DedupeConfig


@dataclass(frozen=True)
class Candidate:
    """An indexed document LSH proposes: its cluster, and its publication time for the window."""

    doc_id: str
    cluster_id: str
    published: datetime | None


class CandidateIndex(Protocol):
    """What the matcher needs of an index."""

    def query(self, signature: LeanMinHash) -> Sequence[Candidate]:
        """Documents sharing at least one band with ``signature``."""

    def add(self, doc_id: str, signature: LeanMinHash, cluster_id: str, published: datetime | None) -> None:
        """Index a decided document (a second call for the same id only updates its cluster)."""


@cache
def bands(threshold: float, num_perm: int) -> tuple[tuple[int, int], ...]:
    """The (start, end) ranges of the signature that make LSH bands: datasketch's own choice of b and r."""
    return tuple(MinHashLSH(threshold=threshold, num_perm=num_perm).hashranges)


def index_params(config: DedupeConfig) -> str:
    """What the stored index depends on: a different value means it must be rebuilt."""
    b = bands(config.lsh_threshold, config.num_perm)
    return f"minhash-lsh num_perm={config.num_perm} seed={config.seed} bands={len(b)}x{b[0][1] - b[0][0]}"


def band_keys(signature: LeanMinHash, config: DedupeConfig) -> list[int]:
    """One signed 64-bit key per band: the band's number and its hash values, hashed."""
    values = np.asarray(signature.hashvalues, dtype="<u4")
    keys = []
    for number, (start, end) in enumerate(bands(config.lsh_threshold, config.num_perm)):
        digest = hashlib.blake2b(number.to_bytes(2, "little") + values[start:end].tobytes(), digest_size=8)
        keys.append(int.from_bytes(digest.digest(), "little", signed=True))
    return keys


class MemoryIndex:
    """datasketch ``MinHashLSH`` in memory, with each document's cluster and publication time."""

    def __init__(self, config: DedupeConfig) -> None:
        self._lsh = MinHashLSH(threshold=config.lsh_threshold, num_perm=config.num_perm)
        self._docs: dict[str, Candidate] = {}

    def __len__(self) -> int:
        return len(self._docs)

    def query(self, signature: LeanMinHash) -> list[Candidate]:
        return [self._docs[k] for k in sorted(self._lsh.query(signature)) if k in self._docs]

    def add(self, doc_id: str, signature: LeanMinHash, cluster_id: str, published: datetime | None) -> None:
        if doc_id not in self._docs:
            self._lsh.insert(doc_id, signature)
        self._docs[doc_id] = Candidate(doc_id, cluster_id, published)
