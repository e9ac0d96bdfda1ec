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
    """Extraction settings. ``min_words`` is the shortest body accepted as an article."""

    min_words: int = 40
    favor_precision: bool = False
