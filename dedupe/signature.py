"""MinHash signatures, computed vectorised, and their storage form: little-endian uint32 bytes.

A signature is datasketch's MinHash, scheme ``affine32``, with datasketch's own permutations for
``(num_perm, seed)``, over a 32-bit hash of each shingle that numpy computes for every shingle of a text at
once (datasketch calls SHA-1 once per shingle, which is most of its cost). Exactly, for a shingle ``s`` of
bytes ``s_0 .. s_{L-1}``::

    shingle_hash(s) = (sum_j (s_j + 1) * P**(L - j)  mod 2**64) >> 32        P = 0x9E3779B97F4A7C15
                    (Horner: h = (h + s_j + 1) * P mod 2**64, byte by byte; the top 32 bits)
    value_k         = min over the shingles s of (a_k * fmix32(shingle_hash(s)) + b_k) mod 2**32

where ``(a_k, b_k)`` are datasketch's affine32 permutations and ``fmix32`` MurmurHash3's finaliser, the
pre-mix datasketch applies to its input hash. A signature is therefore value for value
``MinHash(num_perm, seed, scheme="affine32", hashfunc=shingle_hash)`` fed the same shingles: a real
datasketch sketch (its LSH classes, ``jaccard``, ``merge``, ``count`` all hold), only the input hash differs.
:data:`SIGNATURE_SCHEME` names this definition; the store records it, and signatures stored under another
(:func:`signature_params`) are recomputed from the article bodies.

Why the polynomial: a shingle is a run of consecutive bytes of its text (``w1 w2 w3 w4 w5``), so with prefix
sums ``C[i] = sum_{j<i} (x_j + 1) * P**-j`` over the text's bytes (an odd P is invertible mod 2**64), the hash
of the bytes ``[s, e)`` is ``(C[e] - C[s]) * P**e``: two gathers and a multiply per shingle, whatever its
length, in whole-array numpy operations. The top 32 bits are taken because they depend on every byte (carries
run upwards); datasketch's fmix32 then mixes them. It is not a cryptographic hash: strings built to collide
could share a value, which costs one extra LSH candidate, as exact verification decides every match.

Only integer arithmetic (uint8 in, uint64 and uint32 wrapping), and bytes stored little-endian: the values
do not depend on the machine, numpy's version or Python's hash seed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from functools import cache

import numpy as np
import numpy.typing as npt
from datasketch import LeanMinHash, MinHash

from dedupe.config import DedupeConfig
from dedupe.normalize import shingles as word_shingles

SCHEME = "affine32"  # datasketch's permutation scheme
SHINGLE_HASH = "poly64"  # the shingle hash above
SIGNATURE_SCHEME = f"minhash-{SCHEME} hash={SHINGLE_HASH}"

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
Index = npt.NDArray[np.intp]

_P = 0x9E3779B97F4A7C15
_P_INV = pow(_P, -1, 1 << 64)
_MASK64 = (1 << 64) - 1
_SHIFT32 = np.uint64(32)
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))
_MAX32 = np.uint32(0xFFFFFFFF)

# The byte-offset tables are kept for texts up to this many bytes (24 bytes of tables per byte of text);
# a longer text gets tables of its own, dropped with it.
_KEPT_TABLE = 1 << 21
# A num_perm x n block of permuted values is at most this many bytes (longer documents are cut).
_BLOCK_BYTES = 1 << 22
# Batches are cut into chunks of about this many words. A chunk of at least _PER_PERMUTATION shingles takes
# its minima one permutation at a time over all its documents (3 * num_perm numpy calls on flat arrays, the
# fastest numpy has once enough shingles share them); a smaller one, one matrix per document.
_CHUNK_WORDS = 1 << 16
_PER_PERMUTATION = 1 << 14


def signature_params(config: DedupeConfig) -> str:
    """What stored signatures depend on: a different value means they must be recomputed."""
    return f"{SIGNATURE_SCHEME} num_perm={config.num_perm} seed={config.seed} shingle={config.shingle_size}"


def shingle_hash(data: bytes) -> int:
    """The 32-bit hash of one shingle (the definition above, one byte at a time: the reference the
    vectorised paths are tested against, and a ``hashfunc`` for datasketch)."""
    h = 0
    for byte in data:
        h = ((h + byte + 1) * _P) & _MASK64
    return h >> 32


def minhash(shingles: Iterable[bytes], config: DedupeConfig) -> LeanMinHash:
    """The MinHash of a shingle set, frozen. Identical input gives identical values on any machine.
    (From words, :func:`minhash_words` and :func:`minhashes` give the same signatures faster.)"""
    items = list(shingles)
    if not items:
        return _empty(config)
    text = b"\n".join(items)
    bounds = _bounds(text, ord("\n"), len(items))
    if bounds is not None:
        values = _premixed(text, bounds[:-1] + 1, bounds[1:])
    else:  # a shingle holding a newline (never one of ours): one at a time
        values = np.concatenate([_premixed(i, np.zeros(1, np.intp), np.full(1, len(i), np.intp)) for i in items])
    return _lean(_minima(values, *_permutations(config.num_perm, config.seed)), config)


def minhash_words(words: Sequence[str], config: DedupeConfig) -> LeanMinHash:
    """The MinHash of the ``config.shingle_size``-word shingles of ``words`` (the tokens of
    :func:`dedupe.normalize.tokens`): the signature ``minhash(shingles(words, size), config)`` gives, without
    building the shingles."""
    if not words:
        return _empty(config)
    size = config.shingle_size
    text = " ".join(words).encode()
    bounds = _bounds(text, ord(" "), len(words))
    if bounds is None:  # a word holding a space: from the shingles themselves
        return minhash(word_shingles(list(words), size), config)
    if len(words) > size:
        values = _premixed(text, bounds[: len(words) - size + 1] + 1, bounds[size:])
    else:
        values = _premixed(text, bounds[:1] + 1, bounds[-1:])
    return _lean(_minima(values, *_permutations(config.num_perm, config.seed)), config)


def minhashes(documents: Iterable[Sequence[str]], config: DedupeConfig) -> list[LeanMinHash]:
    """:func:`minhash_words` of many documents at once, in order (``MinHash.bulk`` for token lists): the
    numpy calls are shared by every document of a chunk, which makes this the fastest path."""
    docs = list(documents)
    out: list[LeanMinHash] = []
    start = 0
    while start < len(docs):
        end, words = start + 1, len(docs[start])
        while end < len(docs) and words + len(docs[end]) <= _CHUNK_WORDS:
            words += len(docs[end])
            end += 1
        out.extend(_chunk(docs[start:end], config))
        start = end
    return out


def to_bytes(signature: LeanMinHash) -> bytes:
    return np.asarray(signature.hashvalues, dtype="<u4").tobytes()


def from_bytes(data: bytes, config: DedupeConfig) -> LeanMinHash:
    values = np.frombuffer(data, dtype="<u4").astype(np.uint32)
    if len(values) != config.num_perm:
        raise ValueError(f"signature has {len(values)} values, the config expects {config.num_perm}")
    return LeanMinHash(seed=config.seed, hashvalues=values, scheme=SCHEME)


# -- the vectorised computation --------------------------------------------------------------------


@cache
def _permutations(num_perm: int, seed: int) -> tuple[U32, U32]:
    """datasketch's affine32 permutations for ``(num_perm, seed)``, as columns (a, b) of shape (num_perm, 1)."""
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
    return (
        np.ascontiguousarray(a, dtype=np.uint32).reshape(-1, 1),
        np.ascontiguousarray(b, dtype=np.uint32).reshape(-1, 1),
    )


