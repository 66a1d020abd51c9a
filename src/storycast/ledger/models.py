"""The ledger's tables, as SQLAlchemy Core ``Table`` objects on one ``MetaData``.

Times are stored as naive UTC (``DateTime`` without a zone) on every backend, so SQLite's text
comparison and PostgreSQL's ``timestamp`` order the same way; :mod:`.store` converts at the edge.
The schema itself is created and upgraded only by the Alembic migrations in ``migrations/``;
these tables must always describe the newest revision. They are Core tables, not ORM models:
nothing in the ledger maps rows to objects, and importing the ORM would cost every command
that opens the ledger about 50 ms.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()


class Base:
    """Where alembic's env and ``db migrate-to`` find every ledger table: ``Base.metadata``."""

    metadata = metadata


# One frame of one occurrence, for one channel and one language: the unit of publishing.
publication = Table(
    "publication",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entry_key", String(200), nullable=False),
    Column("occurrence_key", String(80), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("lang", String(16), nullable=False),
    Column("frame", Integer, nullable=False),  # 1-based
    Column("frame_total", Integer, nullable=False),
    # The language's place in its entry's `languages` (1-based): within one occurrence and
    # channel, every row of a lower place goes out before this one. 0 (rows planned before
    # 0004): no order across languages, each language's frames in order on their own.
    Column("lang_seq", Integer, default=0, server_default="0", nullable=False),  # added by 0004
    # The schedule entry variant this occurrence used ("" without variants; added by 0008).
    Column("variant", String(64), default="", server_default="", nullable=False),
    Column("kind", String(16), nullable=False),
    Column("ref", String(128), nullable=False),
    Column("label", String(200), default="", nullable=False),
    Column("source", String(300), default="", nullable=False),
    Column("due_utc", DateTime, nullable=False),
    Column("deadline_utc", DateTime, nullable=False),  # due + grace; later -> missed
    Column("state", String(16), default="planned", nullable=False),
    Column("reason", Text, nullable=True),
    Column("retryable", Boolean, nullable=True),
    Column("attempts", Integer, default=0, nullable=False),
    Column("next_attempt_utc", DateTime, nullable=True),
    Column("claim_token", String(40), nullable=True),
    Column("claimed_by", String(200), nullable=True),  # host:pid
    Column("lease_until_utc", DateTime, nullable=True),
    Column("frame_sha256", String(64), nullable=True),
    Column("idempotency_key", String(64), nullable=True, unique=True),
    Column("remote_id", String(300), nullable=True),
    Column("remote_url", Text, nullable=True),
    Column("published_utc", DateTime, nullable=True),
    Column("expires_utc", DateTime, nullable=True),
    Column("created_utc", DateTime, nullable=False),
    Column("updated_utc", DateTime, nullable=False),
    Column("checked_utc", DateTime, nullable=True),  # added by 0002
    UniqueConstraint("entry_key", "occurrence_key", "channel", "lang", "frame", name="uq_publication_unit"),
    Index("ix_publication_state_due", "state", "due_utc"),
    Index("ix_publication_group", "entry_key", "occurrence_key", "channel", "lang"),
    Index("ix_publication_channel_state", "channel", "state"),  # added by 0002
)


# One try at publishing a row: written and committed before the platform is called.
attempt = Table(
    "attempt",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("publication_id", ForeignKey("publication.id", ondelete="CASCADE"), index=True, nullable=False),
    Column("attempt_no", Integer, nullable=False),
    Column("started_utc", DateTime, nullable=False),
    Column("finished_utc", DateTime, nullable=True),
    Column("outcome", String(16), nullable=False),  # sending, published, failed, retry, unknown, ...
    Column("actor", String(200), default="", nullable=False),
    Column("idempotency_key", String(64), nullable=True),
    Column("request_id", String(300), nullable=True),
    Column("remote_id", String(300), nullable=True),
    Column("forced", Boolean, default=False, nullable=False),
    Column("detail", Text, nullable=True),
    UniqueConstraint("publication_id", "attempt_no", name="uq_attempt_no"),
)


# Ledger-level history that is not an attempt: retries, cancels, reconcile verdicts, misses.
event = Table(
    "event",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at_utc", DateTime, index=True, nullable=False),
    Column("publication_id", Integer, nullable=True, index=True),
    Column("action", String(32), nullable=False),
    Column("detail", Text, default="", nullable=False),
)


# Small key/value facts, such as how far the timetable has been materialized.
meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)


# Per-channel token bucket, shared by every process through the ledger (added by 0002).
channel_bucket = Table(
    "channel_bucket",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("updated_utc", DateTime, nullable=False),
)


# Metrics captured for one published post (added by 0003; written by storycast.engage).
insights = Table(
    "insights",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(64), nullable=False),
    Column("remote_id", String(300), nullable=False),
    Column("source", String(64), nullable=False),  # pull | webhook | local:<viewer hash>
    Column("publication_id", Integer, nullable=True),
    Column("kind", String(16), server_default="", nullable=False),
    Column("ref", String(128), server_default="", nullable=False),
    Column("lang", String(16), server_default="", nullable=False),
    Column("frame", Integer, server_default="0", nullable=False),
    Column("reach", Integer, nullable=True),
    Column("metrics", Text, server_default="{}", nullable=False),  # JSON object
    Column("raw", Text, nullable=True),
    Column("captured_utc", DateTime, nullable=False),
    UniqueConstraint("channel", "remote_id", "source", name="uq_insights_capture"),
    Index("ix_insights_ref", "ref", "lang"),
)


# One poll vote, or one channel's total for one option (added by 0003).
votes = Table(
    "votes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("poll_id", String(128), nullable=False),
    Column("source", String(32), nullable=False),  # local | reply | telegram | discord | whatsapp
    Column("voter", String(200), nullable=False),  # "#total:<option>" for channel totals
    Column("option", Integer, nullable=False),  # 1-based
    Column("count", Integer, server_default="1", nullable=False),
    Column("channel", String(64), server_default="", nullable=False),
    Column("lang", String(16), server_default="", nullable=False),
    Column("at_utc", DateTime, nullable=False),
    UniqueConstraint("poll_id", "source", "voter", name="uq_votes_voter"),
    Index("ix_votes_poll", "poll_id"),
)


# An inbound story reply or mention, or an agent's visible answer (added by 0003).
replies = Table(
    "replies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(64), nullable=False),
    Column("message_id", String(300), nullable=False),
    Column("kind", String(16), nullable=False),  # reply | mention | agent
    Column("thread", String(200), nullable=False),
    Column("story_remote_id", String(300), nullable=True),
    Column("ref", String(128), server_default="", nullable=False),
    Column("lang", String(16), server_default="", nullable=False),
    Column("text", Text, server_default="", nullable=False),
    Column("at_utc", DateTime, nullable=False),
    UniqueConstraint("channel", "message_id", name="uq_replies_message"),
    Index("ix_replies_thread", "channel", "thread", "at_utc"),
)
