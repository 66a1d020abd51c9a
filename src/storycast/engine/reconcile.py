"""Settle ``unknown`` rows: ask the channel where it can tell, else leave them to the user.

A row is ``unknown`` when a platform call may or may not have published it (a timeout, a
crash mid-call). Reconcile never re-sends on a guess: it asks ``Channel.lookup()`` with the
row's idempotency key. A found post makes the row ``published``. "Not found" only counts when
the channel's lookup is authoritative (``lookup_authoritative``); then the row goes back to
``planned`` with a fresh grace window. Otherwise it stays ``unknown`` until
``storycast reconcile --resolve ID=published|failed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..channels.base import MediaItem, PublishRequest
from ..ledger import admin
from ..ledger.rows import Row, RowQuery
from ..ledger.states import State

if TYPE_CHECKING:
    from ..channels.base import Channel
    from ..context import Context
    from ..ledger import Ledger
    from ..project import Project

RECHECK = timedelta(minutes=10)  # an automatic reconcile asks a channel about a row at most this often


@dataclass
class ReconcileReport:
    """What reconcile settled and what still needs a person."""

    published: list[int] = field(default_factory=list)
    replanned: list[int] = field(default_factory=list)
    still_unknown: list[Row] = field(default_factory=list)
    resolved: dict[int, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "published": self.published,
            "replanned": self.replanned,
            "resolved": {str(k): v for k, v in self.resolved.items()},
            "still_unknown": [r.to_json() for r in self.still_unknown],
        }


def _request(row: Row) -> PublishRequest:
    media = MediaItem(path=Path("."), kind="image", sha256=row.frame_sha256 or "")
    return PublishRequest(
        row_id=row.id,
        idempotency_key=row.idempotency_key or "",
        kind=row.kind,
        ref=row.ref,
        lang=row.lang,
        frame_index=row.frame,
        frame_total=row.frame_total,
        media=media,
        due_utc=row.due_utc,
        meta={"entry_key": row.entry_key, "occurrence_key": row.occurrence_key},
    )


def reconcile(
    project: Project,
    context: Context,
    ledger: Ledger,
    now: datetime,
    *,
    resolve: dict[int, str] | None = None,
    automatic: bool = False,
) -> ReconcileReport:
    """Ask channels about unknown rows; apply the user's ``resolve`` verdicts first."""
    from ..channels.registry import open_channel

    report = ReconcileReport()
    for rid, verdict in (resolve or {}).items():
        admin.resolve(ledger, rid, verdict, now)
        report.resolved[rid] = verdict
    query = RowQuery(states=[State.UNKNOWN.value], checked_before=now - RECHECK if automatic else None)
    channels: dict[str, Channel | None] = {}
    for row in ledger.find(query):
        if row.channel not in channels:
            try:
                channels[row.channel] = open_channel(project, row.channel, context)
            except Exception:  # misconfigured (or a plugin's bug): its rows stay unknown, others go on
                channels[row.channel] = None
        ch = channels[row.channel]
        if ch is None or not row.idempotency_key:
            report.still_unknown.append(row)
            continue
        try:
            found = ch.lookup(_request(row))
        except Exception:  # a failed lookup tells nothing; one channel's must not stop the tick
            found, authoritative = None, False
        else:
            authoritative = bool(getattr(ch, "lookup_authoritative", False))
        if found is not None:
            admin.resolve(ledger, row.id, "published", now, remote_id=found.remote_id)
            report.published.append(row.id)
        elif authoritative:
            ledger.replan_unknown(row, now, "reconcile: the channel has no such post")
            report.replanned.append(row.id)
        else:
            ledger.mark_checked(row.id, now)
            report.still_unknown.append(row)
    for ch in channels.values():
        if ch is not None:
            try:
                ch.close()
            except Exception:  # closing must not turn a settled reconcile into a failed one
                pass
    return report
