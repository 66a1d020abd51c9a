"""The checks every request of ``storycast serve`` passes before any route sees it.

- **Host**: pages and the feed's endpoints answer only to an IP address, ``localhost`` or a name
  given with ``--allowed-host`` (or the host of a hand-off channel's ``confirm_url``). A DNS
  rebinding page (``evil.example`` pointed at 127.0.0.1) gets 400. Webhooks are exempt: their
  signatures, not the host, authenticate them.
- **Size**: the body is capped (:data:`BODY_LIMIT` for the feed and forms, :data:`HOOK_LIMIT`
  for webhooks). A ``Content-Length`` over the cap is answered 413 before a byte of the body is
  read; a chunked body is counted while it is read and cut off with 413 at the cap. The query
  string is capped too (414).
- **Headers** on every answer: no MIME sniffing, no framing (the Posted button cannot be
  clickjacked), no referrer to other sites, and a content security policy of this server only.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODY_LIMIT = 64 * 1024
HOOK_LIMIT = 1024 * 1024
QUERY_LIMIT = 2048
HOOKS = "/hooks/"
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
}


class BodyTooLarge(Exception):
    """Raised from ``receive`` when a streamed body passes its cap."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit // 1024} KiB")
        self.limit = limit


def host_allowed(header: str | None, names: frozenset[str]) -> bool:
    """Whether ``Host: header`` names this server: an IP literal, localhost, or one of ``names``."""
    if not header:
        return False
    host = header.strip().lower()
    if host.startswith("["):  # [::1]:8000
        host = host[1 : host.find("]")] if "]" in host else ""
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    host = host.rstrip(".")
    try:
        ipaddress.ip_address(host)
        return True  # an address cannot be re-pointed by a DNS rebinding page
    except ValueError:
        pass
    return host == "localhost" or host.endswith(".localhost") or host in names


async def _answer(send: Send, status: int, error: str, *, close: bool = False) -> None:
    body = json.dumps({"ok": False, "error": error}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:  # the rest of the body is not read, so the connection cannot be reused
        headers.append((b"connection", b"close"))
    headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """ASGI middleware: host check, size caps and security headers (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_hosts: Iterable[str] = (),
        body_limit: int = BODY_LIMIT,
        hook_limit: int = HOOK_LIMIT,
    ) -> None:
        self.app = app
        self.names = frozenset(h.strip().lower().rstrip(".") for h in allowed_hosts if h.strip())
        self.body_limit = body_limit
        self.hook_limit = hook_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        hook = str(scope.get("path", "")).startswith(HOOKS)
        if not hook and not host_allowed(headers.get("host"), self.names):
            await _answer(
                send,
                400,
                "the Host header names no host this server answers to: "
                "start storycast serve with --allowed-host NAME to add one",
            )
            return
        if len(scope.get("query_string", b"")) > QUERY_LIMIT:
            await _answer(send, 414, f"the query string is longer than {QUERY_LIMIT} bytes")
            return
        limit = self.hook_limit if hook else self.body_limit
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                await _answer(send, 400, "the Content-Length header is not a number", close=True)
                return
            if int(length) > limit:
                await _answer(send, 413, str(BodyTooLarge(limit)), close=True)
                return
        started = False
        received = 0

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                out = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS.items():
                    out.setdefault(key, value)
            await send(message)

        try:
            await self.app(scope, capped_receive, send_with_headers)
        except BodyTooLarge as exc:
            if started:
                raise
            await _answer(send, 413, str(exc), close=True)
