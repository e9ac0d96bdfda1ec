"""Article metadata (authors, updated time and its source, section, dateline), the host and raw block keys
each article was extracted with, and the site boilerplate models learned from them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("authors", sa.JSON))
    op.add_column("articles", sa.Column("updated_at", UTCDateTime))
    op.add_column("articles", sa.Column("updated_source", sa.String(48)))
    op.add_column("articles", sa.Column("section", sa.Text))
    op.add_column("articles", sa.Column("dateline", sa.Text))
    op.add_column("articles", sa.Column("host", sa.Text))
    op.add_column("articles", sa.Column("block_keys", sa.JSON))
    op.create_index("ix_articles_host", "articles", ["host"])
    articles = sa.table("articles", sa.column("id", sa.String), sa.column("url", sa.Text), sa.column("host", sa.Text))
    bind = op.get_bind()
    for article_id, url in bind.execute(sa.select(articles.c.id, articles.c.url)).all():
        host = (urlsplit(url).hostname or "").lower() or None
        bind.execute(sa.update(articles).where(articles.c.id == article_id).values(host=host))
    op.create_table(
        "site_models",
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("keys", sa.JSON, nullable=False),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("learned_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("host", name="pk_site_models"),
    )


def downgrade() -> None:
    op.drop_table("site_models")
    op.drop_index("ix_articles_host", "articles")
    with op.batch_alter_table("articles") as batch:
        for column in ("block_keys", "host", "dateline", "section", "updated_source", "updated_at", "authors"):
            batch.drop_column(column)
