"""What platforms send back, stored: replies, votes, poll totals, pushed insights and the
delivery statuses of messages (WhatsApp).

The channel types read their platforms (``Channel.poll_results``, ``Channel.parse_webhook``); this
module decides what the results mean for storycast's content: which poll an option text belongs
to, which of our posts a reply answers, when a reply is a vote.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..channels.inbound import (
    DeliveryStatus,
    Inbound,
    InboundInsight,
    InboundPollCounts,
    InboundReply,
    InboundVote,
    WebhookRequest,
)
from ..errors import StorycastError

if TYPE_CHECKING:
    from ..ledger import Ledger
    from ..project import Project

log = logging.getLogger("storycast.engage.inbound")
# Where an insight figure came from: read from the platform, or pushed by a webhook.
SOURCE_PULL = "pull"
SOURCE_WEBHOOK = "webhook"


def counts_by_option(texts: Sequence[str], by_text: Mapping[str, int]) -> dict[int, int]:
    """Map a platform's ``{option text: votes}`` onto 1-based option numbers (unknown texts dropped)."""
    out: dict[int, int] = {}
    for i, text in enumerate(texts, start=1):
        if text in by_text:
            out[i] = int(by_text[text])
    return out


def option_counts(got: Mapping[int, int] | Mapping[str, int], texts: Sequence[str]) -> dict[int, int]:
    """A channel's ``poll_results`` as 1-based option numbers: numbered already, or by option text."""
    if all(isinstance(k, int) for k in got):
        return {int(k): int(v) for k, v in got.items()}
    return counts_by_option(texts, {str(k): int(v) for k, v in got.items()})


@dataclass
class Stored:
    """What one delivery added."""

    replies: int = 0
    mentions: int = 0
    agent: int = 0
    votes: int = 0
    statuses: int = 0  # delivery statuses that changed what the ledger knows
    duplicates: int = 0
    polls: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Received:
    """A stored delivery: its messages and votes, the posts whose insights it updated, and the
    channel's own counters (WhatsApp's windows)."""

    stored: Stored = field(default_factory=Stored)
    insights: int = 0
    counters: dict[str, int] = field(default_factory=dict)
    insights_delivery: bool = False

    def to_json(self) -> dict[str, Any]:
        if self.insights_delivery:
            return {"insights": self.insights}
        return {**self.counters, **self.stored.to_json()}


def _count(stored: Stored, kind: str, new: bool) -> None:
    if not new:
        stored.duplicates += 1
    elif kind == "reply":
        stored.replies += 1
    elif kind == "mention":
        stored.mentions += 1
    else:
        stored.agent += 1


def _maybe_vote(
    project: Project, ledger: Ledger, post: Any, text: str, voter: str, at: datetime, channel: str
) -> bool:
    """A reply like "2" to a poll post is a vote for option 2."""
    if post is None or post.kind != "poll":
        return False
    from .polls import get_poll, parse_reply_vote, record_vote

    try:
        poll = get_poll(project, post.ref)
    except StorycastError:
        return False
    option = parse_reply_vote(text, poll.option_count())
    if option is None:
        return False
    record_vote(
        project,
        poll.id,
        option,
        "reply",
        f"{channel}:{voter}",
        now=at,
        channel=channel,
        lang=post.lang,
        ledger=ledger,
    )
    return True


