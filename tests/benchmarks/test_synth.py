"""The synthetic wire corpus generator (``benchmarks/synth.py``): deterministic, the duplicate rate asked for,
every variant type, pages that read back to their text, and a stream that holds no more than a story."""

from __future__ import annotations

import json
import random
import re
import tracemalloc
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
import synth
from extract_eval import body_scores

from ingest.extract import extract_article
from ingest.feeds import parse_feed
from ingest.records import FeedEntry


def test_same_seed_same_corpus_and_another_seed_another() -> None:
    first = [r.to_json() for r in synth.generate(300, seed=11)]
    again = [r.to_json() for r in synth.generate(300, seed=11)]
    other = [r.to_json() for r in synth.generate(300, seed=12)]
    assert first == again
    assert len(first) == 300
    assert [r["index"] for r in first] == list(range(300))
    assert not {r["text"] for r in first} & {r["text"] for r in other}


def test_a_story_rebuilds_alone_as_in_the_stream() -> None:
    """The server renders pages by rebuilding one story: it must be the story the stream had."""
    opts = synth.options(400, seed=4)
    stream = list(synth.generate(400, seed=4))
    story = list(synth.plan(opts))[37]
    rebuilt = synth.build_story(opts, story)
    assert rebuilt == stream[story.first_index : story.first_index + story.size]


@pytest.mark.parametrize("rate", [0.0, 0.1, 0.3, 0.5, 0.8])
@pytest.mark.parametrize("n", [1_000, 100_000])
def test_the_plan_keeps_the_duplicate_rate(n: int, rate: float) -> None:
    stories = list(synth.plan(synth.options(n, duplicate_rate=rate)))
    assert sum(s.size for s in stories) == n
    variants = sum(s.duplicates for s in stories)
    assert abs(variants - rate * n) <= synth.SLACK + 2
    if rate:
        assert max(s.duplicates for s in stories) >= 3  # some stories are carried widely


def test_records_have_the_duplicate_rate_and_every_variant_type() -> None:
    records = list(synth.generate(2_000, seed=3, duplicate_rate=0.4))
    kinds = Counter(r.variant for r in records)
    assert set(kinds) == {"original", *synth.VARIANTS}
    assert abs(1 - kinds["original"] / len(records) - 0.4) <= 0.015
    by_id = {r.id: r for r in records}
    words = [r.words for r in records if r.variant == "original"]
    assert min(words) >= 250 and max(words) <= 1_400 and 550 <= sum(words) / len(words) <= 800
    for r in records:
        if r.variant == "original":
            assert r.parent_id is None
            assert re.match(r"^[\w’' .-]+,? [\w .,’]*\((AP|AFP|Reuters|dpa)\) [—-] ", r.text), r.text[:80]
            continue
        assert r.parent_id is not None
        parent = by_id[r.parent_id]
        assert parent.variant == "original" and parent.story_id == r.story_id
        assert r.published > parent.published
        if r.variant == "trim":
            assert parent.text.startswith(r.text) and r.words < parent.words
        elif r.variant == "correction":
            assert r.text.endswith(")") and "(Corrects" in r.text and r.updated is not None
        elif r.variant == "update":
            assert r.cluster_id == parent.cluster_id and r.updated is not None
        elif r.variant == "blend":
            assert r.cluster_id.endswith("-blend") and "," in r.agency
        elif r.variant == "republish":
            assert r.title != parent.title and r.feed != parent.feed
    stories = Counter(r.story_id for r in records)
    assert len(stories) < len(records)


def test_publication_order_on_request() -> None:
    by_story = list(synth.generate(500, seed=10, per_day=2_000))
    by_time = list(synth.generate(500, seed=10, per_day=2_000, ordered=True))
    assert sorted(r.id for r in by_time) == sorted(r.id for r in by_story)
    assert [r.published for r in by_time] == sorted(r.published for r in by_story)
    assert [r.published for r in by_story] != sorted(r.published for r in by_story)


def test_only_the_variants_asked_for() -> None:
    kinds = Counter(r.variant for r in synth.generate(600, seed=5, duplicate_rate=0.5, variants=["trim"]))
    assert set(kinds) == {"original", "trim"}


