"""dedupe.verify.compare: the exact rules that accept or reject an LSH candidate."""

from __future__ import annotations

import dataclasses

import pytest

from dedupe import DedupeConfig, Features, Match, compare, features, tokens
from dedupe.verify import overlap
from wiredesk.corpus import load_corpus

CONFIG = DedupeConfig()

# A templated report: long fixed wording, a few figures and a day that change from one issue to the next.
REPORT = (
    "The regional statistics office published its weekly report on road traffic the morning after the "
    "reporting period closed, as it has done every week since the series began. Officials said the figures "
    "were collected from automatic counters on the main highways and from manual counts at the border "
    "crossings, and that they would be revised once late returns from the rural districts arrived. The "
    "report covers passenger cars, buses, vans and heavy goods vehicles, and it separates traffic entering "
    "the region from traffic leaving it. Analysts use the series to track commuting patterns, freight "
    "volumes and the effect of roadworks on the busiest corridors, and the office publishes the underlying "
    "tables on its website for researchers. "
    "{day}This week the counters recorded {a} vehicles on the coastal highway and {b} on the inland route, "
    "with {c} crossings at the northern border."
)


def feats(text: str) -> Features:
    return features(text, CONFIG.shingle_size)


def report(a: str = "48,211", b: str = "31,907", c: str = "6,402", day: str = "") -> Features:
    return feats(REPORT.format(a=a, b=b, c=c, day=day))


def wire(slug: str) -> str:
    return load_corpus().texts[slug].body


def test_verbatim_copy_matches_on_jaccard() -> None:
    body = wire("ap-herat")
    copy = body.replace("KABUL, Afghanistan (AP) — ", "KABUL, Afghanistan (AP) - ", 1) + "\n\n(AP)"
    match = compare(feats(copy), feats(body), "original", CONFIG)
    assert match == Match("original", 1.0, 1.0, "jaccard")
    assert match.accepted
    assert match.score == 1.0


def test_light_edit_matches_on_jaccard() -> None:
    paragraphs = wire("afp-herat").split("\n\n")
    edited = "\n\n".join(paragraphs[:-1])  # the last paragraph dropped
    match = compare(feats(edited), feats(wire("afp-herat")), "x", CONFIG)
    assert match.rule == "jaccard"
    assert CONFIG.jaccard_threshold <= match.jaccard < 1.0


@pytest.mark.parametrize("trim_first", [True, False], ids=["trim-new", "trim-indexed"])
def test_trim_of_a_long_text_matches_on_containment(trim_first: bool) -> None:
    corpus = load_corpus()
    page = next(p for p in corpus.pages if p.variant == "trim")
    trim = feats("\n\n".join(p.text for p in corpus.body_of(page)))
    full = feats(corpus.texts[page.text].body)
    a, b = (trim, full) if trim_first else (full, trim)
    match = compare(a, b, "other", CONFIG)
    assert match.rule == "containment"
    assert match.containment == 1.0
    assert match.jaccard < CONFIG.jaccard_threshold
    assert match.accepted
    assert match.score == match.containment


def test_first_five_paragraphs_of_a_long_text_is_a_containment_match() -> None:
    paragraphs = wire("ap-herat-writethru").split("\n\n")
    trim = "\n\n".join(paragraphs[:5])
    match = compare(feats(trim), feats(wire("ap-herat-writethru")), "full", CONFIG)
    assert match.rule == "containment"
    assert match.containment >= CONFIG.containment_threshold


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("misc-haiti-quake", "misc-evia-fires"),
        ("ap-herat", "ghazni-nearmiss"),
        ("misc-tram-line", "misc-county-fair"),
        ("templated-markets-monday", "templated-markets-tuesday"),
    ],
)
def test_unrelated_texts_are_below_threshold(a: str, b: str) -> None:
    match = compare(feats(wire(a)), feats(wire(b)), b, CONFIG)
    assert match.rule == "below-threshold"
    assert not match.accepted
    assert match.jaccard < CONFIG.jaccard_threshold


def test_same_wording_different_figures_is_numbers_differ() -> None:
    monday = report()
    tuesday = report("47,102", "33,564", "5,977")
    match = compare(monday, tuesday, "tuesday", CONFIG)
    assert match.jaccard >= CONFIG.jaccard_threshold  # the wording alone would have made it a copy
    assert match.rule == "numbers-differ"
    assert not match.accepted


def test_same_figures_are_not_numbers_differ() -> None:
    assert compare(report(), report(), "same", CONFIG).rule == "jaccard"


