"""dedupe.signature: MinHash signatures and their storage form (little-endian uint32 bytes)."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHashLSH

from dedupe import DedupeConfig, features, from_bytes, minhash, to_bytes
from wiredesk.corpus import load_corpus

CONFIG = DedupeConfig()
SENTENCE = (
    "The Taliban seized Herat, Afghanistan’s third-largest city, on Thursday after pushing into its center "
    "from three directions."
)


def shingles_of(text: str) -> frozenset[bytes]:
    return features(text, CONFIG.shingle_size).shingles


def test_round_trip_keeps_the_hashvalues() -> None:
    signature = minhash(shingles_of(SENTENCE), CONFIG)
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


def test_identical_input_gives_identical_bytes() -> None:
    first = to_bytes(minhash(shingles_of(SENTENCE), CONFIG))
    second = to_bytes(minhash(shingles_of(SENTENCE), CONFIG))
    fresh = to_bytes(minhash(shingles_of(SENTENCE), DedupeConfig()))
    assert first == second == fresh


def test_shingle_order_does_not_matter() -> None:
    shingles = sorted(shingles_of(SENTENCE))
    assert to_bytes(minhash(shingles, CONFIG)) == to_bytes(minhash(reversed(shingles), CONFIG))


def test_signature_is_pinned() -> None:
    """Stored signatures must stay comparable across releases and machines: the values are pinned, so a
    change of datasketch's hashing scheme (or of the seed default) shows up here, not as silent misses."""
    data = to_bytes(minhash(shingles_of(SENTENCE), CONFIG))
    assert data[:16].hex() == "08d9e7042e09cb09fd8f88184103fd05"
    assert hashlib.sha256(data).hexdigest() == "c70975236914ee88333bd99ac08866396799f7a06e15c4cc4c92f89c44c8e3a4"


def test_seed_changes_the_signature() -> None:
    other = dataclasses.replace(CONFIG, seed=CONFIG.seed + 1)
    assert to_bytes(minhash(shingles_of(SENTENCE), CONFIG)) != to_bytes(minhash(shingles_of(SENTENCE), other))


def test_different_text_gives_different_bytes() -> None:
    assert to_bytes(minhash(shingles_of(SENTENCE), CONFIG)) != to_bytes(
        minhash(shingles_of("Queues of cars stretched for kilometres outside Lebanese petrol stations."), CONFIG)
    )


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
