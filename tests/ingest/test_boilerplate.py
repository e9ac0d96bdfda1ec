"""Site-level boilerplate: blocks, keys, learning thresholds, write-thrus, determinism and stripping."""

from __future__ import annotations

import random
import re

import pytest

from ingest.boilerplate import SiteModel, block_key, learn, normalise, page_blocks, strip

PROMO = "The Northern Light"
PITCH = "News from the territories and beyond, every Friday."
BIO = "Anna Kessler schreibt im Ressort Frankfurt über Verkehr."


def story(slug: str, paragraphs: int = 6) -> list[str]:
    """A story's own paragraphs, unique to it."""
    return [
        f"Paragraph {chr(97 + i)} of the {slug} story, with words of its own about {slug}." for i in range(paragraphs)
    ]


def keys(blocks: list[str]) -> list[str]:
    return [block_key(b) for b in blocks]


def page(slug: str, *furniture: str) -> list[str]:
    """A page: the story's paragraphs with the site's furniture after the third one."""
    own = story(slug)
    return keys([*own[:3], *furniture, *own[3:]])


# -- blocks and keys ---------------------------------------------------------------------------------


def test_page_blocks_are_the_non_empty_lines_whitespace_collapsed() -> None:
    assert page_blocks("  First   line \n\n\t\nSecond\tline\n") == ["First line", "Second line"]
    assert page_blocks("") == []


def test_block_key_is_sixteen_hex_digits() -> None:
    assert re.fullmatch(r"[0-9a-f]{16}", block_key(PROMO))


def test_block_key_ignores_case_punctuation_spacing_and_which_digits() -> None:
    assert block_key("Copyright 2021 The Associated Press.") == block_key("copyright 2023 the associated press")
    assert block_key("12 comments") == block_key("9 Comments:")
    assert block_key("- Más noticias") == block_key("Más   noticias")
    assert normalise("Story continues — below!") == "story continues below"


def test_different_blocks_have_different_keys() -> None:
    assert block_key(PROMO) != block_key(PITCH)
    assert block_key("Sign up") != block_key("Sign in")


# -- learning thresholds -----------------------------------------------------------------------------


def test_furniture_on_pages_of_three_stories_is_learned() -> None:
    pages = [page(slug, PROMO, PITCH) for slug in ("fire", "flood", "vote")]
    model = learn("news.example", pages)
    assert model == SiteModel("news.example", frozenset(keys([PROMO, PITCH])), 3)


def test_fewer_pages_than_min_pages_give_an_empty_model() -> None:
    model = learn("news.example", [page("fire", PROMO), page("flood", PROMO)])
    assert model.keys == frozenset()
    assert model.pages == 2
    assert not model


def test_a_block_on_two_stories_only_is_not_learned() -> None:
    pages = [page("fire", PROMO, PITCH), page("flood", PROMO, PITCH), page("vote", PROMO)]
    assert learn("news.example", pages).keys == frozenset(keys([PROMO]))


def test_pages_without_keys_are_no_evidence() -> None:
    """Pages stored before block keys were kept have none: they neither count nor dilute the share."""
    pages = [page(slug, PROMO) for slug in ("fire", "flood", "vote")]
    model = learn("news.example", [*pages, *([[]] * 20)])
    assert model.keys == frozenset(keys([PROMO]))
    assert model.pages == 3
    assert learn("news.example", [[], [], [], page("fire", PROMO)]).keys == frozenset()


def test_min_pages_is_a_parameter() -> None:
    pages = [page("fire", PROMO), page("flood", PROMO)]
    assert learn("news.example", pages, min_pages=2).keys == frozenset(keys([PROMO]))


def test_min_share_of_the_sites_pages() -> None:
    others = [page(f"story{i}") for i in range(16)]
    on_three = [page(slug, BIO) for slug in ("fire", "flood", "vote")]  # 3 of 19 pages: 16 %
    assert learn("news.example", on_three + others).keys == frozenset()
    on_four = [page(slug, BIO) for slug in ("fire", "flood", "vote", "strike")]  # 4 of 20: 20 %
    assert learn("news.example", on_four + others).keys == frozenset(keys([BIO]))
    assert learn("news.example", on_four + others, min_share=0.25).keys == frozenset()


# -- several versions of one story -------------------------------------------------------------------


