"""Property tests (hypothesis) of the dedupe invariants, on generated wire copy: stories written from a word
pool, each carried in several versions (republications under other headlines, light edits with one or two
typos, trims that cut the last paragraph), plus unrelated texts and blends of two stories.

What docs/dedupe.md claims, and so what is tested here, no more:

- **Decisions follow publication order, not arrival order.** The pipeline places undecided articles by
  publication time (then fetch time, then id), so the order articles were stored in never matters; batch
  mode sorts the same way, input order breaking ties only (so with distinct times, input order never
  matters). Tested as: equal stores / equal decisions under any permutation of the input.
- **Idempotence.** Deciding again changes nothing: a second dedupe run has nothing to do, storing the same
  versions again stores nothing, and rebuilding the index rebuilds it as it was.
- **Versions of one copy end in one cluster, in any publication order**, when they all match each other
  (republications, light edits, trims), and unrelated texts never join them. (Up to LSH recall: every two
  versions generated here have a Jaccard of 0.6 or more, so a missed candidate pair has odds of about 1e-6;
  shorter trims match too, by containment, but at a Jaccard of 0.38 LSH misses one pair in a hundred.)
- **Nothing chains, in any order.** Every two members of a cluster are related (share at least half of the
  shorter text and report the same event), so a blend of two unrelated stories takes at most one of them.
  Which one depends on the order they arrive in: the design says so, and only the weaker claim is tested.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select

from dedupe import DedupeConfig, Document, compare, dedupe_documents, features
from storage import NewArticle, Store
from storage import schema as t
from wiredesk.pipeline import article_id_for, content_hash, dedupe_pending, reindex
from wiredesk.settings import Settings

CONFIG = DedupeConfig()
T0 = datetime(2021, 8, 12, 6, 0, tzinfo=UTC)
NOW = datetime(2021, 8, 20, 12, 0, tzinfo=UTC)
QUICK = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STORED = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _vocabulary() -> list[str]:
    """The words of the Herat corpus's wire copy, without figures, weekdays (both are event evidence,
    tested in test_verify.py) or agency names, shuffled once: each generated story takes its own slice, so
    two stories share no word, and a story uses each of its words once (no shingle repeats in it)."""
    import random
    import re

    from wiredesk.corpus import load_corpus

    skip = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "afp", "reuters"}
    words = {w for text in load_corpus().texts.values() for w in re.findall(r"[a-z]{3,}", text.body.lower())}
    ordered = sorted(words - skip)
    random.Random(7).shuffle(ordered)
    return ordered


WORDS = _vocabulary()
SLICE = 200  # words per story: 5-6 paragraphs of 25-33 words


@st.composite
def story(draw: st.DrawFn, slot: int) -> list[str]:
    """The paragraphs of a story written with the ``slot``-th slice of the vocabulary."""
    words = draw(st.permutations(WORDS[slot * SLICE : (slot + 1) * SLICE]))
    paragraphs, at = [], 0
    for size in draw(st.lists(st.integers(25, 33), min_size=5, max_size=6)):
        paragraphs.append(" ".join(words[at : at + size]))
        at += size
    return paragraphs


@dataclass(frozen=True)
class Version:
    """One version of a text: its document id, body, group (the copy it is a version of) and kind."""

    id: str
    text: str
    group: str
    kind: str


def _typo(word: str, how: int) -> str:
    if len(word) < 3:
        return word + word[-1]
    if how == 0:
        return word[1] + word[0] + word[2:]  # swapped letters
    if how == 1:
        return word[:-1]  # a dropped letter
    return word + word[-1]  # a doubled letter


@st.composite
def copy_group(draw: st.DrawFn, name: str, slot: int) -> list[Version]:
    """A story's original and 1-4 versions of it, every two of which match (jaccard or containment)."""
    paragraphs = draw(story(slot))
    original = "\n\n".join(paragraphs)
    versions = [Version(f"{name}-0", original, name, "original")]
    for i, kind in enumerate(
        draw(st.lists(st.sampled_from(["republication", "typo", "trim"]), min_size=1, max_size=4)), 1
    ):
        if kind == "republication":
            text = original
        elif kind == "typo":
            words = original.split(" ")
            for _ in range(draw(st.integers(1, 2))):
                at = draw(st.integers(0, len(words) - 1))
                words[at] = _typo(words[at], draw(st.integers(0, 2)))
            text = " ".join(words)
        else:
            text = "\n\n".join(paragraphs[:-1])  # the last paragraph cut for space
        versions.append(Version(f"{name}-{i}", text, name, kind))
    return versions


