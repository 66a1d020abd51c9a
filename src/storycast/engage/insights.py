"""Capture each published post's metrics before the platform forgets them.

Story metrics live 24 h (Instagram: "Story media metrics are only available for 24 hours"), so
:func:`collect_due_insights` runs from the engine's tick and captures every published row at
``T+23h`` by default (``capture_at``), one hour of margin for a daemon that was briefly asleep.
``storycast insights collect`` runs it by hand (``--all`` captures every still-live post now).

Also here: local-feed views (:func:`record_view`, for the web feed). Numbers a platform pushes
(Instagram's ``story_insights`` webhook) are stored by ``engage/inbound.py``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..errors import ChannelError, StorycastError
from ..ledger.rows import PostRef
from ..ledger.states import State
from .inbound import SOURCE_PULL, option_counts

if TYPE_CHECKING:
    from ..channels.base import Channel
    from ..context import Context
    from ..ledger import Ledger
    from ..project import Project

log = logging.getLogger("storycast.engage.insights")

CAPTURE_AT = timedelta(hours=23)
LIFETIME = timedelta(hours=24)
POLL_WINDOW = timedelta(days=35)  # native polls are tallied once, after closing, within this window


@dataclass
class CollectReport:
    """What one collection did."""

    captured: list[dict[str, Any]] = field(default_factory=list)
    polls: list[dict[str, Any]] = field(default_factory=list)
    unavailable: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "captured": len(self.captured),
            "polls": len(self.polls),
            "unavailable": len(self.unavailable),
            "skipped": self.skipped,
            "items": self.captured + self.polls + self.unavailable,
        }


def _due(row: Mapping[str, Any], now: datetime, capture_at: timedelta, everything: bool) -> bool:
    published = row["published_utc"]
    if published is None or row["state"] != State.PUBLISHED.value or not row["remote_id"]:
        return False
    if now >= published + LIFETIME:
        return False  # gone: the platform no longer answers
    return everything or now >= published + capture_at


def collect_due_insights(
    project: Project,
    context: Context,
    now: datetime,
    *,
    capture_at: timedelta = CAPTURE_AT,
    everything: bool = False,
    ledger: Ledger | None = None,
) -> CollectReport:
    """Capture metrics of published posts that reached ``capture_at`` and are still live.

    A post captured once by this step is not asked again (a manual ``--all`` run refreshes).
    Native polls whose voting has closed (within the last :data:`POLL_WINDOW`) are tallied from
    their channel once. Never raises for one post's problem: it is reported in ``unavailable``.
    """
    from ..ledger import open_ledger

    own = ledger is None
    led = ledger or open_ledger(project)
    report = CollectReport()
    channels = _Channels(project, context)
    try:
        window = led.publication_rows(
            published_from=now - LIFETIME, published_to=None if everything else now - capture_at
        )
        if window:
            _collect_metrics(led, channels, window, now, capture_at, everything, report)
        polls = [
            r
            for r in led.publication_rows(published_from=now - POLL_WINDOW)
            if r["kind"] == "poll" and r["state"] == State.PUBLISHED.value and r["remote_id"]
        ]
        if polls:
            _collect_polls(project, led, channels, polls, now, report)
        return report
    finally:
        channels.close()
        if own:
            led.close()


class _Channels:
    """Channels opened once per collection; a channel that cannot open is skipped (and logged)."""

    def __init__(self, project: Project, context: Context) -> None:
        self.project, self.context = project, context
        self._open: dict[str, Channel | None] = {}

    def get(self, name: str) -> Channel | None:
        from ..channels.registry import open_channel

        if name not in self._open:
            try:
                self._open[name] = open_channel(self.project, name, self.context)
            except StorycastError as exc:
                log.warning("insights: channel %s cannot be opened: %s", name, exc.message)
                self._open[name] = None
        return self._open[name]

    def close(self) -> None:
        for ch in self._open.values():
            if ch is not None:
                try:
                    ch.close()
                except Exception:  # closing must not lose the captured numbers
                    pass


def _collect_metrics(
    led: Ledger,
    channels: _Channels,
    rows: list[dict[str, Any]],
    now: datetime,
    capture_at: timedelta,
    everything: bool,
    report: CollectReport,
) -> None:

    done = {(r["channel"], r["remote_id"]) for r in led.insight_rows() if r["source"] == SOURCE_PULL}
    for row in rows:
        if not _due(row, now, capture_at, everything):
            continue
        key = (row["channel"], row["remote_id"])
        if key in done and not everything:
            report.skipped += 1
            continue
        channel = channels.get(row["channel"])
        if channel is None:
            continue
        item = {
            "channel": row["channel"],
            "remote_id": row["remote_id"],
            "ref": row["ref"],
            "lang": row["lang"],
        }
        try:
            got = channel.fetch_insights(row["remote_id"])
        except ChannelError as exc:
            report.unavailable.append(item | {"reason": exc.message})
            continue
        if got is None:
            continue
        metrics = dict(got)
        post = PostRef(
            row["id"], row["kind"], row["ref"], row["lang"], row["frame"], row["frame_total"], row["channel"]
        )
        led.upsert_insight(
            channel=row["channel"],
            remote_id=row["remote_id"],
            source=SOURCE_PULL,
            metrics=metrics,
            now=now,
            post=post,
        )
        done.add(key)
        report.captured.append(item | {"metrics": metrics})


def _collect_polls(
    project: Project,
    led: Ledger,
    channels: _Channels,
    rows: list[dict[str, Any]],
    now: datetime,
    report: CollectReport,
) -> None:
    from .polls import get_poll, record_channel_totals

    counted = {v["channel"] for v in led.vote_rows() if v["voter"].startswith("#total:")}
    for row in rows:
        post_key = f"{row['channel']}:{row['remote_id']}"
        if post_key in counted:
            continue
        channel = channels.get(row["channel"])
        if channel is None or not channel.capabilities.polls_native:
            continue
        try:
            poll = get_poll(project, row["ref"])
        except StorycastError:
            continue
        if now < poll.closes_at(row["published_utc"], project.config.project.timezone):
            continue  # stopPoll would end the vote early
        try:
            got = channel.poll_results(row["remote_id"])
        except ChannelError as exc:
            report.unavailable.append(
                {"channel": row["channel"], "remote_id": row["remote_id"], "reason": exc.message}
            )
            continue
        if got is None:
            continue
        counts = option_counts(got, poll.option_texts(row["lang"], emoji=True))
        record_channel_totals(project, poll.id, post_key, channel.type_name, counts, now=now, ledger=led)
        counted.add(post_key)
        report.polls.append(
            {"poll": poll.id, "channel": row["channel"], "lang": row["lang"], "counts": counts}
        )


# --- local feed views --------------------------------------------------------------------------------


def record_view(
    project: Project,
    channel: str,
    remote_id: str,
    viewer: str,
    now: datetime,
    *,
    ledger: Ledger | None = None,
) -> None:
    """Count one viewer of a local-feed frame (the web feed calls this); repeat views count once."""
    from ..ledger import open_ledger

    own = ledger is None
    led = ledger or open_ledger(project)
    try:
        post = led.find_post(channel, remote_id)
        who = hashlib.sha256(viewer.encode("utf-8")).hexdigest()[:24]  # no personal ids in the ledger
        led.upsert_insight(
            channel=channel,
            remote_id=remote_id,
            source=f"local:{who}",
            metrics={"reach": 1, "views": 1},
            now=now,
            post=post,
        )
    finally:
        if own:
            led.close()
