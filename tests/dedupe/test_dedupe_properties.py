"""Property tests (hypothesis): normalisation is idempotent, compare is symmetric, the canonical choice and
signatures do not depend on order."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import pytest

from dedupe import DedupeConfig, Member, choose_canonical, compare, features, from_bytes, minhash, to_bytes, tokens
from dedupe.normalize import shingles

pytest.importorskip("hypothesis")
from hypothesis import given, settings
from hypothesis import strategies as st

CONFIG = DedupeConfig()

# Text made of what wire copy is made of: letters (some accented), digits, separators, quotes, dashes,
# parentheses and agency names, so that datelines, credits and thousands separators do occur.
_PIECES = st.one_of(
    st.text(alphabet="abcdeéfghijklmnoprstuvwyzABCDEFGHKLMNOPRSTUVWZ0123456789", min_size=1, max_size=8),
    st.sampled_from(
        [
            " ",
            " ",
            " ",
            ", ",
            ". ",
            "\n\n",
            "’",
            "'",
            "“",
            "”",
            '"',
            " — ",
            " - ",
            " – ",
            "(AP)",
            "(AFP)",
            "(Reuters)",
            "KABUL, Afghanistan (AP) — ",
            "MILLBROOK — ",
            "1,297",
            "47,611.94",
            "Monday",
            "TUESDAY",
            "\u00a0",
            "©",
            "All rights reserved.",
        ]
    ),
)
TEXTS = st.lists(_PIECES, max_size=60).map("".join)
VOCABULARY = st.sampled_from(["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "7", "12"])
WORD_LISTS = st.lists(VOCABULARY, max_size=40)


@settings(max_examples=100, deadline=None)
@given(TEXTS)
def test_tokens_are_idempotent(text: str) -> None:
    once = tokens(text)
    assert tokens(" ".join(once)) == once


@settings(max_examples=100, deadline=None)
@given(TEXTS, st.integers(min_value=1, max_value=6))
def test_features_are_idempotent(text: str, size: int) -> None:
    once = features(text, size)
    again = features(" ".join(tokens(text)), size)
    assert again == once
    assert features(text, size) == once  # and deterministic


@settings(max_examples=200, deadline=None)
@given(st.one_of(TEXTS, st.lists(st.sampled_from(["a", "b", "7", "12.5", "٣", "x", "ü"]), max_size=14).map(" ".join)),
       st.integers(min_value=1, max_value=6))  # fmt: skip
def test_numeric_shingles_are_those_holding_a_digit(text: str, size: int) -> None:
    """The numeric shingles come from the number tokens' positions: the same set a digit search over every
    shingle finds (Arabic-Indic digits are number tokens but not ASCII digits)."""
    got = features(text, size)
    assert got.numeric == frozenset(s for s in got.shingles if re.search(rb"[0-9]", s))


@settings(max_examples=100, deadline=None)
@given(WORD_LISTS, st.integers(min_value=1, max_value=6))
def test_shingles_of_normalised_words_are_stable(words: list[str], size: int) -> None:
    got = shingles(words, size)
    assert shingles(tokens(" ".join(words)), size) == got
    assert all(len(s.split()) == min(size, len(words)) for s in got)


@settings(max_examples=150, deadline=None)
@given(WORD_LISTS, WORD_LISTS)
def test_compare_is_symmetric(a_words: list[str], b_words: list[str]) -> None:
    a, b = features(" ".join(a_words), 2), features(" ".join(b_words), 2)
    ab, ba = compare(a, b, "x", CONFIG), compare(b, a, "x", CONFIG)
    assert ab.jaccard == ba.jaccard
    assert ab.containment == ba.containment
    assert ab.rule == ba.rule
    assert 0.0 <= ab.jaccard <= ab.containment <= 1.0


@settings(max_examples=100, deadline=None)
@given(WORD_LISTS)
def test_a_text_compared_with_itself(words: list[str]) -> None:
    f = features(" ".join(words), 2)
    match = compare(f, f, "self", CONFIG)
    if f.shingles:
        assert match.jaccard == 1.0
        assert match.rule == "jaccard"
    else:
        assert match.rule == "below-threshold"


_MEMBERS = st.lists(
    st.builds(
        Member,
        id=st.text(alphabet="abcdef", min_size=1, max_size=3),
        word_count=st.integers(min_value=0, max_value=60),
        published=st.one_of(
            st.none(),
            st.integers(min_value=0, max_value=5).map(lambda h: datetime(2021, 8, 12, tzinfo=UTC) + timedelta(hours=h)),
        ),
        own_copy=st.booleans(),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda m: m.id,
)


@settings(max_examples=100, deadline=None)
@given(_MEMBERS, st.randoms(use_true_random=False))
def test_canonical_does_not_depend_on_member_order(members: list[Member], rnd: random.Random) -> None:
    shuffled = list(members)
    rnd.shuffle(shuffled)
    chosen = choose_canonical(members)
    assert choose_canonical(shuffled) == chosen
    assert chosen.id in {m.id for m in members}
    longest = max(m.word_count for m in members)
    assert next(m for m in members if m.id == chosen.id).word_count >= longest * (1 - 0.05)


@settings(max_examples=50, deadline=None)
@given(st.sets(st.binary(min_size=1, max_size=12), max_size=30))
def test_signature_round_trip(shingle_set: set[bytes]) -> None:
    signature = minhash(shingle_set, CONFIG)
    data = to_bytes(signature)
    assert from_bytes(data, CONFIG) == signature
    assert to_bytes(minhash(sorted(shingle_set), CONFIG)) == data
