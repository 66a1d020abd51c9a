"""Variants: ``publication.variant``.

The name of the schedule entry variant (``variants:`` in a schedule file) an occurrence used, so
``storycast report`` can compare them. Rows planned before this revision, and rows of entries
without variants, keep ``""``. Additive only.

Revision ID: 0008_outcomes
Revises: 0007_visits
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_outcomes"
down_revision = "0007_visits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("publication") as batch:
        batch.add_column(sa.Column("variant", sa.String(64), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("publication") as batch:
        batch.drop_column("variant")
