"""dedupe.normalize: what is folded away before shingling (datelines, credits, quotes, separators, case)."""

from __future__ import annotations

import pytest

from dedupe.normalize import features, shingles, strip_dateline, tokens
from wiredesk.corpus import load_corpus

BODY = (
    "The Taliban seized Herat, Afghanistan’s third-largest city, on Thursday after pushing into its center "
    "from three directions, officials said, as a lightning insurgent offensive swept across the country."
)


@pytest.mark.parametrize(
    ("text", "copy"),
    [
        ("KABUL, Afghanistan (AP) — The Taliban seized Herat.", "The Taliban seized Herat."),
        ("Herat (Afghanistan) (AFP) - The Taliban have taken over Herat.", "The Taliban have taken over Herat."),
        (
            "BEIRUT, Aug 13 (Reuters) - Queues of cars stretched for kilometres.",
            "Queues of cars stretched for kilometres.",
        ),
        ("MILLBROOK — After nearly six hours of public comment.", "After nearly six hours of public comment."),
        ("CALDER SPRINGS — The Ferris wheel is turning.", "The Ferris wheel is turning."),
        ("CAPE CANAVERAL, Fla. (AP) — A small rocket reached orbit.", "A small rocket reached orbit."),
        ("PORT-AU-PRINCE, Haiti (AP) — Rescuers pulled survivors out.", "Rescuers pulled survivors out."),
        ("TOKYO, Aug 19 (Reuters) - Toyota Motor Corp will cut output.", "Toyota Motor Corp will cut output."),
        (
            "Vilnius (AFP) - A Belarusian Olympic rower was granted asylum.",
            "A Belarusian Olympic rower was granted asylum.",
        ),
        ("NEW YORK (AP) – Americans cut back on spending.", "Americans cut back on spending."),
    ],
)
def test_strip_dateline_removes_the_dateline_and_its_credit(text: str, copy: str) -> None:
    assert strip_dateline(text) == copy
    assert tokens(text) == tokens(copy)


@pytest.mark.parametrize(
    "text",
    [
        "The Taliban seized Herat on Thursday.",
        "Officials said on Monday — quietly — that the talks had failed.",
        "",
    ],
)
def test_strip_dateline_leaves_undatelined_copy_alone(text: str) -> None:
    assert strip_dateline(text) == text


def test_dateline_date_is_not_a_figure_of_the_story() -> None:
    assert features("BEIRUT, Aug 13 (Reuters) - Queues of cars stretched for kilometres.", 5).numbers == frozenset()


def test_every_corpus_dateline_is_stripped() -> None:
    corpus = load_corpus()
    datelined = [t for t in corpus.texts.values() if t.dateline]
    assert datelined
    for text in datelined:
        assert text.dateline
        first = text.paragraphs[0].text
        stripped = strip_dateline(first)
        place = text.dateline.split(",")[0].split("(")[0].strip().lower()
        assert first.endswith(stripped), text.slug
        assert len(stripped) < len(first), text.slug
        assert not stripped.lower().startswith(place), text.slug


@pytest.mark.parametrize(
    ("credited", "plain"),
    [
        ("Taliban have taken the key city of Herat. (AP)", "Taliban have taken the key city of Herat."),
        ("The city fell (AFP) after a week of fighting.", "The city fell after a week of fighting."),
        ("Fuel ran out ( Reuters ) across the country.", "Fuel ran out across the country."),
        (
            "The rocket reached orbit. Copyright 2021 The Associated Press. All rights reserved.",
            "The rocket reached orbit.",
        ),
        ("The rocket reached orbit. © 2021 AFP. All rights reserved", "The rocket reached orbit."),
    ],
)
def test_credits_and_copyright_lines_are_removed(credited: str, plain: str) -> None:
    assert tokens(credited) == tokens(plain)


@pytest.mark.parametrize(
    ("curly", "straight"),
    [
        ("Afghanistan’s third-largest city", "Afghanistan's third-largest city"),
        ("“They came in on motorbikes,” said Jawed.", '"They came in on motorbikes," said Jawed.'),
        ("‘By afternoon, the soldiers were gone’", "'By afternoon, the soldiers were gone'"),
        ("the governor’s office and the city’s main prison", "the governor's office and the city's main prison"),
    ],
)
def test_curly_and_straight_quotes_give_the_same_tokens(curly: str, straight: str) -> None:
    assert tokens(curly) == tokens(straight)