@st.composite
def corpus(draw: st.DrawFn, *, blends: bool = False) -> list[Version]:
    """2-3 copy groups, 0-2 unrelated texts, and (``blends``) a blend of the first two groups' originals."""
    versions: list[Version] = []
    for g in range(draw(st.integers(2, 3))):
        versions += draw(copy_group(f"g{g}", slot=g))
    for n in range(draw(st.integers(0, 2))):
        versions.append(Version(f"n{n}", "\n\n".join(draw(story(3 + n))), f"n{n}", "unrelated"))
    if blends:  # the first two groups' originals run together: it contains both, wholly
        first, second = (next(v for v in versions if v.group == g) for g in ("g0", "g1"))
        versions.append(Version("blend", first.text + "\n\n" + second.text, "blend", "blend"))
    return versions


def documents(versions: list[Version], hours: list[float]) -> list[Document]:
    return [
        Document(v.id, v.text, title=f"{v.kind} {v.id}", published=T0 + timedelta(hours=h))
        for v, h in zip(versions, hours, strict=True)
    ]


def distinct_hours(count: int) -> st.SearchStrategy[list[float]]:
    """Distinct publication times within a day (versions of wire copy travel within hours)."""
    return st.lists(st.integers(0, 24 * 60), min_size=count, max_size=count, unique=True).map(
        lambda minutes: [m / 60 for m in minutes]
    )


def partition(decisions: list[Any]) -> set[frozenset[str]]:
    clusters: dict[str, set[str]] = {}
    for d in decisions:
        clusters.setdefault(d.cluster_id, set()).add(d.doc_id)
    return {frozenset(members) for members in clusters.values()}


def related(a: str, b: str, hours_apart: float) -> bool:
    """What the cluster decision requires of every two members (dedupe.cluster.Clusterer._joins)."""
    match = compare(features(a, CONFIG.shingle_size), features(b, CONFIG.shingle_size), "b", CONFIG, hours_apart)
    return match.accepted or (match.rule == "below-threshold" and match.score >= CONFIG.related_floor)


# -- batch (dedupe.dedupe_documents): what wiredesk dedupe and the pipeline share ------------------------------


@QUICK
@given(st.data())
def test_input_order_does_not_matter_with_distinct_times(data: st.DataObject) -> None:
    versions = data.draw(corpus(blends=True))
    docs = documents(versions, data.draw(distinct_hours(len(versions))))
    once = {d.doc_id: d for d in dedupe_documents(docs, CONFIG)}
    shuffled = data.draw(st.permutations(docs))
    assert {d.doc_id: d for d in dedupe_documents(shuffled, CONFIG)} == once  # every decision, evidence too
    assert {d.doc_id: d for d in dedupe_documents(docs, CONFIG)} == once  # and deciding again: the same


@QUICK
@given(st.data())
def test_versions_of_one_copy_end_in_one_cluster_in_any_order(data: st.DataObject) -> None:
    versions = data.draw(corpus())
    hours = data.draw(distinct_hours(len(versions)))  # any publication order of the versions
    decisions = dedupe_documents(documents(versions, hours), CONFIG)
    groups: dict[str, set[str]] = {}
    for v in versions:
        groups.setdefault(v.group, set()).add(v.id)
    assert partition(decisions) == {frozenset(ids) for ids in groups.values()}


@QUICK
@given(st.data())
def test_every_two_members_of_a_cluster_are_related(data: st.DataObject) -> None:
    versions = data.draw(corpus(blends=True))
    hours = data.draw(distinct_hours(len(versions)))
    text = {v.id: v.text for v in versions}
    hour = {v.id: h for v, h in zip(versions, hours, strict=True)}
    for members in partition(dedupe_documents(documents(versions, hours), CONFIG)):
        for a, b in itertools.combinations(sorted(members), 2):
            assert related(text[a], text[b], abs(hour[a] - hour[b])), f"{a} and {b} share a cluster, unrelated"


