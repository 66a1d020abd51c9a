"""Delivery statuses: one row per message a fan-out channel (WhatsApp) sent to one subscriber,
with its newest status (sent, delivered, read, failed), the failure code and what was done
about it. Filled from the platform's status webhooks. Additive only.

Revision ID: 0005_delivery
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_delivery"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(300), nullable=False),
        sa.Column("publication_id", sa.Integer, nullable=True),
        sa.Column("subscriber", sa.String(64), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_code", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False, server_default=""),
        sa.Column("at_utc", sa.DateTime, nullable=False),
        sa.Column("created_utc", sa.DateTime, nullable=False),
        sa.UniqueConstraint("channel", "message_id", name="uq_delivery_message"),
    )
    op.create_index("ix_delivery_publication", "delivery", ["publication_id"])


def downgrade() -> None:
    op.drop_table("delivery")
