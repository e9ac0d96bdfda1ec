"""The records ingest hands on: a feed entry, a fetched response, an extracted article."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed, whatever its format. ``url`` is canonical; ``guid`` is only a hint."""

    url: str
    guid: str | None = None
    title: str | None = None
    summary: str | None = None
    author: str | None = None
    published: datetime | None = None


@dataclass(frozen=True)
class ParsedFeed:
    """A feed's items and what it says of itself. ``warning`` notes recoverable damage (kept entries)."""

    format: str  # "rss", "atom" or "json"
    title: str | None
    entries: tuple[FeedEntry, ...]
    warning: str | None = None


@dataclass(frozen=True)
class Response:
    """A completed HTTP exchange. ``not_modified`` is a 304 to a conditional request (empty body)."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    not_modified: bool = False

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


@dataclass(frozen=True)
class ExtractedArticle:
    """An article page reduced to its clean body and metadata.

    ``published_source`` says where the time came from (``feed``, ``meta:article:published_time``,
    ``json-ld``, ``html:time``, ``url``, ``trafilatura``), ``updated_source`` likewise for the update time;
    ``agencies`` lists the wire agencies the copy credits, in order; ``authors`` the people the byline names;
    ``dateline`` the place the copy opens with; ``method`` which path produced the body (:mod:`ingest.body`).
    """

    text: str
    method: str
    title: str | None = None
    byline: str | None = None
    published: datetime | None = None
    published_source: str | None = None
    language: str | None = None
    canonical_url: str | None = None
    outlet: str | None = None
    agencies: tuple[str, ...] = field(default_factory=tuple)
    authors: tuple[str, ...] = ()
    updated: datetime | None = None
    updated_source: str | None = None
    section: str | None = None
    dateline: str | None = None
    language_source: str | None = None
    block_keys: tuple[str, ...] = ()  # keys of the raw body blocks, before any stripping (ingest.boilerplate)
    removed: tuple[str, ...] = ()  # body blocks the site model and the residue filters dropped

    @property
    def word_count(self) -> int:
        return len(self.text.split())
