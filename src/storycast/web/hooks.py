"""Webhook endpoints: ``/hooks/TYPE`` and ``/hooks/TYPE/NAME`` for every channel type that takes
webhooks (its ``webhook_secret_key`` is set): Instagram and WhatsApp (Meta), Telegram, and any
plugin type.

This module only turns HTTP into the channel contract and its results into HTTP: the channel type
verifies (``verify_webhook``) and parses (``parse_webhook``) the delivery, and
``storycast.engage.inbound`` stores it. Every delivery is authenticated against a configured
channel of the endpoint's own type: an unknown name is a 404, a channel without its secret
refuses (403), a bad signature or token is a 403, and only then is the body parsed (400 when
malformed; 503 when the channel asks for the delivery again). Secrets come from the channel's
section in storycast.toml as references (never literals)::

    [channels.instagram]
    type = "instagram"
    app_secret = "env:META_APP_SECRET"      # verifies X-Hub-Signature-256
    verify_token = "env:META_VERIFY_TOKEN"  # answers Meta's subscription handshake (GET)

    [channels.telegram]
    type = "telegram"
    webhook_secret = "env:TELEGRAM_WEBHOOK_SECRET"   # X-Telegram-Bot-Api-Secret-Token
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from ..channels.base import Channel, RetryableFailure
from ..errors import StorycastError
from .inputs import JSON, WebError, media_type, parse_json

if TYPE_CHECKING:
    from ..engage.inbound import Received
    from ..project import Project
    from .app import WebState

log = logging.getLogger("storycast.web.hooks")

# A handler meeting a field of the wrong shape in a signed delivery (a list where an object
# belongs, a timestamp past the year 9999) raises one of these; the answer is a 400, not a 500.
SHAPE_ERRORS = (AttributeError, KeyError, TypeError, ValueError, OverflowError)


def _channel(request: Request, kind: str, key: str) -> tuple[str, str]:
    """The channel of type ``kind`` this webhook request is for, and its resolved ``key`` secret.

    The channel is the one named in the path, else the one called like its type, else the only
    one of that type with ``key`` set. A name that is not a channel of this type is a 404; a
    channel without the secret refuses every delivery (403): nothing unauthenticated gets in.
    """
    from ..secrets import resolve

    state: WebState = request.app.state.web
    project = state.project()
    channels = project.config.channels
    ours = [n for n, s in channels.items() if s.type == kind]
    named = request.path_params.get("channel")
    if named is not None:
        if named not in ours:
            raise WebError(404, f"no {kind} channel named {named!r} in storycast.toml")
        name = named
    elif kind in ours:
        name = kind
    else:
        keyed = [n for n in ours if (channels[n].model_extra or {}).get(key)]
        if len(keyed) != 1:
            raise WebError(
                404, f"no single {kind} channel with a {key}: name one in the URL (/hooks/{kind}/NAME)"
            )
        name = keyed[0]
    ref = (channels[name].model_extra or {}).get(key)
    try:
        secret = resolve(str(ref), base=project.root, environ=project.environ).reveal() if ref else ""
    except StorycastError as exc:
        # The reference is named, never its value; the platform retries a 503.
        raise WebError(503, f"channel {name!r}: cannot read its {key} ({exc.message})") from None
    if not secret:
        raise WebError(
            403,
            f"channel {name!r} has no {key}, so it refuses webhook deliveries",
            hint=f"set {key} in [channels.{name}] to a secret reference (docs/web.md)",
        )
    return name, secret


def _refused(exc: StorycastError) -> WebError:
    from ..channels.inbound import BadSignature

    # The message names what is wrong; it never contains the secret or the body.
    return WebError(403 if isinstance(exc, BadSignature) else 400, exc.message)


async def _signed_body(request: Request) -> bytes:
    """The raw body (what the platform signed). A body declared as anything but JSON is a 415."""
    kind = media_type(request)
    if kind and kind != JSON:
        raise WebError(415, f"a webhook delivery is {JSON}, not {kind}")
    return await request.body()


def _payload(body: bytes) -> dict[str, Any]:
    """A verified body, parsed strictly; it must be a JSON object."""
    data = parse_json(body)
    if not isinstance(data, dict):
        raise WebError(400, "the body must be a JSON object")
    return data


def _handshake(cls: type[Channel], key: str) -> Callable[[Request], Awaitable[Response]]:
    async def handshake(request: Request) -> Response:
        """A subscription handshake (Meta: echo ``hub.challenge`` when ``hub.verify_token`` matches)."""
        _, token = _channel(request, cls.type_name, key)
        answer = cls.webhook_handshake(request.query_params, token)
        if answer is None:
            return PlainTextResponse("verification failed", status_code=403)
        return PlainTextResponse(answer)

    return handshake


def _delivery(cls: type[Channel], key: str) -> Callable[[Request], Awaitable[Response]]:
    async def delivery(request: Request) -> Response:
        """One delivery: authenticate, verify, parse strictly, then let the type and engage take it."""
        from starlette.concurrency import run_in_threadpool

        from ..channels.inbound import WebhookRequest

        state: WebState = request.app.state.web
        channel, secret = _channel(request, cls.type_name, key)
        body = await _signed_body(request)
        try:
            cls.verify_webhook(WebhookRequest(request.query_params, request.headers, body), secret)
        except StorycastError as exc:
            raise _refused(exc) from None
        payload = _payload(body)
        project = state.project()
        try:
            # Off the event loop: a channel may write files under a lock (WhatsApp's window file).
            got = await run_in_threadpool(_take, project, cls, channel, payload, state.now())
        except RetryableFailure as exc:
            # The platform retries a delivery that was not answered 200, so nothing is lost.
            raise WebError(503, exc.message) from None
        except StorycastError as exc:
            raise _refused(exc) from None
        except SHAPE_ERRORS:
            raise WebError(400, cls.webhook_shape_error) from None
        return JSONResponse({"ok": True, **got.to_json()})

    return delivery


def _take(
    project: Project, cls: type[Channel], channel: str, payload: dict[str, Any], now: datetime
) -> Received:
    from ..engage.inbound import store_inbound

    inbound = cls.parse_webhook(payload, now, channel=channel, project=project)
    return store_inbound(project, channel, cls.type_name, inbound, now)


def routes() -> list[Any]:
    """The webhook routes of every registered channel type that takes webhooks (mounted by the
    app factory). A type without a handshake answers GET with 405; any other /hooks path is a 404."""
    from starlette.routing import Route

    from ..channels.registry import channel_types

    out: list[Any] = []
    for type_name, reg in channel_types().items():
        cls = reg.cls
        if cls.webhook_secret_key is None:
            continue
        for path in (f"/hooks/{type_name}", f"/hooks/{type_name}/{{channel}}"):
            if cls.webhook_handshake_key is not None:
                out.append(Route(path, _handshake(cls, cls.webhook_handshake_key), methods=["GET"]))
            out.append(Route(path, _delivery(cls, cls.webhook_secret_key), methods=["POST"]))
    return out
