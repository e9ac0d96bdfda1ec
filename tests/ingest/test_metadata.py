"""ingest.metadata.read_metadata: each field from each source, in order, with the traps real pages set."""

from __future__ import annotations

from datetime import UTC, datetime

import lxml.html
import pytest

from ingest.credits import dateline_of, person_names
from ingest.language import detect_language
from ingest.metadata import Metadata, read_metadata
from ingest.records import FeedEntry

URL = "https://news.example/world/2023/03/05/herat-falls"
BODY = "HERAT, Afghanistan (AP) — The Taliban took Herat on Thursday, officials said. " * 8


def meta(
    head: str = "",
    body: str = "",
    *,
    url: str = URL,
    text: str = BODY,
    lang: str = "lang='en-GB'",
    entry: FeedEntry | None = None,
) -> Metadata:
    tree = lxml.html.fromstring(f"<html {lang}><head>{head}</head><body>{body}</body></html>")
    return read_metadata(tree, url=url, text=text, entry=entry)


def ld(obj: str) -> str:
    return f'<script type="application/ld+json">{obj}</script>'


def test_published_from_meta_then_json_ld() -> None:
    got = meta(
        '<meta property="article:published_time" content="2021-08-12T15:10:00+02:00">'
        + ld('{"@type": "NewsArticle", "datePublished": "2021-01-01T00:00:00Z"}')
    )
    assert (got.published, got.published_source) == (
        datetime(2021, 8, 12, 13, 10, tzinfo=UTC),
        "meta:article:published_time",
    )
    got = meta(ld('{"@type": "NewsArticle", "datePublished": "2021-08-12T15:10:00Z"}'))
    assert (got.published, got.published_source) == (datetime(2021, 8, 12, 15, 10, tzinfo=UTC), "json-ld")


def test_the_feed_time_comes_first() -> None:
    entry = FeedEntry(URL, published=datetime(2021, 8, 12, 9, 0, tzinfo=UTC))
    got = meta('<meta property="article:published_time" content="2021-08-12T15:10:00Z">', entry=entry)
    assert (got.published, got.published_source) == (datetime(2021, 8, 12, 9, 0, tzinfo=UTC), "feed")


def test_a_naive_time_takes_the_zone_the_page_states() -> None:
    got = meta(
        '<meta property="article:published_time" content="2023-10-10T13:15:00">'
        + ld('{"@type": "NewsArticle", "datePublished": "2023-10-10T13:15:00-05:00"}')
    )
    assert got.published == datetime(2023, 10, 10, 18, 15, tzinfo=UTC)
    assert got.published_source == "meta:article:published_time (zone from page)"
    # With no zone anywhere, a naive time is UTC.
    assert meta('<meta property="article:published_time" content="2023-10-10T13:15:00">').published == datetime(
        2023, 10, 10, 13, 15, tzinfo=UTC
    )


def test_itemprop_dates_in_any_case() -> None:
    got = meta(
        body='<span itemprop="datePublished" datetime="2023-11-28T09:45:00Z">Nov 28</span>'
        '<meta itemprop="dateModified" content="2023-11-28T13:30:00Z">'
    )
    assert got.published == datetime(2023, 11, 28, 9, 45, tzinfo=UTC)
    assert got.updated == datetime(2023, 11, 28, 13, 30, tzinfo=UTC)


def test_updated_is_never_published_and_only_when_later() -> None:
    got = meta('<meta property="article:modified_time" content="2021-08-12T21:05:00Z">', url="https://news.example/a")
    assert got.published is None
    assert got.updated == datetime(2021, 8, 12, 21, 5, tzinfo=UTC)
    same = meta(
        '<meta property="article:published_time" content="2021-08-12T21:05:00Z">'
        '<meta property="article:modified_time" content="2021-08-12T21:05:00Z">'
    )
    assert same.published is not None and same.updated is None


def test_an_updated_time_element_is_not_the_published_time() -> None:
    got = meta(
        ld('{"@type": "NewsArticle", "datePublished": "2021-08-12T06:05:00Z"}'),
        '<article><header><time class="updated" datetime="2021-08-12T12:40:00Z">Updated 8:40 a.m.</time>'
        "</header></article>",
    )
    assert got.published == datetime(2021, 8, 12, 6, 5, tzinfo=UTC)
    assert got.updated == datetime(2021, 8, 12, 12, 40, tzinfo=UTC)


