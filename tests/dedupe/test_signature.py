"""dedupe.signature: MinHash signatures (datasketch's affine32 MinHash over a vectorised shingle hash) and their
storage form (little-endian uint32 bytes)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import random
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH, MinHashLSHForest
from hypothesis import given, settings
from hypothesis import strategies as st

import dedupe.signature as signature_module
from dedupe import DedupeConfig, features, from_bytes, minhash, to_bytes, tokens
from dedupe.normalize import shingles
from dedupe.signature import (
    SIGNATURE_SCHEME,
    minhash_words,
    minhashes,
    shingle_hash,
    signature_params,
)
from wiredesk.corpus import load_corpus

CONFIG = DedupeConfig()
ROOT = Path(__file__).resolve().parents[2]
SENTENCE = (
    "The Taliban seized Herat, Afghanistan’s third-largest city, on Thursday after pushing into its center "
    "from three directions."
)


def shingles_of(text: str) -> frozenset[bytes]:
    return features(text, CONFIG.shingle_size).shingles


def datasketch_reference(items: list[bytes], config: DedupeConfig = CONFIG) -> np.ndarray:
    """What the signature is defined as: datasketch's own MinHash, fed the shingles, with shingle_hash."""
    reference = MinHash(num_perm=config.num_perm, seed=config.seed, scheme="affine32", hashfunc=shingle_hash)
    reference.update_batch(items)
    return np.asarray(reference.hashvalues)


@cache
def word_pool() -> tuple[str, ...]:
    return tuple(w for text in load_corpus().texts.values() for w in text.body.split())


def article(seed: int, words: int = 700) -> str:
    """A ~700-word article of wire vocabulary, reproducible from its seed."""
    rng = random.Random(seed)
    return " ".join(rng.choices(word_pool(), k=words))


# -- the definition, pinned ------------------------------------------------------------------------


def test_shingle_hash_is_the_documented_polynomial() -> None:
    p = 0x9E3779B97F4A7C15
    assert shingle_hash(b"") == 0
    assert shingle_hash(b"a") == ((ord("a") + 1) * p % 2**64) >> 32 == 2436667650
    assert shingle_hash(b"ab") == (((ord("a") + 1) * p * p + (ord("b") + 1) * p) % 2**64) >> 32
    assert shingle_hash(b"the taliban seized herat afghanistan") == 3614512596
    assert shingle_hash("kabul’s café 1.5".encode()) == 1942132714
    assert shingle_hash(b"\x00a") != shingle_hash(b"a")  # every byte counts, a leading NUL too


def test_signature_is_pinned() -> None:
    """Stored signatures must stay comparable across releases and machines: the values are pinned, so a change
    of the shingle hash, of datasketch's permutations or of the seed default shows up here, not as silent
    misses. (A deliberate change bumps SIGNATURE_SCHEME, and the store recomputes its signatures.)"""
    data = to_bytes(minhash(shingles_of(SENTENCE), CONFIG))
    assert data[:16].hex() == "825ef40eb7f2ad01e95f521e424b9812"
    assert hashlib.sha256(data).hexdigest() == "295b2f11865d02c392ceb284b993148d0fef2249840cc7ed3e93320276d6c600"
    assert SIGNATURE_SCHEME == "minhash-affine32 hash=poly64"


def test_batch_signatures_are_pinned() -> None:
    """The batch path (one numpy pass per permutation over many articles) is pinned too."""
    docs = [tokens(article(seed)) for seed in range(30)]
    digest = hashlib.sha256(b"".join(to_bytes(s) for s in minhashes(docs, CONFIG)))
    assert sum(map(len, docs)) > 16_384  # enough shingles for minima permutation by permutation
    assert digest.hexdigest() == "aabe937ac825bf3f1cd674c7b2a7893d4452bfd7f173661c7342ef67b45a42f2"


@pytest.mark.parametrize("slug", ["ap-herat", "afp-herat", "seed", "ghazni-nearmiss", "templated-markets-monday"])
def test_signature_is_datasketch_minhash_with_the_shingle_hash(slug: str) -> None:
    items = sorted(shingles_of(load_corpus().texts[slug].body))
    assert np.array_equal(minhash(items, CONFIG).hashvalues, datasketch_reference(items))


def test_other_seed_and_num_perm_are_datasketch_too() -> None:
    items = sorted(shingles_of(load_corpus().texts["ap-herat"].body))
    for config in (dataclasses.replace(CONFIG, seed=7), dataclasses.replace(CONFIG, num_perm=64)):
        assert np.array_equal(minhash(items, config).hashvalues, datasketch_reference(items, config))


