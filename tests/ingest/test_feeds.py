"""Feed parsing: the corpus feeds (RSS, Atom, JSON Feed, with their warts) fetched from the corpus server, and
small inline feeds for the cases the corpus does not carry."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.config import FetchLimits
from ingest.errors import FeedParseError
from ingest.feeds import html_to_text, looks_like_json, parse_feed
from ingest.fetch import Fetcher
from ingest.records import FeedEntry, ParsedFeed
from ingest.urls import canonical_url
from wiredesk.corpus import CorpusServer, Outlet, load_corpus

CORPUS = load_corpus()
OUTLETS = [pytest.param(o, id=o.slug) for o in CORPUS.outlets]


def _with_wart(wart: str, present: bool = True) -> list[object]:
    return [pytest.param(o, id=o.slug) for o in CORPUS.outlets if (wart in o.warts) is present]


@pytest.fixture(scope="module")
def feeds(corpus_server: CorpusServer) -> dict[str, ParsedFeed]:
    """Every outlet's feed, fetched once and parsed."""
    parsed = {}
    with Fetcher(FetchLimits(allow=("127.0.0.1",))) as fetcher:
        for outlet in corpus_server.corpus.outlets:
            response = fetcher.get(corpus_server.url + outlet.feed_path, max_bytes=1024 * 1024)
            parsed[outlet.slug] = parse_feed(response.body, url=response.url, content_type=response.content_type)
    return parsed


def _entries_by_path(feed: ParsedFeed, server: CorpusServer) -> dict[str, FeedEntry]:
    return {entry.url.removeprefix(server.url): entry for entry in feed.entries}


# --- the corpus feeds ---


@pytest.mark.parametrize("outlet", OUTLETS)
def test_corpus_feed_parses(feeds: dict[str, ParsedFeed], outlet: Outlet) -> None:
    feed = feeds[outlet.slug]
    assert feed.format == outlet.feed_format
    assert feed.title == outlet.name
    assert feed.warning is None
    assert feed.entries


@pytest.mark.parametrize("outlet", OUTLETS)
def test_entry_urls_are_the_outlets_pages(
    feeds: dict[str, ParsedFeed], corpus_server: CorpusServer, outlet: Outlet
) -> None:
    urls = [entry.url for entry in feeds[outlet.slug].entries]
    expected = {corpus_server.url + page.path for page in corpus_server.corpus.pages_of(outlet.slug)}
    assert set(urls) == expected
    assert len(urls) == len(expected)


@pytest.mark.parametrize("outlet", OUTLETS)
def test_entry_urls_absolute_and_canonical(feeds: dict[str, ParsedFeed], outlet: Outlet) -> None:
    for entry in feeds[outlet.slug].entries:
        assert entry.url.startswith("http://127.0.0.1:")
        assert canonical_url(entry.url) == entry.url
        assert "utm_" not in entry.url
        assert "?" not in entry.url


@pytest.mark.parametrize("outlet", _with_wart("tracking"))
def test_tracking_wart_raw_feed_carries_utm(corpus_server: CorpusServer, outlet: Outlet) -> None:
    """The wart is really there in the raw feed, so the test above is not vacuous."""
    with Fetcher(FetchLimits(allow=("127.0.0.1",))) as fetcher:
        body = fetcher.get(corpus_server.url + outlet.feed_path, max_bytes=1024 * 1024).body
    assert b"utm_source=feed" in body


@pytest.mark.parametrize("outlet", _with_wart("relative_links"))
def test_relative_links_resolved(feeds: dict[str, ParsedFeed], corpus_server: CorpusServer, outlet: Outlet) -> None:
    paths = set(_entries_by_path(feeds[outlet.slug], corpus_server))
    assert paths == {page.path for page in corpus_server.corpus.pages_of(outlet.slug)}


