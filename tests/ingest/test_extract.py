"""Article extraction over every page of the corpus (fetched from the corpus server), and the page-metadata
readers on small inline pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from ingest.config import ExtractConfig, FetchLimits
from ingest.errors import ExtractError
from ingest.extract import extract_article, parse_time
from ingest.fetch import Fetcher
from ingest.records import ExtractedArticle, FeedEntry
from wiredesk.corpus import CorpusServer, Page, load_corpus

CORPUS = load_corpus()
PAGES = [pytest.param(page, id=page.path) for page in CORPUS.pages]
PAGES_PUBLISHED = PAGES
PAGES_EXACT = PAGES
CHROME = [
    "Leave a Reply",
    "Your email address will not be published",
    "Required fields are marked",
    "Share this",
    "Subscribe",
    "newsletter",
    "Newsletter",
    "Follow us on",
    "READ MORE",
    "Photo credit",
    "Cookie",
    "cookies",
    "Advertisement",
    "ADVERTISEMENT",
]
COMMENTS = [comment.text for comments in CORPUS.comments.values() for comment in comments]


def _has_site_name(page: Page) -> bool:
    template = CORPUS.templates / CORPUS.outlet(page.outlet).template
    return "og:site_name" in template.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def html(corpus_server: CorpusServer) -> dict[str, bytes]:
    """Every corpus page as served, by path."""
    with Fetcher(FetchLimits(allow=("127.0.0.1",))) as fetcher:
        return {
            page.path: fetcher.get(corpus_server.page_url(page.path), max_bytes=1024 * 1024).body
            for page in corpus_server.corpus.pages
        }


@pytest.fixture(scope="module")
def articles(html: dict[str, bytes], corpus_server: CorpusServer) -> dict[str, ExtractedArticle]:
    """Every corpus page extracted without a feed entry or feed title."""
    return {path: extract_article(body, url=corpus_server.page_url(path)) for path, body in html.items()}


def _paragraphs(page: Page) -> list[str]:
    return [p.text for p in CORPUS.body_of(page) if p.kind == "p"]


# --- the corpus, page by page ---


@pytest.mark.parametrize("page", PAGES)
def test_body_has_first_and_last_paragraph(articles: dict[str, ExtractedArticle], page: Page) -> None:
    text = articles[page.path].text
    paragraphs = _paragraphs(page)
    assert paragraphs[0] in text
    assert paragraphs[-1] in text


@pytest.mark.parametrize("page", PAGES)
def test_body_has_no_chrome(articles: dict[str, ExtractedArticle], page: Page) -> None:
    text = articles[page.path].text
    for chrome in CHROME + COMMENTS:
        assert chrome not in text, chrome


@pytest.mark.parametrize("page", PAGES_EXACT)
def test_body_is_exactly_the_text(articles: dict[str, ExtractedArticle], page: Page) -> None:
    """Stronger than the chrome list: the text's own paragraphs and subheads, in order, and nothing else."""
    assert articles[page.path].text.split("\n\n") == [p.text for p in CORPUS.body_of(page)]


@pytest.mark.parametrize("page", PAGES_PUBLISHED)
def test_published_from_the_page(articles: dict[str, ExtractedArticle], page: Page) -> None:
    article = articles[page.path]
    assert article.published == page.published
    assert article.published_source != "feed"


def test_updated_time_is_not_the_published_time(articles: dict[str, ExtractedArticle]) -> None:
    updated = [page for page in CORPUS.pages if page.updated]
    assert updated
    for page in updated:
        assert articles[page.path].published == page.published != page.updated


@pytest.mark.parametrize("page", PAGES)
def test_language(articles: dict[str, ExtractedArticle], page: Page) -> None:
    assert articles[page.path].language == "en"


@pytest.mark.parametrize("page", PAGES)
def test_title_and_canonical_url(
    articles: dict[str, ExtractedArticle], corpus_server: CorpusServer, page: Page
) -> None:
    article = articles[page.path]
    assert article.title == (page.headline or CORPUS.texts[page.text].headline)
    assert article.canonical_url == corpus_server.page_url(page.path)
    assert article.method == "trafilatura+cleanup"
    assert article.word_count >= ExtractConfig().min_words


@pytest.mark.parametrize("page", PAGES)
def test_outlet(html: dict[str, bytes], corpus_server: CorpusServer, page: Page) -> None:
    name = CORPUS.outlet(page.outlet).name
    url = corpus_server.page_url(page.path)
    if _has_site_name(page):
        assert extract_article(html[page.path], url=url).outlet == name
        # the page's own og:site_name wins over the feed's title
        assert extract_article(html[page.path], url=url, feed_title="Some Feed").outlet == name
    else:
        assert extract_article(html[page.path], url=url, feed_title=name).outlet == name


