"""Alembic environment: storycast hands over an open connection; there is no alembic.ini."""

from __future__ import annotations

from alembic import context

from storycast.ledger.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - storycast always passes a connection
    raise RuntimeError("storycast runs its migrations itself: use `storycast` commands, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=False,
)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Several processes may open a fresh database at once; one migrates, the others wait
        # here and then find the schema already at head.
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(727001)")
    context.run_migrations()