def test_the_url_date_is_the_last_resort() -> None:
    got = meta()
    assert (got.published, got.published_source) == (datetime(2023, 3, 5, tzinfo=UTC), "url")


def test_authors_from_json_ld_references_without_agencies() -> None:
    got = meta(
        ld(
            '{"@graph": [{"@type": "NewsArticle", "author": [{"@id": "#p1"}, {"@id": "#org"}]},'
            ' {"@id": "#p1", "@type": "Person", "name": "Jane Doe"},'
            ' {"@id": "#org", "@type": "Organization", "name": "Associated Press"}]}'
        )
    )
    assert got.authors == ("Jane Doe",)
    assert got.authors_source == "json-ld"
    assert got.agencies[:1] == ("AP",)


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("By Jane Doe and John Roe, Associated Press", ["Jane Doe", "John Roe"]),
        ("By AP", []),
        ("By JANE DOE | Reuters", ["Jane Doe"]),
        ("Von Jonas Reuter und Petra Hahn, dpa", ["Jonas Reuter", "Petra Hahn"]),
        ("Par Marie Dubois (AFP)", ["Marie Dubois"]),
        ("Par Le Courrier Rhodanien avec AFP", []),
        ("Por Andrés Mosquera", ["Andrés Mosquera"]),
        ("By Shoaib Rahimi with Claire Dufour in Kabul", ["Shoaib Rahimi", "Claire Dufour"]),
    ],
)
def test_person_names(byline: str, names: list[str]) -> None:
    assert person_names(byline) == names


def test_visible_byline_when_no_meta() -> None:
    got = meta(body='<article><p class="byline">By LARS EVENSEN Associated Press</p></article>')
    assert got.authors == ("Lars Evensen",)
    assert got.authors_source == "html:byline"
    assert "AP" in got.agencies


@pytest.mark.parametrize(
    ("first", "place"),
    [
        ("HERAT, Afghanistan (AP) — The Taliban", "HERAT, Afghanistan"),
        ("PHOENIX, May 16 (Reuters) - Corvid", "PHOENIX"),
        ("Bogotá, 22 mar (EFE).- La junta", "Bogotá"),
        ("Herat (Afghanistan) (AFP) - The Taliban", "Herat (Afghanistan)"),
        ("Frankfurt/Main (dpa) - Die Stadt", "Frankfurt/Main"),
        ("MILLBROOK — After six hours", "MILLBROOK"),
        ("The council met on Monday - and voted", None),
        ("Les usagers des transports", None),
    ],
)
def test_dateline(first: str, place: str | None) -> None:
    assert dateline_of(first + " and more words follow here.") == place


def test_language_from_markup_then_text() -> None:
    assert (meta().language, meta().language_source) == ("en", "html:lang")
    got = meta('<meta property="og:locale" content="de_DE">', lang="")
    assert (got.language, got.language_source) == ("de", "meta:og:locale")
    spanish = "La junta directiva del banco redujo la tasa de interés y dijo que la inflación sigue en descenso. " * 5
    got = meta(lang="", text=spanish)
    assert (got.language, got.language_source) == ("es", "detected")


def test_detect_language_declines_short_or_unclear_text() -> None:
    assert detect_language("Herat falls") is None
    assert detect_language("12 34 56 " * 40) is None


def test_canonical_url_falls_back_to_og_url_then_the_page() -> None:
    assert meta('<link rel="canonical" href="/a?utm_source=x">').canonical_url == "https://news.example/a"
    assert meta('<meta property="og:url" content="https://news.example/b">').canonical_url == "https://news.example/b"
    assert meta().canonical_url == URL


def test_section_from_meta_json_ld_or_breadcrumbs() -> None:
    assert meta('<meta property="article:section" content="World">').section == "World"
    assert meta(ld('{"@type": "NewsArticle", "articleSection": ["Climate", "Science"]}')).section == "Climate"
    crumbs = (
        '<nav class="breadcrumb"><a href="/">Home</a><a href="/world">World</a><a href="/world/asia">Asia</a></nav>'
    )
    assert meta(body=crumbs).section == "Asia"
    assert meta().section is None


def test_title_sources() -> None:
    assert (
        meta('<meta property="og:title" content=" Herat  falls ">').title,
        meta('<meta property="og:title" content="x">').title_source,
    ) == ("Herat falls", "meta:og:title")
    got = meta("<title>Herat falls | News</title>", "<article><h1>Herat falls</h1></article>")
    assert (got.title, got.title_source) == ("Herat falls", "html:h1")
