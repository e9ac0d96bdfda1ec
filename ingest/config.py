"""Configuration of the ingest stage: frozen values, built once at the edge and passed in."""

from __future__ import annotations

from dataclasses import dataclass, field

USER_AGENT = "wiredesk/0.1 (+https://github.com/wiredesk/wiredesk; news-wire deduplication)"


@dataclass(frozen=True)
class FetchLimits:
    """Limits of one HTTP fetch. ``allow`` lists hosts and CIDRs exempt from the private-address guard."""

    connect_timeout_s: float = 10.0
    read_timeout_s: float = 20.0
    deadline_s: float = 60.0
    max_feed_bytes: int = 10 * 1024 * 1024
    max_page_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = USER_AGENT
    allow: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ExtractConfig:
    """Extraction settings. ``min_words`` is the shortest body accepted as an article.

    ``fallback_min_share``: a second, recall-oriented trafilatura pass runs when the first one's raw text has
    fewer words than this share of the words the page shows in paragraphs (or its clean body is under
    ``min_words``); on the evaluation corpus the first pass never reads under 0.72 of them.
    ``boilerplate_min_pages`` / ``boilerplate_min_share``: a block is learned as a site's boilerplate when it
    occurs on pages of at least this many different stories and on at least this share of the site's pages
    (:func:`ingest.boilerplate.learn`); ``boilerplate_pages``: how many of a site's latest stored pages it is
    learned from."""

    min_words: int = 40
    favor_precision: bool = False
    fallback_min_share: float = 0.5
    boilerplate_min_pages: int = 3
    boilerplate_min_share: float = 0.2
    boilerplate_pages: int = 200
