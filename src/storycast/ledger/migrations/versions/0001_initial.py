"""Initial ledger: publications, attempts, events, meta.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "publication",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entry_key", sa.String(200), nullable=False),
        sa.Column("occurrence_key", sa.String(80), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("lang", sa.String(16), nullable=False),
        sa.Column("frame", sa.Integer, nullable=False),
        sa.Column("frame_total", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(128), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("due_utc", sa.DateTime, nullable=False),
        sa.Column("deadline_utc", sa.DateTime, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("retryable", sa.Boolean, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_utc", sa.DateTime, nullable=True),
        sa.Column("claim_token", sa.String(40), nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("lease_until_utc", sa.DateTime, nullable=True),
        sa.Column("frame_sha256", sa.String(64), nullable=True),
        sa.Column("idempotency_key", sa.String(64), nullable=True, unique=True),
        sa.Column("remote_id", sa.String(300), nullable=True),
        sa.Column("remote_url", sa.Text, nullable=True),
        sa.Column("published_utc", sa.DateTime, nullable=True),
        sa.Column("expires_utc", sa.DateTime, nullable=True),
        sa.Column("created_utc", sa.DateTime, nullable=False),
        sa.Column("updated_utc", sa.DateTime, nullable=False),
        sa.UniqueConstraint(
            "entry_key", "occurrence_key", "channel", "lang", "frame", name="uq_publication_unit"
        ),
    )
    op.create_index("ix_publication_state_due", "publication", ["state", "due_utc"])
    op.create_index("ix_publication_group", "publication", ["entry_key", "occurrence_key", "channel", "lang"])
    op.create_table(
        "attempt",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "publication_id", sa.Integer, sa.ForeignKey("publication.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("attempt_no", sa.Integer, nullable=False),
        sa.Column("started_utc", sa.DateTime, nullable=False),
        sa.Column("finished_utc", sa.DateTime, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=True),
        sa.Column("request_id", sa.String(300), nullable=True),
        sa.Column("remote_id", sa.String(300), nullable=True),
        sa.Column("forced", sa.Boolean, nullable=False),
        sa.Column("detail", sa.Text, nullable=True),
        sa.UniqueConstraint("publication_id", "attempt_no", name="uq_attempt_no"),
    )
    op.create_index("ix_attempt_publication_id", "attempt", ["publication_id"])
    op.create_table(
        "event",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at_utc", sa.DateTime, nullable=False),
        sa.Column("publication_id", sa.Integer, nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_event_at_utc", "event", ["at_utc"])
    op.create_index("ix_event_publication_id", "event", ["publication_id"])
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("meta", "event", "attempt", "publication"):
        op.drop_table(table)