def store_inbound(
    project: Project,
    channel: str,
    channel_type: str,
    inbound: Inbound,
    now: datetime,
    *,
    ledger: Ledger | None = None,
) -> Received:
    """Store what a channel parsed from one delivery to ``channel`` (of type ``channel_type``).

    Replies and mentions are kept with the post they answer; one whose post is unknown is kept
    only when the platform allows orphans, or becomes an agent answer when it replies to a stored
    customer message. A new reply to a poll post may be a vote. Taps on known polls are votes;
    poll totals replace the channel's previous totals; pushed insights are upserted per media id;
    delivery statuses are kept per message (the newest wins) with the ledger row they belong to.
    """
    from ..ledger import open_ledger
    from .polls import polls, record_channel_totals, record_vote

    got = Received(counters=dict(inbound.counters), insights_delivery=inbound.insights_delivery)
    stored = got.stored
    own = ledger is None
    led = ledger or open_ledger(project)
    known: Mapping[str, Any] = {}
    loaded = False
    try:
        for item in inbound.items:
            if isinstance(item, InboundReply):
                if item.kind == "agent":
                    new = led.put_reply(
                        channel=channel,
                        message_id=item.message_id,
                        kind="agent",
                        thread=item.thread,
                        at=item.at,
                        text=item.text,
                    )
                    _count(stored, "agent", new)
                    continue
                post = led.find_post(channel, item.post_id) if item.post_id else None
                if post is None and not item.orphan_ok:
                    if item.parent_message_id:
                        # An answer in a chat to a customer's message: the agent's side of that thread.
                        customer = next(
                            (
                                r
                                for r in led.reply_rows()
                                if r["channel"] == channel and r["message_id"] == item.parent_message_id
                            ),
                            None,
                        )
                        if customer is not None and customer["kind"] != "agent":
                            new = led.put_reply(
                                channel=channel,
                                message_id=item.message_id,
                                kind="agent",
                                thread=customer["thread"],
                                at=item.at,
                                text=item.text,
                            )
                            _count(stored, "agent", new)
                    continue
                new = led.put_reply(
                    channel=channel,
                    message_id=item.message_id,
                    kind=item.kind,
                    thread=item.thread,
                    at=item.at,
                    text=item.text,
                    story_remote_id=item.post_id,
                    post=post,
                )
                _count(stored, item.kind, new)
                if new and _maybe_vote(project, led, post, item.text, item.thread, item.at, channel):
                    stored.votes += 1
            elif isinstance(item, InboundVote):
                if not loaded:
                    known, loaded = polls(project), True
                if item.poll_id in known:
                    record_vote(
                        project,
                        item.poll_id,
                        item.option,
                        channel_type,
                        f"{channel}:{item.voter}",
                        now=item.at,
                        channel=channel,
                        ledger=led,
                    )
                    stored.votes += 1
            elif isinstance(item, InboundPollCounts):
                if not loaded:
                    known, loaded = polls(project), True
                for poll in known.values():
                    for lang, question in poll.question.items():
                        if question == item.question:
                            counts = counts_by_option(poll.option_texts(lang, emoji=True), item.counts)
                            record_channel_totals(
                                project,
                                poll.id,
                                f"{channel}:{item.poll_key}",
                                channel_type,
                                counts,
                                now=now,
                                ledger=led,
                            )
                            stored.polls.append(poll.id)
            elif isinstance(item, InboundInsight):
                post = led.find_post(None, item.remote_id)
                led.upsert_insight(
                    channel=post.channel if post else channel,
                    remote_id=item.remote_id,
                    source=SOURCE_WEBHOOK,
                    metrics=dict(item.metrics),
                    now=now,
                    post=post,
                    raw=item.raw,
                )
                got.insights += 1
            elif isinstance(item, DeliveryStatus):
                changed = led.record_delivery(
                    channel=channel,
                    message_id=item.remote_id,
                    status=item.status,
                    at=item.at,
                    now=now,
                    subscriber=item.recipient,
                    key=item.key,
                    error_code=item.error_code,
                    error=item.error,
                    outcome=item.outcome,
                )
                stored.statuses += int(changed)
                if item.status == "failed":
                    log.info(
                        "%s: message %s failed (%s %s): %s",
                        channel,
                        item.remote_id,
                        item.error_code,
                        item.error,
                        item.outcome or "recorded",
                    )
        return got
    finally:
        if own:
            led.close()


def receive_webhook(
    project: Project,
    channel: str,
    request: WebhookRequest,
    secret: str,
    now: datetime,
    *,
    ledger: Ledger | None = None,
) -> Received:
    """Verify, parse and store one delivery to the configured ``channel``: what tests and scripts
    call (``storycast serve`` does the same steps with its own strict JSON reader and HTTP answers).

    Raises ``BadSignature`` for a delivery that is not the platform's, ValueError for a body that
    is not a JSON object.
    """
    from ..channels.registry import get_channel_type

    section = project.config.channels[channel]
    cls = get_channel_type(section.type).cls
    cls.verify_webhook(request, secret)
    payload = json.loads(request.body)
    if not isinstance(payload, dict):
        raise ValueError("the body must be a JSON object")
    inbound = cls.parse_webhook(payload, now, channel=channel, project=project)
    return store_inbound(project, channel, section.type, inbound, now, ledger=ledger)