@pytest.mark.parametrize("outlet", OUTLETS)
def test_published_times(feeds: dict[str, ParsedFeed], corpus_server: CorpusServer, outlet: Outlet) -> None:
    """Entries carry the page's time, except the undated ones of a ``missing_dates`` feed (every other item,
    newest first), which get None."""
    entries = _entries_by_path(feeds[outlet.slug], corpus_server)
    pages = sorted(corpus_server.corpus.pages_of(outlet.slug), key=lambda p: p.published, reverse=True)
    for index, page in enumerate(pages):
        undated = "missing_dates" in outlet.warts and index % 2 == 0
        assert entries[page.path].published == (None if undated else page.published), page.path


@pytest.mark.parametrize("outlet", _with_wart("missing_dates"))
def test_missing_dates_give_none(feeds: dict[str, ParsedFeed], outlet: Outlet) -> None:
    published = [entry.published for entry in feeds[outlet.slug].entries]
    assert None in published
    assert any(when is not None for when in published)


@pytest.mark.parametrize("outlet", OUTLETS)
def test_summaries_are_plain_text(feeds: dict[str, ParsedFeed], corpus_server: CorpusServer, outlet: Outlet) -> None:
    corpus = corpus_server.corpus
    entries = _entries_by_path(feeds[outlet.slug], corpus_server)
    for page in corpus.pages_of(outlet.slug):
        summary = entries[page.path].summary
        assert summary is not None
        assert "<" not in summary
        assert "&hellip;" not in summary
        first = next(p.text for p in corpus.body_of(page) if p.kind == "p")
        assert summary.startswith(first[:80])


@pytest.mark.parametrize("outlet", _with_wart("html_description"))
def test_html_description_wart_is_markup(corpus_server: CorpusServer, outlet: Outlet) -> None:
    with Fetcher(FetchLimits(allow=("127.0.0.1",))) as fetcher:
        body = fetcher.get(corpus_server.url + outlet.feed_path, max_bytes=1024 * 1024).body
    assert b"<img" in body or b"&lt;img" in body


@pytest.mark.parametrize("outlet", OUTLETS)
def test_titles_and_authors(feeds: dict[str, ParsedFeed], corpus_server: CorpusServer, outlet: Outlet) -> None:
    corpus = corpus_server.corpus
    entries = _entries_by_path(feeds[outlet.slug], corpus_server)
    for page in corpus.pages_of(outlet.slug):
        text = corpus.texts[page.text]
        assert entries[page.path].title == (page.headline or text.headline)
        assert entries[page.path].author == text.byline


@pytest.mark.parametrize("outlet", _with_wart("guid_not_url"))
def test_guid_kept_as_hint_when_not_a_url(
    feeds: dict[str, ParsedFeed], corpus_server: CorpusServer, outlet: Outlet
) -> None:
    entries = _entries_by_path(feeds[outlet.slug], corpus_server)
    for page in corpus_server.corpus.pages_of(outlet.slug):
        digest = hashlib.blake2b(page.path.encode(), digest_size=4).hexdigest()
        assert entries[page.path].guid == f"{outlet.slug}-{digest}"


@pytest.mark.parametrize("outlet", _with_wart("guid_not_url", present=False))
def test_guid_is_the_page_url_otherwise(
    feeds: dict[str, ParsedFeed], corpus_server: CorpusServer, outlet: Outlet
) -> None:
    for path, entry in _entries_by_path(feeds[outlet.slug], corpus_server).items():
        assert entry.guid == corpus_server.url + path


def test_a_page_is_not_a_feed(corpus_server: CorpusServer) -> None:
    page = corpus_server.corpus.pages[0]
    with Fetcher(FetchLimits(allow=("127.0.0.1",))) as fetcher:
        response = fetcher.get(corpus_server.page_url(page.path), max_bytes=1024 * 1024)
    with pytest.raises(FeedParseError, match="not a feed"):
        parse_feed(response.body, url=response.url, content_type=response.content_type)


# --- inline feeds ---

FEED_URL = "https://news.example.org/feeds/world.xml"