# -- every path gives the same signature -----------------------------------------------------------


def test_words_path_equals_shingles_path() -> None:
    for text in (SENTENCE, load_corpus().texts["ap-herat"].body, "one", "one two three four", "a b c d e"):
        words = tokens(text)
        expected = minhash(shingles(words, CONFIG.shingle_size), CONFIG)
        assert minhash_words(words, CONFIG) == expected
        assert minhashes([words], CONFIG) == [expected]


def test_batch_equals_one_at_a_time_across_chunks() -> None:
    """A batch large enough for several chunks, each taking minima permutation by permutation, with empty and
    short texts among the long ones, gives each text the signature it gets alone."""
    docs = [tokens(article(seed, words=450 + 37 * (seed % 9))) for seed in range(260)]
    docs[3] = []
    docs[50] = ["lone"]
    docs[51] = ["two", "words"]
    docs[52] = ["exactly", "five", "words", "in", "it"]
    docs[53] = ["six", "words", "make", "two", "shingles", "here"]
    assert sum(map(len, docs)) > 2 * 65536  # more than two chunks
    batch = minhashes(docs, CONFIG)
    assert len(batch) == len(docs)
    for words, signature in zip(docs, batch, strict=True):
        assert signature == minhash(shingles(words, CONFIG.shingle_size), CONFIG)


def test_long_texts_get_tables_of_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """A text longer than the kept byte-offset tables (a hostile page, a whole book) is hashed with tables of
    its own, dropped afterwards: same signatures, and the kept tables do not grow to its size."""
    words = tokens(article(7, words=3000))
    long_doc = tokens(article(8, words=70_000))  # alone in its chunk, over the chunk's word budget
    expected = [minhash(shingles(w, CONFIG.shingle_size), CONFIG) for w in (words, long_doc)]
    monkeypatch.setattr(signature_module, "_KEPT_TABLE", 4096)
    kept = len(signature_module._TABLES.get(1)[0])
    assert minhash_words(words, CONFIG) == expected[0]
    assert minhashes([words, long_doc, words], CONFIG) == [expected[0], expected[1], expected[0]]
    assert len(signature_module._TABLES.get(1)[0]) == kept


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.text(min_size=0, max_size=8), max_size=14), max_size=6))
def test_any_words_give_the_signature_of_their_shingles(docs: list[list[str]]) -> None:
    """Words holding spaces, newlines or nothing at all, any Unicode: the fast paths never disagree with the
    shingles they stand for (they fall back to them when a word holds a space)."""
    try:
        expected = [minhash(shingles(words, CONFIG.shingle_size), CONFIG) for words in docs]
    except UnicodeEncodeError:  # a lone surrogate: no shingle bytes at all, and no signature
        return
    assert minhashes(docs, CONFIG) == expected
    assert [minhash_words(words, CONFIG) for words in docs] == expected


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=30))
def test_any_bytes_give_datasketchs_values(items: list[bytes]) -> None:
    """Shingles holding newlines (the vectorised path's separator), NUL bytes, empty shingles: still the
    definition."""
    assert np.array_equal(minhash(items, CONFIG).hashvalues, datasketch_reference(items))


def test_shingle_order_and_repeats_do_not_matter() -> None:
    items = sorted(shingles_of(SENTENCE))
    assert to_bytes(minhash(items, CONFIG)) == to_bytes(minhash(reversed(items), CONFIG))
    assert to_bytes(minhash(items + items[:3], CONFIG)) == to_bytes(minhash(items, CONFIG))


# -- identical on any machine, in any process --------------------------------------------------------

_CHILD = """
import hashlib, sys
from dedupe import DedupeConfig, features, tokens
from dedupe.signature import minhash, minhash_words, minhashes, to_bytes
from wiredesk.corpus import load_corpus
config = DedupeConfig()
texts = [t.body for _, t in sorted(load_corpus().texts.items())]
out = hashlib.sha256()
for text in texts:
    out.update(to_bytes(minhash(features(text, 5).shingles, config)))  # a frozenset: its order follows the seed
    out.update(to_bytes(minhash_words(tokens(text), config)))
for signature in minhashes([tokens(t) for t in texts], config):
    out.update(to_bytes(signature))
print(out.hexdigest())
"""


