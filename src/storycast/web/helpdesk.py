"""A help desk's word that a conversation is resolved: ``POST /hooks/helpdesk``.

The body is a JSON object::

    {"channel": "telegram", "thread": "123456789", "resolved_at": "2026-12-01T10:30:00Z",
     "ticket": "HD-4711"}

``resolved_at`` (ISO 8601 with an offset) defaults to now; ``ticket`` is optional. The request is
signed like the outgoing ``webhook`` channel's (docs/channels/webhook.md): ``X-Storycast-Timestamp``
is Unix seconds, ``X-Storycast-Signature`` is ``sha256=`` + the hex HMAC-SHA256 of
``"<timestamp>.<raw body>"`` under ``[outcomes] helpdesk_secret``, and a timestamp more than five
minutes from this server's real clock is refused, so a captured request cannot be replayed later.

The resolution is stored by the ledger (``Ledger.put_resolution``), once per (channel, thread,
ticket): a repeated delivery answers 200 with ``"recorded": false``. ``storycast report`` then
closes the thread's open conversation at that time (``engage.outcomes``, resolved by ``helpdesk``).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..errors import StorycastError
from .inputs import JSON, WebError, media_type, parse_json, text_field

if TYPE_CHECKING:
    from ..project import Project
    from .app import WebState

PATH = "/hooks/helpdesk"
TIMESTAMP = "x-storycast-timestamp"
SIGNATURE = "x-storycast-signature"
TOLERANCE = timedelta(minutes=5)
BODY_LIMIT = 16 * 1024  # a resolution is a few hundred bytes
FIELDS = ("channel", "thread", "resolved_at", "ticket")
HINT = "docs/engagement.md, 'A help desk resolves a conversation', shows how to sign a delivery"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``"<timestamp>.<body>"`` (the webhook channel's scheme)."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _secret(project: Project) -> str:
    """The resolved ``[outcomes] helpdesk_secret``; without one every delivery is refused."""
    from ..secrets import resolve

    ref = project.config.outcomes.helpdesk_secret
    if not ref:
        raise WebError(
            403,
            "[outcomes] helpdesk_secret is not set, so /hooks/helpdesk refuses every delivery",
            hint='set helpdesk_secret = "env:HELPDESK_SECRET" in [outcomes] of storycast.toml',
        )
    try:
        return resolve(ref, base=project.root, environ=project.environ).reveal()
    except StorycastError as exc:
        # The reference is named, never its value; the help desk retries a 503.
        raise WebError(503, f"cannot read [outcomes] helpdesk_secret ({exc.message})") from None


def _verify(request: Request, body: bytes, secret: str, wall: datetime) -> None:
    """403 unless the timestamp is fresh and the signature matches (constant-time)."""
    stamp = request.headers.get(TIMESTAMP)
    given = request.headers.get(SIGNATURE)
    if not stamp or not given:
        raise WebError(
            403, "the delivery carries no X-Storycast-Timestamp and X-Storycast-Signature", hint=HINT
        )
    try:
        sent = float(stamp)
        if sent != sent or abs(sent) > 1e11:  # NaN, or no time a clock gives
            raise ValueError(stamp)
    except ValueError:
        raise WebError(403, "X-Storycast-Timestamp is not Unix seconds", hint=HINT) from None
    if abs(wall.timestamp() - sent) > TOLERANCE.total_seconds():
        raise WebError(
            403,
            "X-Storycast-Timestamp is more than 5 minutes from this server's clock (a stale or "
            "replayed delivery)",
            hint="sign each delivery when it is sent, and keep the help desk's clock in time",
        )
    if not stamp.isascii() or not hmac.compare_digest(signature(secret, stamp, body), given):
        raise WebError(403, "X-Storycast-Signature does not match the body", hint=HINT)


def _when(data: dict[str, Any], now: datetime) -> datetime:
    value = data.get("resolved_at")
    if value is None:
        return now
    if not isinstance(value, str) or len(value) > 64:
        raise WebError(400, "send resolved_at as an ISO 8601 time such as 2026-12-01T10:30:00Z")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise WebError(400, f"resolved_at {value!r} is not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise WebError(400, "resolved_at needs its UTC offset, such as Z or +01:00")
    at = at.astimezone(UTC)
    if at > now + TOLERANCE:
        raise WebError(400, "resolved_at is in the future")
    return at


def _ticket(data: dict[str, Any]) -> str:
    value = data.get("ticket")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return text_field({"ticket": value}, "ticket", limit=200, required=False)


def _record(project: Project, channel: str, thread: str, ticket: str, at: datetime) -> datetime | None:
    from ..ledger import open_ledger

    led = open_ledger(project)
    try:
        if not led.has_thread(channel, thread):
            raise WebError(
                404,
                f"no customer has written in thread {thread!r} on channel {channel!r}",
                hint="send the customer's id on that channel, as its webhook gives it (docs/engagement.md)",
            )
        return led.put_resolution(channel=channel, thread=thread, ticket=ticket, at=at)
    finally:
        led.close()


async def resolved(request: Request) -> Response:
    """Record that a help desk resolved a conversation (see the module docstring)."""
    from starlette.concurrency import run_in_threadpool

    state: WebState = request.app.state.web
    project = state.project()
    secret = _secret(project)
    kind = media_type(request)
    if kind and kind != JSON:
        raise WebError(415, f"a help-desk delivery is {JSON}, not {kind}")
    body = await request.body()
    if len(body) > BODY_LIMIT:
        raise WebError(413, f"a help-desk delivery is at most {BODY_LIMIT // 1024} KiB")
    _verify(request, body, secret, state.clock.wall())
    data = parse_json(body)
    if not isinstance(data, dict):
        raise WebError(400, "the body must be a JSON object with channel and thread")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise WebError(400, f"unknown field(s) {', '.join(map(repr, unknown))}: send {', '.join(FIELDS)}")
    channel = text_field(data, "channel", limit=64)
    thread = text_field(data, "thread", limit=200)
    ticket = _ticket(data)
    at = _when(data, state.now())
    if channel not in project.config.channels:
        raise WebError(404, f"no channel named {channel!r} in storycast.toml")
    first = await run_in_threadpool(_record, project, channel, thread, ticket, at)
    return JSONResponse({"ok": True, "recorded": first is None, "resolved_at": (first or at).isoformat()})


def routes() -> list[Any]:
    """The help desk's route (mounted by the app factory)."""
    from starlette.routing import Route

    return [Route(PATH, resolved, methods=["POST"])]
