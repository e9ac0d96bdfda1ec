"""Article metadata reconciled from the feed entry, the page's meta tags, JSON-LD, visible markup, the
URL and the body, each value with the source it came from.

Which source wins, field by field:

- **title**: ``og:title``, JSON-LD ``headline``, ``<h1>``, ``<title>``, the feed's title.
- **authors**: people named by JSON-LD ``author`` (``@id`` references followed), ``meta name=author``,
  the visible byline (``rel=author``, ``itemprop=author``, ``class*=byline``), the feed, in that order; each
  reduced to names: no "By"/"Par"/"Von"/"Por", no agency, no place ("in Kabul"), names in capitals
  title-cased.
- **published**: the feed's time, then ``article:published_time``, JSON-LD ``datePublished``,
  ``itemprop=datePublished``, other date meta tags, a ``<time>`` in the article's header, then the date in
  the URL. A time without a zone takes the zone another source on the page states for the same wall clock
  (or the page's zone); with none, it is UTC. Modified times are never taken as published.
- **updated**: ``article:modified_time``, JSON-LD ``dateModified``, ``itemprop=dateModified``,
  ``og:updated_time``, a ``<time>`` marked as updated; kept only when later than published.
- **language**: ``<html lang>``, ``og:locale``, ``content-language``, JSON-LD ``inLanguage``, then the
  body's words (:mod:`ingest.language`).
- **canonical URL**: ``<link rel=canonical>``, ``og:url``, then the page's URL.
- **section**: ``article:section``, JSON-LD ``articleSection``, the last crumb of a breadcrumb trail before
  the article itself.
- **agencies** and **dateline**: from the body's dateline and credits (:mod:`ingest.credits`), and the
  byline.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from ingest.credits import credited_agencies, dateline_of, person_names
from ingest.errors import InvalidURL
from ingest.language import detect_language
from ingest.records import FeedEntry
from ingest.urls import canonical_url

_ARTICLE_TYPES = {
    "newsarticle",
    "article",
    "reportagenewsarticle",
    "blogposting",
    "liveblogposting",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "webpage",
}
_PUBLISHED_META = (
    ("property", "article:published_time"),
    ("json-ld", "datePublished"),
    ("itemprop", "datepublished"),
    ("name", "date"),
    ("name", "publish-date"),
    ("name", "pubdate"),
    ("name", "dc.date"),
    ("name", "dcterms.created"),
    ("name", "sailthru.date"),
    ("name", "parsely-pub-date"),
)
_UPDATED_META = (
    ("property", "article:modified_time"),
    ("json-ld", "dateModified"),
    ("itemprop", "datemodified"),
    ("property", "og:updated_time"),
    ("name", "dcterms.modified"),
    ("name", "last-modified"),
)
_URL_DATE = re.compile(r"/((?:19|20)\d\d)[/-](0[1-9]|1[0-2])[/-](0[1-9]|[12]\d|3[01])(?:/|-|$)")
_UPDATED_MARK = re.compile(r"updat|modif|aktualisiert|actualis|mis à jour", re.IGNORECASE)


@dataclass(frozen=True)
class Stamp:
    """A time as a source wrote it: ``aware`` is false when it carried no zone (then ``when`` is UTC)."""

    when: datetime
    source: str
    aware: bool = True


@dataclass(frozen=True)
class Metadata:
    """What wiredesk knows of an article besides its body; ``*_source`` names where a value came from."""

    title: str | None = None
    title_source: str | None = None
    authors: tuple[str, ...] = ()
    authors_source: str | None = None
    published: datetime | None = None
    published_source: str | None = None
    updated: datetime | None = None
    updated_source: str | None = None
    language: str | None = None
    language_source: str | None = None
    canonical_url: str | None = None
    section: str | None = None
    agencies: tuple[str, ...] = field(default_factory=tuple)
    dateline: str | None = None
    site_name: str | None = None
    description: str | None = None
    byline: str | None = None  # the raw byline as the page or feed gave it


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time as aware UTC; a time without zone is taken as UTC. None when unreadable."""
    stamp = _stamp(value, "")
    return stamp[0].when if stamp else None