def test_unrelated_articles_share_almost_no_shingles() -> None:
    records = [r for r in synth.generate(600, seed=6) if r.variant == "original"]
    rng = random.Random(0)

    def shingles(text: str) -> set[str]:
        words = text.lower().split()
        return {" ".join(words[i : i + 5]) for i in range(len(words) - 4)}

    scores = []
    for _ in range(300):
        a, b = rng.sample(records, 2)
        if a.story_id != b.story_id:
            x, y = shingles(a.text), shingles(b.text)
            scores.append(len(x & y) / len(x | y))
    assert max(scores) < 0.05 and sum(scores) / len(scores) < 0.002


def test_pages_extract_back_to_their_text() -> None:
    """Twenty pages across the eight templates, through wiredesk's extractor as the pipeline calls it."""
    records: list[synth.Article] = []
    per_template: Counter[str] = Counter()
    for r in synth.generate(2_000, seed=8, feeds=16):
        template = synth._feed_of(r, None).template
        if per_template[template] < 3 and len(records) < 20 and r.index % 7 == 0:
            records.append(r)
            per_template[template] += 1
    assert len(records) == 20 and len(per_template) == len(synth.TEMPLATE_NAMES)
    scores = {}
    for r in records:
        url = f"https://{r.feed}.example{r.path}"
        html = synth.render_page(r)
        assert "Leave a Reply" in html or "crossroads" not in synth._feed_of(r, None).template
        entry = FeedEntry(url, title=r.title, author=r.byline, published=r.published)
        article = extract_article(html, url=url, entry=entry, feed_title=r.outlet)
        scores[r.id] = body_scores(r.text, article.text)[2]
        assert article.published == r.published
    assert min(scores.values()) >= 0.95, scores


def test_the_stream_holds_no_more_than_a_story() -> None:
    """50,000 records with tracemalloc's peak a small fraction of the text that went through. Short records,
    most of them trims (the cheapest variant), because tracemalloc makes every allocation several times dearer:
    this keeps the test to seconds; what it checks (nothing is kept between stories) does not depend on them."""
    produced = 0
    stream = synth.generate(50_000, seed=9, duplicate_rate=0.9, variants=["trim"], min_words=40, max_words=120,
                            mode_words=60)  # fmt: skip
    tracemalloc.start()
    try:
        for record in stream:
            produced += len(record.text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert produced > 25 * 2**20
    assert peak < 4 * 2**20, f"peak {peak / 2**20:.1f} MiB"


@pytest.mark.parametrize("prerender", [False, True])
def test_server_serves_feeds_and_pages(prerender: bool) -> None:
    with synth.SynthServer(300, seed=2, feeds=6, prerender=prerender) as server:
        formats: Counter[str] = Counter()
        total = 0
        for _, url in server.feed_urls():
            with urllib.request.urlopen(url) as response:
                parsed = parse_feed(response.read(), url=url, content_type=response.headers["Content-Type"])
            formats[parsed.format] += 1
            total += len(parsed.entries)
        assert formats == {"rss": 2, "atom": 2, "json": 2}
        assert total == 300
        record = server.article(123)
        with urllib.request.urlopen(server.url + record.path) as response:
            html = response.read()
        article = extract_article(html, url=server.url + record.path)
        assert body_scores(record.text, article.text)[2] >= 0.95
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(server.url + "/nowhere/")


def test_command_line_writes_jsonl(tmp_path: Path) -> None:
    assert synth.main(["--articles", "250", "--out", str(tmp_path), "--seed", "3", "--feeds", "5"]) == 0
    lines = (tmp_path / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 250
    assert records[0] == next(synth.generate(250, seed=3, feeds=5)).to_json()
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["articles"] == 250 and sum(manifest["counts"].values()) == 250
    assert len(json.loads((tmp_path / "feeds.json").read_text(encoding="utf-8"))) == 5
    pooled = tmp_path / "pooled"
    assert synth.main(["--articles", "250", "--out", str(pooled), "--seed", "3", "--feeds", "5", "--workers", "2"]) == 0
    assert (pooled / "articles.jsonl").read_bytes() == (tmp_path / "articles.jsonl").read_bytes()