@QUICK
@given(story(6), story(7), st.permutations(["a", "blend", "c"]))
def test_a_blend_of_two_stories_never_chains_them(a: list[str], c: list[str], order: list[str]) -> None:
    """A blend wholly contains two unrelated stories: whatever the order, it joins at most one of them."""
    texts = {"a": "\n\n".join(a), "c": "\n\n".join(c)}
    texts["blend"] = texts["a"] + "\n\n" + texts["c"]
    docs = [Document(name, texts[name], published=T0 + timedelta(hours=i)) for i, name in enumerate(order)]
    cluster = {d.doc_id: d.cluster_id for d in dedupe_documents(docs, CONFIG)}
    assert cluster["a"] != cluster["c"]
    if order[0] != "blend":
        assert cluster["blend"] in (cluster["a"], cluster["c"])  # it contains both: it joins one of them


# -- the pipeline over a real store (SQLite) -----------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty store, copied for each example (migrating each time would dominate the run)."""
    path = tmp_path_factory.mktemp("template") / "wiredesk.db"
    Store.open(f"sqlite:///{path}").close()
    return path


@contextmanager
def fresh_store(template: Path) -> Iterator[Settings]:
    home = Path(tempfile.mkdtemp(prefix="wiredesk-prop-"))
    try:
        shutil.copy(template, home / "wiredesk.db")
        yield Settings.from_env({"WIREDESK_HOME": str(home)})
    finally:
        shutil.rmtree(home, ignore_errors=True)


def article(doc: Document) -> NewArticle:
    url = f"https://{doc.id}.example/story"
    digest = content_hash(doc.text)
    assert doc.published is not None
    return NewArticle(
        id=article_id_for(url, digest),
        url=url,
        content_hash=digest,
        feed_id=None,
        fetched_at=NOW - timedelta(days=1),  # one poll fetched them all: publication alone orders them
        body=doc.text,
        word_count=len(doc.text.split()),
        extractor="test",
        title=doc.title,
        published_at=doc.published,
    )


def store_state(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row dedupe writes; events in order, without their ids."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            state = {
                table.name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
                for table in (t.signatures, t.index_keys, t.clusters, t.memberships, t.stories, t.story_links, t.meta)
            }
            columns = [c for c in t.events.c if c.name != "id"]
            state["events"] = [tuple(row) for row in conn.execute(select(*columns).order_by(t.events.c.id))]
        return state
    finally:
        engine.dispose()


def stored_then_deduped(template: Path, articles: list[NewArticle]) -> dict[str, list[tuple[Any, ...]]]:
    with fresh_store(template) as run:
        with Store.open(run.store_url) as store:
            for a in articles:
                store.save_article(a)
        dedupe_pending(run, NOW)
        return store_state(run.store_url)


@STORED
@given(st.data())
def test_the_order_articles_are_stored_in_does_not_matter(template: Path, data: st.DataObject) -> None:
    """Ties in publication time included (republications at the same minute): they go by id."""
    versions = data.draw(corpus(blends=True))
    hours = data.draw(
        st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 5.0, 9.0]), min_size=len(versions), max_size=len(versions))
    )
    articles = [article(d) for d in documents(versions, hours)]
    first = stored_then_deduped(template, articles)
    assert stored_then_deduped(template, data.draw(st.permutations(articles))) == first


@STORED
@given(st.data())
def test_dedupe_again_changes_nothing(template: Path, data: st.DataObject) -> None:
    versions = data.draw(corpus(blends=True))
    articles = [article(d) for d in documents(versions, data.draw(distinct_hours(len(versions))))]
    with fresh_store(template) as run:
        with Store.open(run.store_url) as store:
            assert all(store.save_article(a) for a in articles)
        assert dedupe_pending(run, NOW).decided == len(articles)
        once = store_state(run.store_url)

        assert dedupe_pending(run, NOW).decided == 0  # a rerun of the dedupe task
        with Store.open(run.store_url) as store:  # the same versions fetched again
            assert not any(store.save_article(a) for a in data.draw(st.permutations(articles)))
        assert dedupe_pending(run, NOW + timedelta(minutes=15)).decided == 0
        reindex(run, NOW)  # the index rebuilt from the stored signatures: as it was
        assert store_state(run.store_url) == once