@pytest.mark.parametrize(
    ("separated", "plain", "figure"),
    [
        ("the death toll climbed to 1,297", "the death toll climbed to 1297", "1297"),
        ("the index ended at 47,611.94 points", "the index ended at 47611.94 points", "47611.94"),
        ("a budget of 1,000,000 euros", "a budget of 1000000 euros", "1000000"),
        ("roughly ３６０,０００ vehicles", "roughly 360000 vehicles", "360000"),  # full-width digits (NFKC)
    ],
)
def test_thousands_separators_fold(separated: str, plain: str, figure: str) -> None:
    assert tokens(separated) == tokens(plain)
    assert features(separated, 5).numbers == frozenset({figure})


@pytest.mark.parametrize("separator", ["\u00a0", "\u202f"], ids=["nbsp", "narrow-nbsp"])
def test_no_break_space_thousands_separators_fold(separator: str) -> None:
    assert tokens(f"the death toll climbed to 1{separator}297") == tokens("the death toll climbed to 1,297")


def test_figures_next_to_each_other_are_not_merged() -> None:
    assert tokens("in 2021, 500 people and 12,34 units") == ["in", "2021", "500", "people", "and", "12", "34", "units"]


def test_case_is_folded() -> None:
    assert tokens("TALIBAN Seize HERAT") == tokens("taliban seize herat") == ["taliban", "seize", "herat"]


def test_texts_differing_only_in_dateline_and_credit_have_identical_shingles() -> None:
    variants = [
        BODY,
        f"KABUL, Afghanistan (AP) — {BODY}",
        f"Herat (Afghanistan) (AFP) - {BODY} (AFP)",
        f"MILLBROOK — {BODY}",
        f"BEIRUT, Aug 13 (Reuters) - {BODY} (Reuters)",
        f"KABUL, Afghanistan (AP) — {BODY.upper()} (AP)",
    ]
    reference = features(BODY, 5)
    assert len(reference.shingles) > 20
    for variant in variants:
        got = features(variant, 5)
        assert got.shingles == reference.shingles, variant
        assert got.numbers == reference.numbers
        assert got.word_count == reference.word_count


def test_corpus_republications_have_identical_features() -> None:
    corpus = load_corpus()
    text = corpus.texts["ap-herat"]
    redatelined = text.body.replace("KABUL, Afghanistan (AP) — ", "Herat (Afghanistan) (AFP) - ", 1)
    assert redatelined != text.body
    assert features(redatelined, 5) == features(text.body, 5)


def test_numbers_feature_keeps_figures_as_tokens() -> None:
    got = features("Shares closed 0.52% higher at 47,611.94 points, up 246.31, on 3rd day; 14 stops.", 5)
    assert got.numbers == frozenset({"0.52", "47611.94", "246.31", "3", "14"})


@pytest.mark.parametrize(
    ("text", "weekdays"),
    [
        ("The council voted early Wednesday.", {"wednesday"}),
        ("On MONDAY and on tuesday the market rose.", {"monday", "tuesday"}),
        ("Sunday, Saturday and Friday; then Thursday.", {"sunday", "saturday", "friday", "thursday"}),
        ("Mondays are quiet; the weekend was busy.", set()),
        ("The market rose.", set()),
    ],
)
def test_weekdays_feature(text: str, weekdays: set[str]) -> None:
    assert features(text, 5).weekdays == frozenset(weekdays)


def test_word_count_counts_tokens_of_the_copy() -> None:
    assert features("KABUL, Afghanistan (AP) — The Taliban seized 1,297 homes.", 5).word_count == 5


@pytest.mark.parametrize(
    ("words", "size", "expected"),
    [
        ([], 5, set()),
        (["one"], 5, {b"one"}),
        (["a", "b", "c", "d", "e"], 5, {b"a b c d e"}),
        (["a", "b", "c", "d", "e", "f"], 5, {b"a b c d e", b"b c d e f"}),
        (["a", "b", "c", "a", "b", "c"], 2, {b"a b", b"b c", b"c a"}),
    ],
)
def test_shingles(words: list[str], size: int, expected: set[bytes]) -> None:
    assert shingles(words, size) == frozenset(expected)


def test_shingle_count_of_a_long_text() -> None:
    words = [f"w{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(100)]
    assert len(shingles(words, 5)) == 96
