"""Property-based tests of feed parsing: whatever the bytes, ``parse_feed`` either raises
:class:`FeedParseError` or returns entries whose URLs are absolute, canonical http(s) URLs (``canonical_url``
idempotent on them), whose texts any store takes (no control characters, no unpaired surrogates), and none
dated after the poll's time.

Three generators: arbitrary bytes; XML-ish documents assembled from the pieces feeds (and attacks on them)
are made of, in several encodings; and JSON Feed-shaped documents with values of any JSON type.
"""

from __future__ import annotations

import codecs
import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.errors import FeedParseError, InvalidURL
from ingest.feeds import parse_feed
from ingest.records import ParsedFeed
from ingest.urls import canonical_url

FEED_URL = "https://news.example.org/feeds/world.xml"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BAD_CHARS = {*map(chr, range(0x00, 0x09)), "\x0b", "\x0c", *map(chr, range(0x0E, 0x20)), "\ufffe", "\uffff"}
PROPERTY = settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def check(body: bytes, content_type: str | None = None) -> ParsedFeed | None:
    """Parse ``body``; check every property of the result (None: refused with FeedParseError)."""
    refused: str | None = None
    try:
        feed = parse_feed(body, url=FEED_URL, content_type=content_type, now=NOW)
    except FeedParseError as exc:
        refused = str(exc)
    if refused is not None:
        assert "\n" not in refused and refused.startswith("feed: ")
        return None
    texts = [feed.title, feed.warning]
    for entry in feed.entries:
        assert entry.url.startswith(("http://", "https://"))
        assert canonical_url(entry.url) == entry.url
        assert entry.published is None or entry.published <= NOW
        texts += [entry.url, entry.guid, entry.title, entry.summary, entry.author]
    for text in filter(None, texts):
        assert not BAD_CHARS.intersection(text), repr(text)
        text.encode("utf-8")  # no unpaired surrogate
    assert len({entry.url for entry in feed.entries}) == len(feed.entries)
    return feed


@PROPERTY
@given(st.binary(max_size=2000), st.sampled_from([None, "application/rss+xml", "text/html", "application/json"]))
def test_arbitrary_bytes(body: bytes, content_type: str | None) -> None:
    check(body, content_type)


# --- XML-ish documents ------------------------------------------------------------------------------------

NAMES = [
    "rss",
    "channel",
    "item",
    "title",
    "link",
    "guid",
    "pubDate",
    "description",
    "author",
    "feed",
    "entry",
    "id",
    "updated",
    "published",
    "content",
    "summary",
    "rdf:RDF",
    "html",
    "body",
    "a",
]
LINKS = [
    "https://news.example.org/a?utm_source=x#top",
    "/relative/path",
    "../up",
    "javascript:alert(1)",
    "data:text/html,x",
    "file:///etc/passwd",
    "http://[::1",
    "http://exa mple.org/",
    "http://\x00host/",
    "https://ex\u00e4mple.org/caf\u00e9",
    "http://h:99999/",
    "//protocol-relative.example/x",
    "  https://news.example.org/spaced  ",
    "https://news.example.org/" + "x" * 3000,
    "http://127.0.0.1:8080/\ud800",
    "4127",
]
DATES = [
    "Thu, 12 Aug 2021 15:10:00 +0200",
    "2021-08-12T13:10:00Z",
    "2999-01-01T00:00:00Z",
    "yesterday",
    "Mon, 45 Foo 99999 99:99:99",
    "0000-00-00",
    "2026-11-24T00:00:00+00:00",
    "",
]
PIECES = [
    "&amp;",
    "&lt;",
    "&nbsp;",
    "&lol;",
    "&#0;",
    "&#xD800;",
    "&#x1F600;",
    "<![CDATA[ <b>x</b> ]]>",
    "<!-- c -->",
    "<?pi x?>",
    "]]>",
    "<",
    "&",
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x85",
    "\u2028",
    "\ufeff",
    "\ud800",
    "\uffff",
    "é",
    "汉字",
    "\U0001f600",
    " ",
    "\n",
]
PROLOGS = [
    "",
    '<?xml version="1.0"?>',
    '<?xml version="1.0" encoding="utf-8"?>',
    '<?xml version="1.0" encoding="iso-8859-1"?>',
    '<?xml version="1.0" encoding="utf-16"?>',
    '<?xml version="1.0" encoding="x-bogus"?>',
    '<!DOCTYPE rss [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>',
    '<!DOCTYPE rss SYSTEM "http://127.0.0.1:9/evil.dtd">',
    "<!DOCTYPE html>",
    '<!DOCTYPE rss [<!ENTITY nbsp "&#160;"> <!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
    '<!DOCTYPE rss [ <!ENTITY x "]>"> ',
]
ENCODINGS = ["utf-8", "utf-16", "utf-16-be", "utf-32", "cp1252", "latin-1", "shift_jis"]

text = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=6).map("".join)
leaf = st.one_of(
    st.builds(lambda link: f"<link>{link}</link>", st.sampled_from(LINKS)),
    st.builds(lambda link: f'<link rel="alternate" href="{link}"/>', st.sampled_from(LINKS)),
    st.builds(lambda link: f"<guid>{link}</guid>", st.sampled_from(LINKS)),
    st.builds(lambda link: f"<id>{link}</id>", st.sampled_from(LINKS)),
    st.builds(lambda date: f"<pubDate>{date}</pubDate>", st.sampled_from(DATES)),
    st.builds(lambda date: f"<updated>{date}</updated>", st.sampled_from(DATES)),
    st.builds(lambda t: f"<title>{t}</title>", text),
    text,
)


def element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def build(name: str, inner: list[str], closed: bool) -> str:
        attrs = ' version="2.0" xmlns="http://www.w3.org/2005/Atom"' if name in ("rss", "feed") else ""
        return f"<{name}{attrs}>" + "".join(inner) + (f"</{name}>" if closed else "")

    return st.builds(build, st.sampled_from(NAMES), st.lists(children, max_size=5), st.booleans())


documents = st.builds(
    lambda prolog, root: prolog + root,
    st.sampled_from(PROLOGS),
    st.recursive(leaf, element, max_leaves=25),
)


def encode(document: str, encoding: str) -> bytes:
    return codecs.encode(document, encoding, "replace") if encoding != "utf-8" else document.encode("utf-8", "replace")


@PROPERTY
@given(
    documents, st.sampled_from(ENCODINGS), st.sampled_from([None, "application/rss+xml; charset=utf-8", "text/html"])
)
def test_xml_ish_documents(document: str, encoding: str, content_type: str | None) -> None:
    check(encode(document, encoding), content_type)


@PROPERTY
@given(st.lists(st.tuples(st.sampled_from(LINKS), text, st.sampled_from(DATES)), max_size=6))
def test_well_formed_rss_keeps_every_entry_with_a_usable_link(items: list[tuple[str, str, str]]) -> None:
    """In a well-formed feed (text escaped), an entry is lost only when its link is unusable."""

    def escape(value: str) -> str:
        """``value`` as XML character data: escaped, without what XML cannot carry at all."""
        value = "".join(c for c in value if c not in BAD_CHARS and not "\ud800" <= c <= "\udfff")
        return value.replace("&", "&amp;").replace("<", "&lt;")

    body = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link><pubDate>{date}</pubDate></item>"
        for link, t, date in items
    )
    feed = check(f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{body}</channel></rss>'.encode())
    assert feed is not None
    usable = set()
    for link, _, _ in items:
        try:
            usable.add(canonical_url(escape(link).replace("&amp;", "&").replace("&lt;", "<"), base=FEED_URL))
        except InvalidURL:
            continue
    assert {entry.url for entry in feed.entries} == usable


# --- JSON Feed-shaped documents -------------------------------------------------------------------------

json_value = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(max_size=10),
        st.sampled_from(LINKS),
        st.sampled_from(DATES),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=15,
)
json_item = st.fixed_dictionaries(
    {},
    optional={
        "id": json_value,
        "url": st.one_of(st.sampled_from(LINKS), json_value),
        "external_url": st.one_of(st.sampled_from(LINKS), json_value),
        "title": st.one_of(text, json_value),
        "summary": st.one_of(text, json_value),
        "content_html": st.one_of(text, json_value),
        "authors": json_value,
        "author": json_value,
        "date_published": st.one_of(st.sampled_from(DATES), json_value),
    },
)


@PROPERTY
@given(
    st.fixed_dictionaries(
        {"version": st.sampled_from(["https://jsonfeed.org/version/1.1", "https://jsonfeed.org/version/1", 1])},
        optional={
            "items": st.one_of(st.lists(st.one_of(json_item, json_value), max_size=5), json_value),
            "title": json_value,
            "feed_url": st.one_of(st.sampled_from(LINKS), json_value),
        },
    ),
    st.sampled_from(["utf-8", "utf-16"]),
)
def test_json_feed_documents(doc: dict[str, Any], encoding: str) -> None:
    check(json.dumps(doc).encode(encoding, "surrogatepass"), "application/feed+json")
