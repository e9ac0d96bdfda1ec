"""The extraction harness's measures, checked by hand, and the labelled corpus it reads."""

from __future__ import annotations

import html
import json
import re
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import extract_corpus
from extract_eval import (
    REQUIRED_KEYS,
    Prediction,
    body_scores,
    field_scores,
    load_corpus,
    same_day,
    same_instant,
    split_byline,
    tokens,
)

# -- measures ----------------------------------------------------------------------------------------


def test_identical_bodies_score_one() -> None:
    text = "KABUL, Afghanistan (AP) — The Taliban seized Herat on Thursday.\n\nFighters raised their flag."
    assert body_scores(text, text) == (1.0, 1.0, 1.0)


def test_tokens_ignore_case_punctuation_and_layout() -> None:
    assert tokens("“Tens of THOUSANDS,” she said—again.") == ["tens", "of", "thousands", "she", "said", "again"]
    assert body_scores("One two three four five.", "one, two; three\n\nfour FIVE") == (1.0, 1.0, 1.0)


def test_extra_text_costs_precision_only() -> None:
    truth = "a b c d e f g h"  # 8 tokens: 5 four-grams
    predicted = truth + " share on facebook tweet"  # 12 tokens: 9 four-grams, the 5 true ones among them
    p, r, f1 = body_scores(truth, predicted)
    assert p == pytest.approx(5 / 9)
    assert r == 1.0
    assert f1 == pytest.approx(2 * (5 / 9) / (5 / 9 + 1))


def test_missing_text_costs_recall_only() -> None:
    truth = "a b c d e f g h i j"  # 7 four-grams
    p, r, _ = body_scores(truth, "a b c d e f")  # 3 four-grams, all true
    assert (p, r) == (1.0, pytest.approx(3 / 7))


def test_repeated_text_is_counted_as_a_multiset() -> None:
    truth = "w x y z"
    p, r, _ = body_scores(truth, "w x y z w x y z")  # 5 four-grams, of which "w x y z" twice; truth has it once
    assert (p, r) == (pytest.approx(1 / 5), 1.0)


def test_short_texts_fall_back_to_unigrams() -> None:
    assert body_scores("breaking news", "breaking") == (1.0, 0.5, pytest.approx(2 / 3))


def test_empty_predictions() -> None:
    assert body_scores("some true text here", "") == (0.0, 0.0, 0.0)
    assert body_scores("", "") == (1.0, 1.0, 1.0)


def test_same_instant_across_offsets_and_within_a_minute() -> None:
    utc = datetime(2023, 9, 12, 13, 41, tzinfo=UTC)
    assert same_instant("2023-09-12T09:41:00-04:00", utc)
    assert same_instant("2023-09-12T15:41:30+02:00", "2023-09-12T13:41:00Z")
    assert not same_instant(utc, utc + timedelta(seconds=61))
    assert not same_instant(utc, None)
    assert not same_instant(None, None)
    assert same_instant("2023-09-12T13:41:00", utc)  # naive is UTC


def test_same_day_is_the_day_where_the_page_was_published() -> None:
    local = "2023-09-10T19:45:00-04:00"  # 23:45 UTC, same day
    assert same_day(local, "2023-09-10")
    assert same_day(local, datetime(2023, 9, 10, 23, 45, tzinfo=UTC))
    assert not same_day("2023-09-10T21:45:00-04:00", "2023-09-11")  # the UTC day is not the page's day
    assert same_day("2023-09-10T21:45:00-04:00", datetime(2023, 9, 11, 1, 45, tzinfo=timezone(timedelta(0))))


def test_byline_splitting() -> None:
    assert split_byline("Samir Wardak, Ellen Markham") == ["Samir Wardak", "Ellen Markham"]
    assert split_byline("Fatou Ndiaye and Mark Ellison") == ["Fatou Ndiaye", "Mark Ellison"]
    assert split_byline("Shoaib Rahimi; Claire Dufour") == ["Shoaib Rahimi", "Claire Dufour"]
    assert split_byline(None) == []


def _truth(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "title": "Taliban seize Herat, Afghanistan’s 3rd-largest city",
        "authors": ["Samir Wardak", "Ellen Markham"],
        "published": "2021-08-12T15:00:00+00:00",
        "published_local": "2021-08-12T11:00:00-04:00",
        "updated": None,
        "language": "en",
        "canonical_url": "https://www.capitaldispatch.example/world/taliban-seize-herat",
        "section": "World",
        "agency": "AP",
        "dateline": "Bologna (Italy)",
    }
    return {**base, **changes}


