"""The ``delivery`` table: what became of each message a fan-out channel sent (added by 0005).

A WhatsApp row goes to many subscribers, one message (``wamid``) each; the platform accepts
every message at once and says later, in its webhook, whether it was sent, delivered, read or
failed. One row per (channel, message id) keeps the newest of those, the subscriber, the ledger
row it belongs to and, for a failure, the platform's code and what storycast did about it
(``outcome``: ``resend`` as a template, ``deferred``, ``undeliverable``, ``failed``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base

# A status never moves back: a late "sent" does not undo "read" (Meta does not promise order).
STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


class Delivery(Base):
    """One message of a fan-out row to one subscriber, and its newest delivery status."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("channel", "message_id", name="uq_delivery_message"),
        Index("ix_delivery_publication", "publication_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(300))
    publication_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    subscriber: Mapped[str] = mapped_column(String(64), server_default="")
    status: Mapped[str] = mapped_column(String(16))  # sent | delivered | read | failed
    error_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    outcome: Mapped[str] = mapped_column(String(16), server_default="")
    at_utc: Mapped[datetime] = mapped_column(DateTime)  # when the newest status happened
    created_utc: Mapped[datetime] = mapped_column(DateTime)


delivery: Table = Delivery.__table__  # type: ignore[assignment]
