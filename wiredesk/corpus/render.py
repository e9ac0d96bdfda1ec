"""Render the corpus as a web site: each outlet's pages through its template, and its feed in its format.

Feeds carry the usual warts an outlet's manifest entry asks for: ``tracking`` (utm parameters on links),
``relative_links``, ``missing_dates`` (every other item undated), ``html_description`` and ``guid_not_url``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from html import escape
from xml.sax.saxutils import escape as xml_escape

import jinja2

from wiredesk.corpus.model import Corpus, Outlet, Page

AGENCY_NAMES = {"AP": "The Associated Press", "AFP": "Agence France-Presse", "Reuters": "Reuters"}
TRACKING = "utm_source=feed&utm_medium=rss&utm_campaign=world"


@dataclass(frozen=True)
class FeedItem:
    link: str
    guid: str
    title: str
    summary: str
    date: datetime | None
    author: str | None


@dataclass(frozen=True)
class Resource:
    body: bytes
    content_type: str
    last_modified: datetime

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:20] + '"'


def _human(when: datetime | None) -> str | None:
    if when is None:
        return None
    return f"{when:%B} {when.day}, {when:%Y} {when.hour % 12 or 12}:{when:%M} {'am' if when.hour < 12 else 'pm'}"


def _headline(corpus: Corpus, page: Page) -> str:
    return page.headline or corpus.texts[page.text].headline


def render_page(corpus: Corpus, page: Page, base_url: str, env: jinja2.Environment) -> Resource:
    text = corpus.texts[page.text]
    outlet = corpus.outlet(page.outlet)
    paragraphs = corpus.body_of(page)
    first = next(p.text for p in paragraphs if p.kind == "p")
    related = [
        {"title": _headline(corpus, other), "url": base_url + other.path}
        for other in corpus.pages_of(page.outlet)
        if other.path != page.path
    ][:3]
    context = {
        "site_name": outlet.name,
        "site_path": f"/{outlet.slug}/",
        "lang": "en",
        "headline": _headline(corpus, page),
        "description": text.description or first[:200],
        "section": "World" if page.variant not in {"unrelated", "templated"} else "News",
        "byline": text.byline,
        "agency": text.agency,
        "agency_name": AGENCY_NAMES.get(text.agency or ""),
        "published_iso": page.published.isoformat(),
        "published_human": _human(page.published),
        "updated_iso": page.updated.isoformat() if page.updated else None,
        "updated_human": _human(page.updated),
        "canonical_url": base_url + page.path,
        "paragraphs": paragraphs,
        "related": related,
        "comments": corpus.comments.get(page.path, ()),
        "image_url": f"/{outlet.slug}/images/{page.text}.jpg",
    }
    html = env.get_template(outlet.template).render(**context)
    return Resource(html.encode("utf-8"), "text/html; charset=utf-8", page.updated or page.published)


def _item_link(outlet: Outlet, page: Page, base_url: str, index: int) -> str:
    link = page.path if "relative_links" in outlet.warts and index % 2 == 0 else base_url + page.path
    if "tracking" in outlet.warts:
        link += ("&" if "?" in link else "?") + TRACKING
    return link


def _item_date(outlet: Outlet, page: Page, index: int) -> datetime | None:
    return None if "missing_dates" in outlet.warts and index % 2 == 0 else page.published


def _summary(corpus: Corpus, outlet: Outlet, page: Page) -> str:
    first = next(p.text for p in corpus.body_of(page) if p.kind == "p")
    summary = first[:240]
    if "html_description" in outlet.warts:
        return f'<p><img src="/{outlet.slug}/images/{page.text}-thumb.jpg" alt=""/> {escape(summary)}&hellip;</p>'
    return summary


def _guid(outlet: Outlet, page: Page, base_url: str) -> str:
    if "guid_not_url" in outlet.warts:
        return f"{outlet.slug}-{hashlib.blake2b(page.path.encode(), digest_size=4).hexdigest()}"
    return base_url + page.path


def render_feed(corpus: Corpus, outlet: Outlet, base_url: str) -> Resource:
    pages = sorted(corpus.pages_of(outlet.slug), key=lambda p: p.published, reverse=True)
    newest = max(p.updated or p.published for p in pages)
    home = f"{base_url}/{outlet.slug}/"
    items: list[FeedItem] = []
    for i, page in enumerate(pages):
        text = corpus.texts[page.text]
        items.append(
            FeedItem(
                link=_item_link(outlet, page, base_url, i),
                guid=_guid(outlet, page, base_url),
                title=_headline(corpus, page),
                summary=_summary(corpus, outlet, page),
                date=_item_date(outlet, page, i),
                author=text.byline,
            )
        )
    if outlet.feed_format == "json":
        body = _json_feed(outlet, home, base_url, items)
        return Resource(body, "application/feed+json", newest)
    if outlet.feed_format == "atom":
        return Resource(_atom(outlet, home, base_url, items, newest), "application/atom+xml", newest)
    return Resource(_rss(outlet, home, items, newest), "application/rss+xml; charset=utf-8", newest)


def _rss(outlet: Outlet, home: str, items: list[FeedItem], newest: datetime) -> bytes:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">',
        "<channel>",
        f"<title>{xml_escape(outlet.name)}</title>",
        f"<link>{xml_escape(home)}</link>",
        f"<description>Latest from {xml_escape(outlet.name)}</description>",
        f"<lastBuildDate>{format_datetime(newest)}</lastBuildDate>",
    ]
    for item in items:
        is_url = item.guid.startswith("http")
        out += [
            "<item>",
            f"<title>{xml_escape(item.title)}</title>",
            f"<link>{xml_escape(item.link)}</link>",
            f'<guid isPermaLink="{"true" if is_url else "false"}">{xml_escape(item.guid)}</guid>',
            f"<description>{xml_escape(item.summary)}</description>",
        ]
        if item.date is not None:
            out.append(f"<pubDate>{format_datetime(item.date)}</pubDate>")
        if item.author:
            out.append(f"<dc:creator>{xml_escape(item.author)}</dc:creator>")
        out.append("</item>")
    out += ["</channel>", "</rss>"]
    return "\n".join(out).encode("utf-8")


def _atom(outlet: Outlet, home: str, base_url: str, items: list[FeedItem], newest: datetime) -> bytes:
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{xml_escape(base_url)}/">',
        f"<title>{xml_escape(outlet.name)}</title>",
        f'<link rel="alternate" href="{xml_escape(home)}"/>',
        f"<id>{xml_escape(home)}</id>",
        f"<updated>{newest.isoformat()}</updated>",
    ]
    for item in items:
        out += [
            "<entry>",
            f"<title>{xml_escape(item.title)}</title>",
            f'<link rel="alternate" type="text/html" href="{xml_escape(item.link)}"/>',
            f"<id>{xml_escape(item.guid)}</id>",
        ]
        if item.date is not None:
            out += [
                f"<published>{item.date.isoformat()}</published>",
                f"<updated>{item.date.isoformat()}</updated>",
            ]
        if item.author:
            out.append(f"<author><name>{xml_escape(item.author)}</name></author>")
        summary_type = "html" if item.summary.startswith("<") else "text"
        out += [f'<summary type="{summary_type}">{xml_escape(item.summary)}</summary>', "</entry>"]
    out.append("</feed>")
    return "\n".join(out).encode("utf-8")


def _json_feed(outlet: Outlet, home: str, base_url: str, items: list[FeedItem]) -> bytes:
    feed: dict[str, object] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": outlet.name,
        "home_page_url": home,
        "feed_url": base_url + outlet.feed_path,
        "items": [],
    }
    for item in items:
        entry: dict[str, object] = {"id": item.guid, "url": item.link, "title": item.title}
        summary = item.summary
        entry["content_html" if summary.startswith("<") else "summary"] = summary
        if item.date is not None:
            entry["date_published"] = item.date.isoformat()
        if item.author:
            entry["authors"] = [{"name": item.author}]
        feed["items"].append(entry)  # type: ignore[attr-defined]
    return json.dumps(feed, indent=2, ensure_ascii=False).encode("utf-8")


def render_site(corpus: Corpus, base_url: str) -> dict[str, Resource]:
    """Every resource of the corpus site by path, with links made absolute against ``base_url``."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(corpus.templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    site = {page.path: render_page(corpus, page, base_url, env) for page in corpus.pages}
    for outlet in corpus.outlets:
        site[outlet.feed_path] = render_feed(corpus, outlet, base_url)
    return site