RSS_MINIMAL = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
<title>Example News</title>
<link>https://news.example.org/</link>
<description>World news</description>
<item>
<title>Taliban take Herat</title>
<link>https://news.example.org/world/herat?utm_source=rss#top</link>
<guid isPermaLink="false">example-4127</guid>
<description>&lt;p&gt;The &lt;b&gt;Taliban&lt;/b&gt; took Herat &amp;amp; Ghazni.&lt;/p&gt;</description>
<pubDate>Thu, 12 Aug 2021 15:10:00 +0200</pubDate>
<author>desk@news.example.org (Jane Doe)</author>
</item>
</channel>
</rss>"""


def test_rss_minimal() -> None:
    feed = parse_feed(RSS_MINIMAL, url=FEED_URL, content_type="application/rss+xml; charset=utf-8")
    assert feed.format == "rss"
    assert feed.title == "Example News"
    assert feed.warning is None
    (entry,) = feed.entries
    assert entry.url == "https://news.example.org/world/herat"
    assert entry.guid == "example-4127"
    assert entry.title == "Taliban take Herat"
    assert entry.summary == "The Taliban took Herat & Ghazni."
    assert entry.published == datetime(2021, 8, 12, 13, 10, tzinfo=UTC)
    assert entry.author


def test_rss_relative_link_resolved_against_feed_url() -> None:
    body = RSS_MINIMAL.replace(b"https://news.example.org/world/herat?utm_source=rss#top", b"../world/herat")
    (entry,) = parse_feed(body, url=FEED_URL, content_type="application/rss+xml").entries
    assert entry.url == "https://news.example.org/world/herat"


ATOM_XML_BASE = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://www.example.com/news/">
<title type="html">Example &lt;i&gt;Wire&lt;/i&gt;</title>
<id>tag:example.com,2021:feed</id>
<updated>2021-08-12T16:00:00Z</updated>
<entry>
<title>First</title>
<link rel="alternate" href="2021/first-story"/>
<id>tag:example.com,2021:1</id>
<published>2021-08-12T15:00:00Z</published>
<updated>2021-08-12T18:00:00Z</updated>
<author><name>Samir Wardak</name></author>
<summary type="html">&lt;p&gt;First &lt;a href="x"&gt;summary&lt;/a&gt;&lt;/p&gt;</summary>
</entry>
<entry xml:base="/archive/">
<title>Second</title>
<link rel="enclosure" href="photo.jpg"/>
<link rel="alternate" href="second-story"/>
<id>tag:example.com,2021:2</id>
<updated>2021-08-12T17:00:00+02:00</updated>
<content type="html">&lt;p&gt;Second body&lt;/p&gt;</content>
</entry>
</feed>"""


def test_atom_with_xml_base() -> None:
    feed = parse_feed(ATOM_XML_BASE, url="https://feeds.example.net/atom.xml", content_type="application/atom+xml")
    assert feed.format == "atom"
    assert feed.title == "Example Wire"
    assert feed.warning is None
    first, second = feed.entries
    assert first.url == "https://www.example.com/news/2021/first-story"
    assert first.guid == "tag:example.com,2021:1"
    assert first.published == datetime(2021, 8, 12, 15, 0, tzinfo=UTC)  # published, not updated
    assert first.author == "Samir Wardak"
    assert first.summary == "First summary"
    assert second.url == "https://www.example.com/archive/second-story"
    assert second.published == datetime(2021, 8, 12, 15, 0, tzinfo=UTC)  # updated when nothing else
    assert second.summary == "Second body"


JSON_FEED_URL = "https://news.example.org/feeds/main.json"


def _json_feed(items: list[object], **extra: object) -> bytes:
    return json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": "JSON Wire", **extra, "items": items}
    ).encode()


def test_json_feed_relative_url_and_external_url() -> None:
    body = _json_feed(
        [
            {
                "id": "1",
                "url": "../world/herat?utm_campaign=x",
                "title": "Herat <b>falls</b>",
                "content_html": "<p>The Taliban took <em>Herat</em>.</p>",
                "date_published": "2021-08-12T17:10:00+02:00",
                "authors": [{"name": "Samir Wardak"}, {"name": "Ellen Markham"}],
            },
            {"id": "2", "external_url": "https://wire.example.com/ap/123", "content_text": "Plain text"},
            {"id": "3", "url": "/world/kabul", "external_url": "https://wire.example.com/ap/456"},
        ],
        feed_url=JSON_FEED_URL,
    )
    feed = parse_feed(body, url="https://cdn.example.net/feed.json", content_type="application/feed+json")
    assert feed.format == "json"
    assert feed.title == "JSON Wire"
    assert feed.warning is None
    first, second, third = feed.entries
    assert first.url == "https://news.example.org/world/herat"  # against feed_url, not the fetch URL
    assert first.guid == "1"
    assert first.title == "Herat falls"
    assert first.summary == "The Taliban took Herat."
    assert first.author == "Samir Wardak, Ellen Markham"
    assert first.published == datetime(2021, 8, 12, 15, 10, tzinfo=UTC)
    assert second.url == "https://wire.example.com/ap/123"
    assert second.summary == "Plain text"
    assert second.published is None
    assert third.url == "https://news.example.org/world/kabul"  # url wins over external_url


