"""WhatsApp Cloud API ``messages`` deliveries: button and list taps, replies, delivery statuses."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..inbound import DeliveryStatus, InboundItem, InboundReply, InboundVote


def parse_messages(payload: Mapping[str, Any]) -> list[InboundItem]:
    """The items of ``entry[].changes[].value``.

    A reply-button or list tap whose id is ``<poll id>:<0-based option>`` (what the adapter sends)
    is a vote; a text replying to one of our messages (``context.id``) is a reply to that post;
    ``statuses[]`` report what happened to messages we sent.
    """
    out: list[InboundItem] = []
    for entry in payload.get("entry", []) if isinstance(payload, dict) else []:
        for change in entry.get("changes", []):
            value = change.get("value") or {}
            for msg in value.get("messages", []) or []:
                sender = str(msg.get("from", ""))
                at = datetime.fromtimestamp(int(msg.get("timestamp", 0)), UTC)
                interactive = msg.get("interactive") or {}
                tap = interactive.get("button_reply") or interactive.get("list_reply")
                if tap:
                    poll_id, _, index = str(tap.get("id", "")).rpartition(":")
                    if poll_id and index.isdigit():
                        out.append(InboundVote(poll_id, int(index) + 1, sender, at))
                    continue
                parent = str((msg.get("context") or {}).get("id", ""))
                if not parent or not msg.get("id"):
                    continue
                text = str((msg.get("text") or {}).get("body", ""))
                out.append(
                    InboundReply(str(msg["id"]), sender, at, text, "reply", post_id=parent, orphan_ok=False)
                )
            out.extend(_statuses(value))
    return out


def _statuses(value: Any) -> list[InboundItem]:
    # Statuses were never stored; a malformed one is skipped rather than refusing the delivery.
    out: list[InboundItem] = []
    statuses = value.get("statuses") if isinstance(value, dict) else None
    for st in statuses if isinstance(statuses, list) else []:
        if not isinstance(st, dict) or not st.get("id"):
            continue
        try:
            at = datetime.fromtimestamp(int(st.get("timestamp", 0)), UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            continue
        out.append(DeliveryStatus(str(st["id"]), str(st.get("status", "")), at))
    return out