def test_some_templates_lack_site_name() -> None:
    """Keeps the feed_title branch of test_outlet exercised."""
    assert {page.outlet for page in CORPUS.pages if not _has_site_name(page)} >= {"northstar", "plainwire"}


@pytest.mark.parametrize("page", PAGES)
def test_agencies(articles: dict[str, ExtractedArticle], page: Page) -> None:
    agencies = articles[page.path].agencies
    text = CORPUS.texts[page.text]
    if page.variant == "blend":
        assert agencies == ("AP", "AFP")
    elif text.agency:
        assert agencies == (text.agency,)
    else:
        assert agencies == ()


def test_the_blend_page_is_in_the_corpus() -> None:
    (blend,) = [page for page in CORPUS.pages if page.variant == "blend"]
    assert blend.outlet == "crossroads"
    assert blend.text == "seed"


@pytest.mark.parametrize(
    ("path", "byline"),
    [
        ("/meridian/world/asia/taliban-seize-herat-ghani-grip-slips", "Samir Wardak, Ellen Markham"),
        ("/harbor/news/world/afghanistan-third-city-falls.html", "Samir Wardak, Ellen Markham"),
        ("/valley/business/retail-sales-july", "Daniel Okafor"),
        ("/crossroads/2021/08/13/lebanon-fuel-crisis/", "Rania Haddad, Karim Saadeh"),
    ],
)
def test_byline_cleaned(articles: dict[str, ExtractedArticle], path: str, byline: str) -> None:
    assert articles[path].byline == byline


@pytest.mark.parametrize("page", PAGES)
def test_feed_time_wins(html: dict[str, bytes], corpus_server: CorpusServer, page: Page) -> None:
    url = corpus_server.page_url(page.path)
    feed_time = page.published + timedelta(minutes=7)
    article = extract_article(html[page.path], url=url, entry=FeedEntry(url, published=feed_time))
    assert article.published == feed_time
    assert article.published_source == "feed"


def test_undated_feed_entry_leaves_the_page_time(html: dict[str, bytes], corpus_server: CorpusServer) -> None:
    page = CORPUS.pages_of("meridian")[0]
    url = corpus_server.page_url(page.path)
    article = extract_article(html[page.path], url=url, entry=FeedEntry(url, published=None))
    assert article.published == page.published
    assert article.published_source == "meta:article:published_time"


def test_min_words_from_config(html: dict[str, bytes], corpus_server: CorpusServer) -> None:
    page = CORPUS.pages[0]
    with pytest.raises(ExtractError, match="below 100000"):
        extract_article(html[page.path], url=corpus_server.page_url(page.path), config=ExtractConfig(min_words=100_000))


# --- pages with no article ---


@pytest.mark.parametrize("body", [b"", b"   \n ", ""])
def test_empty_page(body: bytes | str) -> None:
    with pytest.raises(ExtractError, match=re.escape("https://e.org/empty")):
        extract_article(body, url="https://e.org/empty")


def test_page_with_ten_words() -> None:
    page = (
        b"<!DOCTYPE html><html lang='en'><head><title>Short</title></head><body><article>"
        b"<h1>Short</h1><p>Only ten words stand in this very short article body.</p>"
        b"</article></body></html>"
    )
    with pytest.raises(ExtractError, match="below 40"):
        extract_article(page, url="https://e.org/short")


def test_page_of_chrome_only() -> None:
    page = (
        b"<!DOCTYPE html><html lang='en'><head><title>Home</title></head><body>"
        b"<nav><a href='/'>Home</a> <a href='/world/'>World</a></nav>"
        b"<p>Subscribe now</p><p>Share this</p><p>We use cookies to improve your experience.</p>"
        b"</body></html>"
    )
    with pytest.raises(ExtractError):
        extract_article(page, url="https://e.org/home")


# --- times ---


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-08-12T15:10:00Z", datetime(2021, 8, 12, 15, 10, tzinfo=UTC)),
        ("2021-08-12T17:10:00+02:00", datetime(2021, 8, 12, 15, 10, tzinfo=UTC)),
        (" 2021-08-12T15:10:00 ", datetime(2021, 8, 12, 15, 10, tzinfo=UTC)),
        ("2021-08-12", datetime(2021, 8, 12, tzinfo=UTC)),
        ("Thursday", None),
        ("", None),
        (None, None),
        (20210812, None),
    ],
)
def test_parse_time(value: object, expected: datetime | None) -> None:
    assert parse_time(value) == expected