def _stamp(value: Any, source: str) -> tuple[Stamp, tzinfo | None] | None:
    """A stamp, and the zone it was written in (None for a naive time)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    text = re.sub(r"[Zz]$", "+00:00", text)
    text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text) if "T" in text or " " in text else text
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo:
        return Stamp(parsed.astimezone(UTC), source, aware=True), parsed.tzinfo
    return Stamp(parsed.replace(tzinfo=UTC), source, aware=False), None


class _Page:
    """The parsed page: meta tags, JSON-LD objects and the times it states, each with its source."""

    def __init__(self, tree: Any, url: str) -> None:
        self.tree = tree
        self.url = url
        self.objects = _json_ld_objects(tree)
        self.graph = {str(o["@id"]): o for o in self.objects if isinstance(o.get("@id"), str)}
        articles = [o for o in self.objects if _types(o) & _ARTICLE_TYPES - {"webpage"}]
        self.article: dict[str, Any] = (
            articles[0] if articles else next((o for o in self.objects if "webpage" in _types(o)), {})
        )
        self._metas: dict[tuple[str, str], str] | None = None
        self.zones: dict[datetime, tzinfo] = {}  # naive wall clock -> the zone a source wrote it in
        self.any_zone: tzinfo | None = None

    def meta(self, attr: str, value: str) -> str | None:
        """The first ``<meta {attr}={value}>``'s content (both compared without case); for ``itemprop``
        also any element's ``datetime``."""
        if self._metas is None:
            self._metas = {}
            for node in self.tree.iter("meta"):
                content = (node.get("content") or "").strip()
                for name in ("property", "name", "itemprop", "http-equiv"):
                    key = node.get(name)
                    if key and content:
                        self._metas.setdefault((name, key.strip().lower()), content)
            for node in self.tree.xpath("//*[@itemprop and @datetime]"):
                self._metas.setdefault(("itemprop", str(node.get("itemprop")).lower()), str(node.get("datetime")))
        return self._metas.get((attr, value.lower()))

    def ld(self, key: str) -> Any:
        return self.article.get(key)

    def stamps(self, names: tuple[tuple[str, str], ...]) -> list[Stamp]:
        out = []
        for attr, name in names:
            raw = self.ld(name) if attr == "json-ld" else self.meta(attr, name)
            got = _stamp(raw, "json-ld" if attr == "json-ld" else f"meta:{name}")
            if got:
                stamp, zone = got
                if zone is not None:
                    local = stamp.when.astimezone(zone).replace(tzinfo=None)
                    self.zones.setdefault(local, zone)
                    self.any_zone = self.any_zone or zone
                out.append(stamp)
        return out

    def time_elements(self) -> tuple[list[Stamp], list[Stamp]]:
        """``<time datetime>`` in the article's header or body (not in asides or comments): (published, updated)."""
        published: list[Stamp] = []
        updated: list[Stamp] = []
        nodes = self.tree.xpath(
            "//article//time[@datetime] | //header//time[@datetime] | //*[contains(@class, 'byline') or "
            "contains(@class, 'dateline') or contains(@class, 'meta')]//time[@datetime]"
        ) or self.tree.xpath("//time[@datetime]")
        for node in nodes:
            if node.xpath("ancestor::aside | ancestor::*[contains(@class, 'comment')]"):
                continue
            got = _stamp(str(node.get("datetime")), "html:time")
            if not got:
                continue
            stamp, zone = got
            if zone is not None:
                self.zones.setdefault(stamp.when.astimezone(zone).replace(tzinfo=None), zone)
                self.any_zone = self.any_zone or zone
            marks = " ".join(
                str(v)
                for v in (
                    node.get("class"),
                    node.get("itemprop"),
                    node.getparent().get("class") if node.getparent() is not None else None,
                    node.text_content(),
                )
                if v
            )
            (updated if _UPDATED_MARK.search(marks) else published).append(stamp)
        return published, updated

    def resolve(self, stamp: Stamp) -> Stamp:
        """A naive time in the zone a source stated for the same wall clock, else the page's zone."""
        if stamp.aware:
            return stamp
        wall = stamp.when.replace(tzinfo=None)
        zone = self.zones.get(wall) or self.any_zone
        if zone is None:
            return stamp
        return Stamp(wall.replace(tzinfo=zone).astimezone(UTC), stamp.source + " (zone from page)", aware=True)


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds if k}


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


