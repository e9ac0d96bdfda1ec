"""The store's tables (SQLAlchemy Core). Alembic migrations in ``storage/migrations`` create them.

Natural keys make every write an idempotent upsert:

- ``feeds.url``; ``entries.url`` (the canonical URL of a feed item, whatever feed carried it);
- ``articles.id`` derives from (canonical URL, content hash): one row per fetched *version* of a URL;
- ``memberships.article_id``: an article belongs to at most one cluster;
- ``clusters.id`` derives from the founding article, so a rerun recreates the same ids; a story's id derives
  from its first cluster's;
- ``index_keys`` (LSH band key, article): the candidate index, rebuilt from ``signatures`` when lost.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

from storage.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(32)

feeds = Table(
    "feeds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("title", Text),
    Column("format", String(16)),
    Column("created_at", UTCDateTime, nullable=False),
    # Poll state: validators for conditional GET and the outcome of the last poll.
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_polled_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("last_status", String(16)),
    Column("last_http_status", Integer),
    Column("last_error", Text),
    Column("last_error_at", UTCDateTime),
    Column("consecutive_errors", Integer, nullable=False, server_default="0"),
    Column("next_poll_at", UTCDateTime),
    # Adaptive polling (migration 0004): the class of the last error, and polls in a row that brought nothing new.
    Column("last_error_class", String(32)),
    Column("quiet_polls", Integer, nullable=False, server_default="0"),
)

polls = Table(
    "polls",
    metadata,
    # One row per poll of a feed (keyed by the run's time: a retried poll overwrites its row), for feed health.
    Column("feed_id", Integer, ForeignKey("feeds.id"), primary_key=True),
    Column("polled_at", UTCDateTime, primary_key=True),
    Column("status", String(16), nullable=False),
    Column("http_status", Integer),
    Column("error_class", String(32)),
    Column("entries", Integer, nullable=False, server_default="0"),
    Column("new_entries", Integer, nullable=False, server_default="0"),
    Column("next_poll_at", UTCDateTime, nullable=False),
    Index("ix_polls_polled_at", "polled_at"),
)

runs = Table(
    "runs",
    metadata,
    # One row per pipeline run (a DAG run or ``wiredesk run-once``) with its counts: throughput per run.
    Column("run_id", Text, primary_key=True),
    Column("source", String(16), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=False),
    Column("counts", JSON, nullable=False),
    Index("ix_runs_finished_at", "finished_at"),
)

robots_txt = Table(
    "robots_txt",
    metadata,
    # A site's robots.txt as last fetched (``origin`` is scheme://host[:port]); empty body = no rules.
    Column("origin", Text, primary_key=True),
    Column("body", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("fetched_at", UTCDateTime, nullable=False),
)

entries = Table(
    "entries",
    metadata,
    Column("url", Text, primary_key=True),
    Column("feed_id", Integer, ForeignKey("feeds.id"), nullable=False),
    Column("guid", Text),
    Column("title", Text),
    Column("author", Text),
    Column("published_at", UTCDateTime),
    Column("first_seen_at", UTCDateTime, nullable=False),
    # new -> fetched | failed (retried until attempts reaches the configured maximum) | disallowed (robots.txt)
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_attempt_at", UTCDateTime),
    Column("error", Text),
    Column("article_id", ID),
    Column("error_class", String(32)),
    Index("ix_entries_feed_status", "feed_id", "status"),
)

articles = Table(
    "articles",
    metadata,
    Column("id", ID, primary_key=True),
    Column("url", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("feed_id", Integer, ForeignKey("feeds.id")),
    Column("fetched_at", UTCDateTime, nullable=False),
    Column("title", Text),
    Column("byline", Text),
    Column("published_at", UTCDateTime),
    Column("published_source", String(32)),
    Column("language", String(16)),
    Column("page_url", Text),
    Column("outlet", Text),
    Column("agency", Text),
    Column("body", Text, nullable=False),
    Column("word_count", Integer, nullable=False),
    Column("extractor", String(64), nullable=False),
    Column("raw_html", LargeBinary),
    # Metadata beyond the basics (migration 0003), and what site-level boilerplate learning needs.
    Column("authors", JSON),
    Column("updated_at", UTCDateTime),
    Column("updated_source", String(48)),
    Column("section", Text),
    Column("dateline", Text),
    Column("host", Text),
    Column("block_keys", JSON),
    UniqueConstraint("url", "content_hash"),
    Index("ix_articles_published_at", "published_at"),
    Index("ix_articles_host", "host"),
)
# The articles list's order, newest first (publication time, else fetch time; id), read from an index and
# stopped after a page instead of sorting every canonical article (migration 0005).
Index("ix_articles_when", func.coalesce(articles.c.published_at, articles.c.fetched_at), articles.c.id)

site_models = Table(
    "site_models",
    metadata,
    # Text blocks learned as one site's boilerplate (keys from ingest.boilerplate), and from how many pages.
    Column("host", Text, primary_key=True),
    Column("keys", JSON, nullable=False),
    Column("pages", Integer, nullable=False),
    Column("learned_at", UTCDateTime, nullable=False),
)

signatures = Table(
    "signatures",
    metadata,
    Column("article_id", ID, ForeignKey("articles.id"), primary_key=True),
    Column("hashvalues", LargeBinary, nullable=False),
    Column("published_at", UTCDateTime),
)

clusters = Table(
    "clusters",
    metadata,
    Column("id", ID, primary_key=True),
    Column("founder_id", ID, ForeignKey("articles.id"), nullable=False),
    Column("canonical_id", ID, ForeignKey("articles.id"), nullable=False),
    Column("canonical_reason", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("story_id", ID),
    Index("ix_clusters_story_id", "story_id"),
    Index("ix_clusters_canonical_id", "canonical_id"),  # is this article a canonical (the articles list)
)

stories = Table(
    "stories",
    metadata,
    Column("id", ID, primary_key=True),
    Column("canonical_id", ID, ForeignKey("articles.id"), nullable=False),
    Column("canonical_cluster_id", ID, ForeignKey("clusters.id"), nullable=False),
    Column("canonical_reason", Text, nullable=False),
    Column("clusters", Integer, nullable=False),
    Column("size", Integer, nullable=False),  # articles, over all its clusters
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # A story absorbed into an older one when a link joined them: followers of the old id find the new.
    Column("merged_into", ID),
)

story_links = Table(
    "story_links",
    metadata,
    # The evidence of a link between two clusters: an article of one shares a passage with a member of
    # the other (``matched_id``), with the figures and the rule that decided.
    Column("article_id", ID, ForeignKey("articles.id"), primary_key=True),
    Column("other_cluster_id", ID, ForeignKey("clusters.id"), primary_key=True),
    Column("cluster_id", ID, ForeignKey("clusters.id"), nullable=False),
    Column("matched_id", ID, ForeignKey("articles.id"), nullable=False),
    Column("jaccard", Float, nullable=False),
    Column("containment", Float, nullable=False),
    Column("rule", String(32), nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    Index("ix_story_links_cluster_id", "cluster_id"),
)

index_keys = Table(
    "index_keys",
    metadata,
    Column("key", BigInteger, primary_key=True, autoincrement=False),
    Column("article_id", ID, ForeignKey("articles.id"), primary_key=True),
    Column("published_at", UTCDateTime, nullable=False),
    Index("ix_index_keys_published_at", "published_at"),
)

meta = Table(
    "meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("article_id", ID, ForeignKey("articles.id"), primary_key=True),
    Column("cluster_id", ID, ForeignKey("clusters.id"), nullable=False),
    # The evidence: which member the article was compared with, the figures and the rule that decided.
    Column("matched_id", ID, ForeignKey("articles.id")),
    Column("jaccard", Float),
    Column("containment", Float),
    Column("rule", String(32), nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    Index("ix_memberships_cluster_id", "cluster_id"),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("cluster_id", ID),
    Column("article_id", ID),
    Column("detail", JSON, nullable=False),
    Column("story_id", ID),
)