def test_half_the_figures_shared_is_enough() -> None:
    # overlap {48211, 31907} of min(3, 3) figures = 2/3 >= numbers_min_overlap
    match = compare(report(), report(c="7,001"), "x", CONFIG)
    assert match.rule == "jaccard"


def test_figures_in_only_one_text_are_no_evidence_against() -> None:
    without = feats(REPORT.format(a="many", b="fewer", c="some", day=""))
    assert without.numbers == frozenset()
    match = compare(without, report(), "x", CONFIG)
    assert match.accepted


def test_same_wording_different_weekday_is_weekdays_differ() -> None:
    monday = report(day="On Monday the office said little had changed. ")
    tuesday = report(day="On Tuesday the office said little had changed. ")
    match = compare(monday, tuesday, "tuesday", CONFIG)
    assert match.jaccard >= CONFIG.jaccard_threshold
    assert match.rule == "weekdays-differ"
    assert not match.accepted


def test_a_weekday_in_only_one_text_is_no_evidence_against() -> None:
    match = compare(report(day="On Monday the office said little had changed. "), report(), "x", CONFIG)
    assert match.accepted


def test_numbers_are_checked_before_weekdays() -> None:
    monday = report(day="On Monday the office said little had changed. ")
    tuesday = report("47,102", "33,564", "5,977", day="On Tuesday the office said little had changed. ")
    assert compare(monday, tuesday, "x", CONFIG).rule == "numbers-differ"


def test_event_evidence_does_not_rescue_a_below_threshold_pair() -> None:
    match = compare(feats(wire("misc-haiti-quake")), feats(wire("misc-sicily-heat")), "x", CONFIG)
    assert match.rule == "below-threshold"


def test_tiny_text_contained_in_a_big_one_is_not_a_containment_match() -> None:
    big = wire("ap-herat")
    tiny = "The Taliban seized Herat, Afghanistan’s third-largest city, on Thursday"  # 10 words, 6 shingles
    match = compare(feats(tiny), feats(big), "big", CONFIG)
    assert match.containment == 1.0
    assert match.rule == "below-threshold"
    # ... and it is the min_shingles guard that refuses it:
    relaxed = dataclasses.replace(CONFIG, min_shingles=1)
    assert compare(feats(tiny), feats(big), "big", relaxed).rule == "containment"


@pytest.mark.parametrize(("extra_words", "rule"), [(0, "containment"), (-1, "below-threshold")])
def test_min_shingles_boundary(extra_words: int, rule: str) -> None:
    words = tokens(wire("ap-herat"))
    # shingle_size + min_shingles - 1 words make exactly min_shingles shingles.
    n = CONFIG.shingle_size + CONFIG.min_shingles - 1 + extra_words
    start = 40  # well inside the copy, away from the dateline
    small = " ".join(words[start : start + n])
    small_features = feats(small)
    assert len(small_features.shingles) == CONFIG.min_shingles + extra_words
    match = compare(small_features, feats(wire("ap-herat")), "big", CONFIG)
    assert match.containment == 1.0
    assert match.rule == rule


def test_empty_texts_are_below_threshold() -> None:
    empty = feats("")
    assert compare(empty, empty, "x", CONFIG) == Match("x", 0.0, 0.0, "below-threshold")
    assert compare(empty, feats(wire("ap-herat")), "x", CONFIG).rule == "below-threshold"


def test_figures_are_rounded_to_four_places() -> None:
    match = compare(feats(wire("ap-herat")), feats(wire("ap-herat-writethru")), "x", CONFIG)
    assert match.jaccard == round(match.jaccard, 4)
    assert match.containment == round(match.containment, 4)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (set(), set(), 1.0),
        ({"1"}, set(), 1.0),
        (set(), {"1"}, 1.0),
        ({"1", "2"}, {"1", "3"}, 0.5),
        ({"1"}, {"1", "2", "3"}, 1.0),
        ({"1", "2"}, {"3", "4"}, 0.0),
    ],
)
def test_overlap(a: set[str], b: set[str], expected: float) -> None:
    assert overlap(frozenset(a), frozenset(b)) == expected
    assert overlap(frozenset(b), frozenset(a)) == expected


@pytest.mark.parametrize(
    ("a", "b"), [("ap-herat", "ap-herat-writethru"), ("ap-herat", "afp-herat"), ("seed", "ap-herat")]
)
def test_compare_is_symmetric(a: str, b: str) -> None:
    ab = compare(feats(wire(a)), feats(wire(b)), "x", CONFIG)
    ba = compare(feats(wire(b)), feats(wire(a)), "x", CONFIG)
    assert ab == ba
