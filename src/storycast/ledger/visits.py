"""Knowledge-base visits and "Was this helpful?" votes (visits added by 0007).

A visit is a counter: ``kb_visit`` has one row per day, story, language and source channel,
and a visit through a short link adds one to it. Nothing about the visitor is kept (no address,
no user agent, no cookie), so the table holds no personal data. A helpful vote is a vote in the
``votes`` table (the store satisfaction polls use) on the poll ``kb:<story>``: option 5 for
"yes", 1 for "no", by a hashed anonymous page token, so one reader has one vote they can change.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Date,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    and_,
    insert,
    select,
    update,
)

from .base import LedgerBase
from .models import metadata, votes
from .rows import aware, naive

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

ARTICLE_POLL = "kb:"  # the poll id prefix of an article's helpful votes: kb:<story>
HELPFUL, NOT_HELPFUL = 5, 1  # on the 1-5 satisfaction scale, so CSAT reads them like any poll


# How many visits one story's article had on one day, from one language and channel.
kb_visit = Table(
    "kb_visit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False),
    Column("ref", String(128), nullable=False),
    Column("lang", String(16), server_default="", nullable=False),
    Column("channel", String(64), server_default="", nullable=False),
    Column("count", Integer, server_default="0", nullable=False),
    UniqueConstraint("day", "ref", "lang", "channel", name="uq_kb_visit"),
    Index("ix_kb_visit_ref", "ref", "day"),
)


class Visits(LedgerBase):
    """Article visits and helpful votes."""

    def count_visit(self, *, ref: str, lang: str, channel: str, day: date, n: int = 1) -> None:
        """Add ``n`` visits to the counter of (day, story, language, channel)."""
        t = kb_visit

        def run(c: Connection) -> None:
            key = and_(t.c.day == day, t.c.ref == ref, t.c.lang == lang, t.c.channel == channel)
            if c.execute(update(t).where(key).values(count=t.c.count + n)).rowcount:
                return
            # Two first visits at once: the loser's insert is ignored, so add again.
            c.execute(self._insert_ignore(t).values(day=day, ref=ref, lang=lang, channel=channel, count=0))
            c.execute(update(t).where(key).values(count=t.c.count + n))

        self._write(run)

    def visit_rows(self, ref: str | None = None) -> list[dict[str, Any]]:
        """Every visit counter (day, ref, lang, channel, count), oldest day first."""
        q = select(kb_visit).order_by(kb_visit.c.day, kb_visit.c.id)
        if ref is not None:
            q = q.where(kb_visit.c.ref == ref)

        def run(c: Connection) -> list[dict[str, Any]]:
            return [dict(r) for r in c.execute(q).mappings()]

        return self._read(run)

    def put_article_vote(self, *, ref: str, helpful: bool, voter: str, lang: str, now: datetime) -> bool:
        """Store one reader's helpful vote on ``ref``'s article (``voter`` already hashed).

        True for a new reader, False when the reader changed an earlier vote."""
        t = votes
        poll_id = ARTICLE_POLL + ref
        option = HELPFUL if helpful else NOT_HELPFUL

        def run(c: Connection) -> bool:
            key = and_(t.c.poll_id == poll_id, t.c.source == "kb", t.c.voter == voter)
            values = {"option": option, "count": 1, "channel": "kb", "lang": lang, "at_utc": naive(now)}
            if c.execute(update(t).where(key).values(**values)).rowcount:
                return False
            c.execute(insert(t).values(poll_id=poll_id, source="kb", voter=voter, **values))
            return True

        return self._write(run)

    def article_vote_rows(self) -> list[dict[str, Any]]:
        """Every helpful vote, with ``ref`` (the story) and ``helpful`` decoded."""
        q = select(votes).where(votes.c.poll_id.like(ARTICLE_POLL + "%")).order_by(votes.c.id)

        def run(c: Connection) -> list[dict[str, Any]]:
            return [
                dict(r)
                | {
                    "at_utc": aware(r["at_utc"]),
                    "ref": r["poll_id"][len(ARTICLE_POLL) :],
                    "helpful": int(r["option"]) >= 4,
                }
                for r in c.execute(q).mappings()
            ]

        return self._read(run)
