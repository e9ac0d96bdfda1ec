"""MinHash signatures (datasketch), and their storage form: little-endian uint32 bytes."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

import numpy as np
from datasketch import LeanMinHash, MinHash

from dedupe.config import DedupeConfig

SCHEME = "affine32"


@cache
def _permutations(num_perm: int, seed: int) -> Any:
    """datasketch draws the permutations from the seed on every MinHash; drawing them once is the same."""
    return MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations


def minhash(shingles: Iterable[bytes], config: DedupeConfig) -> LeanMinHash:
    """The MinHash of a shingle set, frozen. Identical input gives identical values on any machine."""
    mh = MinHash(
        num_perm=config.num_perm,
        seed=config.seed,
        scheme=SCHEME,
        permutations=_permutations(config.num_perm, config.seed),
    )
    mh.update_batch(list(shingles))
    return LeanMinHash(mh)


def to_bytes(signature: LeanMinHash) -> bytes:
    return np.asarray(signature.hashvalues, dtype="<u4").tobytes()


def from_bytes(data: bytes, config: DedupeConfig) -> LeanMinHash:
    values = np.frombuffer(data, dtype="<u4").astype(np.uint32)
    if len(values) != config.num_perm:
        raise ValueError(f"signature has {len(values)} values, the config expects {config.num_perm}")
    return LeanMinHash(seed=config.seed, hashvalues=values, scheme=SCHEME)
