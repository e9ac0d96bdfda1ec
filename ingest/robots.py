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

import functools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import unquote, urlsplit

from ingest.errors import BadStatus, BlockedAddress, FetchError, RobotsDisallowed
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


class Rules:
    """The rules of one robots.txt for one user agent, matched as RFC 9309 says: the groups naming the agent
    (merged), else the ``*`` groups; the longest matching path pattern wins, ``allow`` on a tie; ``*`` and
    ``$`` in patterns. (The standard library's parser takes the first match, not the longest.)"""

    def __init__(self, body: str, agent: str = AGENT) -> None:
        groups: dict[str, list[tuple[bool, str]]] = {}
        agents: list[str] = []
        in_rules = False
        for raw in body.splitlines():
            line = raw.split("#", 1)[0].strip()
            name, sep, value = line.partition(":")
            if not sep:
                continue
            name, value = name.strip().lower(), value.strip()
            if name == "user-agent":
                if in_rules:
                    agents, in_rules = [], False
                agents.append(value.lower())
            elif name in ("allow", "disallow") and agents:
                in_rules = True
                if value:  # an empty Disallow allows everything
                    for who in agents:
                        groups.setdefault(who, []).append((name == "allow", value))
                else:
                    for who in agents:
                        groups.setdefault(who, [])
        token = agent.lower()
        self._rules = groups.get(token, groups.get("*", []))

    @staticmethod
    @functools.lru_cache(maxsize=4096)
    def _pattern(pattern: str) -> re.Pattern[str]:
        anchored = pattern.endswith("$")
        body = ".*".join(re.escape(part) for part in (pattern[:-1] if anchored else pattern).split("*"))
        return re.compile(body + ("$" if anchored else ""), re.DOTALL)

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        path = unquote(parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        best: tuple[int, bool] | None = None
        for allow, pattern in self._rules:
            if self._pattern(unquote(pattern)).match(path):
                candidate = (len(pattern), allow)
                if best is None or candidate > best:
                    best = candidate
        return best is None or best[1]


def _parser(record: RobotsRecord) -> Rules:
    return Rules("" if 400 <= record.status < 500 else record.body)  # a 4xx: no rules, all allowed


class Robots:
    """Answers "may wiredesk fetch this page?" for one poll. ``cache`` keeps answers across polls."""

    def __init__(
        self, fetcher: Fetcher, cache: RobotsCache | None, now: datetime, ttl: timedelta = timedelta(hours=24)
    ) -> None:
        self._fetcher = fetcher
        self._cache = cache
        self._now = now
        self._ttl = ttl
        self._parsers: dict[str, Rules | str] = {}  # a str is why the site's robots.txt is unusable

    def check(self, url: str) -> None:
        """Raise :class:`RobotsDisallowed` unless the site's robots.txt allows ``url`` for wiredesk."""
        origin = origin_of(url)
        if origin not in self._parsers:
            self._parsers[origin] = self._load(origin)
        parser = self._parsers[origin]
        if isinstance(parser, str):
            raise RobotsDisallowed(f"robots: {parser}; {url} stays pending", definite=False)
        if not parser.allows(url):
            raise RobotsDisallowed(f"robots: {origin}/robots.txt disallows {url}")

    def _load(self, origin: str) -> Rules | str:
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
        except BlockedAddress:
            raise  # the site itself is refused: the page fails as its fetch would, not "pending" for ever
        except FetchError as exc:
            return f"{url} unreadable ({exc}) (RFC 9309: assume everything disallowed)"
        if self._cache:
            self._cache.save_robots_txt(origin, record)
        return _parser(record)
