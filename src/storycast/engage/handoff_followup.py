"""Hand-off follow-up: remind, then escalate, a pack nobody confirmed; and each hand-off's state.

A ``handoff`` channel hands a pack to a person and notifies them once. When the channel sets
``remind_after`` / ``escalate_after``, :func:`follow_up` (an after-tick step, so it runs from
``publish --due``, the daemon and the procrastinate workers alike) notifies the same contacts
again, then the ``escalate_to`` contacts, each at most once per pack, and never once the pack is
confirmed or stale. Each message sent is journalled as a ledger event on the pack's first row
(``handoff-reminder``, ``handoff-escalation``); the check, the send and the record happen under
one lock (a PostgreSQL session lock across machines, a file lock across processes), so two
ticks at the same moment send one reminder. :func:`handoffs` reads the same facts back for
``storycast status``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..channels.handoff import HandedOffPack, HandoffChannel

if TYPE_CHECKING:
    from ..context import Context
    from ..ledger import HistoryItem, Ledger, LedgerReader, Row
    from ..project import Project

log = logging.getLogger("storycast.engage.handoff")

REMINDER = "handoff-reminder"
ESCALATION = "handoff-escalation"
CONFIRMED_PREFIX = "posted by hand, confirmed by "  # the reason ledger.admin.confirm writes
LOCK_NAME = "storycast-handoff-followup"
LOCK_WAIT = 120.0  # seconds a tick waits for another tick's follow-up (a slow notification)
RECENT = timedelta(hours=24)  # `status` shows confirmed hand-offs this recent (all with --all)


@dataclass
class Handoff:
    """One pack (one story, language, occurrence and channel) and where its follow-up stands."""

    channel: str
    ref: str
    lang: str
    row_ids: list[int]
    due_utc: datetime
    handed_off_at: datetime
    stale_at: datetime
    complete: bool  # every frame is in the pack (only then was anybody notified)
    confirmed_at: datetime | None = None
    confirmed_by: str | None = None
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
    escalated_to: str | None = None
    pack: HandedOffPack | None = field(default=None, repr=False)

    def stage(self, now: datetime) -> str:
        """confirmed | stale | escalated | reminded | waiting."""
        if self.confirmed_at is not None:
            return "confirmed"
        if now >= self.stale_at:
            return "stale"
        if self.escalated_at is not None:
            return "escalated"
        if self.reminded_at is not None:
            return "reminded"
        return "waiting"

    def describe(self, now: datetime) -> str:
        """What ``storycast status`` prints after the pack's name."""
        parts = [f"waiting for confirmation since {_at(self.handed_off_at)}"]
        if not self.complete:
            parts = [f"pack incomplete since {_at(self.handed_off_at)}"]
        if self.reminded_at is not None:
            parts.append(f"reminded at {_at(self.reminded_at)}")
        if self.escalated_at is not None:
            parts.append(f"escalated to {self.escalated_to} at {_at(self.escalated_at)}")
        if self.confirmed_at is not None:
            parts.append(f"confirmed by {self.confirmed_by} at {_at(self.confirmed_at)}")
        elif now >= self.stale_at:
            parts.append(f"stale since {_at(self.stale_at)} (no more follow-ups)")
        return ", ".join(parts)

    def line(self, now: datetime) -> str:
        ids = " ".join(f"#{i}" for i in self.row_ids)
        return f"hand-off {self.stage(now):<9} {self.ref} [{self.lang}] -> {self.channel} ({ids}): " + (
            self.describe(now)
        )

    def to_json(self, now: datetime) -> dict[str, Any]:
        def t(v: datetime | None) -> str | None:
            return v.strftime("%Y-%m-%dT%H:%M:%SZ") if v is not None else None

        return {
            "channel": self.channel,
            "ref": self.ref,
            "lang": self.lang,
            "rows": list(self.row_ids),
            "stage": self.stage(now),
            "due_utc": t(self.due_utc),
            "handed_off_at": t(self.handed_off_at),
            "stale_at": t(self.stale_at),
            "reminded_at": t(self.reminded_at),
            "escalated_at": t(self.escalated_at),
            "escalated_to": self.escalated_to,
            "confirmed_at": t(self.confirmed_at),
            "confirmed_by": self.confirmed_by,
        }


