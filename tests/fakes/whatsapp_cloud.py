"""Fake WhatsApp Cloud API that reports delivery the way Meta does: later, through the webhook.

Written from Meta's documentation (and ../shared/reference/platform-apis.md, section 4 and its
2026-12 corrections), not from the adapter:

- ``POST /{phone-number-id}/messages`` answers **200** with ``{messaging_product, contacts:
  [{input, wa_id}], messages: [{id: "wamid..."}]}`` as soon as the request is valid: accepted is
  not delivered. Only request problems (a template that is not approved: 132001; too many
  quick-reply payloads for the template: 132000; interactive limits: 131009) and the documented
  synchronous limits (130429 throughput, 131056 pair rate; scripted with ``number_errors``)
  come back in the answer.
- What became of each message is POSTed afterwards, from another thread, to ``webhook_url`` (kept
  in ``held`` while none is set) as
  a ``whatsapp_business_account`` delivery (``entry[].changes[].value.statuses[]``) signed with
  ``X-Hub-Signature-256: sha256=HMAC-SHA256(app secret, raw body)`` over escaped-unicode JSON:
  ``sent`` then ``delivered`` (and ``read`` for ``readers``), or ``failed`` with
  ``errors[{code, title, message, error_data.details, href}]``:
  131047 a free-form (non-template) message to a number whose 24-hour window is closed
  (not in ``open_windows``); 131026 a number in ``undeliverable``; 131049 a MARKETING template to
  a number in ``marketing_capped``. A delivery answered other than 200 is retried (Meta retries
  for up to 36 hours; here three times), so the receiver must deduplicate.
- customers act through :meth:`customer_says` (a text message, which opens their window) and
  :meth:`customer_taps` (a template quick-reply tap: ``type: "button"``, ``button: {payload,
  text}``, ``context.id`` = the message tapped).

A duplicate is the same content to the same number while the earlier message was not failed:
re-sending after a failure is what Meta asks for.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import queue
import threading
import time
from typing import Any

import requests

from . import Reply, Request
from .whatsapp import PNID, WABA, FakeWhatsApp, wa_error

ERRORS = {
    131047: (
        "Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer last "
        "replied to this number.",
    ),
    131026: ("Message undeliverable", "Unable to deliver message."),
    131049: (
        "This message was not delivered to maintain healthy ecosystem engagement.",
        "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.",
    ),
}
HREF = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
SYNC_CODES = {130429, 131056}  # the documented synchronous limits


class FakeCloudAPI(FakeWhatsApp):
    def __init__(
        self,
        token: str = "EAAwhatsapptoken42",
        *,
        app_secret: str = "wa-app-secret-7",
        status_delay: float = 0.05,
    ) -> None:
        super().__init__(token)
        self.app_secret = app_secret
        self.webhook_url = ""  # where statuses and customer messages go (storycast serve's /hooks/...)
        self.status_delay = status_delay
        self.undeliverable: set[str] = set()
        self.marketing_capped: set[str] = set()
        self.readers: set[str] = set()
        self.categories = {"story_update": "MARKETING", "quick_poll": "MARKETING"}
        self.quick_replies = {"story_update": 0, "quick_poll": 5}  # quick-reply buttons per template
        self.statuses: dict[str, list[str]] = {}  # wamid -> statuses sent for it
        self.deliveries: list[tuple[int, dict[str, Any]]] = []  # (answer status, payload) posted
        self.held: list[dict[str, Any]] = []  # payloads due while no webhook_url was set
        self._outbox: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        self._pending = 0
        self._cv = threading.Condition()
        self._failed_keys: set[tuple[str, str]] = set()
        self._in_ids = itertools.count(1)
        self._poster = threading.Thread(target=self._post_loop, daemon=True)
        self._poster.start()

    # -- sending ---------------------------------------------------------------------------------

    def _messages(self, req: Request) -> Reply:
        body = req.json()
        to = body.get("to", "")
        if body.get("messaging_product") != "whatsapp" or not to.startswith("+") or "type" not in body:
            return wa_error(100, "Invalid parameter")
        errors = self.number_errors.get(to)
        if errors:
            code = errors.pop(0)
            if code not in SYNC_CODES:
                self.problem(f"test scripted {code} as a synchronous error; the API reports it in a status")
            return wa_error(code, f"error {code}")
        kind = body["type"]
        problem = self._invalid(body)
        if problem:
            return problem
        dumped = json.dumps(body, sort_keys=True)
        found = re_media(dumped)
        key = (to, found or hashlib.sha256(dumped.encode()).hexdigest())
        if key in self._seen and key not in self._failed_keys:
            self.problem(f"duplicate message to {to}")
        self._seen.add(key)
        self._failed_keys.discard(key)
        wamid = f"wamid.HBgL{next(self._ids):06d}"
        self.sent.append({"to": to, "type": kind, "id": wamid, "body": body})
        code = self._fate(to, body)
        if code:
            self._failed_keys.add(key)
            self._queue_status(wamid, to, "failed", code)
        else:
            self._queue_status(wamid, to, "sent")
            self._queue_status(wamid, to, "delivered")
            if to in self.readers:
                self._queue_status(wamid, to, "read")
        return Reply(
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to[1:]}],
                "messages": [{"id": wamid}],
            },
        )

    def _invalid(self, body: dict[str, Any]) -> Reply | None:
        if body["type"] == "template":
            name = body["template"]["name"]
            if self.templates.get(name) != "APPROVED":
                return wa_error(132001, "Template name does not exist in the translation")
            buttons = [c for c in body["template"].get("components", []) if c.get("type") == "button"]
            if len(buttons) > self.quick_replies.get(name, 0):
                return wa_error(132000, "Number of parameters does not match the expected number of params")
        if body["type"] == "interactive":
            inter = body["interactive"]
            if inter["type"] == "button":
                buttons = inter["action"]["buttons"]
                if len(buttons) > 3 or any(len(b["reply"]["title"]) > 20 for b in buttons):
                    return wa_error(131009, "Parameter value is not valid")
            if inter["type"] == "list":
                action = inter["action"]
                rows = [r for s in action["sections"] for r in s["rows"]]
                if (
                    len(rows) > 10
                    or len(action["button"]) > 20
                    or any(len(s.get("title", "")) > 24 for s in action["sections"])
                ):
                    return wa_error(131009, "Parameter value is not valid")
        return None

    def _fate(self, to: str, body: dict[str, Any]) -> int:
        """The error code this message fails with later (0: it is delivered)."""
        if to in self.undeliverable:
            return 131026
        if body["type"] != "template":
            return 0 if to in self.open_windows else 131047
        if self.categories.get(body["template"]["name"]) == "MARKETING" and to in self.marketing_capped:
            return 131049
        return 0

    # -- webhooks ----------------------------------------------------------------------------------

    def _queue_status(self, wamid: str, to: str, status: str, code: int = 0) -> None:
        item: dict[str, Any] = {
            "id": wamid,
            "status": status,
            "timestamp": str(int(time.time())),
            "recipient_id": to[1:],
        }
        if status == "sent":
            item["conversation"] = {"id": "conv-" + wamid[-6:], "origin": {"type": "marketing"}}
            item["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "marketing"}
        if code:
            title, details = ERRORS.get(code, (f"error {code}", ""))
            item["errors"] = [
                {
                    "code": code,
                    "title": title,
                    "message": title,
                    "error_data": {"details": details},
                    "href": HREF,
                }
            ]
        with self.lock:
            self.statuses.setdefault(wamid, []).append(status)
        self._enqueue({"statuses": [item]})

    def customer_says(self, number: str, text: str, *, context: str | None = None) -> str:
        """The customer writes to the business: a text message (their 24-hour window opens)."""
        msg: dict[str, Any] = {
            "from": number[1:],
            "id": f"wamid.in{next(self._in_ids)}",
            "timestamp": str(int(time.time())),
            "type": "text",
            "text": {"body": text},
        }
        if context:
            msg["context"] = {"from": "34600000000", "id": context}
        self.open_windows.add(number)
        self._enqueue(
            {"contacts": [{"profile": {"name": "Customer"}, "wa_id": number[1:]}], "messages": [msg]}
        )
        return str(msg["id"])

    def customer_taps(self, number: str, wamid: str, index: int) -> None:
        """The customer taps quick-reply button ``index`` of the template message ``wamid``."""
        sent = next(m for m in self.sent if m["id"] == wamid)
        button = next(
            c
            for c in sent["body"]["template"]["components"]
            if c.get("type") == "button" and int(c["index"]) == index
        )
        msg = {
            "context": {"from": "34600000000", "id": wamid},
            "from": number[1:],
            "id": f"wamid.in{next(self._in_ids)}",
            "timestamp": str(int(time.time())),
            "type": "button",
            "button": {"payload": button["parameters"][0]["payload"], "text": f"Option {index + 1}"},
        }
        self.open_windows.add(number)
        self._enqueue(
            {"contacts": [{"profile": {"name": "Customer"}, "wa_id": number[1:]}], "messages": [msg]}
        )

    def _enqueue(self, value: dict[str, Any]) -> None:
        payload = {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": WABA,
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"display_phone_number": "34600000000", "phone_number_id": PNID},
                                **value,
                            },
                        }
                    ],
                }
            ],
        }
        with self._cv:
            self._pending += 1
        self._outbox.put((time.monotonic() + self.status_delay, payload))

    def _post_loop(self) -> None:
        while True:
            due, payload = self._outbox.get()
            time.sleep(max(0.0, due - time.monotonic()))
            try:
                self._post(payload)
            finally:
                with self._cv:
                    self._pending -= 1
                    self._cv.notify_all()

    def _post(self, payload: dict[str, Any]) -> None:
        if not self.webhook_url:  # no receiver subscribed: Meta keeps nothing; a test reads them here
            with self.lock:
                self.held.append(payload)
            return
        # Meta signs what it sends: JSON with non-ASCII escaped (\u0e22...), lowercase hex.
        raw = json.dumps(payload).encode()
        sig = "sha256=" + hmac.new(self.app_secret.encode(), raw, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sig}
        status = 0
        for _attempt in range(3):
            try:
                status = requests.post(self.webhook_url, data=raw, headers=headers, timeout=10).status_code
            except requests.RequestException:
                status = 0
            if status == 200:
                break
            time.sleep(0.2)
        with self.lock:
            self.deliveries.append((status, payload))
        if status != 200:
            self.problem(f"the receiver answered {status} to a signed delivery")

    def flush(self, timeout: float = 20) -> None:
        """Wait until every queued webhook was delivered."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while self._pending:
                left = deadline - time.monotonic()
                assert left > 0, f"{self._pending} webhook(s) still queued"
                self._cv.wait(left)


def re_media(dumped: str) -> str | None:
    """The uploaded media id a message carries (what makes two sends the same frame)."""
    import re

    found = re.search(r'"id": "(media-\d+)"', dumped)
    return found.group(1) if found else None
