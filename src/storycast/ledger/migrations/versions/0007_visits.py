"""Knowledge-base visits: one counter per day, story, language and source channel (``kb_visit``).

No address, agent or cookie is stored: a visit through a short link adds one to its day's
counter, nothing else. The "Was this helpful?" votes go to the existing ``votes`` table (poll
``kb:<story>``), the same store as satisfaction polls. Additive only.

Revision ID: 0007_visits
Revises: 0006_approval
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_visits"
down_revision = "0006_approval"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_visit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("ref", sa.String(128), nullable=False),
        sa.Column("lang", sa.String(16), nullable=False, server_default=""),
        sa.Column("channel", sa.String(64), nullable=False, server_default=""),
        sa.Column("count", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("day", "ref", "lang", "channel", name="uq_kb_visit"),
    )
    op.create_index("ix_kb_visit_ref", "kb_visit", ["ref", "day"])


def downgrade() -> None:
    op.drop_table("kb_visit")
