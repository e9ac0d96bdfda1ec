"""Stories, story links, the stored candidate index and a meta table.

Existing clusters each become a one-cluster story (the story id derives from the cluster id). The index is
left empty: the pipeline finds it missing and rebuilds it from ``signatures`` on its next dedupe.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(32)


def upgrade() -> None:
    op.add_column("clusters", sa.Column("story_id", ID))
    op.create_index("ix_clusters_story_id", "clusters", ["story_id"])
    op.add_column("events", sa.Column("story_id", ID))
    op.create_table(
        "stories",
        sa.Column("id", ID, nullable=False),
        sa.Column("canonical_id", ID, nullable=False),
        sa.Column("canonical_cluster_id", ID, nullable=False),
        sa.Column("canonical_reason", sa.Text, nullable=False),
        sa.Column("clusters", sa.Integer, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("merged_into", ID),
        sa.PrimaryKeyConstraint("id", name="pk_stories"),
        sa.ForeignKeyConstraint(["canonical_id"], ["articles.id"], name="fk_stories_canonical_id_articles"),
        sa.ForeignKeyConstraint(
            ["canonical_cluster_id"], ["clusters.id"], name="fk_stories_canonical_cluster_id_clusters"
        ),
    )
    op.create_table(
        "story_links",
        sa.Column("article_id", ID, nullable=False),
        sa.Column("other_cluster_id", ID, nullable=False),
        sa.Column("cluster_id", ID, nullable=False),
        sa.Column("matched_id", ID, nullable=False),
        sa.Column("jaccard", sa.Float, nullable=False),
        sa.Column("containment", sa.Float, nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("decided_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("article_id", "other_cluster_id", name="pk_story_links"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name="fk_story_links_article_id_articles"),
        sa.ForeignKeyConstraint(["other_cluster_id"], ["clusters.id"], name="fk_story_links_other_cluster_id_clusters"),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"], name="fk_story_links_cluster_id_clusters"),
        sa.ForeignKeyConstraint(["matched_id"], ["articles.id"], name="fk_story_links_matched_id_articles"),
    )
    op.create_table(
        "index_keys",
        sa.Column("key", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("article_id", ID, nullable=False),
        sa.Column("published_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("key", "article_id", name="pk_index_keys"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name="fk_index_keys_article_id_articles"),
    )
    op.create_index("ix_index_keys_published_at", "index_keys", ["published_at"])
    op.create_table(
        "meta",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_meta"),
    )
    # Every existing cluster is the one cluster of its own story.
    op.execute("UPDATE clusters SET story_id = 's' || substr(id, 2)")
    op.execute(
        "INSERT INTO stories (id, canonical_id, canonical_cluster_id, canonical_reason, clusters, size,"
        " created_at, updated_at) SELECT story_id, canonical_id, id, canonical_reason, 1, size, created_at,"
        " updated_at FROM clusters"
    )


def downgrade() -> None:
    for table in ("meta", "index_keys", "story_links", "stories"):
        op.drop_table(table)
    op.drop_index("ix_clusters_story_id", "clusters")
    with op.batch_alter_table("clusters") as batch:
        batch.drop_column("story_id")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("story_id")
