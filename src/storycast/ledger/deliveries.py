"""The ``delivery`` table: what became of each message a fan-out channel sent (added by 0005).

A WhatsApp row goes to many subscribers, one message (``wamid``) each; the platform accepts
every message at once and says later, in its webhook, whether it was sent, delivered, read or
failed. One row per (channel, message id) keeps the newest of those, the subscriber, the ledger
row it belongs to and, for a failure, the platform's code and what storycast did about it
(``outcome``: ``resend`` as a template, ``deferred``, ``undeliverable``, ``failed``).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, Table, Text, UniqueConstraint

from .models import metadata

# A status never moves back: a late "sent" does not undo "read" (Meta does not promise order).
STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


# One message of a fan-out row to one subscriber, and its newest delivery status.
delivery = Table(
    "delivery",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(64), nullable=False),
    Column("message_id", String(300), nullable=False),
    Column("publication_id", Integer, nullable=True),
    Column("subscriber", String(64), server_default="", nullable=False),
    Column("status", String(16), nullable=False),  # sent | delivered | read | failed
    Column("error_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("outcome", String(16), server_default="", nullable=False),
    Column("at_utc", DateTime, nullable=False),  # when the newest status happened
    Column("created_utc", DateTime, nullable=False),
    UniqueConstraint("channel", "message_id", name="uq_delivery_message"),
    Index("ix_delivery_publication", "publication_id"),
)
