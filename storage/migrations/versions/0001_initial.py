"""Initial schema: feeds, entries, articles, signatures, clusters, memberships, events.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(32)


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("format", sa.String(16)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("last_polled_at", UTCDateTime),
        sa.Column("last_success_at", UTCDateTime),
        sa.Column("last_status", sa.String(16)),
        sa.Column("last_http_status", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.Column("last_error_at", UTCDateTime),
        sa.Column("consecutive_errors", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_poll_at", UTCDateTime),
        sa.PrimaryKeyConstraint("id", name="pk_feeds"),
        sa.UniqueConstraint("url", name="uq_feeds_url"),
    )
    op.create_table(
        "entries",
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("feed_id", sa.Integer, nullable=False),
        sa.Column("guid", sa.Text),
        sa.Column("title", sa.Text),
        sa.Column("author", sa.Text),
        sa.Column("published_at", UTCDateTime),
        sa.Column("first_seen_at", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_attempt_at", UTCDateTime),
        sa.Column("error", sa.Text),
        sa.Column("article_id", ID),
        sa.PrimaryKeyConstraint("url", name="pk_entries"),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"], name="fk_entries_feed_id_feeds"),
    )
    op.create_index("ix_entries_feed_status", "entries", ["feed_id", "status"])
    op.create_table(
        "articles",
        sa.Column("id", ID, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("feed_id", sa.Integer),
        sa.Column("fetched_at", UTCDateTime, nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("byline", sa.Text),
        sa.Column("published_at", UTCDateTime),
        sa.Column("published_source", sa.String(32)),
        sa.Column("language", sa.String(16)),
        sa.Column("page_url", sa.Text),
        sa.Column("outlet", sa.Text),
        sa.Column("agency", sa.Text),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("word_count", sa.Integer, nullable=False),
        sa.Column("extractor", sa.String(64), nullable=False),
        sa.Column("raw_html", sa.LargeBinary),
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
        sa.UniqueConstraint("url", "content_hash", name="uq_articles_url_content_hash"),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"], name="fk_articles_feed_id_feeds"),
    )
    op.create_index("ix_articles_published_at", "articles", ["published_at"])
    op.create_table(
        "signatures",
        sa.Column("article_id", ID, nullable=False),
        sa.Column("hashvalues", sa.LargeBinary, nullable=False),
        sa.Column("published_at", UTCDateTime),
        sa.PrimaryKeyConstraint("article_id", name="pk_signatures"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name="fk_signatures_article_id_articles"),
    )
    op.create_table(
        "clusters",
        sa.Column("id", ID, nullable=False),
        sa.Column("founder_id", ID, nullable=False),
        sa.Column("canonical_id", ID, nullable=False),
        sa.Column("canonical_reason", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_clusters"),
        sa.ForeignKeyConstraint(["founder_id"], ["articles.id"], name="fk_clusters_founder_id_articles"),
        sa.ForeignKeyConstraint(["canonical_id"], ["articles.id"], name="fk_clusters_canonical_id_articles"),
    )
    op.create_table(
        "memberships",
        sa.Column("article_id", ID, nullable=False),
        sa.Column("cluster_id", ID, nullable=False),
        sa.Column("matched_id", ID),
        sa.Column("jaccard", sa.Float),
        sa.Column("containment", sa.Float),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("decided_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("article_id", name="pk_memberships"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name="fk_memberships_article_id_articles"),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"], name="fk_memberships_cluster_id_clusters"),
        sa.ForeignKeyConstraint(["matched_id"], ["articles.id"], name="fk_memberships_matched_id_articles"),
    )
    op.create_index("ix_memberships_cluster_id", "memberships", ["cluster_id"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("cluster_id", ID),
        sa.Column("article_id", ID),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )


def downgrade() -> None:
    for table in ("events", "memberships", "clusters", "signatures", "articles", "entries", "feeds"):
        op.drop_table(table)
