"""The ledger's tables (SQLAlchemy 2 declarative models).

Times are stored as naive UTC (``DateTime`` without a zone) on every backend, so SQLite's text
comparison and PostgreSQL's ``timestamp`` order the same way; :mod:`.store` converts at the edge.
The schema itself is created and upgraded only by the Alembic migrations in ``migrations/``;
these models must always describe the newest revision.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of the ledger tables."""


class Publication(Base):
    """One frame of one occurrence, for one channel and one language: the unit of publishing."""

    __tablename__ = "publication"
    __table_args__ = (
        UniqueConstraint(
            "entry_key", "occurrence_key", "channel", "lang", "frame", name="uq_publication_unit"
        ),
        Index("ix_publication_state_due", "state", "due_utc"),
        Index("ix_publication_group", "entry_key", "occurrence_key", "channel", "lang"),
        Index("ix_publication_channel_state", "channel", "state"),  # added by 0002
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_key: Mapped[str] = mapped_column(String(200))
    occurrence_key: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(16))
    frame: Mapped[int] = mapped_column(Integer)  # 1-based
    frame_total: Mapped[int] = mapped_column(Integer)
    # The language's place in its entry's `languages` (1-based): within one occurrence and
    # channel, every row of a lower place goes out before this one. 0 (rows planned before
    # 0004): no order across languages, each language's frames in order on their own.
    lang_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # added by 0004
    # The schedule entry variant this occurrence used ("" without variants; added by 0008).
    variant: Mapped[str] = mapped_column(String(64), default="", server_default="")
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(128))
    label: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(300), default="")
    due_utc: Mapped[datetime] = mapped_column(DateTime)
    deadline_utc: Mapped[datetime] = mapped_column(DateTime)  # due + grace; later -> missed
    state: Mapped[str] = mapped_column(String(16), default="planned")
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    retryable: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(40), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)  # host:pid
    lease_until_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    frame_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    remote_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    remote_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    published_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    expires_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_utc: Mapped[datetime] = mapped_column(DateTime)
    updated_utc: Mapped[datetime] = mapped_column(DateTime)
    checked_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # added by 0002


class Attempt(Base):
    """One try at publishing a row: written and committed before the platform is called."""

    __tablename__ = "attempt"
    __table_args__ = (UniqueConstraint("publication_id", "attempt_no", name="uq_attempt_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id", ondelete="CASCADE"), index=True)
    attempt_no: Mapped[int] = mapped_column(Integer)
    started_utc: Mapped[datetime] = mapped_column(DateTime)
    finished_utc: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))  # sending, published, failed, retry, unknown, ...
    actor: Mapped[str] = mapped_column(String(200), default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    remote_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)


class Event(Base):
    """Ledger-level history that is not an attempt: retries, cancels, reconcile verdicts, misses."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at_utc: Mapped[datetime] = mapped_column(DateTime, index=True)
    publication_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")


class Meta(Base):
    """Small key/value facts, such as how far the timetable has been materialized."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ChannelBucket(Base):
    """Per-channel token bucket, shared by every process through the ledger (added by 0002)."""

    __tablename__ = "channel_bucket"

    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_utc: Mapped[datetime] = mapped_column(DateTime)


publication = Publication.__table__
attempt = Attempt.__table__
event = Event.__table__
meta = Meta.__table__
channel_bucket = ChannelBucket.__table__


class Insight(Base):
    """Metrics captured for one published post (added by 0003; written by storycast.engage)."""

    __tablename__ = "insights"
    __table_args__ = (
        UniqueConstraint("channel", "remote_id", "source", name="uq_insights_capture"),
        Index("ix_insights_ref", "ref", "lang"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(64))
    remote_id: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(64))  # pull | webhook | local:<viewer hash>
    publication_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kind: Mapped[str] = mapped_column(String(16), server_default="")
    ref: Mapped[str] = mapped_column(String(128), server_default="")
    lang: Mapped[str] = mapped_column(String(16), server_default="")
    frame: Mapped[int] = mapped_column(Integer, server_default="0")
    reach: Mapped[int | None] = mapped_column(Integer, nullable=True)
    metrics: Mapped[str] = mapped_column(Text, server_default="{}")  # JSON object
    raw: Mapped[str | None] = mapped_column(Text, nullable=True)
    captured_utc: Mapped[datetime] = mapped_column(DateTime)


class Vote(Base):
    """One poll vote, or one channel's total for one option (added by 0003)."""

    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("poll_id", "source", "voter", name="uq_votes_voter"),
        Index("ix_votes_poll", "poll_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    poll_id: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(32))  # local | reply | telegram | discord | whatsapp
    voter: Mapped[str] = mapped_column(String(200))  # "#total:<option>" for channel totals
    option: Mapped[int] = mapped_column(Integer)  # 1-based
    count: Mapped[int] = mapped_column(Integer, server_default="1")
    channel: Mapped[str] = mapped_column(String(64), server_default="")
    lang: Mapped[str] = mapped_column(String(16), server_default="")
    at_utc: Mapped[datetime] = mapped_column(DateTime)


class Reply(Base):
    """An inbound story reply or mention, or an agent's visible answer (added by 0003)."""

    __tablename__ = "replies"
    __table_args__ = (
        UniqueConstraint("channel", "message_id", name="uq_replies_message"),
        Index("ix_replies_thread", "channel", "thread", "at_utc"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))  # reply | mention | agent
    thread: Mapped[str] = mapped_column(String(200))
    story_remote_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    ref: Mapped[str] = mapped_column(String(128), server_default="")
    lang: Mapped[str] = mapped_column(String(16), server_default="")
    text: Mapped[str] = mapped_column(Text, server_default="")
    at_utc: Mapped[datetime] = mapped_column(DateTime)


insights: Table = Insight.__table__  # type: ignore[assignment]
votes: Table = Vote.__table__  # type: ignore[assignment]
replies: Table = Reply.__table__  # type: ignore[assignment]
