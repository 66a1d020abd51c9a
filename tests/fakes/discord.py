"""Fake Discord webhook API: Execute Webhook (frames and native polls), Get Webhook, Get Webhook Message.

Written from Discord's documented contract (resources/webhook and resources/poll, as quoted by
discord-api-types and the SDKs that link to it):

- ``POST /webhooks/{webhook.id}/{webhook.token}?wait=true`` takes JSON or ``multipart/form-data``
  with a ``payload_json`` part and ``files[n]`` parts; with ``wait=true`` it answers the created
  message object (without it, 204 and no id).
- A poll create request has ``question.text`` (at most 300 characters), ``answers`` (1 to 10,
  each ``poll_media.text`` at most 55 characters), ``duration`` in hours (1 to 768, that is 32
  days; default 24), ``allow_multiselect`` and ``layout_type``. Breaking a limit answers 400
  ``{"code": 50035, "message": "Invalid Form Body", "errors": {...}}``.
- The message's ``poll`` carries the ``answers`` with their ``answer_id``, ``expiry`` (ISO 8601)
  and ``results``: ``{"is_finalized": bool, "answer_counts": [{"id", "count", "me_voted"}]}``.
  An answer without votes has no entry in ``answer_counts``. While a poll runs the counts may be
  imprecise; after it ends Discord counts once more and sets ``is_finalized``.
- ``GET /webhooks/{id}/{token}/messages/{message.id}`` returns a message the webhook sent (10008
  Unknown Message otherwise); ``GET /webhooks/{id}/{token}`` the webhook object.
- A wrong token answers 401 ``{"code": 50027, "message": "Invalid Webhook Token"}``; a throttled
  call 429 with ``retry_after`` (seconds) in the body and ``Retry-After``.

Routes (fault names): ``execute``, ``get_message``, ``get_webhook``. Test helpers: ``vote()``
and ``end_poll()`` (the poll expires and its final count is done).
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from . import FakeServer, Reply, Request

WEBHOOK_ID = "223344556677889900"
WEBHOOK_TOKEN = "dcWebhookSECRETtoken-abc"
WEBHOOK_PATH = f"/api/webhooks/{WEBHOOK_ID}/{WEBHOOK_TOKEN}"
QUESTION_MAX, ANSWER_MAX, ANSWERS_MAX, HOURS_MAX = 300, 55, 10, 768


def _invalid(field: str, message: str) -> Reply:
    return Reply(
        400,
        {
            "code": 50035,
            "message": "Invalid Form Body",
            "errors": {field: {"_errors": [{"code": "BASE_TYPE_INVALID", "message": message}]}},
        },
    )


class FakeDiscord(FakeServer):
    """One Discord webhook (``WEBHOOK_PATH``) and the messages it sent."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: dict[str, dict[str, Any]] = {}
        self._votes: dict[str, dict[int, int]] = {}
        self._ids = itertools.count(1310000000000000001)

    # -- test helpers -------------------------------------------------------------------------

    def polls(self) -> list[dict[str, Any]]:
        """The messages that carry a poll, in the order they were sent."""
        return [m for m in self.messages.values() if "poll" in m]

    def vote(self, message_id: str, answer_id: int, n: int = 1) -> None:
        """``n`` people vote for ``answer_id`` (only while the poll runs)."""
        poll = self.messages[message_id]["poll"]
        assert not poll["results"]["is_finalized"], "voting on an ended poll"
        counts = self._votes.setdefault(message_id, {})
        counts[answer_id] = counts.get(answer_id, 0) + n
        self._publish_counts(message_id)

    def end_poll(self, message_id: str) -> None:
        """The poll reached its expiry and Discord's final count is done."""
        poll = self.messages[message_id]["poll"]
        poll["expiry"] = datetime.now(UTC).isoformat()
        poll["results"]["is_finalized"] = True
        self._publish_counts(message_id)

    def _publish_counts(self, message_id: str) -> None:
        counts = self._votes.get(message_id, {})
        self.messages[message_id]["poll"]["results"]["answer_counts"] = [
            {"id": aid, "count": n, "me_voted": False} for aid, n in sorted(counts.items()) if n
        ]

    # -- dispatch -----------------------------------------------------------------------------

    def dispatch(self, req: Request) -> Reply:
        parts = [p for p in req.path.split("/") if p]
        if parts[:2] != ["api", "webhooks"] or len(parts) < 4:
            return Reply(404, {"message": "404: Not Found", "code": 0})
        if parts[2] != WEBHOOK_ID:
            return Reply(404, {"message": "Unknown Webhook", "code": 10015})
        if parts[3] != WEBHOOK_TOKEN:
            return Reply(401, {"message": "Invalid Webhook Token", "code": 50027})
        rest = parts[4:]
        if req.method == "POST" and not rest:
            route = "execute"
        elif req.method == "GET" and not rest:
            route = "get_webhook"
        elif req.method == "GET" and len(rest) == 2 and rest[0] == "messages":
            route = "get_message"
        else:
            return Reply(405, {"message": "405: Method Not Allowed", "code": 0})
        fault = self.next_fault(route)
        if fault == "429":
            return Reply(
                429,
                {"message": "You are being rate limited.", "retry_after": 1.5, "global": False},
                {"Retry-After": "2", "X-RateLimit-Scope": "shared"},
            )
        pre = self.generic_fault(fault)
        if pre:
            return pre
        if isinstance(fault, Reply):
            return fault
        if route == "execute":
            reply = self._execute(req)
        elif route == "get_webhook":
            reply = Reply(
                200, {"id": WEBHOOK_ID, "type": 1, "name": "storycast", "channel_id": "555", "guild_id": "1"}
            )
        else:
            msg = self.messages.get(rest[1])
            reply = Reply(200, msg) if msg else Reply(404, {"message": "Unknown Message", "code": 10008})
        return self.after_fault(fault, reply)

    def _execute(self, req: Request) -> Reply:
        if req.headers.get("content-type", "").startswith("multipart/form-data"):
            files = req.files()
            raw = files.get("payload_json")
            if raw is None:
                raw = req.form().get("payload_json", "{}").encode()
            payload = json.loads(raw)
            attachments = [k for k in files if k.startswith("files[")]
        elif req.headers.get("content-type", "").startswith("application/json"):
            try:
                payload = req.json() or {}
            except ValueError:
                return Reply(400, {"message": "The request body contains invalid JSON.", "code": 50109})
            attachments = []
        else:  # Discord takes JSON or multipart/form-data, nothing else
            self.problem(f"Execute Webhook with Content-Type {req.headers.get('content-type')!r}")
            return Reply(400, {"message": "The request body contains invalid JSON.", "code": 50109})
        poll = payload.get("poll")
        if not payload.get("content") and not payload.get("embeds") and not attachments and not poll:
            return Reply(400, {"message": "Cannot send an empty message", "code": 50006})
        msg: dict[str, Any] = {
            "id": str(next(self._ids)),
            "type": 0,
            "channel_id": "555",
            "webhook_id": WEBHOOK_ID,
            "content": payload.get("content", ""),
            "embeds": payload.get("embeds", []),
            "attachments": [{"id": str(i), "filename": k} for i, k in enumerate(attachments)],
            "timestamp": datetime.now(UTC).isoformat(),
        }
        if poll is not None:
            built = self._poll(poll)
            if isinstance(built, Reply):
                return built
            msg["poll"] = built
        self.messages[msg["id"]] = msg
        if req.query.get("wait") != "true":
            self.problem("Execute Webhook without wait=true: Discord answers 204 and no message id")
            return Reply(204, b"")
        return Reply(200, msg)

    def _poll(self, poll: dict[str, Any]) -> dict[str, Any] | Reply:
        question = (poll.get("question") or {}).get("text") or ""
        answers = poll.get("answers") or []
        if not question or len(question) > QUESTION_MAX:
            return _invalid("poll.question.text", f"Must be between 1 and {QUESTION_MAX} in length.")
        if not 1 <= len(answers) <= ANSWERS_MAX:
            return _invalid("poll.answers", f"Must be between 1 and {ANSWERS_MAX} in length.")
        for i, a in enumerate(answers):
            text = (a.get("poll_media") or {}).get("text") or ""
            if not text or len(text) > ANSWER_MAX:
                return _invalid(f"poll.answers.{i}.poll_media.text", f"Must be between 1 and {ANSWER_MAX}.")
        hours = poll.get("duration", 24)
        if not isinstance(hours, int) or not 1 <= hours <= HOURS_MAX:
            return _invalid("poll.duration", f"Must be between 1 and {HOURS_MAX}.")
        return {
            "question": {"text": question},
            "answers": [
                {"answer_id": i, "poll_media": a["poll_media"]} for i, a in enumerate(answers, start=1)
            ],
            "expiry": (datetime.now(UTC) + timedelta(hours=hours)).isoformat(),
            "allow_multiselect": bool(poll.get("allow_multiselect", False)),
            "layout_type": int(poll.get("layout_type", 1)),
            "results": {"is_finalized": False, "answer_counts": []},
        }
