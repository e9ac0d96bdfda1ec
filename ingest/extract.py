"""Article extraction: trafilatura (comments off) for the body, our cleanup on top, and metadata reconciled
from the feed entry, the page's meta tags and JSON-LD, and trafilatura's own findings.

Published time: the feed's first, then the page's (``article:published_time``, JSON-LD ``datePublished``,
other date meta tags, ``<time datetime>``), then trafilatura's date guess. Updated times are never used
as the published time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import lxml.html
import trafilatura

from ingest.cleanup import clean_body
from ingest.config import ExtractConfig
from ingest.credits import clean_byline, credited_agencies
from ingest.errors import ExtractError, InvalidURL
from ingest.records import ExtractedArticle, FeedEntry
from ingest.urls import canonical_url

METHOD = "trafilatura+cleanup"
_PUBLISHED_META = (
    ("property", "article:published_time"),
    ("itemprop", "datePublished"),
    ("name", "date"),
    ("name", "publish-date"),
    ("name", "pubdate"),
    ("name", "dc.date"),
    ("name", "sailthru.date"),
)


@dataclass(frozen=True)
class PageMeta:
    """What the page's head says about itself."""

    title: str | None = None
    description: str | None = None
    site_name: str | None = None
    canonical: str | None = None
    language: str | None = None
    author: str | None = None
    published: tuple[datetime, str] | None = None


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time as aware UTC; a time without zone is taken as UTC. None when unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _json_ld_objects(tree: Any) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text_content())
        except (json.JSONDecodeError, TypeError):
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                objects.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(graph)
    return objects


def _meta(tree: Any, attr: str, value: str) -> str | None:
    found = tree.xpath(
        f'//meta[translate(@{attr}, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")="{value}"]/@content'
    )
    return str(found[0]).strip() or None if found else None


def read_page_meta(tree: Any, url: str) -> PageMeta:
    """Title, description, site name, canonical URL, language, author and published time from the head."""
    published: tuple[datetime, str] | None = None
    for attr, name in _PUBLISHED_META:
        when = parse_time(_meta(tree, attr, name))
        if when:
            published = (when, f"meta:{name}")
            break
    author = _meta(tree, "name", "author") or _meta(tree, "property", "article:author")
    for obj in _json_ld_objects(tree):
        if published is None:
            when = parse_time(obj.get("datePublished"))
            if when:
                published = (when, "json-ld")
        if author is None:
            people = obj.get("author")
            people = people if isinstance(people, list) else [people]
            names = [p.get("name") if isinstance(p, dict) else p for p in people]
            author = ", ".join(n for n in names if isinstance(n, str)) or None
    if published is None:
        in_header = tree.xpath("//article//time/@datetime | //header//time/@datetime")
        for value in in_header or tree.xpath("//time/@datetime"):
            when = parse_time(str(value))
            if when:
                published = (when, "html:time")
                break
    canonical = None
    for href in tree.xpath('//link[@rel="canonical"]/@href'):
        try:
            canonical = canonical_url(str(href), base=url)
            break
        except InvalidURL:
            continue
    lang = tree.xpath("/html/@lang")
    return PageMeta(
        title=_meta(tree, "property", "og:title"),
        description=_meta(tree, "property", "og:description") or _meta(tree, "name", "description"),
        site_name=_meta(tree, "property", "og:site_name"),
        canonical=canonical,
        language=str(lang[0]).split("-")[0].lower() if lang and str(lang[0]).strip() else None,
        author=author,
        published=published,
    )


def extract_article(
    html: bytes | str,
    *,
    url: str,
    entry: FeedEntry | None = None,
    feed_title: str | None = None,
    config: ExtractConfig | None = None,
) -> ExtractedArticle:
    """Extract the clean body and metadata of one article page. Raises :class:`ExtractError`."""
    config = config or ExtractConfig()
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise ExtractError(f"extract: unreadable HTML ({exc}) at {url}") from exc
    meta = read_page_meta(tree, url)
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        include_comments=False,
        with_metadata=True,
        favor_precision=config.favor_precision,
        deduplicate=False,
    )
    raw_text = getattr(doc, "text", None) or ""
    title = meta.title or getattr(doc, "title", None) or (entry.title if entry else None)
    text, _dropped = clean_body(raw_text, title=title)
    words = len(text.split())
    if words < config.min_words:
        raise ExtractError(f"extract: body of {words} words, below {config.min_words}, at {url}")

    byline_raw = meta.author or getattr(doc, "author", None) or (entry.author if entry else None)
    published, source = None, None
    if entry and entry.published:
        published, source = entry.published, "feed"
    elif meta.published:
        published, source = meta.published
    else:
        guess = parse_time(getattr(doc, "date", None))
        if guess:
            published, source = guess, "trafilatura"
    return ExtractedArticle(
        text=text,
        method=METHOD,
        title=title,
        byline=clean_byline(byline_raw),
        published=published,
        published_source=source,
        language=meta.language or getattr(doc, "language", None),
        canonical_url=meta.canonical,
        outlet=meta.site_name or feed_title or getattr(doc, "sitename", None),
        agencies=credited_agencies(raw_text, extra=(byline_raw,)),
    )