def test_versions_of_one_story_never_teach_its_paragraphs() -> None:
    """Four write-thrus of the Herat story (same lede, growing) among three other stories."""
    herat = story("herat", 10)
    versions = [keys([*herat[: 4 + 2 * v], PROMO]) for v in range(4)]
    pages = versions + [page(slug, PROMO) for slug in ("fire", "flood", "vote")]
    model = learn("news.example", pages)
    assert model.keys == frozenset(keys([PROMO]))


def test_versions_with_rewritten_ledes_count_as_one_story() -> None:
    """A write-thru often rewrites the lede: the versions then open differently but share most paragraphs."""
    herat = story("herat", 10)
    versions = [keys([f"KABUL (AP) — Lede number {v} of the Herat story, rewritten.", *herat, PROMO]) for v in range(4)]
    pages = versions + [page(slug, PROMO) for slug in ("fire", "flood")]
    assert learn("news.example", pages).keys == frozenset(keys([PROMO]))


def test_versions_alone_teach_nothing() -> None:
    herat = story("herat", 8)
    versions = [keys([*herat[:6], f"Update {v}: the governor spoke.", PROMO]) for v in range(5)]
    assert learn("news.example", versions).keys == frozenset()


def test_a_site_wide_first_line_does_not_make_every_page_one_story() -> None:
    listen = "Listen to this article"
    pages = [keys([listen, *story(slug)[:3], PROMO, *story(slug)[3:]]) for slug in ("fire", "flood", "vote", "heat")]
    assert learn("news.example", pages).keys == frozenset(keys([listen, PROMO]))


def test_unrelated_short_pages_with_heavy_furniture_stay_different_stories() -> None:
    """Short pages where the furniture is nearly half the blocks (as on diario-del-pacifico)."""
    furniture = [PROMO, PITCH, "Más noticias", "Síganos en Google News"]
    pages = [keys([*story(slug, 5), *furniture]) for slug in ("fire", "flood", "vote")]
    assert learn("news.example", pages).keys == frozenset(keys(furniture))


# -- determinism -------------------------------------------------------------------------------------


def test_learning_is_deterministic_and_order_free() -> None:
    herat = story("herat", 10)
    pages = [keys([*herat[: 4 + 2 * v], PROMO, PITCH]) for v in range(3)]
    pages += [page(slug, PROMO, PITCH if slug != "vote" else BIO) for slug in ("fire", "flood", "vote", "heat")]
    first = learn("news.example", pages)
    assert learn("news.example", pages) == first
    shuffled = pages[:]
    random.Random(7).shuffle(shuffled)
    assert learn("news.example", shuffled).keys == first.keys
    assert learn("news.example", iter(pages)) == first  # any iterable of pages
    assert first.keys == frozenset(keys([PROMO, PITCH]))


# -- stripping ---------------------------------------------------------------------------------------


def test_strip_removes_known_blocks_wherever_they_stand() -> None:
    blocks = [*story("fire")[:2], PROMO, *story("fire")[2:], PITCH.upper()]
    model = SiteModel("news.example", frozenset(keys([PROMO, PITCH])), 5)
    kept, removed = strip(blocks, model)
    assert kept == story("fire")
    assert removed == [PROMO, PITCH.upper()]


def test_strip_without_a_model_keeps_everything() -> None:
    blocks = [*story("fire"), PROMO]
    assert strip(blocks, None) == (blocks, [])
    assert strip(blocks, SiteModel("news.example", frozenset(), 2)) == (blocks, [])


def test_strip_takes_precomputed_keys() -> None:
    blocks = [*story("fire"), PROMO]
    model = SiteModel("news.example", frozenset(keys([PROMO])), 5)
    assert strip(blocks, model, keys=keys(blocks)) == (story("fire"), [PROMO])
    with pytest.raises(ValueError, match=r"shorter|longer"):
        strip(blocks, model, keys=keys(blocks)[:-1])


def test_strip_leaves_a_page_the_model_would_mostly_remove() -> None:
    """Learned blocks that are most of a page's words are not furniture (a story told again): keep them."""
    herat = story("herat", 6)
    model = SiteModel("news.example", frozenset(keys(herat[:4])), 20)
    blocks = [*herat, "A new paragraph."]
    assert strip(blocks, model) == (blocks, [])
