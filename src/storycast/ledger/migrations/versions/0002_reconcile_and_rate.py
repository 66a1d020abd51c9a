"""Reconcile bookkeeping and per-channel rate limits.

Adds ``publication.checked_utc`` (when reconcile last asked the channel about an unknown row),
an index for per-channel in-flight counts, and the shared ``channel_bucket`` token buckets.
Additive only: existing rows keep every value.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("publication") as batch:
        batch.add_column(sa.Column("checked_utc", sa.DateTime, nullable=True))
    op.create_index("ix_publication_channel_state", "publication", ["channel", "state"])
    op.create_table(
        "channel_bucket",
        sa.Column("channel", sa.String(64), primary_key=True),
        sa.Column("tokens", sa.Float, nullable=False),
        sa.Column("updated_utc", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("channel_bucket")
    op.drop_index("ix_publication_channel_state", table_name="publication")
    with op.batch_alter_table("publication") as batch:
        batch.drop_column("checked_utc")
