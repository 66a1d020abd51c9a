"""Fakes for engagement tests: Graph API story insights (24 h only) and Discord webhook polls.

Telegram polls use the channels engineer's ``tests.fakes.telegram.FakeTelegram``.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes import FakeServer, Reply, Request
from tests.fakes.meta import meta_error


class FakeGraphInsights(FakeServer):
    """``GET /{v}/{media-id}/insights``: numbers for stories younger than 24 h, else an error.

    ``now`` is the fake's clock (tests move it); ``media`` maps a media id to its publish time
    and the lifetime metrics Meta would report. Reach under 5 answers error code 10, as Meta does.
    """

    def __init__(self, token: str = "EAAtesttoken123456") -> None:
        super().__init__()
        self.token = token
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        self.media: dict[str, dict[str, Any]] = {}

    def add(self, media_id: str, published: datetime, **metrics: int) -> None:
        self.media[media_id] = {"published": published, **metrics}

    def dispatch(self, req: Request) -> Reply:
        parts = [p for p in req.path.split("/") if p]
        if req.headers.get("authorization", "") != f"OAuth {self.token}":
            return meta_error(190, "Invalid OAuth access token - Cannot parse access token")
        if req.method != "GET" or len(parts) != 3 or parts[2] != "insights":
            return meta_error(100, f"Unsupported {req.method} request")
        media = self.media.get(parts[1])
        if media is None:
            return meta_error(100, "Unsupported get request. Object with ID does not exist")
        if self.now - media["published"] >= timedelta(hours=24):
            return meta_error(
                100, "Invalid parameter: story metrics are only available for 24 hours (expired)"
            )
        if media.get("reach", 0) < 5:
            return meta_error(10, "Not enough viewers for the media to show insights")
        asked = req.query.get("metric", "").split(",")
        data = []
        for name in asked:
            if name == "navigation":
                actions = {"TAP_FORWARD": "taps_forward", "TAP_BACK": "taps_back", "TAP_EXIT": "exits"}
                results = [{"dimension_values": [k], "value": media.get(v, 0)} for k, v in actions.items()]
                data.append(
                    {
                        "name": "navigation",
                        "period": "lifetime",
                        "total_value": {
                            "value": sum(r["value"] for r in results),
                            "breakdowns": [
                                {"dimension_keys": ["story_navigation_action_type"], "results": results}
                            ],
                        },
                    }
                )
            elif name in media:
                data.append({"name": name, "period": "lifetime", "values": [{"value": media[name]}]})
        return Reply(200, {"data": data})


class FakeDiscord(FakeServer):
    """Execute Webhook with a ``poll`` (``?wait=true`` returns the message) and GET of that message."""

    def __init__(self, webhook_id: str = "111", token: str = "tok") -> None:
        super().__init__()
        self.webhook_id, self.token = webhook_id, token
        self.messages: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(9000)

    def vote(self, message_id: str, answer_id: int, n: int = 1) -> None:
        counts = self.messages[message_id]["poll"]["results"]["answer_counts"]
        for row in counts:
            if row["id"] == answer_id:
                row["count"] += n

    def dispatch(self, req: Request) -> Reply:
        parts = [p for p in req.path.split("/") if p]
        if parts[:3] != ["webhooks", self.webhook_id, self.token]:
            return Reply(401, {"message": "Invalid Webhook Token", "code": 50027})
        if req.method == "POST" and len(parts) == 3:
            body = req.json()
            poll = body.get("poll")
            mid = str(next(self._ids))
            msg: dict[str, Any] = {"id": mid, "content": body.get("content", "")}
            if poll:
                answers = [
                    {"answer_id": i, "poll_media": a["poll_media"]}
                    for i, a in enumerate(poll["answers"], start=1)
                ]
                msg["poll"] = {
                    "question": poll["question"],
                    "answers": answers,
                    "results": {
                        "is_finalized": False,
                        "answer_counts": [
                            {"id": a["answer_id"], "count": 0, "me_voted": False} for a in answers
                        ],
                    },
                }
            self.messages[mid] = msg
            return Reply(200, msg)
        if req.method == "GET" and len(parts) == 5 and parts[3] == "messages":
            msg = self.messages.get(parts[4])
            return Reply(200, msg) if msg else Reply(404, {"message": "Unknown Message", "code": 10008})
        return Reply(405, {"message": "405: Method Not Allowed", "code": 0})
