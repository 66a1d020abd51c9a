"""Fake webhook receivers: a signed-JSON endpoint, Slack incoming webhooks, Discord webhooks.

Routes (fault names): ``generic`` POST /hook, ``slack`` POST /services/..., ``discord`` POST
/api/webhooks/{id}/{token}, ``discord_get`` GET of the same URL. The generic endpoint verifies
the signature with :func:`storycast.channels.webhook.verify` against the receiver's real clock
(five minutes' tolerance, as docs/channels/webhook.md says); every endpoint records a
duplicate (same Idempotency-Key, or the same frame bytes / poll) as a problem.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from typing import Any

from storycast.channels.webhook import verify

from . import FakeServer, Reply, Request

SLACK_PATH = "/services/T000/B000/XXXXslacksecret"
DISCORD_PATH = "/api/webhooks/123456/discordSECRETtoken"


class FakeHooks(FakeServer):
    def __init__(self, signing_secret: str = "whsec-test-123") -> None:
        super().__init__()
        self.signing_secret = signing_secret
        self.generic: list[dict[str, Any]] = []
        self.slack: list[dict[str, Any]] = []
        self.discord: list[dict[str, Any]] = []
        self.notifications: list[dict[str, Any]] = []
        self.refused: list[str] = []  # timestamps of generic deliveries refused as unsigned or stale
        self._seen: set[str] = set()
        self._ids = itertools.count(900000)

    def _once(self, key: str, what: str) -> None:
        if key in self._seen:
            self.problem(f"duplicate {what}")
        self._seen.add(key)

    def dispatch(self, req: Request) -> Reply:
        if req.path == "/hook":
            route = "generic"
        elif req.path == "/notify":
            route = "notify"
        elif req.path.startswith("/services/"):
            route = "slack"
        elif req.path.startswith("/api/webhooks/"):
            route = "discord" if req.method == "POST" else "discord_get"
        else:
            return Reply(404, {"message": "not found"})
        fault = self.next_fault(route)
        if fault == "429" and route == "discord":
            return Reply(429, {"message": "You are being rate limited.", "retry_after": 2.5, "global": False})
        pre = self.generic_fault(fault)
        if pre:
            return pre
        if isinstance(fault, Reply):
            return fault
        reply = getattr(self, "_" + route)(req)
        return self.after_fault(fault, reply)

    def _generic(self, req: Request) -> Reply:
        stamp = req.headers.get("x-storycast-timestamp", "")
        sig = req.headers.get("x-storycast-signature", "")
        # What docs/channels/webhook.md tells a receiver to do: check the signature and refuse a
        # timestamp more than five minutes from its own (real) clock.
        if not verify(self.signing_secret, stamp, req.body, sig, now=time.time()):
            self.refused.append(stamp)
            return Reply(401, {"error": "bad signature or stale timestamp"})
        self._once("key:" + req.headers.get("idempotency-key", ""), "webhook delivery")
        doc = req.json()
        self.generic.append(doc)
        return Reply(200, {"id": f"evt_{len(self.generic)}"})

    def _notify(self, req: Request) -> Reply:
        self.notifications.append(req.json())
        return Reply(200, {"ok": True})

    def _slack(self, req: Request) -> Reply:
        if req.path != SLACK_PATH:
            return Reply(404, b"no_service", {"Content-Type": "text/plain"})
        doc = req.json()
        if not doc.get("text") and not doc.get("blocks"):
            return Reply(400, b"invalid_payload", {"Content-Type": "text/plain"})
        self._once("slack:" + hashlib.sha256(req.body).hexdigest(), "Slack message")
        self.slack.append(doc)
        return Reply(200, b"ok", {"Content-Type": "text/plain"})

    def _discord(self, req: Request) -> Reply:
        if req.path != DISCORD_PATH:
            return Reply(404, {"message": "Unknown Webhook", "code": 10015})
        if req.query.get("wait") != "true":
            self.problem("Discord webhook called without wait=true (no message id comes back)")
        files = req.files()
        if req.headers.get("content-type", "").startswith("application/json"):
            payload = req.json()  # Discord takes JSON, or multipart with payload_json
        elif "payload_json" in files:
            payload = json.loads(files["payload_json"])
        else:
            self.problem("Discord webhook called without JSON or multipart payload_json")
            return Reply(400, {"message": "The request body contains invalid JSON.", "code": 50109})
        frame = files.get("files[0]")
        if frame is not None:
            self._once("discord:" + hashlib.sha256(frame).hexdigest(), "Discord frame")
        if "poll" in payload:
            poll = payload["poll"]
            if len(poll["question"]["text"]) > 300 or not 1 <= len(poll["answers"]) <= 10:
                return Reply(400, {"message": "Invalid Form Body", "code": 50035})
            self._once("poll:" + poll["question"]["text"], "Discord poll")
        msg = {
            "id": str(next(self._ids)),
            "channel_id": "555",
            "payload": payload,
            "has_file": frame is not None,
        }
        self.discord.append(msg)
        return Reply(200, msg)

    def _discord_get(self, req: Request) -> Reply:
        if req.path != DISCORD_PATH:
            return Reply(404, {"message": "Unknown Webhook", "code": 10015})
        return Reply(200, {"id": "123456", "name": "storycast", "channel_id": "555", "time": time.time()})
