"""The body pipeline: trafilatura, the site model, the residue filters, and the fallback pass."""

from __future__ import annotations

from typing import Any

import pytest
import trafilatura

from ingest import body as body_module
from ingest.body import PRIMARY, RECALL, extract_body, visible_words
from ingest.boilerplate import SiteModel, block_key, learn, page_blocks
from ingest.config import ExtractConfig
from ingest.errors import ExtractError
from ingest.extract import extract_article

URL = "https://news.example/world/herat"
TITLE = "Taliban seize Herat as government forces retreat"
PARAGRAPHS = [
    "KABUL, Afghanistan (AP) — The Taliban seized Herat, Afghanistan’s third-largest city, on Thursday after "
    "pushing into its center from three directions, officials said.",
    "Fighters raised the Taliban’s white flag over the governor’s office, a provincial council member said, "
    "and government forces withdrew to an army base outside the city.",
    "The U.S. Embassy in Kabul on Thursday renewed its call for Americans to leave the country immediately, "
    "offering loans for plane tickets to those who could not afford them.",
    "The fall of Herat follows the loss of Ghazni earlier in the day, which put the insurgents on the main "
    "highway linking the capital with the country’s south.",
]
PROMO = "The Frontier Dispatch"
PITCH = "Our reporters on the ground, in your inbox every Tuesday evening."
STORY_BOX = "Story continues below advertisement"


def page(paragraphs: list[str] = PARAGRAPHS, *, promo: bool = True, title: str = TITLE) -> str:
    body = [f"<p>{p}</p>" for p in paragraphs]
    if promo:
        body.insert(2, f'<div class="box"><p class="box-title">{PROMO}</p><p>{PITCH}</p></div>')
    body.insert(1, f"<p>{STORY_BOX}</p>")
    return (
        "<!DOCTYPE html><html lang='en'><head><title>Herat</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{title}</h1>{''.join(body)}</article>"
        "<footer><p>About us</p></footer></body></html>"
    )


def model_of(*blocks: str) -> SiteModel:
    return SiteModel("news.example", frozenset(block_key(b) for b in blocks), 10)


def raw_blocks(html: str) -> list[str]:
    doc = trafilatura.bare_extraction(html, url=URL, include_comments=False, fast=True, deduplicate=False)
    return page_blocks(doc.text)


# -- the primary path --------------------------------------------------------------------------------


def test_clean_body_with_generic_filters() -> None:
    result = extract_body(page(), url=URL, title=TITLE, config=ExtractConfig())
    assert result.method == "trafilatura+cleanup"
    assert result.text.split("\n\n") == [PARAGRAPHS[0], PARAGRAPHS[1], PROMO, PITCH, *PARAGRAPHS[2:]]
    assert STORY_BOX in result.removed


def test_site_model_strips_the_sites_own_furniture() -> None:
    result = extract_body(page(), url=URL, title=TITLE, config=ExtractConfig(), site=model_of(PROMO, PITCH))
    assert result.method == "trafilatura+site+cleanup"
    assert result.text.split("\n\n") == PARAGRAPHS
    assert list(result.removed) == [TITLE, STORY_BOX, PROMO, PITCH]  # page order, site model and filters together


def test_block_keys_are_the_raw_blocks_before_any_stripping() -> None:
    html = page()
    plain = extract_body(html, url=URL, title=TITLE, config=ExtractConfig())
    modelled = extract_body(html, url=URL, title=TITLE, config=ExtractConfig(), site=model_of(PROMO, PITCH))
    expected = tuple(block_key(b) for b in raw_blocks(html))
    assert plain.block_keys == modelled.block_keys == expected
    assert block_key(PROMO) in expected
    assert block_key(STORY_BOX) in expected


def test_learning_from_block_keys_then_stripping() -> None:
    """The store's loop: keys of earlier pages of other stories teach the furniture of the next page."""
    earlier = [
        extract_body(
            page([f"{p} Told by {name}." for p in PARAGRAPHS], title=f"The {name} story"),
            url=URL,
            title=None,
            config=ExtractConfig(),
        ).block_keys
        for name in ("Anna", "Bruno", "Chloe")
    ]
    model = learn("news.example", earlier)
    assert model.keys == {block_key(PROMO), block_key(PITCH), block_key(STORY_BOX)}
    result = extract_body(page(), url=URL, title=TITLE, config=ExtractConfig(), site=model)
    assert result.text.split("\n\n") == PARAGRAPHS


def test_metadata_from_the_same_pass() -> None:
    result = extract_body(page(), url=URL, title=None, config=ExtractConfig(), with_metadata=True)
    assert result.metadata["title"] == TITLE
    assert extract_body(page(), url=URL, title=None, config=ExtractConfig()).metadata == {}


