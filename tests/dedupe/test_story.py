"""Stories: clusters linked by a shared passage, each link on direct evidence, ids stable as stories grow."""

from __future__ import annotations

from collections import defaultdict

import pytest

from dedupe import Decision, DedupeConfig, Document, Match, Stories, dedupe_documents, features, passage, story_id_for
from wiredesk.corpus import load_corpus

CONFIG = DedupeConfig()
CORPUS = load_corpus()


def _text(slug: str, variant: str = "republish") -> str:
    page = next(p for p in CORPUS.pages if p.text == slug and p.variant == variant)
    return "\n\n".join(p.text for p in CORPUS.body_of(page) if p.kind == "p")


@pytest.fixture(scope="module")
def herat_stories() -> dict[str, set[str]]:
    """Story id -> the manifest clusters in it."""
    docs = [
        Document(p.path, "\n\n".join(x.text for x in CORPUS.body_of(p) if x.kind == "p"), published=p.published)
        for p in CORPUS.pages
    ]
    decisions = dedupe_documents(docs, CONFIG)
    stories = Stories().apply(decisions)
    label = {p.path: p.cluster for p in CORPUS.pages}
    out: dict[str, set[str]] = defaultdict(set)
    for d in decisions:
        out[stories.story_of(d.cluster_id)].add(label[d.doc_id])
    return out


def test_the_blend_links_the_ap_and_afp_clusters_into_one_story(herat_stories: dict[str, set[str]]) -> None:
    (herat,) = [s for s in herat_stories.values() if "ap-herat" in s]
    assert herat == {"ap-herat", "afp-herat", "blend-herat"}


def test_near_miss_and_templated_items_stay_out_of_stories(herat_stories: dict[str, set[str]]) -> None:
    for clusters in herat_stories.values():
        if clusters & {"ghazni-nearmiss", "templated-markets-monday", "templated-markets-tuesday"}:
            assert len(clusters) == 1, clusters


@pytest.mark.parametrize(
    ("a", "b", "rule"),
    [
        (("seed", "blend"), ("ap-herat", "republish"), "passage"),
        (("seed", "blend"), ("afp-herat", "republish"), "passage"),
        (("ghazni-nearmiss", "nearmiss"), ("ap-herat", "republish"), "below-threshold"),
        (("templated-markets-monday", "templated"), ("templated-markets-tuesday", "templated"), "numbers-differ"),
        (("misc-haiti-quake", "unrelated"), ("ap-herat", "republish"), "below-threshold"),
    ],
)
def test_passage_rule(a: tuple[str, str], b: tuple[str, str], rule: str) -> None:
    fa, fb = features(_text(*a), CONFIG.shingle_size), features(_text(*b), CONFIG.shingle_size)
    assert passage(fa, fb, "other", CONFIG).rule == rule
    assert passage(fb, fa, "other", CONFIG).rule == rule


def test_templated_reports_on_other_weekdays_do_not_link() -> None:
    body = " ".join(f"The template sentence number {i} repeats the same wording every single day." for i in range(30))
    monday, tuesday = features(f"On Monday, {body}", 5), features(f"On Tuesday, {body}", 5)
    assert passage(monday, tuesday, "x", CONFIG).rule == "weekdays-differ"


def test_linking_keeps_the_older_story_id() -> None:
    stories = Stories()
    for cluster in ("c1", "c2", "c3"):
        stories.add_cluster(cluster)
    assert stories.link("c3", "c2") == (story_id_for("c2"), story_id_for("c3"))
    assert stories.link("c2", "c3") is None
    assert stories.link("c3", "c1") == (story_id_for("c1"), story_id_for("c2"))
    assert {stories.story_of(c) for c in ("c1", "c2", "c3")} == {story_id_for("c1")}


def test_apply_folds_decisions_in_order() -> None:
    link = Match("doc-a", 0.3, 0.5, "passage")
    decisions = [
        Decision("a", "ca", created=True),
        Decision("b", "cb", created=True),
        Decision("x", "cx", created=True, links=(("ca", link), ("cb", link))),
        Decision("y", "cy", created=True),
    ]
    stories = Stories().apply(decisions)
    assert stories.story_of("cx") == stories.story_of("cb") == stories.story_of("ca") == story_id_for("ca")
    assert stories.story_of("cy") == story_id_for("cy")