def test_json_feed_without_feed_url_resolves_against_fetch_url() -> None:
    body = _json_feed([{"id": "1", "url": "story"}])
    (entry,) = parse_feed(body, url="https://news.example.org/feeds/x.json").entries
    assert entry.url == "https://news.example.org/feeds/story"


def test_json_feed_1_0_author_and_naive_date() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1",
            "items": [
                {"id": 7, "url": "https://e.org/a", "author": {"name": "Solo"}, "date_published": "2021-08-12T15:10:00"}
            ],
        }
    ).encode()
    (entry,) = parse_feed(body, url="https://e.org/feed.json").entries
    assert entry.guid == "7"
    assert entry.author == "Solo"
    assert entry.published == datetime(2021, 8, 12, 15, 10, tzinfo=UTC)


def test_json_feed_items_without_link_skipped_with_warning() -> None:
    body = _json_feed([{"id": "1", "url": "https://e.org/a"}, {"id": "2", "title": "no link"}, "junk"])
    feed = parse_feed(body, url="https://e.org/feed.json")
    assert [e.url for e in feed.entries] == ["https://e.org/a"]
    assert feed.warning is not None and "2 items" in feed.warning


@pytest.mark.parametrize(
    "body",
    [
        b'{"title": "no version", "items": []}',
        b'{"version": "1.1", "items": []}',
        b'{"version": "https://example.org/not-jsonfeed", "items": []}',
    ],
)
def test_json_without_a_json_feed_version(body: bytes) -> None:
    with pytest.raises(FeedParseError, match="version"):
        parse_feed(body, url="https://e.org/feed.json", content_type="application/json")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"version": "https://jsonfeed.org/version/1.1"}', "items"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}', "items"),
        (b"{not json at all", "invalid JSON"),
        (b"[1, 2, 3]", "version"),
    ],
)
def test_unreadable_json(body: bytes, message: str) -> None:
    with pytest.raises(FeedParseError, match=message):
        parse_feed(body, url="https://e.org/feed.json", content_type="application/feed+json")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hello</p></body></html>", "text/html"),
        (b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hello</p></body></html>", None),
        (b"", None),
        (b"just some text", "text/plain"),
    ],
)
def test_not_a_feed(body: bytes, content_type: str | None) -> None:
    with pytest.raises(FeedParseError, match=re.escape("https://e.org/feed")):
        parse_feed(body, url="https://e.org/feed", content_type=content_type)


def test_duplicate_links_give_one_entry() -> None:
    """The same article under tracking and fragment variants is one entry; the first one wins."""
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://e.org/</link>
<description>d</description>
<item><title>First</title><link>https://e.org/a?id=3&amp;utm_source=rss</link></item>
<item><title>Second</title><link>https://E.ORG/a?id=3#comments</link></item>
<item><title>Third</title><link>https://e.org/a?id=3</link></item>
<item><title>Other</title><link>https://e.org/b</link></item>
</channel></rss>"""
    feed = parse_feed(body, url="https://e.org/rss", content_type="application/rss+xml")
    assert [(e.url, e.title) for e in feed.entries] == [("https://e.org/a?id=3", "First"), ("https://e.org/b", "Other")]


def test_duplicate_urls_in_json_feed() -> None:
    body = _json_feed([{"id": "1", "url": "https://e.org/a"}, {"id": "2", "url": "https://e.org/a?fbclid=x"}])
    assert [e.guid for e in parse_feed(body, url="https://e.org/f.json").entries] == ["1"]


def test_entry_without_link_uses_http_guid() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://e.org/</link>
<description>d</description>
<item><title>Guid only</title><guid isPermaLink="false">https://e.org/story/9?utm_medium=rss</guid></item>
<item><title>Nothing usable</title><guid isPermaLink="false">e-org-10</guid></item>
</channel></rss>"""
    feed = parse_feed(body, url="https://e.org/rss", content_type="application/rss+xml")
    (entry,) = feed.entries
    assert entry.url == "https://e.org/story/9"
    assert entry.guid == "https://e.org/story/9?utm_medium=rss"
    assert feed.warning is not None and "1 entries without a usable link skipped" in feed.warning