class _Tables:
    """Tables by byte offset i: P**i and P**-i mod 2**64, and ``sum_{m=1..i} P**m`` (the share of the bytes'
    ``+ 1`` in the hash of an i-byte shingle). Kept, and grown, up to ``_KEPT_TABLE`` entries."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept = self._build(1 << 16)

    @staticmethod
    def _build(n: int) -> tuple[U64, U64, U64]:
        def powers(base: int) -> U64:
            steps = np.full(n, base, dtype=np.uint64)
            steps[0] = 1
            return np.cumprod(steps, dtype=np.uint64)  # wraps modulo 2**64, exactly

        forward = powers(_P)
        ones = np.zeros(n, dtype=np.uint64)
        np.cumsum(forward[1:], out=ones[1:])
        return forward, powers(_P_INV), ones

    def get(self, n: int) -> tuple[U64, U64, U64]:
        """Tables of at least ``n`` entries."""
        if n > _KEPT_TABLE:
            return self._build(n)
        kept = self._kept
        if len(kept[0]) < n:
            with self._lock:
                if len(self._kept[0]) < n:
                    self._kept = self._build(min(_KEPT_TABLE, max(n, 2 * len(self._kept[0]))))
                kept = self._kept
        return kept


_TABLES = _Tables()


def _bounds(text: bytes, separator: int, parts: int) -> Index | None:
    """Where the ``parts`` separated parts of ``text`` lie: part t is ``text[bounds[t] + 1 : bounds[t + 1]]``;
    None when the separator occurs other than between parts (a part holding it)."""
    found = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == separator)
    if len(found) != parts - 1:
        return None
    bounds = np.empty(parts + 1, dtype=np.intp)
    bounds[0] = -1
    bounds[1:-1] = found
    bounds[-1] = len(text)
    return bounds


def _premixed(text: bytes, starts: Index, ends: Index) -> U32:
    """``fmix32(shingle_hash(text[s:e]))`` for every (s, e): the values the permutations apply to."""
    x = np.frombuffer(text, dtype=np.uint8)
    forward, inverse, ones = _TABLES.get(len(x) + 1)
    # prefix[i] = sum_{j<i} x_j * P**-j; the bytes' "+ 1" is added per shingle, by its length, from `ones`
    prefix = np.empty(len(x) + 1, dtype=np.uint64)
    prefix[0] = 0
    prefix[1:] = x
    prefix[1:] *= inverse[: len(x)]
    np.cumsum(prefix, out=prefix)
    h64 = prefix[ends]
    h64 -= prefix[starts]
    h64 *= forward[ends]
    h64 += ones[ends - starts]
    h = (h64 >> _SHIFT32).astype(np.uint32)
    s1, m1, s2, m2 = _FMIX32
    h ^= h >> s1
    h *= m1
    h ^= h >> s2
    h *= m2
    h ^= h >> s1
    return h


def _minima(values: U32, a: U32, b: U32) -> U32:
    """``min over values of (a_k * v + b_k) mod 2**32`` for every k: one document's hash values."""
    step = max(1, _BLOCK_BYTES // (4 * len(a)))
    out: U32 | None = None
    for start in range(0, len(values), step):
        part = values[start : start + step]
        block = np.empty((len(a), len(part)), dtype=np.uint32)
        np.copyto(block, part)  # in-place products against a column run faster than a fresh broadcast
        block *= a
        block += b
        minima = block.min(axis=1)
        out = minima if out is None else np.minimum(out, minima)
    return np.full(len(a), _MAX32, dtype=np.uint32) if out is None else out


def _minima_per_permutation(values: U32, offsets: Index, a: U32, b: U32) -> U32:
    """:func:`_minima` of each run ``values[offsets[d]:offsets[d + 1]]`` (all non-empty), one permutation at
    a time over every run: shape (runs, num_perm)."""
    out = np.empty((len(a), len(offsets)), dtype=np.uint32)
    scratch = np.empty_like(values)
    for k in range(len(a)):
        np.multiply(values, a[k, 0], out=scratch)
        scratch += b[k, 0]
        np.minimum.reduceat(scratch, offsets, out=out[k])
    return np.ascontiguousarray(out.T)


def _chunk(docs: Sequence[Sequence[str]], config: DedupeConfig) -> list[LeanMinHash]:
    size = config.shingle_size
    counts = np.fromiter(map(len, docs), dtype=np.intp, count=len(docs))
    total = int(counts.sum())
    if total == 0:
        return [_empty(config) for _ in docs]
    text = " ".join(map(" ".join, filter(None, docs))).encode()  # every word of the chunk, in order
    bounds = _bounds(text, ord(" "), total)
    if bounds is None:  # a word holding a space: from the shingles themselves, one document at a time
        return [minhash(word_shingles(list(words), size), config) for words in docs]
    # A shingle starts at every word of a document but its last size - 1 and spans `size` words; a document of
    # fewer words is one shingle of them all.
    doc_end = np.cumsum(counts)
    long = counts >= size
    per_doc = np.where(long, counts - size + 1, np.minimum(counts, 1))
    offsets = np.cumsum(per_doc) - per_doc
    opens = np.ones(total, dtype=bool)
    opens[(doc_end[long, np.newaxis] - np.arange(1, size)).ravel()] = False
    short = np.flatnonzero(~long & (counts > 0))
    for d in short:
        opens[doc_end[d] - counts[d] + 1 : doc_end[d]] = False
    first = np.flatnonzero(opens)
    last = first + size
    last[offsets[short]] = doc_end[short]
    values = _premixed(text, bounds[first] + 1, bounds[last])

    a, b = _permutations(config.num_perm, config.seed)
    present = np.flatnonzero(per_doc)
    if len(values) >= _PER_PERMUTATION:
        rows = list(_minima_per_permutation(values, offsets[present], a, b))
    else:
        rows = [_minima(values[offsets[d] : offsets[d] + per_doc[d]], a, b) for d in present]
    found = dict(zip(present.tolist(), rows, strict=True))
    return [_lean(found[d], config) if d in found else _empty(config) for d in range(len(docs))]


def _lean(values: U32, config: DedupeConfig) -> LeanMinHash:
    """A LeanMinHash of uint32 values: its three documented attributes set directly, as datasketch's own
    ``LeanMinHash.copy`` does, without the constructor's range checks (about 3 us, a tenth of the rest of a
    signature in a batch). The tests hold it equal to the constructor's."""
    signature: LeanMinHash = object.__new__(LeanMinHash)
    signature.seed = config.seed
    signature.scheme = SCHEME
    signature.hashvalues = values
    return signature


def _empty(config: DedupeConfig) -> LeanMinHash:
    return _lean(np.full(config.num_perm, _MAX32, dtype=np.uint32), config)
