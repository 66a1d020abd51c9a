"""Compatibility names for the engagement tables' reads and writes, now :class:`~storycast.ledger.Ledger`
methods (``ledger.find_post(...)``, ``ledger.put_vote(...)``, ...). Each function delegates; none
builds SQL. Kept until the last callers switch, then deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..ledger.rows import PostRef

if TYPE_CHECKING:
    from ..ledger import Ledger

__all__ = [
    "PostRef",
    "find_post",
    "insight_rows",
    "publication_rows",
    "put_reply",
    "put_vote",
    "replace_totals",
    "reply_rows",
    "upsert_insight",
    "vote_rows",
]


def find_post(ledger: Ledger, channel: str | None, remote_id: str) -> PostRef | None:
    return ledger.find_post(channel, remote_id)


def upsert_insight(
    ledger: Ledger,
    *,
    channel: str,
    remote_id: str,
    source: str,
    metrics: Mapping[str, Any],
    now: datetime,
    post: PostRef | None = None,
    raw: str | None = None,
) -> None:
    ledger.upsert_insight(
        channel=channel, remote_id=remote_id, source=source, metrics=metrics, now=now, post=post, raw=raw
    )


def insight_rows(ledger: Ledger) -> list[dict[str, Any]]:
    return ledger.insight_rows()


def put_vote(
    ledger: Ledger,
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
    return ledger.put_vote(
        poll_id=poll_id,
        option=option,
        source=source,
        voter=voter,
        now=now,
        count=count,
        channel=channel,
        lang=lang,
    )


def replace_totals(
    ledger: Ledger, *, poll_id: str, source: str, channel: str, counts: Mapping[int, int], now: datetime
) -> None:
    ledger.replace_poll_totals(poll_id=poll_id, source=source, channel=channel, counts=counts, now=now)


def vote_rows(ledger: Ledger, poll_id: str | None = None) -> list[dict[str, Any]]:
    return ledger.vote_rows(poll_id)


def put_reply(
    ledger: Ledger,
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
    return ledger.put_reply(
        channel=channel,
        message_id=message_id,
        kind=kind,
        thread=thread,
        at=at,
        text=text,
        story_remote_id=story_remote_id,
        post=post,
    )


def reply_rows(ledger: Ledger) -> list[dict[str, Any]]:
    return ledger.reply_rows()


def publication_rows(
    ledger: Ledger, *, published_from: datetime | None = None, published_to: datetime | None = None
) -> list[dict[str, Any]]:
    return ledger.publication_rows(published_from=published_from, published_to=published_to)
