"""Re-extraction: stored raw HTML through the current extractor, and dedupe again for what changed
(``wiredesk reextract [--site HOST] [--since ISO]``).

1. Pages stored before block keys were kept get them (a pass of the body extractor without a site model).
2. The sites' boilerplate models are learned again from the stored pages' block keys.
3. Every selected page is extracted again, with its feed entry as ingest saw it and its site's model.
   - Same body, other metadata: the article's metadata is updated in place (an ``article.reextracted``
     event lists the fields).
   - Another body: the article keeps its id (it names the fetched version) and takes the new body; it
     leaves its cluster (membership, signature, index keys, the story links it made), the cluster's and the
     story's canonical are chosen again without it, and the next dedupe places it again. A cluster left
     empty stays as a tombstone (size 0), so its id never names anything else; a story merge is not undone.
4. Dedupe runs, placing every withdrawn article.

A rerun with nothing new to learn changes nothing.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from dedupe import choose_canonical
from ingest.body import extract_body
from ingest.errors import IngestError
from ingest.extract import extract_article
from ingest.records import ExtractedArticle, FeedEntry
from storage import Article, Cluster, Store, Story
from wiredesk.pipeline import (
    DedupeReport,
    SiteModels,
    article_member,
    content_hash,
    dedupe_pending,
    host_of,
    story_summary,
)
from wiredesk.settings import Settings

# Columns a re-extraction may change, besides the body.
_METADATA = (
    "title",
    "byline",
    "published_at",
    "published_source",
    "language",
    "page_url",
    "outlet",
    "agency",
    "authors",
    "updated_at",
    "updated_source",
    "section",
    "dateline",
    "extractor",
)


@dataclass(frozen=True)
class ReextractReport:
    examined: int
    unchanged: int
    metadata_changed: int
    body_changed: int
    failed: int
    errors: list[str]
    dedupe: DedupeReport


def _values(article: Article, extracted: ExtractedArticle) -> dict[str, Any]:
    return {
        "title": extracted.title,
        "byline": extracted.byline,
        "published_at": extracted.published,
        "published_source": extracted.published_source,
        "language": extracted.language,
        "page_url": extracted.canonical_url or article.page_url,
        "outlet": extracted.outlet,
        "agency": ",".join(extracted.agencies) or None,
        "authors": list(extracted.authors),
        "updated_at": extracted.updated,
        "updated_source": extracted.updated_source,
        "section": extracted.section,
        "dateline": extracted.dateline,
        "extractor": extracted.method,
        "block_keys": list(extracted.block_keys),
    }


def reextract(
    settings: Settings,
    now: datetime,
    *,
    site: str | None = None,
    since: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReextractReport:
    """Re-extract the stored pages of ``site`` (a host) published since ``since``; dedupe what changed."""
    say = progress or (lambda _line: None)
    with settings.open_store() as store:
        ids = store.reextract_candidates(host=site, since=since)
        say(f"re-extracting {len(ids)} stored pages" + (f" of {site}" if site else ""))
        sites = SiteModels(store, settings)
        for n, article in _each(store, ids):  # 1. block keys where they are missing
            if article.host:
                sites.stored(article.host)
            if store.block_keys(article.id) is None:
                html = _html(store, article.id)
                try:
                    body = extract_body(html, url=article.url, title=article.title, config=settings.extract)
                except IngestError:
                    continue
                store.set_block_keys(article.id, body.block_keys)
            if n % 500 == 0:
                say(f"  block keys: {n}/{len(ids)}")
        sites.relearn(now)  # 2. the site models, from every stored page's keys

        unchanged = metadata = bodies = failed = 0
        errors: list[str] = []
        for n, article in _each(store, ids):  # 3. extract again
            article_id = article.id
            facts = store.entry_facts(article.url)
            entry = (
                FeedEntry(article.url, facts.guid, facts.title, None, facts.author, facts.published_at)
                if facts
                else None
            )
            try:
                extracted = extract_article(
                    _html(store, article_id),
                    url=article.page_url or article.url,
                    entry=entry,
                    feed_title=article.outlet,
                    config=settings.extract,
                    site=sites.model(article.host or host_of(article.url)),
                )
            except IngestError as exc:
                failed += 1
                errors.append(f"{article.url}: {exc}")
                continue
            values = _values(article, extracted)
            changed = [k for k in _METADATA if getattr(article, k, None) != values[k]]
            digest = content_hash(extracted.text)
            if digest != article.content_hash:
                _withdraw(store, settings, article, extracted, values, digest, now)
                bodies += 1
            elif changed:
                event = {"article_id": article_id, "body_changed": False, "changed": changed}
                store.update_article(article_id, values, [("article.reextracted", event)], now)
                metadata += 1
            else:
                if store.block_keys(article_id) != list(extracted.block_keys):
                    store.set_block_keys(article_id, extracted.block_keys)
                unchanged += 1
            if n % 100 == 0:
                say(f"  [{n}/{len(ids)}] {bodies} bodies and {metadata} metadata changed")
        report = dedupe_pending(settings, now)  # 4. place what left its cluster
        say(
            f"done: {len(ids)} pages, {bodies} bodies changed, {metadata} metadata only, {unchanged} unchanged, "
            f"{failed} failed; dedupe placed {report.decided}"
        )
        return ReextractReport(len(ids), unchanged, metadata, bodies, failed, errors, report)


def _each(store: Store, ids: list[str], chunk: int = 200) -> Iterator[tuple[int, Article]]:
    """The articles of ``ids`` in order, loaded a chunk at a time (memory stays flat on a large store)."""
    for start in range(0, len(ids), chunk):
        articles = store.articles_by_id(ids[start : start + chunk])
        for n, article_id in enumerate(ids[start : start + chunk], start + 1):
            if article_id in articles:
                yield n, articles[article_id]


def _html(store: Store, article_id: str) -> bytes:
    raw = store.raw_html(article_id)
    return zlib.decompress(raw) if raw else b""


def _withdraw(
    store: Store,
    settings: Settings,
    article: Article,
    extracted: ExtractedArticle,
    values: dict[str, Any],
    digest: str,
    now: datetime,
) -> None:
    """Store the new body and take the article out of its cluster, re-deciding the canonicals it leaves."""
    values = values | {"body": extracted.text, "word_count": extracted.word_count, "content_hash": digest}
    config = settings.dedupe
    events: list[tuple[str, dict[str, Any]]] = [
        (
            "article.reextracted",
            {"article_id": article.id, "body_changed": True, "from_cluster": article.cluster_id},
        )
    ]
    cluster: Cluster | None = None
    story: Story | None = None
    if article.cluster_id is not None:
        before = store.get_cluster(article.cluster_id)
        rest = [a for a, _ in store.cluster_members(before.id) if a.id != article.id]
        if rest:
            choice = choose_canonical(
                [article_member(a) for a in rest], config.completeness_tolerance, config.cluster_policy
            )
            cluster = replace(
                before, canonical_id=choice.id, canonical_reason=choice.reason, size=len(rest), updated_at=now
            )
        else:
            cluster = replace(before, canonical_reason="emptied by re-extraction", size=0, updated_at=now)
        if cluster.canonical_id != before.canonical_id:
            events.append(
                (
                    "canonical.changed",
                    {
                        "scope": "cluster",
                        "article_id": cluster.canonical_id,
                        "from": before.canonical_id,
                        "reason": cluster.canonical_reason,
                    },
                )
            )
        if before.story_id:
            previous = store.get_story(before.story_id)
            clusters = {c.id: c for c in store.story_clusters([previous.id])} | {cluster.id: cluster}
            canon = store.articles_by_id([c.canonical_id for c in clusters.values()])
            story = story_summary(config, previous.id, clusters, canon, previous, now)
            if story.canonical_id != previous.canonical_id:
                events.append(
                    (
                        "canonical.changed",
                        {
                            "scope": "story",
                            "story_id": story.id,
                            "cluster_id": story.canonical_cluster_id,
                            "article_id": story.canonical_id,
                            "from": previous.canonical_id,
                            "reason": story.canonical_reason,
                        },
                    )
                )
    store.withdraw_article(article.id, values, cluster, story, events, now)