def test_too_short_raises() -> None:
    with pytest.raises(ExtractError, match=r"below 400, at https://news\.example/world/herat"):
        extract_body(page(), url=URL, title=TITLE, config=ExtractConfig(min_words=400))


# -- the fallback ------------------------------------------------------------------------------------


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Records the options of every trafilatura pass."""
    seen: list[dict[str, Any]] = []
    real = trafilatura.bare_extraction

    def spy(html: Any, **options: Any) -> Any:
        seen.append(options)
        return real(html, **options)

    monkeypatch.setattr(body_module.trafilatura, "bare_extraction", spy)
    return seen


def test_one_pass_when_the_primary_reads_well(passes: list[dict[str, Any]]) -> None:
    extract_body(page(), url=URL, title=TITLE, config=ExtractConfig())
    assert len(passes) == 1
    assert passes[0]["fast"] is True
    assert passes[0]["include_comments"] is False
    assert passes[0]["deduplicate"] is False


def test_fallback_when_the_primary_is_empty(passes: list[dict[str, Any]]) -> None:
    """The story sits in an <aside>: trafilatura's fast pass discards it, the recall pass finds it."""
    html = (
        "<!DOCTYPE html><html><body><nav><a href='/'>Home</a></nav><aside>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        + "</aside></body></html>"
    )
    result = extract_body(html, url=URL, title=TITLE, config=ExtractConfig())
    assert result.method == f"{RECALL}+cleanup"
    assert result.text.split("\n\n") == PARAGRAPHS
    assert len(passes) == 2
    assert passes[1]["favor_recall"] is True
    assert passes[1]["fast"] is False
    assert result.block_keys == tuple(block_key(p) for p in PARAGRAPHS)  # the keys of the text it kept


def test_fallback_when_the_primary_is_short_against_the_visible_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """A primary that read one paragraph of a long page (above min_words, under half the visible words)."""
    real = trafilatura.bare_extraction

    def first_paragraph_only(html: Any, **options: Any) -> Any:
        doc = real(html, **options)
        if options["fast"]:
            doc.text = "\n".join([PARAGRAPHS[0], PARAGRAPHS[1]])
        return doc

    monkeypatch.setattr(body_module.trafilatura, "bare_extraction", first_paragraph_only)
    html = page(PARAGRAPHS * 2, promo=False)
    config = ExtractConfig(min_words=20)
    result = extract_body(html, url=URL, title=TITLE, config=config)
    assert result.method == f"{RECALL}+cleanup"
    assert len(result.text.split("\n\n")) == 8
    assert extract_body(html, url=URL, title=TITLE, config=config, site=model_of(PROMO)).method == (
        f"{RECALL}+site+cleanup"
    )
    # the check is a share of the visible words: lowered, the short primary stands
    lenient = ExtractConfig(min_words=20, fallback_min_share=0.1)
    assert extract_body(html, url=URL, title=TITLE, config=lenient).method == f"{PRIMARY}+cleanup"


def test_fallback_not_kept_when_it_reads_no_more(passes: list[dict[str, Any]]) -> None:
    with pytest.raises(ExtractError, match="below 40"):
        extract_body(
            "<html><body><p>Only a few words here.</p></body></html>", url=URL, title=None, config=ExtractConfig()
        )
    assert len(passes) == 2


def test_visible_words_leave_out_navigation_and_asides() -> None:
    import lxml.html

    tree = lxml.html.fromstring(
        "<html><body><nav><p>Home World</p></nav><header><p>Top story</p></header><article><p>one two three</p>"
        "<div><p>four five</p></div></article><aside><p>Most read</p></aside><footer><p>About</p></footer>"
        "<form><p>Email</p></form></body></html>"
    )
    assert visible_words(tree) == 5
    assert visible_words(None) == 0


def test_extract_body_parses_the_page_itself_when_not_given_a_tree() -> None:
    html = page()
    import lxml.html

    tree = lxml.html.fromstring(html)
    assert extract_body(html, url=URL, title=TITLE, config=ExtractConfig(), tree=tree) == extract_body(
        html, url=URL, title=TITLE, config=ExtractConfig()
    )


# -- through extract_article -------------------------------------------------------------------------


def test_extract_article_passes_the_site_model_through() -> None:
    html = page().encode()
    plain = extract_article(html, url=URL)
    modelled = extract_article(html, url=URL, site=model_of(PROMO, PITCH))
    assert plain.method == "trafilatura+cleanup"
    assert modelled.method == "trafilatura+site+cleanup"
    assert modelled.text.split("\n\n") == PARAGRAPHS
    assert PROMO in plain.text
    assert plain.block_keys == modelled.block_keys == tuple(block_key(b) for b in raw_blocks(page()))
    assert modelled.removed == (TITLE, STORY_BOX, PROMO, PITCH)
    assert modelled.agencies == ("AP",)
