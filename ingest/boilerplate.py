"""Site-level boilerplate: the blocks a site repeats on the pages of different stories, learned from the
site's own stored pages and stripped from its new ones.

A generic filter (:mod:`ingest.cleanup`) can only drop what looks like boilerplate on any site. Each site
also has its own: a newsletter box with its own title and pitch ("The Northern Light" / "News from the
territories and beyond, every Friday."), a standing promo, an author bio, a "More news" list. Such blocks
come back, word for word, on the pages of unrelated stories; a story's own paragraphs do not.

- **Blocks** are the lines of the text trafilatura extracted (its paragraphs, subheads and list items),
  whitespace-normalised, empty ones dropped (:func:`page_blocks`). Keys are always computed from these raw
  blocks, before any stripping, so that what a page teaches does not depend on the model it was read with.
- **Keys** (:func:`block_key`) are a 64-bit BLAKE2b digest of the block's normalised form: NFKC, casefold,
  every run of digits as ``0`` (so "Copyright 2021 …" and "Copyright 2023 …", or "12 comments" and
  "9 comments", share one key), every run of punctuation and whitespace as one space. The store keeps keys
  only, never the site's text.
- **Learning** (:func:`learn`): a key is boilerplate when it occurs on pages of at least ``min_pages``
  *different stories* and on at least ``min_share`` of the host's pages. Pages belong to the same story when
  they open with the same block, or when they have at least three, and at least 60 %, of the smaller page's
  own blocks (those on at most ``_OWN_DF`` pages of the site) in common. So several versions of one story (a
  write-thru shares most of its paragraphs with the earlier version, often under a rewritten lede) count as
  one story and never teach that story's paragraphs. A page's opening block is its first block that is not
  already frequent on the site (so a site-wide "Listen to this article" line at the top does not make all
  pages one story). Fewer than ``min_pages`` pages give an empty model.
- **Stripping** (:func:`strip`) drops every block whose key the model holds, wherever it stands, unless
  those blocks would be more than half of the page's words (a backstop against a story's paragraphs learned
  as boilerplate: furniture is a small part of a page).

Everything here is pure and deterministic: the same pages give the same model in any run.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_DIGITS = re.compile(r"\d+")
_NON_WORD = re.compile(r"[\W_]+")
_OWN_DF = 20  # a block on more pages than this is site furniture, not one story's own text (no story has 20 versions)
_SAME_STORY = 0.6  # share of the smaller page's own blocks two versions of one story have in common
_SAME_MIN = 3  # and at least this many blocks
_MAX_STRIPPED = 0.5  # share of a page's words beyond which a model's match is not boilerplate


@dataclass(frozen=True)
class SiteModel:
    """The boilerplate block keys learned for one host, and how many of its pages they were learned from."""

    host: str
    keys: frozenset[str]
    pages: int

    def __bool__(self) -> bool:
        return bool(self.keys)


def page_blocks(text: str) -> list[str]:
    """The blocks of an extracted text: its lines, whitespace collapsed, empty ones dropped, in order."""
    return [block for block in (" ".join(line.split()) for line in text.splitlines()) if block]


def normalise(block: str) -> str:
    """The form a block is keyed on: NFKC, casefold, digit runs as ``0``, punctuation and spaces as one space."""
    folded = unicodedata.normalize("NFKC", block).casefold()
    return _NON_WORD.sub(" ", _DIGITS.sub("0", folded)).strip()


def block_key(block: str) -> str:
    """The block's key: 16 hex digits of BLAKE2b (8 bytes) over :func:`normalise`."""
    return hashlib.blake2b(normalise(block).encode("utf-8"), digest_size=8).hexdigest()


class _Stories:
    """Union-find over page indexes: which pages tell the same story."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def learn(host: str, pages: Iterable[Sequence[str]], *, min_pages: int = 3, min_share: float = 0.2) -> SiteModel:
    """Learn a host's boilerplate from the block keys of its stored pages (one sequence per page, in page order).

    A key is learned when it occurs on pages of at least ``min_pages`` different stories and on at least
    ``min_share`` of the pages. See the module docstring for what makes two pages the same story. Pages with
    no keys are skipped (they are not counted in ``SiteModel.pages`` either)."""
    # distinct keys, first occurrence order; a page with no keys (stored before keys were kept) is no evidence
    docs = [keys for keys in (list(dict.fromkeys(page)) for page in pages) if keys]
    n = len(docs)
    if n < min_pages or n == 0:
        return SiteModel(host, frozenset(), n)
    where: dict[str, list[int]] = defaultdict(list)
    for i, keys in enumerate(docs):
        for key in keys:
            where[key].append(i)
    frequent = max(min_pages, min_share * n)
    stories = _Stories(n)

    # 1. Pages opening with the same block tell the same story. The opening block is the first one not
    # already frequent on the site (a site-wide top line would otherwise make every page one story).
    by_opening: dict[str, int] = {}
    for i, keys in enumerate(docs):
        opening = next((k for k in keys if len(where[k]) < frequent), keys[0])
        if opening in by_opening:
            stories.union(by_opening[opening], i)
        else:
            by_opening[opening] = i

    # 2. Pages sharing at least three and 60 % of the smaller one's own blocks tell the same story (a write-thru
    # with a rewritten lede). Own blocks are on at most _OWN_DF pages; pairs are counted through them only, so the
    # cost stays linear in the number of pages.
    own = [sum(1 for k in keys if len(where[k]) <= _OWN_DF) for keys in docs]
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for holders in where.values():
        if 1 < len(holders) <= _OWN_DF:
            for a in range(len(holders)):
                for b in range(a + 1, len(holders)):
                    shared[holders[a], holders[b]] += 1
    for (i, j), common in shared.items():
        if common >= _SAME_MIN and common >= _SAME_STORY * min(own[i], own[j]):
            stories.union(i, j)

    learned = frozenset(
        key
        for key, holders in where.items()
        if len(holders) >= frequent and len({stories.find(i) for i in holders}) >= min_pages
    )
    return SiteModel(host, learned, n)


def strip(
    blocks: Sequence[str], model: SiteModel | None, *, keys: Sequence[str] | None = None
) -> tuple[list[str], list[str]]:
    """Split blocks into those kept and those the site model knows as boilerplate, both in order. ``keys`` are
    the blocks' keys when the caller has them already.

    When the model would take more than half of the page's words, it is not the site's furniture it found
    (a story told again, under a new first paragraph, on more pages than the grouping caught): nothing is
    stripped."""
    if not model or not model.keys:
        return list(blocks), []
    keys = keys if keys is not None else [block_key(block) for block in blocks]
    kept: list[str] = []
    removed: list[str] = []
    for block, key in zip(blocks, keys, strict=True):
        (removed if key in model.keys else kept).append(block)
    removed_words = sum(len(block.split()) for block in removed)
    if removed_words > _MAX_STRIPPED * (removed_words + sum(len(block.split()) for block in kept)):
        return list(blocks), []
    return kept, removed


__all__ = ["SiteModel", "block_key", "learn", "normalise", "page_blocks", "strip"]
