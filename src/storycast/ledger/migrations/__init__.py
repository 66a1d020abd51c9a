"""Alembic migrations of the ledger, run programmatically by :mod:`storycast.ledger.db`."""
