"""Languages in sequence: ``publication.lang_seq``.

The place of a row's language in its entry's ``languages`` (1-based). Within one occurrence and
channel, a language's frames wait until every row of an earlier language is settled, so a
story's whole sequence in one language goes out before the next language starts. Rows planned
before this revision get 0: no order across languages (each language's frames still in order),
which is how they were planned. Additive only.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("publication") as batch:
        batch.add_column(sa.Column("lang_seq", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("publication") as batch:
        batch.drop_column("lang_seq")
