"""Engagement: captured insights, poll votes and story replies.

``insights`` keeps one row per (channel, remote id, source): the latest metrics pulled before
expiry, a webhook's final numbers, or one local-feed viewer. ``votes`` keeps one row per
(poll, source, voter): a revote replaces the option; channel totals are stored as one row per
option (voter ``#total:N``) with ``count``. ``replies`` keeps inbound replies, mentions and the
agent's visible answers, deduplicated by (channel, message id) because Meta retries deliveries.
Additive only.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "insights",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("remote_id", sa.String(300), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("publication_id", sa.Integer, nullable=True),
        sa.Column("kind", sa.String(16), nullable=False, server_default=""),
        sa.Column("ref", sa.String(128), nullable=False, server_default=""),
        sa.Column("lang", sa.String(16), nullable=False, server_default=""),
        sa.Column("frame", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reach", sa.Integer, nullable=True),
        sa.Column("metrics", sa.Text, nullable=False, server_default="{}"),
        sa.Column("raw", sa.Text, nullable=True),
        sa.Column("captured_utc", sa.DateTime, nullable=False),
        sa.UniqueConstraint("channel", "remote_id", "source", name="uq_insights_capture"),
    )
    op.create_index("ix_insights_ref", "insights", ["ref", "lang"])
    op.create_table(
        "votes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("poll_id", sa.String(128), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("voter", sa.String(200), nullable=False),
        sa.Column("option", sa.Integer, nullable=False),
        sa.Column("count", sa.Integer, nullable=False, server_default="1"),
        sa.Column("channel", sa.String(64), nullable=False, server_default=""),
        sa.Column("lang", sa.String(16), nullable=False, server_default=""),
        sa.Column("at_utc", sa.DateTime, nullable=False),
        sa.UniqueConstraint("poll_id", "source", "voter", name="uq_votes_voter"),
    )
    op.create_index("ix_votes_poll", "votes", ["poll_id"])
    op.create_table(
        "replies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),  # reply | mention | agent
        sa.Column("thread", sa.String(200), nullable=False),  # the customer (sender or chat id)
        sa.Column("story_remote_id", sa.String(300), nullable=True),
        sa.Column("ref", sa.String(128), nullable=False, server_default=""),
        sa.Column("lang", sa.String(16), nullable=False, server_default=""),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
        sa.Column("at_utc", sa.DateTime, nullable=False),
        sa.UniqueConstraint("channel", "message_id", name="uq_replies_message"),
    )
    op.create_index("ix_replies_thread", "replies", ["channel", "thread", "at_utc"])


def downgrade() -> None:
    op.drop_table("replies")
    op.drop_table("votes")
    op.drop_table("insights")
