"""robots.txt for article pages (RFC 9309), read once per site and day.

A feed is something an operator subscribed to, so feeds are always fetched; the article pages a feed links
to are fetched only where the site's robots.txt allows the ``wiredesk`` user agent. Following RFC 9309:

- 200: its rules apply (the first 512 KiB are read);
- 4xx (404, 410, even 401/403): there are no rules, everything is allowed;
- 5xx or no answer: everything is disallowed for now; the page stays pending and is tried again later.

Answers (not failures) are kept in a :class:`RobotsCache` (the store) for ``ttl`` (24 hours by default, the
RFC's longest), so many feed tasks do not fetch the same robots.txt again and again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from ingest.errors import BadStatus, FetchError, RobotsDisallowed
from ingest.fetch import Fetcher

AGENT = "wiredesk"
MAX_ROBOTS_BYTES = 512 * 1024


@dataclass(frozen=True)
class RobotsRecord:
    """A robots.txt as fetched: its body (empty when there are no rules) and the HTTP status."""

    body: str
    status: int
    fetched_at: datetime


class RobotsCache(Protocol):
    def robots_txt(self, origin: str) -> RobotsRecord | None: ...

    def save_robots_txt(self, origin: str, record: RobotsRecord) -> None: ...


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _parser(record: RobotsRecord) -> RobotFileParser:
    parser = RobotFileParser()
    parser.parse([] if 400 <= record.status < 500 else record.body.splitlines())  # no rules: all allowed
    return parser


class Robots:
    """Answers "may wiredesk fetch this page?" for one poll. ``cache`` keeps answers across polls."""

    def __init__(
        self, fetcher: Fetcher, cache: RobotsCache | None, now: datetime, ttl: timedelta = timedelta(hours=24)
    ) -> None:
        self._fetcher = fetcher
        self._cache = cache
        self._now = now
        self._ttl = ttl
        self._parsers: dict[str, RobotFileParser | str] = {}  # a str is why the site's robots.txt is unusable

    def check(self, url: str) -> None:
        """Raise :class:`RobotsDisallowed` unless the site's robots.txt allows ``url`` for wiredesk."""
        origin = origin_of(url)
        if origin not in self._parsers:
            self._parsers[origin] = self._load(origin)
        parser = self._parsers[origin]
        if isinstance(parser, str):
            raise RobotsDisallowed(f"robots: {parser}; {url} stays pending", definite=False)
        if not parser.can_fetch(AGENT, url):
            raise RobotsDisallowed(f"robots: {origin}/robots.txt disallows {url}")

    def _load(self, origin: str) -> RobotFileParser | str:
        cached = self._cache.robots_txt(origin) if self._cache else None
        if cached is not None and self._now - cached.fetched_at < self._ttl:
            return _parser(cached)
        url = f"{origin}/robots.txt"
        try:
            response = self._fetcher.get(url, max_bytes=MAX_ROBOTS_BYTES, accept="text/plain, */*;q=0.5")
            record = RobotsRecord(response.body.decode("utf-8", "replace"), 200, self._now)
        except BadStatus as exc:
            if exc.status >= 500:
                return f"{url} answered HTTP {exc.status} (RFC 9309: assume everything disallowed)"
            record = RobotsRecord("", exc.status, self._now)
        except FetchError as exc:
            return f"{url} unreadable ({exc}) (RFC 9309: assume everything disallowed)"
        if self._cache:
            self._cache.save_robots_txt(origin, record)
        return _parser(record)
