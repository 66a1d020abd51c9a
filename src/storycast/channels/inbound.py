"""What a platform sends back: the inbound half of the channel contract.

A channel type that receives webhooks sets ``webhook_secret_key`` (the ``[channels.NAME]`` key that
authenticates deliveries) and implements three classmethods on :class:`~.base.Channel`:
``verify_webhook`` (raise :class:`BadSignature`), ``parse_webhook`` (a verified JSON payload in,
an :class:`Inbound` out) and, for platforms with a subscription handshake,
``webhook_handshake``. They are classmethods so taking a delivery never opens a network session
or refreshes a token.

The items are platform-neutral facts; what storycast does with them (store a reply, count a
vote, keep the numbers) is storycast.engage's business (``engage/inbound.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from ..errors import ChannelError


class BadSignature(ChannelError):
    """A webhook delivery whose signature does not match: answer 401/403 and store nothing."""


@dataclass(frozen=True)
class WebhookRequest:
    """One delivery as it came in: the query string, the headers (lower-case names) and the raw body."""

    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class InboundReply:
    """A message: a reply to one of our posts, a mention, or an agent's answer (our side)."""

    message_id: str
    thread: str  # the conversation: the customer's id
    at: datetime
    text: str
    kind: Literal["reply", "mention", "agent"]
    post_id: str | None = None  # the remote id of our post it answers
    parent_message_id: str | None = None  # a customer message it answers (an agent replying in a chat)
    orphan_ok: bool = True  # stored even when post_id names none of our posts


@dataclass(frozen=True)
class InboundVote:
    """One tap on a poll option (1-based ``option``)."""

    poll_id: str
    option: int
    voter: str
    at: datetime


@dataclass(frozen=True)
class InboundPollCounts:
    """A native poll's running totals, by option text; ``poll_key`` names the platform's poll."""

    question: str
    counts: Mapping[str, int]
    poll_key: str


@dataclass(frozen=True)
class InboundInsight:
    """A post's metrics pushed by the platform (final numbers)."""

    remote_id: str
    metrics: Mapping[str, int]
    raw: str | None = None


@dataclass(frozen=True)
class DeliveryStatus:
    """What happened to a message we sent (sent, delivered, read, failed).

    ``recipient`` is the subscriber it went to, ``key`` the idempotency key of the ledger row the
    message belongs to (when the channel knows it), ``error_code``/``error`` why it failed, and
    ``outcome`` what the channel makes of a failure (``resend``, ``deferred``, ``undeliverable``).
    """

    remote_id: str
    status: str
    at: datetime
    recipient: str = ""
    key: str | None = None
    error_code: int | None = None
    error: str = ""
    outcome: str = ""


InboundItem = InboundReply | InboundVote | InboundPollCounts | InboundInsight | DeliveryStatus


@dataclass
class Inbound:
    """Everything one delivery carried.

    ``counters`` are side effects the channel already performed and reports as numbers (WhatsApp:
    ``{"windows": n}``). ``insights_delivery`` marks a delivery of pushed metrics: it is answered
    with the number of posts updated rather than the stored messages.
    """

    items: list[InboundItem] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    insights_delivery: bool = False
