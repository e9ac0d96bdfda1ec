"""Feed health and adaptive polling: each poll's outcome (``polls``), the runs (``runs``), the class of a
feed's and an entry's last error, a feed's count of quiet polls, and robots.txt answers per site.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("feeds", sa.Column("last_error_class", sa.String(32)))
    op.add_column("feeds", sa.Column("quiet_polls", sa.Integer, nullable=False, server_default="0"))
    op.add_column("entries", sa.Column("error_class", sa.String(32)))
    op.create_table(
        "polls",
        sa.Column("feed_id", sa.Integer, nullable=False),
        sa.Column("polled_at", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("http_status", sa.Integer),
        sa.Column("error_class", sa.String(32)),
        sa.Column("entries", sa.Integer, nullable=False, server_default="0"),
        sa.Column("new_entries", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_poll_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("feed_id", "polled_at", name="pk_polls"),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"], name="fk_polls_feed_id_feeds"),
    )
    op.create_index("ix_polls_polled_at", "polls", ["polled_at"])
    op.create_table(
        "runs",
        sa.Column("run_id", sa.Text, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("run_id", name="pk_runs"),
    )
    op.create_index("ix_runs_finished_at", "runs", ["finished_at"])
    op.create_table(
        "robots_txt",
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("fetched_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("origin", name="pk_robots_txt"),
    )


def downgrade() -> None:
    op.drop_table("robots_txt")
    op.drop_index("ix_runs_finished_at", "runs")
    op.drop_table("runs")
    op.drop_index("ix_polls_polled_at", "polls")
    op.drop_table("polls")
    with op.batch_alter_table("entries") as batch:
        batch.drop_column("error_class")
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("quiet_polls")
        batch.drop_column("last_error_class")
