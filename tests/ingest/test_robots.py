"""robots.txt for article pages, fetched from a real loopback server (RFC 9309 outcomes)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from ingest.config import FetchLimits
from ingest.errors import RobotsDisallowed
from ingest.fetch import Fetcher
from ingest.robots import Robots, RobotsRecord, Rules
from wiredesk.corpus import CorpusServer

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
RULES = b"""User-agent: *
Disallow: /private/

User-agent: wiredesk
Disallow: /members/
Allow: /members/free/
"""


class MemoryCache:
    def __init__(self) -> None:
        self.records: dict[str, RobotsRecord] = {}

    def robots_txt(self, origin: str) -> RobotsRecord | None:
        return self.records.get(origin)

    def save_robots_txt(self, origin: str, record: RobotsRecord) -> None:
        self.records[origin] = record


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(FetchLimits(allow=("127.0.0.1",))) as f:
        yield f


def test_rules_for_wiredesk_apply(fresh_server: CorpusServer, fetcher: Fetcher) -> None:
    fresh_server.add("/robots.txt", RULES, "text/plain")
    robots = Robots(fetcher, MemoryCache(), NOW)
    robots.check(fresh_server.url + "/news/1")
    robots.check(fresh_server.url + "/private/1")  # the wiredesk group replaces the * group
    robots.check(fresh_server.url + "/members/free/1")
    with pytest.raises(RobotsDisallowed, match=r"robots\.txt disallows .*/members/2") as caught:
        robots.check(fresh_server.url + "/members/2")
    assert caught.value.definite
    assert fresh_server.hits["/robots.txt"] == 1  # read once per poll


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_a_4xx_robots_txt_allows_everything(fresh_server: CorpusServer, fetcher: Fetcher, status: int) -> None:
    fresh_server.fail("/robots.txt", status)
    cache = MemoryCache()
    Robots(fetcher, cache, NOW).check(fresh_server.url + "/members/2")
    assert next(iter(cache.records.values())).status == status


@pytest.mark.parametrize("status", [500, 503])
def test_an_unreachable_robots_txt_disallows_for_now(fresh_server: CorpusServer, fetcher: Fetcher, status: int) -> None:
    fresh_server.fail("/robots.txt", status)
    cache = MemoryCache()
    with pytest.raises(RobotsDisallowed, match=f"HTTP {status}") as caught:
        Robots(fetcher, cache, NOW).check(fresh_server.url + "/news/1")
    assert not caught.value.definite
    assert cache.records == {}  # a failure is not cached across polls: tried again next time


def test_answers_are_cached_for_a_day(fresh_server: CorpusServer, fetcher: Fetcher) -> None:
    fresh_server.add("/robots.txt", RULES, "text/plain")
    cache = MemoryCache()
    Robots(fetcher, cache, NOW).check(fresh_server.url + "/news/1")
    fresh_server.add("/robots.txt", b"User-agent: *\nDisallow: /\n", "text/plain")
    Robots(fetcher, cache, NOW + timedelta(hours=23)).check(fresh_server.url + "/news/1")  # cached rules
    assert fresh_server.hits["/robots.txt"] == 1
    with pytest.raises(RobotsDisallowed):
        Robots(fetcher, cache, NOW + timedelta(hours=25)).check(fresh_server.url + "/news/1")
    assert fresh_server.hits["/robots.txt"] == 2


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/", True),
        ("/private/x", False),
        ("/private", True),
        ("/page.php", False),
        ("/page.php?x=1", True),  # "$" anchors the end
        ("/a/b/secret/c", False),
        ("/news/open/secret", True),  # the longer allow wins
        ("/tie", True),  # allow wins a tie
        ("/%7Euser/x", False),  # percent-decoded before matching
    ],
)
def test_rfc9309_matching(path: str, allowed: bool) -> None:
    body = """
# comment
User-agent: other
Disallow: /

User-agent: WireDesk
User-agent: someone-else
Disallow: /private/
Disallow: /*.php$
Disallow: /*/secret
Allow: /news/open/
Disallow: /tie
Allow: /tie
Disallow: /~user/
"""
    assert Rules(body).allows("http://example.org" + path) is allowed


def test_star_group_applies_when_no_group_names_wiredesk() -> None:
    rules = Rules("User-agent: *\nDisallow: /x\n\nUser-agent: googlebot\nDisallow: /\n")
    assert not rules.allows("http://e.org/x/1")
    assert rules.allows("http://e.org/y")
    assert Rules("User-agent: *\nDisallow:\n").allows("http://e.org/anything")