def test_atom_entry_without_link_uses_http_id() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<id>tag:e.org,2021:feed</id><updated>2021-08-12T15:00:00Z</updated>
<entry><title>E</title><id>https://e.org/story/11</id><updated>2021-08-12T15:00:00Z</updated></entry>
<entry><title>F</title><id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id><updated>2021-08-12T15:00:00Z</updated></entry>
</feed>"""
    feed = parse_feed(body, url="https://e.org/atom", content_type="application/atom+xml")
    assert [e.url for e in feed.entries] == ["https://e.org/story/11"]
    assert feed.warning is not None and "skipped" in feed.warning


def test_non_url_permalink_guid_kept_verbatim() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://e.org/</link>
<description>d</description>
<item><title>A</title><link>https://e.org/news/a</link><guid>4127</guid></item>
</channel></rss>"""
    (entry,) = parse_feed(body, url="https://e.org/feeds/rss.xml", content_type="application/rss+xml").entries
    assert entry.url == "https://e.org/news/a"
    assert entry.guid == "4127"


def test_entry_without_link_and_non_url_guid_skipped() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://e.org/</link>
<description>d</description>
<item><title>A</title><guid>story-4127</guid></item>
<item><title>B</title><link>https://e.org/news/b</link></item>
</channel></rss>"""
    feed = parse_feed(body, url="https://e.org/feeds/rss.xml", content_type="application/rss+xml")
    assert [e.url for e in feed.entries] == ["https://e.org/news/b"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Ben & Jerry's wire</title>
<item><title>A</title><link>https://e.org/a</link></item>
<item><title>B</title><link>https://e.org/b</link></item>""",
            id="bare-ampersand-and-truncated",
        ),
        pytest.param(
            b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>A&nbsp;x</title><link>https://e.org/a</link></item>
<item><title>B</title><link>https://e.org/b</link></item></channel></rss>""",
            id="undefined-entity",
        ),
    ],
)
def test_malformed_xml_keeps_entries_with_warning(body: bytes) -> None:
    feed = parse_feed(body, url="https://e.org/rss", content_type="application/rss+xml")
    assert [e.url for e in feed.entries] == ["https://e.org/a", "https://e.org/b"]
    assert feed.warning is not None
    assert feed.warning.startswith("malformed feed, kept 2 entries")


def test_well_formed_feed_without_content_type_has_no_warning() -> None:
    feed = parse_feed(RSS_MINIMAL, url=FEED_URL)
    assert len(feed.entries) == 1
    assert feed.warning is None


def test_json_detected_by_body_or_content_type() -> None:
    assert looks_like_json(b'  {"version": 1}', None)
    assert looks_like_json(b"[]", "application/feed+json; charset=utf-8")
    assert looks_like_json(b"", "Application/JSON")
    assert not looks_like_json(b"<rss/>", "application/rss+xml")


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One <b>two</b></p><p>three</p>", "One twothree"),
        ('<p><img src="x.jpg" alt=""/> Herat falls&hellip;</p>', "Herat falls…"),
        ("Plain   text\nwith  spaces", "Plain text with spaces"),
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("", None),
        ("   ", None),
        (None, None),
        ("<p>  </p>", None),
    ],
)
def test_html_to_text(html: str | None, text: str | None) -> None:
    assert html_to_text(html) == text


# --- hostile bodies (the whole cycle is in tests/hostile/) ---


