"""Approvals: who approved or rejected which frames of a story in one language, and when (added by 0006).

One ``approval`` row per decision (``approved`` or ``rejected``) with the approver's name, the
time, the note or reason, and where it was given (``cli`` or ``web``, with the review link's
nonce so a link decides once). ``approval_item`` holds the sha256 of every frame and video part
the person saw. The engine's gate (:mod:`storycast.engine.approval`) reads these; a row waiting
for approval stays ``planned`` with a reason that starts with :data:`AWAITING`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    func,
    insert,
    select,
)

from .base import LedgerBase
from .models import metadata
from .rows import AWAITING, Row, _like_prefix, aware, naive
from .sending import give_back
from .states import State
from .tables import publication

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

DECISIONS = ("approved", "rejected")


# One person's decision about one story in one language.
approval = Table(
    "approval",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ref", String(128), nullable=False),
    Column("lang", String(16), nullable=False),
    Column("decision", String(16), nullable=False),  # approved | rejected
    Column("by_name", String(64), nullable=False),
    Column("at_utc", DateTime, nullable=False),
    Column("note", Text, server_default="", nullable=False),
    Column("via", String(16), server_default="cli", nullable=False),  # cli | web
    Column("link_nonce", String(64), nullable=True),
    Column("version", String(64), nullable=False),  # sha256 over every item's kind, number and hash
    Index("ix_approval_story", "ref", "lang"),
    UniqueConstraint("link_nonce", name="uq_approval_link"),
)


# One frame or video part a decision was about, by its sha256.
approval_item = Table(
    "approval_item",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("approval_id", ForeignKey("approval.id", ondelete="CASCADE"), index=True, nullable=False),
    Column("kind", String(64), nullable=False),  # frame | video:<variant>
    Column("idx", Integer, nullable=False),  # 1-based
    Column("sha256", String(64), nullable=False),
    Column("file", String(300), server_default="", nullable=False),
    UniqueConstraint("approval_id", "kind", "idx", name="uq_approval_item"),
)


@dataclass(frozen=True)
class Item:
    """A frame (``kind`` frame) or video part (``video:<variant>``) by number and hash."""

    kind: str
    index: int
    sha256: str
    file: str = ""


@dataclass(frozen=True)
class Decision:
    """One recorded approval or rejection, with the items it covered."""

    id: int
    ref: str
    lang: str
    decision: str
    by: str
    at_utc: datetime
    note: str
    via: str
    version: str
    items: tuple[Item, ...] = field(default=())

    @property
    def approved(self) -> bool:
        return self.decision == "approved"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "story": self.ref,
            "lang": self.lang,
            "decision": self.decision,
            "by": self.by,
            "at": self.at_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "note": self.note,
            "via": self.via,
            "version": self.version,
            "items": [
                {"kind": i.kind, "index": i.index, "sha256": i.sha256, "file": i.file} for i in self.items
            ],
        }


class Approvals(LedgerBase):
    """Reads and writes of the approval tables, and rows held back waiting for approval."""

    def record_decision(
        self,
        ref: str,
        lang: str,
        decision: str,
        by: str,
        now: datetime,
        items: Sequence[Item],
        *,
        version: str,
        note: str = "",
        via: str = "cli",
        link_nonce: str | None = None,
    ) -> Decision | None:
        """Store one decision and its items in one transaction; None when ``link_nonce`` was used."""
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}")
        n = naive(now)

        def run(c: Connection) -> Decision | None:
            if link_nonce is not None:
                used = c.execute(select(approval.c.id).where(approval.c.link_nonce == link_nonce)).first()
                if used is not None:
                    return None
            new_id = c.execute(
                insert(approval)
                .values(
                    ref=ref,
                    lang=lang,
                    decision=decision,
                    by_name=by,
                    at_utc=n,
                    note=note,
                    via=via,
                    link_nonce=link_nonce,
                    version=version,
                )
                .returning(approval.c.id)
            ).scalar_one()
            if items:
                c.execute(
                    insert(approval_item),
                    [
                        {
                            "approval_id": new_id,
                            "kind": i.kind,
                            "idx": i.index,
                            "sha256": i.sha256,
                            "file": i.file,
                        }
                        for i in items
                    ],
                )
            return Decision(new_id, ref, lang, decision, by, aware(n), note, via, version, tuple(items))  # type: ignore[arg-type]

        try:
            return self._write(run)
        except Exception as exc:  # two clicks racing on one link: the unique nonce lets one in
            from sqlalchemy.exc import IntegrityError

            if isinstance(exc, IntegrityError) and link_nonce is not None:
                return None
            raise

    def decisions(self, ref: str | None = None, lang: str | None = None) -> list[Decision]:
        """Every decision (of ``ref``, in ``lang``, when given), oldest first, with its items."""
        a, i = approval, approval_item
        cond = and_(
            a.c.ref == ref if ref is not None else a.c.id.is_not(None),
            a.c.lang == lang if lang is not None else a.c.id.is_not(None),
        )

        def run(c: Connection) -> list[Decision]:
            heads = c.execute(select(a).where(cond).order_by(a.c.id)).all()
            if not heads:
                return []
            items: dict[int, list[Item]] = {}
            ids = [h.id for h in heads]
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                for r in c.execute(
                    select(i).where(i.c.approval_id.in_(chunk)).order_by(i.c.approval_id, i.c.kind, i.c.idx)
                ):
                    items.setdefault(r.approval_id, []).append(Item(r.kind, r.idx, r.sha256, r.file))
            return [
                Decision(
                    h.id,
                    h.ref,
                    h.lang,
                    h.decision,
                    h.by_name,
                    aware(h.at_utc),  # type: ignore[arg-type]
                    h.note or "",
                    h.via or "",
                    h.version,
                    tuple(items.get(h.id, ())),
                )
                for h in heads
            ]

        return self._read(run)

    def link_used(self, nonce: str) -> bool:
        """Whether a review link with this nonce has already decided."""
        got = self._read(
            lambda c: c.execute(select(approval.c.id).where(approval.c.link_nonce == nonce)).first()
        )
        return got is not None

    # -- rows held back for approval ----------------------------------------------------------

    def await_approval(self, row: Row, now: datetime, reason: str) -> bool:
        """Give a claimed row back to ``planned`` because its frames lack approval; its later
        frames get the same reason (``storycast status`` shows them as awaiting approval).
        Nothing was sent. False if the claim was lost."""
        return bool(self._write(lambda c: give_back(c, row, AWAITING + reason, naive(now))))

    def count_awaiting(self, now: datetime) -> int:
        """Due planned rows that wait for approval."""
        p = publication
        n = naive(now)
        cond = and_(
            p.c.state == State.PLANNED.value,
            p.c.due_utc <= n,
            p.c.deadline_utc >= n,
            _like_prefix(p.c.reason, AWAITING),
        )
        return int(self._read(lambda c: c.execute(select(func.count()).where(cond)).scalar_one()))

    def awaiting_stories(self, now: datetime) -> list[tuple[str, str, str, datetime]]:
        """(story, language, channel, earliest due time) of open story rows not yet past their
        slot: what reviewers may be asked about, earliest first."""
        p = publication
        n = naive(now)
        cond = and_(
            p.c.state == State.PLANNED.value,
            p.c.kind.in_(["story", "story-video"]),
            p.c.deadline_utc >= n,
        )

        def run(c: Connection) -> list[tuple[str, str, str, datetime]]:
            got = c.execute(
                select(p.c.ref, p.c.lang, p.c.channel, func.min(p.c.due_utc))
                .where(cond)
                .group_by(p.c.ref, p.c.lang, p.c.channel)
            ).all()
            rows = [(r[0], r[1], r[2], aware(r[3])) for r in got]
            return sorted(rows, key=lambda t: (t[3], t[0], t[1], t[2]))  # type: ignore[arg-type,return-value]

        return self._read(run)

    def video_channels(self, ref: str, lang: str) -> list[str]:
        """Channels that have open ``story-video`` rows of this story and language."""
        p = publication
        cond = and_(
            p.c.ref == ref,
            p.c.lang == lang,
            p.c.kind == "story-video",
            p.c.state.in_([State.PLANNED.value, State.CLAIMED.value, State.RENDERING.value]),
        )
        return self._read(
            lambda c: sorted(r[0] for r in c.execute(select(p.c.channel).where(cond).distinct()))
        )
