"""Story replies and mentions: Instagram messaging webhooks and Telegram updates.

Handlers take the raw request (bytes and headers) and return what they stored; the HTTP
endpoint that calls them is the web package's. Meta deliveries are verified with
``X-Hub-Signature-256`` over the raw bytes (never re-serialized JSON); Telegram with the
``X-Telegram-Bot-Api-Secret-Token`` header. A bad signature is rejected with
:class:`BadSignature` and logged without the secret or the body.

Messages are kept per conversation (``thread``: the customer's id). An agent's answer that the
channel shows us (an Instagram echo, a Telegram reply to the customer's message) closes the
customer's open messages, which is how first-response time is measured.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import TYPE_CHECKING, Any

from ..channels.inbound import BadSignature as BadSignature  # moved; re-exported until web/hooks switches
from ..errors import StorycastError

if TYPE_CHECKING:
    from ..ledger import Ledger
    from ..project import Project

log = logging.getLogger("storycast.engage.replies")


def verify_meta_signature(body: bytes, header: str | None, app_secret: str, *, what: str = "webhook") -> None:
    """Check ``X-Hub-Signature-256: sha256=<hex>`` (HMAC-SHA256 of the raw body with the app secret)."""
    if not app_secret:
        raise StorycastError(
            f"cannot verify the {what}: no app secret is configured",
            hint="point the webhook's app_secret at a secret reference (env:META_APP_SECRET)",
        )
    expected = "sha256=" + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    given = (header or "").strip()
    if not given.lower().startswith("sha256=") or not hmac.compare_digest(
        expected, "sha256=" + given[7:].lower()
    ):
        log.warning(
            "rejected a %s delivery: %s signature (%d bytes)", what, "bad" if given else "missing", len(body)
        )
        raise BadSignature(
            f"the {what} signature does not match the body",
            hint="the request did not come from Meta, or the app secret is not this app's",
        )


def verify_telegram_secret(header: str | None, secret_token: str) -> None:
    """Check ``X-Telegram-Bot-Api-Secret-Token`` against the token given to setWebhook."""
    if not secret_token:
        return  # no secret configured: Telegram sends no header to compare
    if not hmac.compare_digest((header or "").encode("utf-8"), secret_token.encode("utf-8")):
        log.warning("rejected a Telegram update: %s secret token", "bad" if header else "missing")
        raise BadSignature(
            "the Telegram update's secret token does not match",
            hint="the request did not come from Telegram, or setWebhook used another secret_token",
        )


@dataclass
class Stored:
    """What one delivery added."""

    replies: int = 0
    mentions: int = 0
    agent: int = 0
    votes: int = 0
    duplicates: int = 0
    polls: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _ms(ts: Any) -> datetime:
    return datetime.fromtimestamp(int(ts) / 1000, UTC)


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


def handle_instagram_webhook(
    project: Project,
    body: bytes,
    signature: str | None,
    app_secret: str,
    *,
    channel: str = "instagram",
    ledger: Ledger | None = None,
) -> Stored:
    """Verify and store an Instagram messaging delivery (story replies, mentions, our echoes)."""
    from ..ledger import open_ledger
    from .store import find_post, put_reply

    verify_meta_signature(body, signature, app_secret, what="Instagram messaging webhook")
    payload = json.loads(body)
    stored = Stored()
    own = ledger is None
    led = ledger or open_ledger(project)
    try:
        for entry in payload.get("entry", []) if isinstance(payload, dict) else []:
            for ev in entry.get("messaging", []):
                msg = ev.get("message") or {}
                mid = msg.get("mid")
                if not mid:
                    continue
                at = _ms(ev.get("timestamp", 0))
                text = str(msg.get("text", ""))
                if msg.get("is_echo"):
                    thread = str((ev.get("recipient") or {}).get("id", ""))
                    new = put_reply(
                        led, channel=channel, message_id=mid, kind="agent", thread=thread, at=at, text=text
                    )
                    _count(stored, "agent", new)
                    continue
                thread = str((ev.get("sender") or {}).get("id", ""))
                story = ((msg.get("reply_to") or {}).get("story")) or {}
                mention = any(a.get("type") == "story_mention" for a in msg.get("attachments", []) or [])
                kind = "mention" if mention and not story else "reply"
                story_id = str(story.get("id")) if story.get("id") else None
                post = find_post(led, channel, story_id) if story_id else None
                new = put_reply(
                    led,
                    channel=channel,
                    message_id=mid,
                    kind=kind,
                    thread=thread,
                    at=at,
                    text=text,
                    story_remote_id=story_id,
                    post=post,
                )
                _count(stored, kind, new)
                if new and _maybe_vote(project, led, post, text, thread, at, channel):
                    stored.votes += 1
        return stored
    finally:
        if own:
            led.close()


def handle_telegram_update(
    project: Project,
    update: Mapping[str, Any] | bytes,
    secret_header: str | None,
    secret_token: str,
    *,
    channel: str = "telegram",
    now: datetime,
    ledger: Ledger | None = None,
) -> Stored:
    """Store one Telegram update: a reply to our post, an agent's reply to a customer, or poll counts."""
    from ..ledger import open_ledger
    from .polls import polls, record_channel_totals
    from .sources import counts_by_option, telegram_poll_counts
    from .store import find_post, put_reply, reply_rows

    verify_telegram_secret(secret_header, secret_token)
    data: Mapping[str, Any] = json.loads(update) if isinstance(update, bytes) else update
    stored = Stored()
    own = ledger is None
    led = ledger or open_ledger(project)
    try:
        counted = telegram_poll_counts(data)
        if counted is not None:
            question, by_text = counted
            for poll in polls(project).values():
                for lang, q in poll.question.items():
                    if q == question:
                        counts = counts_by_option(poll.option_texts(lang, emoji=True), by_text)
                        poll_key = f"{channel}:tg-poll-{data['poll'].get('id', '')}"
                        record_channel_totals(
                            project, poll.id, poll_key, "telegram", counts, now=now, ledger=led
                        )
                        stored.polls.append(poll.id)
            return stored
        msg = data.get("message") or data.get("channel_post") or {}
        if not msg.get("message_id"):
            return stored
        chat = str((msg.get("chat") or {}).get("id", ""))
        mid = f"{chat}:{msg['message_id']}"
        at = datetime.fromtimestamp(int(msg.get("date", 0)), UTC)
        text = str(msg.get("text", ""))
        sender = str((msg.get("from") or {}).get("id", chat))
        parent = msg.get("reply_to_message") or {}
        post = find_post(led, channel, str(parent.get("message_id"))) if parent else None
        if post is not None:
            new = put_reply(
                led,
                channel=channel,
                message_id=mid,
                kind="reply",
                thread=sender,
                at=at,
                text=text,
                story_remote_id=str(parent.get("message_id")),
                post=post,
            )
            _count(stored, "reply", new)
            if new and _maybe_vote(project, led, post, text, sender, at, channel):
                stored.votes += 1
            return stored
        if parent:
            parent_id = f"{chat}:{parent.get('message_id')}"
            customer = next(
                (r for r in reply_rows(led) if r["channel"] == channel and r["message_id"] == parent_id), None
            )
            if customer is not None and customer["kind"] != "agent":
                new = put_reply(
                    led,
                    channel=channel,
                    message_id=mid,
                    kind="agent",
                    thread=customer["thread"],
                    at=at,
                    text=text,
                )
                _count(stored, "agent", new)
        return stored
    finally:
        if own:
            led.close()


