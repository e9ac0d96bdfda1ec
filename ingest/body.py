"""An article page's clean body: trafilatura, then the site's learned boilerplate, then generic residue filters,
with a second, recall-oriented trafilatura pass only for pages the first one reads too short.

The path, step by step:

1. **Primary**: one ``trafilatura.bare_extraction`` pass, comments off, ``fast=True`` (trafilatura's own
   comparison against readability and jusText is skipped: on the evaluation corpus it changed no page and cost
   a quarter of the time), tables kept, no cross-document deduplication (trafilatura's is a process-wide cache:
   the same page would read differently depending on what was extracted before it), ``favor_precision`` from
   the configuration. Its text is split into raw blocks (:func:`ingest.boilerplate.page_blocks`), whose keys
   are returned for the store to learn the site from.
2. **Site model**: blocks the host's model knows as boilerplate are dropped (:func:`ingest.boilerplate.strip`).
3. **Residue filters**: :func:`ingest.cleanup.clean_blocks`, against the headline(s) the page is known by.
4. **Fallback**: when the primary's clean body is under ``min_words``, or its raw text is under
   ``fallback_min_share`` of the words the page shows in paragraphs (``<p>`` outside navigation, headers,
   footers, asides and forms), a second pass runs with ``favor_recall=True`` and trafilatura's full algorithm
   (``fast=False``); steps 2 and 3 are applied to it, and it is kept when its clean body is longer. Only then is
   the page extracted twice.

``Body.method`` names the path: ``trafilatura+cleanup`` (the primary), ``trafilatura-recall+cleanup`` (the
fallback's text), with ``+site`` after ``trafilatura``/``trafilatura-recall`` when a non-empty site model was
applied (``trafilatura+site+cleanup``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import lxml.etree
import lxml.html
import trafilatura

from ingest.boilerplate import SiteModel, block_key, page_blocks, strip
from ingest.cleanup import clean_lines
from ingest.config import ExtractConfig
from ingest.errors import ExtractError

PRIMARY = "trafilatura"
RECALL = "trafilatura-recall"
_VISIBLE = (
    "//body//p[not(ancestor::nav or ancestor::header or ancestor::footer or ancestor::aside or ancestor::form"
    " or ancestor::script or ancestor::noscript)]"
)
_METADATA = ("title", "author", "date", "sitename", "language", "categories", "tags", "description", "url")


@dataclass(frozen=True)
class Body:
    """A page's clean body (paragraphs joined by blank lines) and how it was obtained.

    ``block_keys`` are the keys of the raw trafilatura blocks the body came from, before any stripping, in order
    (what the store learns the site from); ``removed`` the blocks the site model and the residue filters dropped,
    in order; ``metadata`` trafilatura's own metadata findings from the same pass (``title``, ``author``,
    ``date``, ``sitename``, ``language``, ...), when asked for with ``with_metadata``."""

    text: str
    method: str
    block_keys: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def word_count(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class _Pass:
    raw: list[str]
    keys: list[str]
    kept: list[str]
    removed: list[str]
    found: dict[str, Any]

    @property
    def words(self) -> int:
        return sum(len(block.split()) for block in self.kept)


def visible_words(tree: Any) -> int:
    """Words the page shows in paragraphs outside navigation, headers, footers, asides and forms."""
    try:
        return sum(len(p.text_content().split()) for p in tree.xpath(_VISIBLE))
    except (AttributeError, lxml.etree.XPathError):
        return 0


def _trafilatura(html: bytes | str, url: str, *, recall: bool, precision: bool, metadata: bool) -> tuple[str, Any]:
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        include_comments=False,
        with_metadata=metadata,
        fast=not recall,
        favor_recall=recall,
        favor_precision=precision and not recall,
        deduplicate=False,
    )
    return (getattr(doc, "text", None) or "") if doc is not None else "", doc


def _found(doc: Any) -> dict[str, Any]:
    if doc is None:
        return {}
    return {name: value for name in _METADATA if (value := getattr(doc, name, None))}


def _clean(raw: list[str], keys: list[str], site: SiteModel | None, titles: list[str]) -> tuple[list[str], list[str]]:
    """The kept blocks, and the removed ones in page order (site model and residue filters together)."""
    after_site, by_site = strip(raw, site, keys=keys)
    learned = site.keys if site is not None and by_site else frozenset()
    remaining = [i for i, key in enumerate(keys) if key not in learned]  # raw indexes of after_site
    kept, dropped = clean_lines(after_site, titles=titles)
    gone = set(range(len(raw))).difference(remaining).union(remaining[j] for j in dropped)
    return kept, [raw[i] for i in sorted(gone)]


def extract_body(
    html: bytes | str,
    *,
    url: str,
    title: str | None,
    config: ExtractConfig,
    site: SiteModel | None = None,
    tree: Any = None,
    with_metadata: bool = False,
) -> Body:
    """The clean body of one article page. ``title`` is the headline as known (its echoes are dropped);
    ``site`` the host's learned boilerplate; ``tree`` the page already parsed by lxml (parsed here when the
    fallback check needs it and none is given); ``with_metadata`` also returns trafilatura's metadata findings
    from the same pass. Raises :class:`ExtractError` when the body is under ``config.min_words``."""
    raw_text, doc = _trafilatura(html, url, recall=False, precision=config.favor_precision, metadata=with_metadata)
    found = _found(doc)
    titles = [t for t in (title, found.get("title")) if isinstance(t, str)]
    raw = page_blocks(raw_text)
    keys = [block_key(block) for block in raw]
    kept, removed = _clean(raw, keys, site, titles)
    chosen = _Pass(raw, keys, kept, removed, found)
    method = PRIMARY

    raw_words = sum(len(block.split()) for block in raw)
    if chosen.words < config.min_words or raw_words < config.fallback_min_share * _visible(html, tree):
        recall_text, _ = _trafilatura(html, url, recall=True, precision=False, metadata=False)
        recall_raw = page_blocks(recall_text)
        recall_keys = [block_key(block) for block in recall_raw]
        recall_kept, recall_removed = _clean(recall_raw, recall_keys, site, titles)
        second = _Pass(recall_raw, recall_keys, recall_kept, recall_removed, found)
        if second.words > chosen.words:
            chosen, method = second, RECALL

    words = chosen.words
    if words < config.min_words:
        raise ExtractError(f"extract: body of {words} words, below {config.min_words}, at {url}")
    site_tag = "+site" if site else ""
    return Body(
        text="\n\n".join(chosen.kept),
        method=f"{method}{site_tag}+cleanup",
        block_keys=tuple(chosen.keys),
        removed=tuple(chosen.removed),
        metadata=chosen.found,
    )


def _visible(html: bytes | str, tree: Any) -> int:
    if tree is None:
        try:
            tree = lxml.html.fromstring(html)
        except (ValueError, lxml.etree.ParserError):
            return 0
    return visible_words(tree)


__all__ = ["PRIMARY", "RECALL", "Body", "extract_body", "visible_words"]
