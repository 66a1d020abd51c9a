"""Meta's Instagram webhook deliveries: messaging (story replies, mentions, our own echoes) and
``story_insights`` changes (final numbers; Facebook Login apps only)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from ..inbound import Inbound, InboundInsight, InboundItem, InboundReply

INSIGHTS_FIELD = "story_insights"


def _ms(ts: Any) -> datetime:
    return datetime.fromtimestamp(int(ts) / 1000, UTC)


def _names(payload: Any, word: str) -> bool:
    """Whether ``word`` is a key or a string value anywhere in the payload."""
    stack = [payload]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if word in node:
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif node == word:
            return True
    return False


def parse(payload: Mapping[str, Any]) -> Inbound:
    """A delivery that names ``story_insights`` anywhere is an insights delivery; else messaging."""
    if _names(payload, INSIGHTS_FIELD):
        return Inbound(items=list(insights(payload)), insights_delivery=True)
    return Inbound(items=list(messaging(payload)))


def insights(payload: Mapping[str, Any]) -> list[InboundItem]:
    """``entry[].changes[]`` with ``field: story_insights``: one item per media id (Meta retries)."""
    out: list[InboundItem] = []
    for entry in payload.get("entry", []) if isinstance(payload, dict) else []:
        for change in entry.get("changes", []):
            if change.get("field") != INSIGHTS_FIELD:
                continue
            value = dict(change.get("value") or {})
            media_id = str(value.pop("media_id", "") or "")
            if not media_id:
                continue
            metrics = {k: int(v) for k, v in value.items() if isinstance(v, int | float)}
            out.append(InboundInsight(media_id, metrics, raw=json.dumps(change, sort_keys=True)))
    return out


def messaging(payload: Mapping[str, Any]) -> list[InboundItem]:
    """``entry[].messaging[]``: an echo is our agent's answer (thread: the recipient); a message
    with ``reply_to.story`` answers that story; a ``story_mention`` attachment is a mention."""
    out: list[InboundItem] = []
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
                out.append(InboundReply(str(mid), thread, at, text, "agent"))
                continue
            thread = str((ev.get("sender") or {}).get("id", ""))
            story = ((msg.get("reply_to") or {}).get("story")) or {}
            mention = any(a.get("type") == "story_mention" for a in msg.get("attachments", []) or [])
            kind: Literal["reply", "mention"] = "mention" if mention and not story else "reply"
            story_id = str(story.get("id")) if story.get("id") else None
            out.append(InboundReply(str(mid), thread, at, text, kind, post_id=story_id, orphan_ok=True))
    return out