def _text(node: Any) -> str:
    return " ".join(node.text_content().split())


def _first_text(tree: Any, xpath: str) -> str | None:
    for node in tree.xpath(xpath):
        text = _text(node) if hasattr(node, "text_content") else " ".join(str(node).split())
        if text:
            return text
    return None


def _people(page: _Page) -> tuple[list[str], list[str]]:
    """Names of the people JSON-LD credits, and the organisations it names as authors."""
    raw = page.ld("author")
    items = raw if isinstance(raw, list) else [raw]
    people: list[str] = []
    orgs: list[str] = []
    for item in items:
        if isinstance(item, dict) and "@id" in item and "name" not in item:
            item = page.graph.get(str(item["@id"]), item)
        if isinstance(item, dict):
            name = item.get("name")
            if isinstance(name, str):
                (orgs if "organization" in _types(item) else people).append(name)
        elif isinstance(item, str):
            people.append(item)
    return people, orgs


def first_title(tree: Any) -> str | None:
    """A quick headline from the page (``og:title``, else ``<h1>``), before metadata is reconciled."""
    og = tree.xpath('//meta[@property="og:title"]/@content')
    return (str(og[0]).strip() or None) if og else _first_text(tree, "//article//h1 | //h1")


def _byline_text(tree: Any) -> str | None:
    return _first_text(
        tree,
        "//*[@rel='author'] | //*[@itemprop='author' and not(self::meta)] | "
        "//*[contains(concat(' ', normalize-space(@class), ' '), ' byline ') or "
        "contains(@class, 'byline') or contains(@class, 'author-name')][not(ancestor::aside)]",
    )


def _section(page: _Page) -> str | None:
    section = page.meta("property", "article:section")
    if section:
        return section
    ld = page.ld("articleSection")
    if isinstance(ld, list) and ld:
        ld = ld[0]
    if isinstance(ld, str) and ld.strip():
        return ld.strip()
    for obj in page.objects:
        if "breadcrumblist" in _types(obj) and isinstance(obj.get("itemListElement"), list):
            names = [n for e in obj["itemListElement"] if isinstance(n := _crumb_name(e), str)]
            if len(names) >= 2:
                return _crumb(names)
    crumbs = [
        _text(a)
        for a in page.tree.xpath(
            "//*[contains(@class, 'breadcrumb') or @aria-label='breadcrumb' or @aria-label='Breadcrumb']//a"
        )
    ]
    crumbs = [c for c in crumbs if c]
    return _crumb(crumbs) if crumbs else None


def _crumb_name(element: Any) -> Any:
    if not isinstance(element, dict):
        return None
    item = element.get("item")
    return element.get("name") or (item.get("name") if isinstance(item, dict) else None)


def _crumb(names: list[str]) -> str | None:
    """The section in a breadcrumb trail: the last crumb that is neither home nor the article itself."""
    home = {"home", "accueil", "startseite", "inicio", "portada"}
    names = [n for n in names if n.strip().lower() not in home]
    return names[-1] if names else None


def _language(page: _Page, text: str) -> tuple[str | None, str | None]:
    lang = page.tree.xpath("/html/@lang | /html/@xml:lang", namespaces={"xml": "http://www.w3.org/XML/1998/namespace"})
    for value, source in (
        (str(lang[0]) if lang else None, "html:lang"),
        (page.meta("property", "og:locale"), "meta:og:locale"),
        (page.meta("http-equiv", "content-language"), "meta:content-language"),
        (page.ld("inLanguage") if isinstance(page.ld("inLanguage"), str) else None, "json-ld"),
    ):
        if value and value.strip():
            return re.split(r"[-_]", value.strip())[0].lower(), source
    detected = detect_language(text)
    return (detected, "detected") if detected else (None, None)