def handle_whatsapp_webhook(
    project: Project,
    body: bytes,
    signature: str | None,
    app_secret: str,
    *,
    channel: str = "whatsapp",
    ledger: Ledger | None = None,
) -> Stored:
    """Verify and store a WhatsApp Cloud API ``messages`` delivery.

    A reply-button or list tap whose id is ``<poll id>:<0-based option>`` (what the WhatsApp
    adapter sends) is a vote; a text message replying to one of our messages (``context.id``) is a
    reply to that post, and a vote when it is only a number and the post is a poll.
    """
    from ..ledger import open_ledger
    from .polls import polls, record_vote
    from .store import find_post, put_reply

    verify_meta_signature(body, signature, app_secret, what="WhatsApp webhook")
    payload = json.loads(body)
    stored = Stored()
    known = polls(project)
    own = ledger is None
    led = ledger or open_ledger(project)
    try:
        for entry in payload.get("entry", []) if isinstance(payload, dict) else []:
            for change in entry.get("changes", []):
                for msg in (change.get("value") or {}).get("messages", []) or []:
                    sender = str(msg.get("from", ""))
                    at = datetime.fromtimestamp(int(msg.get("timestamp", 0)), UTC)
                    tap = (msg.get("interactive") or {}).get("button_reply") or (
                        msg.get("interactive") or {}
                    ).get("list_reply")
                    if tap:
                        poll_id, _, index = str(tap.get("id", "")).rpartition(":")
                        if poll_id in known and index.isdigit():
                            record_vote(
                                project,
                                poll_id,
                                int(index) + 1,
                                "whatsapp",
                                f"{channel}:{sender}",
                                now=at,
                                channel=channel,
                                ledger=led,
                            )
                            stored.votes += 1
                        continue
                    parent = str((msg.get("context") or {}).get("id", ""))
                    post = find_post(led, channel, parent) if parent else None
                    if post is None or not msg.get("id"):
                        continue
                    text = str((msg.get("text") or {}).get("body", ""))
                    new = put_reply(
                        led,
                        channel=channel,
                        message_id=str(msg["id"]),
                        kind="reply",
                        thread=sender,
                        at=at,
                        text=text,
                        story_remote_id=parent,
                        post=post,
                    )
                    _count(stored, "reply", new)
                    if new and _maybe_vote(project, led, post, text, sender, at, channel):
                        stored.votes += 1
        return stored
    finally:
        if own:
            led.close()


def first_response_times(rows: Sequence[Mapping[str, Any]]) -> dict[int, timedelta]:
    """Customer message id -> time until the first agent message after it in the same thread.

    Every customer message waiting when the agent answers gets its own wait (a customer who wrote
    three times before the answer waited three different times).
    """
    waiting: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    out: dict[int, timedelta] = {}
    for r in sorted(rows, key=lambda r: (r["at_utc"], r["id"])):
        key = (r["channel"], r["thread"])
        if r["kind"] == "agent":
            for m in waiting.pop(key, []):
                out[m["id"]] = r["at_utc"] - m["at_utc"]
        else:
            waiting.setdefault(key, []).append(r)
    return out


def median_response(rows: Sequence[Mapping[str, Any]]) -> timedelta | None:
    """Median first-response time of the given messages (None when no answer was seen)."""
    times = list(first_response_times(rows).values())
    return timedelta(seconds=median(t.total_seconds() for t in times)) if times else None