def test_field_scores_normalise_what_does_not_matter() -> None:
    pred = Prediction(
        body="",
        title="  taliban seize herat, afghanistan's 3rd-largest city ",
        authors=["ellen markham", "Samir Wardak"],
        published=datetime(2021, 8, 12, 15, 0, 30, tzinfo=UTC),
        language="en-US",
        canonical_url="https://WWW.capitaldispatch.example/world/taliban-seize-herat/#comments",
        section="world",
        agency="The Associated Press",
        dateline="BOLOGNA, Italy",
    )
    assert all(field_scores(_truth(), pred).values())


def test_field_scores_catch_what_matters() -> None:
    pred = Prediction(
        body="",
        title="Taliban seize Herat - The Capital Dispatch",
        authors=["Samir Wardak", "Ellen Markham", "Associated Press"],
        published=datetime(2021, 8, 12, 17, 20, tzinfo=UTC),  # the update, not the publication
        updated=datetime(2021, 8, 12, 17, 20, tzinfo=UTC),
        language=None,
        canonical_url="https://www.capitaldispatch.example/amp/world/taliban-seize-herat",
        section=None,
        agency="AFP",
        dateline="Kabul",
    )
    scores = field_scores(_truth(), pred)
    assert not any(v for k, v in scores.items() if k != "published_day")
    assert scores["published_day"]


def test_null_truths_want_null_answers() -> None:
    truth = _truth(section=None, agency=None, dateline=None, updated=None)
    right = field_scores(truth, Prediction(body=""))
    assert right["section"] and right["agency"] and right["dateline"] and right["updated"]
    wrong = field_scores(truth, Prediction(body="", section="News", agency="AP", dateline="PARIS", updated="2021"))
    assert not (wrong["section"] or wrong["agency"] or wrong["dateline"] or wrong["updated"])


# -- the corpus --------------------------------------------------------------------------------------

CASES = load_corpus()


def _visible(page: bytes) -> str:
    text = re.sub(r"<[^>]+>", "", page.decode("utf-8"))
    return " ".join(html.unescape(text).split())


def test_corpus_size_and_spread() -> None:
    assert len(CASES) >= 60
    templates = Counter(c.truth["template"] for c in CASES)
    assert len(templates) >= 12
    assert min(templates.values()) >= 5
    languages = {c.truth["language"] for c in CASES}
    assert {"fr", "de", "es"} <= languages
    assert sum(c.truth["language"] != "en" for c in CASES) >= 15
    sites = {c.truth["site"] for c in CASES}
    assert len(sites) == len(templates)  # one template per outlet


def test_truth_files_are_complete() -> None:
    for case in CASES:
        assert set(case.truth) >= REQUIRED_KEYS, case.name
        truth = case.truth
        assert truth["body"].strip() and truth["title"].strip(), case.name
        published = datetime.fromisoformat(truth["published"])
        assert published.utcoffset() == timedelta(0), case.name
        if truth["updated"]:
            assert datetime.fromisoformat(truth["updated"]) > published, case.name
        assert truth["url"].startswith("https://") and ".example/" in truth["url"], case.name
        assert isinstance(truth["authors"], list), case.name


def test_every_true_paragraph_is_on_its_page() -> None:
    for case in CASES:
        visible = _visible(case.html)
        for paragraph in case.truth["body"].split("\n\n"):
            assert " ".join(paragraph.split()) in visible, f"{case.name}: {paragraph[:60]!r}"


def test_datelines_open_the_first_paragraph() -> None:
    for case in CASES:
        if case.truth["dateline"]:
            assert case.truth["body"].startswith(case.truth["dateline"]), case.name


def test_no_two_pages_share_a_body() -> None:
    bodies = Counter(c.truth["body"] for c in CASES)
    assert max(bodies.values()) == 1


def test_page_names_match_their_truth() -> None:
    for case in CASES:
        site, _ = case.name.split("/")
        assert case.truth["site"] == site
        assert json.loads(json.dumps(case.truth)) == case.truth  # plain JSON, no custom types


def test_committed_pages_match_the_generator() -> None:
    assert extract_corpus.main(["--check"]) == 0