def _canonical(page: _Page) -> str:
    for href in [*page.tree.xpath('//link[@rel="canonical"]/@href'), page.meta("property", "og:url")]:
        if not href:
            continue
        try:
            return canonical_url(str(href), base=page.url)
        except InvalidURL:
            continue
    try:
        return canonical_url(page.url)
    except InvalidURL:
        return page.url


def _url_date(url: str) -> Stamp | None:
    m = _URL_DATE.search(url)
    if not m:
        return None
    try:
        return Stamp(datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=UTC), "url", aware=False)
    except ValueError:
        return None


def read_metadata(
    tree: Any,
    *,
    url: str,
    text: str,
    entry: FeedEntry | None = None,
    fallback: dict[str, Any] | None = None,
) -> Metadata:
    """Reconcile the article's metadata. ``text`` is the clean body; ``fallback`` holds trafilatura's own
    findings (``title``, ``author``, ``date``, ``sitename``), used last."""
    fallback = fallback or {}
    page = _Page(tree, url)

    published_meta = page.stamps(_PUBLISHED_META)
    updated_meta = page.stamps(_UPDATED_META)
    published_time, updated_time = page.time_elements()
    published: Stamp | None = None
    if entry and entry.published:
        published = Stamp(
            entry.published.astimezone(UTC) if entry.published.tzinfo else entry.published.replace(tzinfo=UTC), "feed"
        )
    else:
        candidates = published_meta + published_time
        if candidates:
            published = page.resolve(candidates[0])
        else:
            published = _url_date(url)
            if published is None:
                got = _stamp(fallback.get("date"), "trafilatura")
                published = got[0] if got else None
    updated = None
    for stamp in updated_meta + updated_time:
        stamp = page.resolve(stamp)
        if published is None or stamp.when > published.when + timedelta(minutes=1):
            updated = stamp
            break

    people, orgs = _people(page)
    visible_byline = _byline_text(tree)
    byline_raw = ", ".join(people) if people else None
    authors, authors_source = person_names(byline_raw), "json-ld"
    for raw, source in (
        (page.meta("name", "author"), "meta:author"),
        (visible_byline, "html:byline"),
        (entry.author if entry else None, "feed"),
        (fallback.get("author"), "trafilatura"),
    ):
        if authors:
            break
        authors, authors_source = person_names(raw), source
        byline_raw = byline_raw or raw
    agencies = credited_agencies(
        text, extra=(byline_raw, visible_byline, page.meta("name", "author"), *orgs, entry.author if entry else None)
    )

    title, title_source = None, None
    for value, source in (
        (page.meta("property", "og:title"), "meta:og:title"),
        (page.ld("headline") if isinstance(page.ld("headline"), str) else None, "json-ld"),
        (_first_text(tree, "//article//h1 | //h1"), "html:h1"),
        (_first_text(tree, "//title"), "html:title"),
        (entry.title if entry else None, "feed"),
        (fallback.get("title"), "trafilatura"),
    ):
        if value and value.strip():
            title, title_source = " ".join(value.split()), source
            break

    language, language_source = _language(page, text)
    return Metadata(
        title=title,
        title_source=title_source,
        authors=tuple(authors),
        authors_source=authors_source if authors else None,
        published=published.when if published else None,
        published_source=published.source if published else None,
        updated=updated.when if updated else None,
        updated_source=updated.source if updated else None,
        language=language,
        language_source=language_source,
        canonical_url=_canonical(page),
        section=_section(page),
        agencies=agencies,
        dateline=dateline_of(text),
        site_name=page.meta("property", "og:site_name"),
        description=page.meta("property", "og:description") or page.meta("name", "description"),
        byline=byline_raw or visible_byline,
    )


__all__ = ["Metadata", "Stamp", "first_title", "parse_time", "read_metadata"]