def _digest_in_child(hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.strip()


def test_identical_across_processes_with_other_hash_seeds() -> None:
    """Python's hash randomisation changes the iteration order of the shingle sets, never the signatures."""
    first, second = _digest_in_child("0"), _digest_in_child("4242")
    assert first == second
    assert len(first) == 64


def test_identical_input_gives_identical_bytes() -> None:
    first = to_bytes(minhash(shingles_of(SENTENCE), CONFIG))
    second = to_bytes(minhash(shingles_of(SENTENCE), CONFIG))
    fresh = to_bytes(minhash(shingles_of(SENTENCE), DedupeConfig()))
    assert first == second == fresh


def test_seed_changes_the_signature() -> None:
    other = dataclasses.replace(CONFIG, seed=CONFIG.seed + 1)
    assert to_bytes(minhash(shingles_of(SENTENCE), CONFIG)) != to_bytes(minhash(shingles_of(SENTENCE), other))


def test_different_text_gives_different_bytes() -> None:
    assert to_bytes(minhash(shingles_of(SENTENCE), CONFIG)) != to_bytes(
        minhash(shingles_of("Queues of cars stretched for kilometres outside Lebanese petrol stations."), CONFIG)
    )


def test_signature_params_name_what_signatures_depend_on() -> None:
    params = signature_params(CONFIG)
    assert SIGNATURE_SCHEME in params
    assert params != signature_params(dataclasses.replace(CONFIG, seed=2))
    assert params != signature_params(dataclasses.replace(CONFIG, num_perm=64))
    assert params != signature_params(dataclasses.replace(CONFIG, shingle_size=4))
    assert params == signature_params(dataclasses.replace(CONFIG, lsh_threshold=0.3))  # the index's business


# -- still datasketch objects ------------------------------------------------------------------------


def test_signatures_are_lean_minhashes_datasketch_accepts() -> None:
    words = tokens(load_corpus().texts["ap-herat"].body)
    for signature in (minhash_words(words, CONFIG), minhashes([words], CONFIG)[0]):
        assert type(signature) is LeanMinHash
        assert (signature.seed, signature.scheme, len(signature)) == (CONFIG.seed, "affine32", CONFIG.num_perm)
        assert signature.hashvalues.dtype == np.uint32
        public = LeanMinHash(seed=CONFIG.seed, hashvalues=signature.hashvalues, scheme="affine32")
        assert public == signature
        buffer = bytearray(signature.bytesize())
        signature.serialize(buffer)
        assert LeanMinHash.deserialize(buffer) == signature
        assert pickle.loads(pickle.dumps(signature)) == signature
        with pytest.raises(TypeError):
            signature.update(b"more")


def test_signatures_work_with_minhash_lsh_and_forest() -> None:
    corpus = load_corpus()
    slugs = ["ap-herat", "afp-herat", "misc-haiti-quake", "misc-evia-fires"]
    stored = dict(zip(slugs, minhashes([tokens(corpus.texts[s].body) for s in slugs], CONFIG), strict=True))
    lsh = MinHashLSH(threshold=CONFIG.lsh_threshold, num_perm=CONFIG.num_perm)
    forest = MinHashLSHForest(num_perm=CONFIG.num_perm)
    for slug, signature in stored.items():
        lsh.insert(slug, from_bytes(to_bytes(signature), CONFIG))
        forest.add(slug, signature)
    forest.index()
    copy = corpus.texts["ap-herat"].body.replace("(AP) —", "(AP) -") + "\n\nAssociated Press writers contributed."
    query = minhash(shingles_of(copy), CONFIG)
    found = lsh.query(query)
    assert "ap-herat" in found
    assert "misc-haiti-quake" not in found
    assert "misc-evia-fires" not in found
    assert forest.query(query, 1) == ["ap-herat"]
    assert query.jaccard(stored["ap-herat"]) > 0.8
    assert query.jaccard(stored["misc-haiti-quake"]) < 0.1


def test_merge_is_the_signature_of_the_union() -> None:
    """Real MinHash values: the union of two sets' signatures is the signature of their union."""
    a, b = sorted(shingles_of(load_corpus().texts["ap-herat"].body)), sorted(shingles_of(SENTENCE))
    merged = MinHash(seed=CONFIG.seed, hashvalues=minhash(a, CONFIG).hashvalues, scheme="affine32")
    merged.merge(minhash(b, CONFIG))
    assert np.array_equal(merged.hashvalues, minhash(a + b, CONFIG).hashvalues)


def test_jaccard_estimates_agree_with_exact_jaccard() -> None:
    """On random sets of shingle-like strings with Jaccard from 0 to 1, the estimates stay within MinHash's
    error (standard deviation sqrt(J(1-J)/num_perm)) and show no bias."""
    rng = random.Random(20261124)
    errors, outside = [], 0
    for trial in range(300):
        shared = rng.randrange(0, 400)
        only_a, only_b = rng.randrange(0, 300), rng.randrange(0, 300)
        if shared + only_a + only_b == 0:
            continue
        universe = [f"w{trial} {rng.getrandbits(40)} {i}".encode() for i in range(shared + only_a + only_b)]
        a = universe[: shared + only_a]
        b = universe[:shared] + universe[shared + only_a :]
        exact = shared / len(universe)
        estimate = minhash(a, CONFIG).jaccard(minhash(b, CONFIG))
        sigma = (exact * (1 - exact) / CONFIG.num_perm) ** 0.5
        errors.append(estimate - exact)
        outside += abs(estimate - exact) > 3 * sigma + 1e-9
    assert abs(float(np.mean(errors))) < 0.01
    assert float(np.sqrt(np.mean(np.square(errors)))) < 0.04
    assert outside <= 0.02 * len(errors)


# -- storage form ------------------------------------------------------------------------------------


def test_round_trip_keeps_the_hashvalues() -> None:
    for signature in (minhash(shingles_of(SENTENCE), CONFIG), *minhashes([tokens(article(1))], CONFIG)):
        data = to_bytes(signature)
        assert isinstance(data, bytes)
        assert len(data) == 4 * CONFIG.num_perm
        back = from_bytes(data, CONFIG)
        assert isinstance(back, LeanMinHash)
        assert np.array_equal(back.hashvalues, signature.hashvalues)
        assert back.seed == signature.seed
        assert back == signature
        assert to_bytes(back) == data


def test_round_trip_keeps_the_jaccard_estimate() -> None:
    body = load_corpus().texts["ap-herat"].body
    a = minhash(shingles_of(body), CONFIG)
    b = minhash(shingles_of(body + "\n\nA last paragraph added by the outlet to the wire copy of the day."), CONFIG)
    assert from_bytes(to_bytes(a), CONFIG).jaccard(from_bytes(to_bytes(b), CONFIG)) == a.jaccard(b)


def test_bytes_are_little_endian_uint32() -> None:
    signature = minhash(shingles_of(SENTENCE), CONFIG)
    data = to_bytes(signature)
    first = int.from_bytes(data[:4], "little")
    assert first == int(signature.hashvalues[0])


@pytest.mark.parametrize("values", [0, 1, 127, 129, 256])
def test_wrong_number_of_values_is_refused(values: int) -> None:
    with pytest.raises(ValueError, match="signature has"):
        from_bytes(b"\x00\x00\x00\x01" * values, CONFIG)


@pytest.mark.parametrize("size", [1, 3, 511, 513])
def test_bytes_that_are_not_whole_values_are_refused(size: int) -> None:
    with pytest.raises(ValueError):
        from_bytes(b"\x01" * size, CONFIG)


def test_other_num_perm_round_trips() -> None:
    small = dataclasses.replace(CONFIG, num_perm=64)
    data = to_bytes(minhash(shingles_of(SENTENCE), small))
    assert len(data) == 4 * 64
    assert np.array_equal(from_bytes(data, small).hashvalues, minhash(shingles_of(SENTENCE), small).hashvalues)
    with pytest.raises(ValueError):
        from_bytes(data, CONFIG)


def test_restored_signatures_work_with_minhash_lsh() -> None:
    corpus = load_corpus()
    slugs = ["ap-herat", "afp-herat", "misc-haiti-quake", "misc-evia-fires"]
    lsh = MinHashLSH(threshold=CONFIG.lsh_threshold, num_perm=CONFIG.num_perm)
    for slug in slugs:
        stored = to_bytes(minhash(shingles_of(corpus.texts[slug].body), CONFIG))
        lsh.insert(slug, from_bytes(stored, CONFIG))
    copy = corpus.texts["ap-herat"].body.replace("(AP) —", "(AP) -") + "\n\n(AP)"
    query = from_bytes(to_bytes(minhash(shingles_of(copy), CONFIG)), CONFIG)
    found = lsh.query(query)
    assert "ap-herat" in found
    assert "misc-haiti-quake" not in found
    assert "misc-evia-fires" not in found
    # and the fresh signature queries the same as the restored one
    assert set(lsh.query(minhash(shingles_of(copy), CONFIG))) == set(found)


def test_empty_shingle_set_has_a_signature() -> None:
    signature = minhash([], CONFIG)
    assert from_bytes(to_bytes(signature), CONFIG) == signature
    assert minhash_words([], CONFIG) == signature == minhashes([[]], CONFIG)[0]
    assert signature.is_empty()
