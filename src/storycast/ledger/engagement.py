"""Engagement: reads and writes of the insights, votes, replies and delivery tables.

Every write is an upsert keyed by the table's unique constraint, so a webhook delivered twice,
a second ``insights collect`` or a voter who changes their mind never counts twice.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from .base import LedgerBase
from .deliveries import STATUS_RANK, delivery
from .models import insights, replies, votes
from .rows import PostRef, aware, delivery_counts_of, delivery_line_of, naive
from .tables import publication

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

#: The ``replies.kind`` of a help desk's report that a conversation was resolved.
RESOLUTION = "resolution"


class Engagement(LedgerBase):
    """What storycast.engage stores in the ledger database."""

    def find_post(self, channel: str | None, remote_id: str) -> PostRef | None:
        """The publication a platform's post id belongs to (any channel when ``channel`` is None)."""
        p = publication
        cond = [p.c.remote_id == remote_id]
        if channel:
            cond.append(p.c.channel == channel)

        def run(c: Connection) -> PostRef | None:
            row = c.execute(select(p).where(and_(*cond)).limit(1)).mappings().first()
            if row is None:
                # A fan-out row (WhatsApp) keeps one remote id; each subscriber's message is a
                # delivery of it, and a reply or a tap names that message.
                d = delivery
                dcond = [d.c.message_id == remote_id, d.c.publication_id.is_not(None)]
                if channel:
                    dcond.append(d.c.channel == channel)
                pid = c.execute(select(d.c.publication_id).where(and_(*dcond)).limit(1)).scalar()
                if pid is not None:
                    row = c.execute(select(p).where(p.c.id == pid)).mappings().first()
            if row is None:
                return None
            return PostRef(
                row["id"],
                row["kind"],
                row["ref"],
                row["lang"],
                row["frame"],
                row["frame_total"],
                row["channel"],
            )

        return self._read(run)

    def upsert_insight(
        self,
        *,
        channel: str,
        remote_id: str,
        source: str,
        metrics: Mapping[str, Any],
        now: datetime,
        post: PostRef | None = None,
        raw: str | None = None,
    ) -> None:
        """Store (or replace) one capture of a post's metrics."""
        t = insights
        reach = metrics.get("reach")
        values: dict[str, Any] = {
            "metrics": json.dumps(dict(metrics), sort_keys=True),
            "reach": int(reach) if isinstance(reach, int | float) else None,
            "raw": raw,
            "captured_utc": naive(now),
        }
        if post is not None:
            values.update(
                publication_id=post.publication_id,
                kind=post.kind,
                ref=post.ref,
                lang=post.lang,
                frame=post.frame,
            )

        def run(c: Connection) -> None:
            key = and_(t.c.channel == channel, t.c.remote_id == remote_id, t.c.source == source)
            if c.execute(update(t).where(key).values(**values)).rowcount == 0:
                c.execute(insert(t).values(channel=channel, remote_id=remote_id, source=source, **values))

        self._write(run)

    def insight_rows(self) -> list[dict[str, Any]]:
        """Every captured insight, metrics decoded."""

        def run(c: Connection) -> list[dict[str, Any]]:
            out = []
            for r in c.execute(select(insights).order_by(insights.c.id)).mappings():
                d = dict(r)
                d["metrics"] = json.loads(d["metrics"] or "{}")
                d["captured_utc"] = aware(d["captured_utc"])
                out.append(d)
            return out

        return self._read(run)

    def put_vote(
        self,
        *,
        poll_id: str,
        option: int,
        source: str,
        voter: str,
        now: datetime,
        count: int = 1,
        channel: str = "",
        lang: str = "",
    ) -> bool:
        """Insert a vote, or move an existing voter's vote; True when a new voter was counted."""
        t = votes

        def run(c: Connection) -> bool:
            key = and_(t.c.poll_id == poll_id, t.c.source == source, t.c.voter == voter)
            values = {
                "option": option,
                "count": count,
                "channel": channel,
                "lang": lang,
                "at_utc": naive(now),
            }
            if c.execute(update(t).where(key).values(**values)).rowcount:
                return False
            c.execute(insert(t).values(poll_id=poll_id, source=source, voter=voter, **values))
            return True

        return self._write(run)

    def replace_poll_totals(
        self, *, poll_id: str, source: str, channel: str, counts: Mapping[int, int], now: datetime
    ) -> None:
        """Replace one channel's totals for a poll (the platform's latest counts win)."""
        t = votes

        def run(c: Connection) -> None:
            c.execute(
                delete(t).where(
                    t.c.poll_id == poll_id,
                    t.c.source == source,
                    t.c.channel == channel,
                    t.c.voter.like("#total:%"),
                )
            )
            for option, n in sorted(counts.items()):
                c.execute(
                    insert(t).values(
                        poll_id=poll_id,
                        source=source,
                        voter=f"#total:{channel}:{option}",
                        option=option,
                        count=int(n),
                        channel=channel,
                        lang="",
                        at_utc=naive(now),
                    )
                )

        self._write(run)

    def vote_rows(self, poll_id: str | None = None) -> list[dict[str, Any]]:
        """Votes (and channel totals), optionally of one poll."""
        q = select(votes).order_by(votes.c.id)
        if poll_id is not None:
            q = q.where(votes.c.poll_id == poll_id)

        def run(c: Connection) -> list[dict[str, Any]]:
            return [dict(r) | {"at_utc": aware(r["at_utc"])} for r in c.execute(q).mappings()]

        return self._read(run)

    def put_reply(
        self,
        *,
        channel: str,
        message_id: str,
        kind: str,
        thread: str,
        at: datetime,
        text: str = "",
        story_remote_id: str | None = None,
        post: PostRef | None = None,
    ) -> bool:
        """Store one inbound or agent message; False when this message id was already stored."""
        t = replies

        def run(c: Connection) -> bool:
            found = c.execute(
                select(t.c.id).where(t.c.channel == channel, t.c.message_id == message_id)
            ).first()
            if found:
                return False
            c.execute(
                insert(t).values(
                    channel=channel,
                    message_id=message_id,
                    kind=kind,
                    thread=thread,
                    story_remote_id=story_remote_id,
                    ref=post.ref if post else "",
                    lang=post.lang if post else "",
                    text=text[:4000],
                    at_utc=naive(at),
                )
            )
            return True

        return self._write(run)

    def reply_rows(self) -> list[dict[str, Any]]:
        """Every stored message (customers' and agents'), oldest first; not the resolutions a
        help desk reported (:meth:`resolution_rows`), which are no message anyone wrote."""

        def run(c: Connection) -> list[dict[str, Any]]:
            q = select(replies).where(replies.c.kind != RESOLUTION).order_by(replies.c.at_utc, replies.c.id)
            return [dict(r) | {"at_utc": aware(r["at_utc"])} for r in c.execute(q).mappings()]

        return self._read(run)

    def put_resolution(self, *, channel: str, thread: str, ticket: str, at: datetime) -> datetime | None:
        """Store a help desk's word that the conversation in ``thread`` was resolved at ``at``.

        Kept in ``replies`` as a row of kind ``resolution``, keyed by (channel, thread, ticket): a
        repeated delivery stores nothing and returns the time first stored; a new one returns None.
        """
        t = replies
        # message_id is unique per channel; the thread and ticket are hashed so any length fits.
        digest = hashlib.sha256(f"{thread}\0{ticket}".encode()).hexdigest()[:40]
        message_id = f"{RESOLUTION}:{digest}"

        def run(c: Connection) -> datetime | None:
            found = c.execute(
                select(t.c.at_utc).where(t.c.channel == channel, t.c.message_id == message_id)
            ).first()
            if found:
                return aware(found[0])
            c.execute(
                insert(t).values(
                    channel=channel,
                    message_id=message_id,
                    kind=RESOLUTION,
                    thread=thread,
                    text=ticket[:4000],
                    at_utc=naive(at),
                )
            )
            return None

        return self._write(run)

    def resolution_rows(self) -> list[dict[str, Any]]:
        """The resolutions help desks reported (:meth:`put_resolution`), oldest first; ``text``
        holds the ticket id."""

        def run(c: Connection) -> list[dict[str, Any]]:
            q = select(replies).where(replies.c.kind == RESOLUTION).order_by(replies.c.at_utc, replies.c.id)
            return [dict(r) | {"at_utc": aware(r["at_utc"])} for r in c.execute(q).mappings()]

        return self._read(run)

    def has_thread(self, channel: str, thread: str) -> bool:
        """Whether a customer wrote in this thread on this channel."""
        t = replies

        def run(c: Connection) -> bool:
            q = select(t.c.id).where(
                t.c.channel == channel, t.c.thread == thread, t.c.kind.notin_(("agent", RESOLUTION))
            )
            return c.execute(q.limit(1)).first() is not None

        return self._read(run)

    def find_reply(self, channel: str, message_id: str) -> dict[str, Any] | None:
        """The stored message with this id on this channel, or None."""
        t = replies

        def run(c: Connection) -> dict[str, Any] | None:
            q = select(t).where(t.c.channel == channel, t.c.message_id == message_id).limit(1)
            r = c.execute(q).mappings().first()
            return None if r is None else dict(r) | {"at_utc": aware(r["at_utc"])}

        return self._read(run)

    def publication_rows(
        self, *, published_from: datetime | None = None, published_to: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Publication rows as dicts with aware times, optionally only those published in a window."""
        q = select(publication).order_by(publication.c.id)
        if published_from is not None:
            q = q.where(publication.c.published_utc >= naive(published_from))
        if published_to is not None:
            q = q.where(publication.c.published_utc <= naive(published_to))

        def run(c: Connection) -> list[dict[str, Any]]:
            out = []
            for r in c.execute(q).mappings():
                d = dict(r)
                for k in ("due_utc", "published_utc", "expires_utc"):
                    d[k] = aware(d[k])
                out.append(d)
            return out

        return self._read(run)

    # -- delivery statuses of fan-out messages ------------------------------------------------

    def record_delivery(
        self,
        *,
        channel: str,
        message_id: str,
        status: str,
        at: datetime,
        now: datetime,
        subscriber: str = "",
        key: str | None = None,
        error_code: int | None = None,
        error: str = "",
        outcome: str = "",
    ) -> bool:
        """Store one status of one message (upsert by channel and message id); True when it changed.

        ``key`` (the row's idempotency key) ties a new message to its publication row. A status
        never moves back (``sent`` after ``read`` is a late delivery, not news), and a repeated
        delivery of the same status changes nothing.
        """
        if status not in STATUS_RANK:
            return False
        t = delivery
        p = publication

        def run(c: Connection) -> bool:
            cur = (
                c.execute(select(t).where(t.c.channel == channel, t.c.message_id == message_id))
                .mappings()
                .first()
            )
            pid = None
            if key and (cur is None or cur["publication_id"] is None):
                pid = c.execute(select(p.c.id).where(p.c.idempotency_key == key)).scalar()
            values: dict[str, Any] = {"status": status, "at_utc": naive(at)}
            if status == "failed":
                values.update(error_code=error_code, error=(error or "")[:500] or None, outcome=outcome)
            if cur is None:
                try:
                    # A savepoint: two deliveries about one message may race to insert it.
                    with c.begin_nested():
                        c.execute(
                            insert(t).values(
                                channel=channel,
                                message_id=message_id,
                                publication_id=pid,
                                subscriber=subscriber,
                                created_utc=naive(now),
                                **{"error_code": None, "error": None, "outcome": ""} | values,
                            )
                        )
                    return True
                except IntegrityError:
                    cur = (
                        c.execute(select(t).where(t.c.channel == channel, t.c.message_id == message_id))
                        .mappings()
                        .one()
                    )
            changes: dict[str, Any] = {}
            if pid is not None:
                changes["publication_id"] = pid
            if subscriber and not cur["subscriber"]:
                changes["subscriber"] = subscriber
            if STATUS_RANK[status] > STATUS_RANK.get(cur["status"], 0):
                changes.update(values)
            if changes:
                c.execute(update(t).where(t.c.id == cur["id"]).values(**changes))
            return bool(changes)

        return self._write(run)

    def delivery_rows(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Every stored message status (optionally of one channel), oldest message first."""
        q = select(delivery).order_by(delivery.c.id)
        if channel is not None:
            q = q.where(delivery.c.channel == channel)

        def run(c: Connection) -> list[dict[str, Any]]:
            return [
                dict(r) | {"at_utc": aware(r["at_utc"]), "created_utc": aware(r["created_utc"])}
                for r in c.execute(q).mappings()
            ]

        return self._read(run)

    def delivery_counts(self) -> dict[int, dict[str, int]]:
        """Per publication row: how its subscribers' messages ended, one subscriber counted once.

        Each subscriber counts with their newest message (a template re-sent after a closed
        window replaces the failed message). Keys: ``messages`` (subscribers heard of),
        ``delivered`` (delivered or read), ``read``, ``failed``, and among the failures
        ``resend`` (window closed: a template goes out), ``deferred``, ``undeliverable``.
        """
        return delivery_counts_of(self.delivery_rows())

    def delivery_report(self) -> list[dict[str, Any]]:
        """:meth:`delivery_counts` with each row's channel, story, language, frame and due time,
        oldest row first."""
        counts = self.delivery_counts()
        if not counts:
            return []
        p = publication
        q = select(p).where(p.c.id.in_(sorted(counts))).order_by(p.c.due_utc, p.c.id)

        def run(c: Connection) -> list[dict[str, Any]]:
            return [delivery_line_of(r, counts) for r in c.execute(q).mappings()]

        return self._read(run)


def post_views(insight_rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], int]:
    """(channel, remote_id) -> people who saw the post: the best captured reach (a webhook's over
    a pull's over any other source's), else its local-feed viewers, one per ``local:`` row."""
    rank = {"webhook": 3, "pull": 2}
    best: dict[tuple[str, str], tuple[int, int]] = {}
    local: dict[tuple[str, str], int] = defaultdict(int)
    for r in insight_rows:
        key = (r["channel"], r["remote_id"])
        if str(r["source"]).startswith("local:"):
            local[key] += 1
        elif r.get("reach") is not None:
            score = rank.get(r["source"], 1)
            if key not in best or score > best[key][0]:
                best[key] = (score, int(r["reach"]))
    out = {k: v for k, (_, v) in best.items()}
    for k, n in local.items():
        out.setdefault(k, n)
    return out
