"""Fake WhatsApp Cloud API: media upload, messages, phone number info, templates.

Routes (fault names): ``media``, ``messages``, ``number``, ``templates``. Per-number error codes
come from ``number_errors`` (a list consumed one per send to that number). Free-form
(non-template) messages to numbers outside ``open_windows`` fail with 131047, as WhatsApp does.
The same content to the same number twice is a duplicate.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections import defaultdict
from typing import Any

from . import FakeServer, Reply, Request

PNID = "110000000000001"
WABA = "220000000000001"


def wa_error(code: int, message: str, status: int = 400) -> Reply:
    return Reply(
        status, {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "x"}}
    )


class FakeWhatsApp(FakeServer):
    def __init__(self, token: str = "EAAwhatsapptoken42") -> None:
        super().__init__()
        self.token = token
        self.expired = False
        self.open_windows: set[str] = set()
        self.number_errors: dict[str, list[int]] = defaultdict(list)
        self.media: dict[str, str] = {}
        self.sent: list[dict[str, Any]] = []
        self.templates = {"story_update": "APPROVED", "quick_poll": "APPROVED"}
        self._seen: set[tuple[str, str]] = set()
        self._ids = itertools.count(1)

    def dispatch(self, req: Request) -> Reply:
        parts = [p for p in req.path.split("/") if p]
        route = {
            ("POST", "media"): "media",
            ("POST", "messages"): "messages",
            ("GET", "message_templates"): "templates",
        }.get((req.method, parts[2] if len(parts) > 2 else ""))
        if route is None and req.method == "GET" and len(parts) == 2 and parts[1] == PNID:
            route = "number"
        if route is None:
            return wa_error(100, "Unsupported request")
        fault = self.next_fault(route)
        pre = self.generic_fault(fault)
        if pre:
            return pre
        if isinstance(fault, Reply):
            return fault
        if req.headers.get("authorization") != f"Bearer {self.token}":
            return wa_error(190, "Invalid OAuth access token", 401)
        if self.expired:
            return wa_error(190, "Error validating access token: Session has expired", 401)
        reply = getattr(self, "_" + route)(req)
        return self.after_fault(fault, reply)

    def _media(self, req: Request) -> Reply:
        data = req.files().get("file", b"")
        if not data:
            return wa_error(100, "file is required")
        mid = f"media-{next(self._ids)}"
        self.media[mid] = hashlib.sha256(data).hexdigest()
        return Reply(200, {"id": mid})

    def _messages(self, req: Request) -> Reply:
        body = req.json()
        to = body.get("to", "")
        errors = self.number_errors.get(to)
        if errors:
            code = errors.pop(0)
            return wa_error(code, f"error {code}")
        if body.get("type") != "template" and to not in self.open_windows:
            return wa_error(
                131047, "Re-engagement message: more than 24 hours since the customer last replied"
            )
        if body.get("type") == "template" and self.templates.get(body["template"]["name"]) != "APPROVED":
            return wa_error(132001, "Template name does not exist in the translation")
        # The same frame (media id) or the same poll (question) to the same number is a duplicate.
        dumped = json.dumps(body, sort_keys=True)
        found = re.search(r'"id": "(media-\d+)"', dumped)
        key = (to, found.group(1) if found else hashlib.sha256(dumped.encode()).hexdigest())
        if key in self._seen:
            self.problem(f"duplicate message to {to}")
        self._seen.add(key)
        wamid = f"wamid.{next(self._ids)}"
        self.sent.append({"to": to, "type": body.get("type"), "id": wamid, "body": body})
        return Reply(
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to[1:]}],
                "messages": [{"id": wamid}],
            },
        )

    def _number(self, req: Request) -> Reply:
        return Reply(
            200,
            {
                "id": PNID,
                "display_phone_number": "+34 600 000 000",
                "verified_name": "Lumen Support",
                "quality_rating": "GREEN",
                "messaging_limit_tier": "TIER_1K",
            },
        )

    def _templates(self, req: Request) -> Reply:
        name = req.query.get("name", "")
        status = self.templates.get(name)
        data = [{"name": name, "status": status, "category": "MARKETING", "language": "en"}] if status else []
        return Reply(200, {"data": data})