def _at(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M") + "Z"


def _handoff_channels(project: Project, context: Context) -> dict[str, HandoffChannel]:
    """The enabled channels of the hand-off type (or a subclass of it), opened."""
    from ..channels.registry import enabled_of_kind, open_channel

    out: dict[str, HandoffChannel] = {}
    for name in enabled_of_kind(project, HandoffChannel):
        channel = open_channel(project, name, context)
        assert isinstance(channel, HandoffChannel)
        out[name] = channel
    return out


def _history(ledger: Ledger | LedgerReader, row_id: int) -> list[HistoryItem]:
    """The row's newest 200 attempts and events (``storycast status`` reads without SQLAlchemy)."""
    from ..ledger.reading import LedgerReader

    if isinstance(ledger, LedgerReader):
        return ledger.history(200, row_id)
    from ..ledger.admin import history

    return history(ledger, 200, row_id)


def _events(ledger: Ledger | LedgerReader, row_id: int) -> dict[str, tuple[datetime, dict[str, Any]]]:
    """The follow-up events journalled on a pack's first row, by action (the first of each)."""
    found: dict[str, tuple[datetime, dict[str, Any]]] = {}
    for item in reversed(_history(ledger, row_id)):  # oldest first
        if item.what in (REMINDER, ESCALATION) and item.what not in found:
            try:
                detail = json.loads(item.detail)
            except ValueError:
                detail = {}
            found[item.what] = (item.at_utc, detail if isinstance(detail, dict) else {})
    return found


def _packs(
    ledger: Ledger | LedgerReader,
    channels: dict[str, HandoffChannel],
    now: datetime,
    confirmed_since: datetime | None,
    *,
    with_confirmed: bool,
) -> list[Handoff]:
    from ..ledger import RowQuery, State

    states = [State.HANDED_OFF.value] + ([State.PUBLISHED.value] if with_confirmed else [])
    groups: dict[tuple[str, str, str, str], list[Row]] = {}
    for row in ledger.find(RowQuery(states=states)):
        if row.channel not in channels:
            continue
        if row.state == State.PUBLISHED.value:
            if not (row.reason or "").startswith(CONFIRMED_PREFIX):
                continue
            if confirmed_since is not None and (row.published_utc or row.updated_utc) < confirmed_since:
                continue
        groups.setdefault(row.group, []).append(row)
    out: list[Handoff] = []
    for rows in groups.values():
        rows.sort(key=lambda r: r.frame)
        first = rows[0]
        channel = channels[first.channel]
        waiting = [r for r in rows if r.state == State.HANDED_OFF.value]
        confirmed = [r for r in rows if r.state == State.PUBLISHED.value]
        # Confirmation moves published_utc to the moment of confirming; the hand-off time
        # stays in expires_utc (the channel sets it a story's lifetime after the hand-off).
        handed = [r.published_utc for r in waiting if r.published_utc is not None]
        if not handed:
            handed = [r.expires_utc - channel.LIFETIME for r in confirmed if r.expires_utc is not None]
        handed_off_at = max(handed) if handed else first.updated_utc
        h = Handoff(
            channel=first.channel,
            ref=first.ref,
            lang=first.lang,
            row_ids=[r.id for r in rows],
            due_utc=first.due_utc,
            handed_off_at=handed_off_at,
            stale_at=first.due_utc + channel.follow_up().stale,
            complete=len(rows) >= first.frame_total,
        )
        if confirmed and not waiting:
            last = max(confirmed, key=lambda r: r.published_utc or r.updated_utc)
            h.confirmed_at = last.published_utc or last.updated_utc
            h.confirmed_by = (last.reason or "").removeprefix(CONFIRMED_PREFIX) or "someone"
        events = _events(ledger, first.id)
        if REMINDER in events:
            h.reminded_at = events[REMINDER][0]
        if ESCALATION in events:
            h.escalated_at, detail = events[ESCALATION]
            h.escalated_to = str(detail.get("to") or "the second contact")
        h.pack = HandedOffPack(
            first.ref,
            first.lang,
            [r.id for r in rows],
            channel.pack_of(first.remote_id),
            handed_off_at,
            h.stale_at,
        )
        out.append(h)
    out.sort(key=lambda h: (h.due_utc, h.channel, h.lang))
    return out


def handoffs(
    project: Project,
    context: Context,
    ledger: Ledger | LedgerReader,
    now: datetime,
    *,
    everything: bool = False,
) -> list[Handoff]:
    """Every hand-off waiting for a person, and those confirmed in the last day (all with ``everything``)."""
    channels = _handoff_channels(project, context)
    if not channels:
        return []
    return _packs(ledger, channels, now, None if everything else now - RECENT, with_confirmed=True)


@contextmanager
def _exclusive(project: Project, ledger: Ledger) -> Iterator[bool]:
    """One follow-up at a time: across machines (PostgreSQL) and across processes (a file lock)."""
    from filelock import FileLock, Timeout

    with ledger.session_lock(LOCK_NAME) as mine:
        if not mine:  # another worker is following up right now; the next tick looks again
            yield False
            return
        project.state_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(project.state_dir / "handoff-followup.lock"), timeout=LOCK_WAIT)
        try:
            lock.acquire()
        except Timeout:
            yield False
            return
        try:
            yield True
        finally:
            lock.release()


def follow_up(project: Project, context: Context, ledger: Ledger, now: datetime) -> int:
    """Send the reminders and escalations due at ``now``, each once; returns how many went out."""
    channels = {n: c for n, c in _handoff_channels(project, context).items() if c.follow_up()}
    if not channels:
        return 0
    sent = 0
    with _exclusive(project, ledger) as mine:
        if not mine:
            return 0
        # Read under the lock: what another tick sent a moment ago is in the ledger by now.
        for h in _packs(ledger, channels, now, None, with_confirmed=False):
            sent += _follow_up_one(channels[h.channel], ledger, h, now)
    return sent


def _follow_up_one(channel: HandoffChannel, ledger: Ledger, h: Handoff, now: datetime) -> int:
    from ..errors import ChannelError

    plan = channel.follow_up()
    if not h.complete or h.pack is None or now >= h.stale_at or h.escalated_at is not None:
        return 0
    since = now - h.handed_off_at
    if plan.escalate is not None and since >= plan.escalate:
        # A reminder not sent by now (storycast was not running) is skipped: the escalation says more.
        action, send, to = ESCALATION, channel.escalate, channel.escalation_contact()
    elif plan.remind is not None and since >= plan.remind and h.reminded_at is None:
        action, send, to = REMINDER, channel.remind, channel.opts.assignee or "the notify contacts"
    else:
        return 0
    try:
        send(h.pack)
    except ChannelError as exc:  # tried again at the next tick; nothing is journalled
        log.warning("%s: %s for %s [%s] not sent: %s", channel.name, action, h.ref, h.lang, exc.message)
        return 0
    detail = {"to": to, "pack": h.pack.pack.name if h.pack.pack else None, "rows": h.row_ids}
    ledger.add_event(h.row_ids[0], action, detail, now)
    log.info("%s: %s sent for %s [%s] to %s", channel.name, action, h.ref, h.lang, to)
    return 1
