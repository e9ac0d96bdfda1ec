"""Feed parsing: RSS and Atom through feedparser, JSON Feed (1.0 and 1.1) ourselves.

Each format ends in the same :class:`FeedEntry`. Links are made absolute against the feed's URL (or its
``xml:base``) and canonicalised; an entry without a usable link is skipped, because the GUID is a hint,
not an identity. A damaged feed keeps the entries that could be read and reports the damage as a warning.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import feedparser
import lxml.html

from ingest.errors import FeedParseError, InvalidURL
from ingest.records import FeedEntry, ParsedFeed
from ingest.urls import canonical_url

# Not damage: a feed served under a non-XML type, or with an encoding that differs from its declaration.
_HARMLESS = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)
_JSON_TYPES = ("application/feed+json", "application/json", "text/json")


def html_to_text(html: str | None) -> str | None:
    """Plain text of an HTML fragment (feed summaries often carry markup)."""
    if not html or not html.strip():
        return None
    if "<" not in html and "&" not in html:
        return " ".join(html.split())
    try:
        text = lxml.html.fragment_fromstring(html, create_parent="div").text_content()
    except (ValueError, lxml.etree.ParserError):
        return " ".join(html.split())
    return " ".join(text.split()) or None


def looks_like_json(body: bytes, content_type: str | None) -> bool:
    if content_type and content_type.split(";")[0].strip().lower() in _JSON_TYPES:
        return True
    return body.lstrip()[:1] == b"{"


def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse a feed body fetched from ``url``. Raises :class:`FeedParseError` when nothing is readable."""
    if looks_like_json(body, content_type):
        return _parse_json_feed(body, url)
    return _parse_xml_feed(body, url, content_type)


def _dedupe(entries: Iterable[FeedEntry]) -> tuple[FeedEntry, ...]:
    seen: dict[str, FeedEntry] = {}
    for entry in entries:
        seen.setdefault(entry.url, entry)
    return tuple(seen.values())


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def _parse_xml_feed(body: bytes, url: str, content_type: str | None) -> ParsedFeed:
    # No content-location: feedparser would resolve a non-URL GUID ("4127") against it. Links are resolved
    # below, against the feed's URL, after feedparser has applied any xml:base.
    headers = {"content-type": content_type} if content_type else None
    parsed = feedparser.parse(body, response_headers=headers, resolve_relative_uris=True, sanitize_html=True)
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no RSS or Atom document found"
        raise FeedParseError(f"feed: not a feed ({reason}) at {url}")
    fmt = "atom" if version.startswith("atom") else "rss"
    entries = []
    skipped = 0
    for item in parsed.entries:
        link = item.get("link") or _first_alternate(item)
        guid = item.get("id")
        if item.get("guidislink") and not str(link).startswith(("http://", "https://")):
            link = None  # feedparser took the link from a GUID that is no URL: the GUID is only a hint
        if not link and guid and str(guid).startswith(("http://", "https://")):
            link = guid
        try:
            entry_url = canonical_url(link, base=url) if link else None
        except InvalidURL:
            entry_url = None
        if entry_url is None:
            skipped += 1
            continue
        summary = item.get("summary") or (item.get("content") or [{}])[0].get("value")
        entries.append(
            FeedEntry(
                url=entry_url,
                guid=str(guid) if guid else None,
                title=html_to_text(item.get("title")),
                summary=html_to_text(summary),
                author=item.get("author") or None,
                published=_struct_time(item.get("published_parsed") or item.get("updated_parsed")),
            )
        )
    warnings = []
    damage = parsed.get("bozo_exception")
    if parsed.get("bozo") and damage is not None and not isinstance(damage, _HARMLESS):
        warnings.append(f"malformed feed, kept {len(_dedupe(entries))} entries ({damage})")
    if skipped:
        warnings.append(f"{skipped} entries without a usable link skipped")
    return ParsedFeed(
        format=fmt,
        title=html_to_text(parsed.feed.get("title")),
        entries=_dedupe(entries),
        warning="; ".join(warnings) or None,
    )


def _first_alternate(item: Any) -> str | None:
    for link in item.get("links", []):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link["href"])
    return None


def _json_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedParseError(f"feed: invalid JSON ({exc}) at {url}") from exc
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith("https://jsonfeed.org/version/"):
        raise FeedParseError(f"feed: JSON without a JSON Feed version at {url}")
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedParseError(f"feed: JSON Feed without an items list at {url}")
    base = doc.get("feed_url") if isinstance(doc.get("feed_url"), str) else url
    entries, skipped = [], 0
    for item in items:
        if not isinstance(item, dict):
            skipped += 1
            continue
        link = item.get("url") or item.get("external_url")
        guid = item.get("id")
        if not link and isinstance(guid, str) and guid.startswith(("http://", "https://")):
            link = guid
        try:
            entry_url = canonical_url(str(link), base=base) if link else None
        except InvalidURL:
            entry_url = None
        if entry_url is None:
            skipped += 1
            continue
        authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
        names = [str(a["name"]) for a in authors if isinstance(a, dict) and a.get("name")]
        summary = item.get("summary") or item.get("content_html") or item.get("content_text")
        entries.append(
            FeedEntry(
                url=entry_url,
                guid=str(guid) if guid is not None else None,
                title=html_to_text(item.get("title")),
                summary=html_to_text(summary if isinstance(summary, str) else None),
                author=", ".join(names) or None,
                published=_json_time(item.get("date_published") or item.get("date_modified")),
            )
        )
    warning = f"{skipped} items without a usable link skipped" if skipped else None
    title = doc.get("title") if isinstance(doc.get("title"), str) else None
    return ParsedFeed(format="json", title=title, entries=_dedupe(entries), warning=warning)