def _rss_items(items: str, prolog: str = '<?xml version="1.0"?>') -> bytes:
    return f'{prolog}<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


def _item(title: str, link: str = "https://e.org/a", date: str | None = None) -> str:
    when = f"<pubDate>{date}</pubDate>" if date else ""
    return f"<item><title>{title}</title><link>{link}</link>{when}</item>"


def test_a_body_naming_a_local_file_is_not_read(tmp_path: Path) -> None:
    """feedparser tries bytes as a file name first: the body must reach it as a stream."""
    local = tmp_path / "local.xml"
    local.write_bytes(_rss_items(_item("LOCAL-SECRET", "https://e.org/secret")))
    with pytest.raises(FeedParseError, match="not a feed"):
        parse_feed(str(local).encode(), url=FEED_URL)


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10))
    + "]>"
)


def test_billion_laughs_declarations_are_dropped() -> None:
    feed = parse_feed(_rss_items(_item("&lol9;"), prolog=BILLION_LAUGHS), url=FEED_URL)
    assert [e.title for e in feed.entries] == ["&lol9;"]
    assert feed.warning is not None
    assert feed.warning.startswith("10 entity declarations ignored (a feed's DTD is never expanded or fetched)")


def test_external_entity_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT")
    prolog = f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    feed = parse_feed(_rss_items(_item("&xxe;"), prolog=prolog), url=FEED_URL)
    assert "SECRET" not in repr(feed)


def test_character_reference_entities_are_kept() -> None:
    prolog = '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY nbsp "&#160;">\n<!ENTITY euro \'&#x20AC;\'>\n]>'
    feed = parse_feed(_rss_items(_item("5&euro;&nbsp;off"), prolog=prolog), url=FEED_URL)
    assert (feed.entries[0].title, feed.warning) == ("5€ off", None)


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE rss [<!ENTITY x "]>"><!ENTITY y "&x;&x;">]>',  # "]>" inside a quoted value
        '<!DOCTYPE rss [<!-- it\'s ]> a comment --><!ENTITY y "&#65;&#65;">]>',  # a quote and "]>" in a comment
        '<!DOCTYPE rss [<?pi ]> ?><!ENTITY y "yy">]>',
    ],
)
def test_the_whole_internal_subset_is_removed(doctype: str) -> None:
    feed = parse_feed(_rss_items(_item("&y;"), prolog='<?xml version="1.0"?>' + doctype), url=FEED_URL)
    assert [e.title for e in feed.entries] == ["&y;"]
    assert feed.warning is not None and "entity declarations ignored" in feed.warning


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><meta charset=utf-8><title>Home</title><p>News",
        b"\xef\xbb\xbf  <html lang=en><body><p>News</p></body></html>",
        b'<?xml version="1.0"?>\n<!-- generated -->\n<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
        b"<HEAD><TITLE>Old school</TITLE></HEAD><BODY>News</BODY>",
    ],
    ids=["doctype", "bom-and-html", "xhtml", "head-first"],
)
def test_an_html_page_is_named_as_such(body: bytes) -> None:
    with pytest.raises(FeedParseError, match=r"^feed: expected a feed, got an HTML page \(not a feed\) at "):
        parse_feed(body, url=FEED_URL, content_type="text/html")


def test_an_html_page_names_the_feed_it_links_to() -> None:
    page = b"<html><head><link href='/rss' rel=alternate type=application/rss+xml></head><body>x</body></html>"
    with pytest.raises(FeedParseError, match=r"the page names its feed: https://news\.example\.org/rss\)"):
        parse_feed(page, url=FEED_URL)


def test_a_feed_carrying_html_is_no_html_page() -> None:
    body = _rss_items("<item><title>A</title><link>https://e.org/a</link><description><![CDATA[<html><body>x"
                      "</body></html>]]></description></item>")  # fmt: skip
    assert [e.url for e in parse_feed(body, url=FEED_URL, content_type="text/html").entries] == ["https://e.org/a"]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "utf-16", "utf-32"])
