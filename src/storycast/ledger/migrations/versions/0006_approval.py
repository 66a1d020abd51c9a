"""Approvals: one row per approve/reject decision about a story in one language, and the sha256
of every frame and video part it covered (``approval_item``). Additive only.

Revision ID: 0006_approval
Revises: 0005_delivery
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_approval"
down_revision = "0005_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approval",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ref", sa.String(128), nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("by_name", sa.String(64), nullable=False),
        sa.Column("at_utc", sa.DateTime, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("via", sa.String(16), nullable=False, server_default="cli"),
        sa.Column("link_nonce", sa.String(64), nullable=True),
        sa.Column("version", sa.String(64), nullable=False),
        sa.UniqueConstraint("link_nonce", name="uq_approval_link"),
    )
    op.create_index("ix_approval_story", "approval", ["ref", "lang"])
    op.create_table(
        "approval_item",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "approval_id", sa.Integer, sa.ForeignKey("approval.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("idx", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("file", sa.String(300), nullable=False, server_default=""),
        sa.UniqueConstraint("approval_id", "kind", "idx", name="uq_approval_item"),
    )
    op.create_index("ix_approval_item_approval_id", "approval_item", ["approval_id"])


def downgrade() -> None:
    op.drop_table("approval_item")
    op.drop_table("approval")
