"""The values the store takes and gives back: plain frozen dataclasses, no ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Feed:
    """A registered feed and its poll state."""

    id: int
    url: str
    name: str
    created_at: datetime | None = None
    title: str | None = None
    format: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    last_status: str | None = None
    last_http_status: int | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    consecutive_errors: int = 0
    next_poll_at: datetime | None = None
    last_error_class: str | None = None
    quiet_polls: int = 0


@dataclass(frozen=True)
class PollRecord:
    """What one poll of a feed did, written back as the feed's poll state and kept in its poll history."""

    status: str  # "ok", "not_modified" or "error"
    polled_at: datetime
    next_poll_at: datetime
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    title: str | None = None
    format: str | None = None
    error: str | None = None
    error_class: str | None = None
    quiet_polls: int = 0
    entries: int = 0
    new_entries: int = 0


@dataclass(frozen=True)
class FeedHealth:
    """A feed's health over the last days (:meth:`Store.feed_health`).

    ``status``: ``new`` (never polled), ``ok``, ``failing`` or ``dead``; ``not_modified_share``: share of the
    window's answered polls that were 304s; ``items_per_day``: entries dated (else first seen) in the window,
    per day; ``duplicate_share``: share of its clustered articles that joined an existing cluster;
    ``extraction_failures`` / ``fetch_failures``: its pages whose last attempt in the window failed."""

    feed_id: int
    name: str
    url: str
    status: str
    consecutive_errors: int
    error_class: str | None
    last_error: str | None
    last_polled_at: datetime | None
    last_success_at: datetime | None
    next_poll_at: datetime | None
    poll_interval_s: int | None
    polls: int
    not_modified_share: float | None
    items_per_day: float
    duplicate_share: float | None
    extraction_failures: int
    fetch_failures: int


@dataclass(frozen=True)
class RunRecord:
    """One pipeline run (``source``: ``airflow`` or ``cli``) and its counts (:func:`wiredesk.pipeline.run_counts`)."""

    run_id: str
    source: str
    started_at: datetime
    finished_at: datetime
    counts: dict[str, int]


@dataclass(frozen=True)
class NewEntry:
    """An item a feed listed, keyed by its canonical URL."""

    url: str
    guid: str | None = None
    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True)
class PendingEntry:
    """An entry that still has to be fetched."""

    url: str
    feed_id: int
    guid: str | None
    title: str | None
    author: str | None
    published_at: datetime | None
    attempts: int


@dataclass(frozen=True)
class NewArticle:
    """One fetched and extracted version of a URL, ready to store."""

    id: str
    url: str
    content_hash: str
    feed_id: int | None
    fetched_at: datetime
    body: str
    word_count: int
    extractor: str
    title: str | None = None
    byline: str | None = None
    published_at: datetime | None = None
    published_source: str | None = None
    language: str | None = None
    page_url: str | None = None
    outlet: str | None = None
    agency: str | None = None
    raw_html: bytes | None = None
    authors: list[str] | None = None
    updated_at: datetime | None = None
    updated_source: str | None = None
    section: str | None = None
    dateline: str | None = None
    host: str | None = None
    block_keys: list[str] | None = None


@dataclass(frozen=True)
class Article:
    """A stored article, without its raw HTML (see :meth:`Store.raw_html`)."""

    id: str
    url: str
    content_hash: str
    feed_id: int | None
    fetched_at: datetime
    title: str | None
    byline: str | None
    published_at: datetime | None
    published_source: str | None
    language: str | None
    page_url: str | None
    outlet: str | None
    agency: str | None
    body: str
    word_count: int
    extractor: str
    authors: list[str] | None = None
    updated_at: datetime | None = None
    updated_source: str | None = None
    section: str | None = None
    dateline: str | None = None
    host: str | None = None
    cluster_id: str | None = None


@dataclass(frozen=True)
class Membership:
    """An article's place in a cluster and the evidence that put it there."""

    article_id: str
    cluster_id: str
    rule: str
    decided_at: datetime
    matched_id: str | None = None
    jaccard: float | None = None
    containment: float | None = None


@dataclass(frozen=True)
class Cluster:
    """A cluster's summary row."""

    id: str
    founder_id: str
    canonical_id: str
    canonical_reason: str
    size: int
    created_at: datetime
    updated_at: datetime
    story_id: str | None = None


@dataclass(frozen=True)
class Story:
    """A story's summary row: clusters linked by shared passages, and the story's canonical article."""

    id: str
    canonical_id: str
    canonical_cluster_id: str
    canonical_reason: str
    clusters: int
    size: int
    created_at: datetime
    updated_at: datetime
    merged_into: str | None = None


@dataclass(frozen=True)
class StoryLink:
    """The evidence of a story link: ``article_id`` (in ``cluster_id``) shares a passage with ``matched_id``
    (in ``other_cluster_id``)."""

    article_id: str
    other_cluster_id: str
    cluster_id: str
    matched_id: str
    jaccard: float
    containment: float
    rule: str
    decided_at: datetime


@dataclass(frozen=True)
class StoryWrite:
    """A story's new summary, and the stories it absorbed (their clusters move to it)."""

    story: Story
    absorbed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StoryDetail:
    """A story with its clusters (each with its canonical article) and the links between them."""

    story: Story
    clusters: list[tuple[Cluster, Article]] = field(default_factory=list)
    links: list[StoryLink] = field(default_factory=list)


@dataclass(frozen=True)
class IndexedCandidate:
    """An article the stored index returns for a band key: its cluster and publication time."""

    article_id: str
    cluster_id: str
    published_at: datetime


@dataclass(frozen=True)
class ClusterDetail:
    """A cluster with its members (articles and the evidence of each membership)."""

    cluster: Cluster
    members: list[tuple[Article, Membership]] = field(default_factory=list)


@dataclass(frozen=True)
class IndexedSignature:
    """A stored MinHash signature with the cluster facts the matcher needs."""

    article_id: str
    hashvalues: bytes
    published_at: datetime | None
    cluster_id: str | None


@dataclass(frozen=True)
class ClusterWrite:
    """Everything one dedupe decision writes, all or nothing (alone, or with its group: :meth:`Store.group`).

    ``cluster`` is the cluster's new summary; ``membership`` places the article; ``index_keys`` put it in the
    candidate index; ``story`` and ``links`` update its story; ``events`` are appended to the events table in
    order (a detail's ``cluster_id``, ``story_id`` and ``article_id`` fill the event's columns).
    """

    article_id: str
    hashvalues: bytes
    published_at: datetime
    cluster: Cluster
    membership: Membership
    index_keys: list[int] = field(default_factory=list)
    story: StoryWrite | None = None
    links: list[StoryLink] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@dataclass(frozen=True)
class Event:
    """One row of the events table (the change feed)."""

    id: int
    at: datetime
    kind: str
    cluster_id: str | None
    article_id: str | None
    detail: dict[str, Any]
    story_id: str | None = None