def test_wide_encodings_with_or_without_bom(codec: str) -> None:
    body = _rss_items(_item("Café “quoted”"), prolog="").decode().encode(codec)
    feed = parse_feed(body, url=FEED_URL, content_type="application/rss+xml; charset=utf-8")
    assert [e.title for e in feed.entries] == ["Café “quoted”"]


@pytest.mark.parametrize("ref", ["&#xD800;", "&#x110000;", "&#99999999999;", "&#" + "9" * 5000 + ";", "&#0;"])
@pytest.mark.parametrize("well_formed", [True, False], ids=["strict", "loose"])
def test_character_references_to_no_character(ref: str, well_formed: bool) -> None:
    """feedparser's fallback parser crashes on some of these (UnicodeEncodeError, ValueError, OverflowError)."""
    title = f"a{ref}b" + ("" if well_formed else "<b>")
    feed = parse_feed(_rss_items(_item(title)), url=FEED_URL)
    assert [e.title for e in feed.entries] == ["ab"]
    assert feed.warning is not None and feed.warning.startswith("1 references to no character removed")


def test_control_characters_are_removed_with_a_warning() -> None:
    feed = parse_feed(_rss_items(_item("a\x00b\x07c\x1bd\x7fe")), url=FEED_URL)
    assert [e.title for e in feed.entries] == ["abcde"]
    assert feed.warning == "3 control characters removed"


def test_iso_2022_keeps_its_escapes() -> None:
    body = _rss_items(_item("ニュース"), prolog='<?xml version="1.0" encoding="iso-2022-jp"?>')
    body = body.decode().encode("iso-2022-jp")
    assert b"\x1b" in body
    assert [e.title for e in parse_feed(body, url=FEED_URL).entries] == ["ニュース"]


NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_dates_after_the_poll_time_are_dropped() -> None:
    body = _rss_items(
        _item("future", "https://e.org/f", "Fri, 01 Jan 2999 00:00:00 GMT")
        + _item("soon", "https://e.org/s", "Mon, 23 Nov 2026 12:00:01 GMT")
        + _item("now", "https://e.org/n", "Mon, 23 Nov 2026 12:00:00 GMT")
    )
    feed = parse_feed(body, url=FEED_URL, now=NOW)
    assert [e.published for e in feed.entries] == [None, None, NOW]
    assert feed.warning == "2 entries dated after the poll time kept without a date"
    assert parse_feed(body, url=FEED_URL).entries[0].published == datetime(2999, 1, 1, tzinfo=UTC)


def test_json_nested_too_deeply() -> None:
    body = b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(FeedParseError, match=r"^feed: JSON nested too deeply at "):
        parse_feed(body, url=FEED_URL)


def test_json_feed_values_of_the_wrong_type() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": 5,
        "items": [{"url": ["https://e.org/list"]}, {"url": 7, "id": 8}, {"url": "https://e.org/ok", "authors": 3}],
    }
    feed = parse_feed(json.dumps(doc).encode(), url=FEED_URL)
    assert [e.url for e in feed.entries] == ["https://e.org/ok"]
    assert (feed.title, feed.warning) == (None, "2 items without a usable link skipped")


def test_json_feed_escapes_no_store_takes() -> None:
    body = b'{"version": "https://jsonfeed.org/version/1", "items": [{"id": "a\\u0000", "url": "https://e.org/a",'
    body += b' "title": "x\\ud800y\\uffff\\u0007z"}]}'
    (entry,) = parse_feed(body, url=FEED_URL).entries
    assert (entry.guid, entry.title) == ("a", "xyz")


def test_a_failure_inside_feedparser_is_a_parse_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("deep inside")

    monkeypatch.setattr("ingest.feeds.feedparser.parse", broken)
    with pytest.raises(FeedParseError, match=r"^feed: unreadable, the feed parser failed \(KeyError\) at "):
        parse_feed(RSS_MINIMAL, url=FEED_URL)


def test_overlong_links_are_skipped() -> None:
    body = _rss_items(_item("long", "https://e.org/" + "x" * 3000) + _item("ok"))
    feed = parse_feed(body, url=FEED_URL)
    assert [e.url for e in feed.entries] == ["https://e.org/a"]
    assert feed.warning == "1 entries without a usable link skipped"
