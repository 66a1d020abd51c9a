"""The ledger tables as typed SQLAlchemy ``Table`` objects, for Core statements."""

from __future__ import annotations

from .models import attempt, channel_bucket, event, meta, publication

__all__ = ["attempt", "channel_bucket", "event", "meta", "publication"]
