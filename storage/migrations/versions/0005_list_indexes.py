"""Indexes for the read API at scale: the articles list in its order (``ix_articles_when``: publication time,
else fetch time; id), canonical articles by id (``ix_clusters_canonical_id``) and a story's links by cluster
(``ix_story_links_cluster_id``). Without them, a page of ``/v1/articles`` sorted every canonical article: 4 s
at a million articles (``benchmarks/store_api.py``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_articles_when", "articles", [sa.text("coalesce(published_at, fetched_at)"), "id"])
    op.create_index("ix_clusters_canonical_id", "clusters", ["canonical_id"])
    op.create_index("ix_story_links_cluster_id", "story_links", ["cluster_id"])


def downgrade() -> None:
    op.drop_index("ix_story_links_cluster_id", table_name="story_links")
    op.drop_index("ix_clusters_canonical_id", table_name="clusters")
    op.drop_index("ix_articles_when", table_name="articles")
