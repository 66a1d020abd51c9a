"""Webhook endpoints: Instagram messaging and story insights (Meta), WhatsApp Cloud API
messages (the 24-hour window, votes, replies), and Telegram updates.

The handlers live in ``storycast.engage``; this module only turns HTTP into their calls and
their results into HTTP. Every delivery is authenticated against a configured channel of the
endpoint's own type: an unknown name is a 404, a channel without its secret refuses (403), a
bad signature or token is a 403, and only then is the body parsed (400 when malformed).
Secrets come from the channel's section in storycast.toml as references (never literals)::

    [channels.instagram]
    type = "instagram"
    app_secret = "env:META_APP_SECRET"      # verifies X-Hub-Signature-256
    verify_token = "env:META_VERIFY_TOKEN"  # answers Meta's subscription handshake

    [channels.whatsapp]
    type = "whatsapp"
    app_secret = "env:META_APP_SECRET"      # the same two keys as Instagram's
    verify_token = "env:META_VERIFY_TOKEN"

    [channels.telegram]
    type = "telegram"
    webhook_secret = "env:TELEGRAM_WEBHOOK_SECRET"   # X-Telegram-Bot-Api-Secret-Token
"""

from __future__ import annotations

import hmac
import logging
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from ..errors import StorycastError
from .inputs import JSON, WebError, media_type, parse_json

if TYPE_CHECKING:
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
    from ..engage.replies import BadSignature

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


def _meta_verify(request: Request, kind: str) -> Response:
    """Meta's subscription handshake: echo ``hub.challenge`` when ``hub.verify_token`` matches."""
    _, token = _channel(request, kind, "verify_token")
    params = request.query_params
    given = params.get("hub.verify_token", "")
    if params.get("hub.mode") != "subscribe" or not hmac.compare_digest(given.encode(), token.encode()):
        return PlainTextResponse("verification failed", status_code=403)
    return PlainTextResponse(params.get("hub.challenge", "")[:200])


async def instagram_verify(request: Request) -> Response:
    return _meta_verify(request, "instagram")


async def instagram_event(request: Request) -> Response:
    """A Meta delivery: messaging (story replies, mentions) or ``story_insights`` changes."""
    from ..engage.insights import handle_story_insights_webhook
    from ..engage.replies import handle_instagram_webhook, verify_meta_signature

    state: WebState = request.app.state.web
    channel, secret = _channel(request, "instagram", "app_secret")
    body = await _signed_body(request)
    signature = request.headers.get("x-hub-signature-256")
    try:
        verify_meta_signature(body, signature, secret, what="Instagram webhook")
    except StorycastError as exc:
        raise _refused(exc) from None
    _payload(body)
    project = state.project()
    try:
        if b'"story_insights"' in body:
            n = handle_story_insights_webhook(project, body, signature, secret, state.now(), channel=channel)
            return JSONResponse({"ok": True, "insights": n})
        stored = handle_instagram_webhook(project, body, signature, secret, channel=channel)
    except StorycastError as exc:
        raise _refused(exc) from None
    except SHAPE_ERRORS:
        raise WebError(400, "a field in the body has the wrong shape") from None
    return JSONResponse({"ok": True, **stored.to_json()})


async def whatsapp_verify(request: Request) -> Response:
    """Meta's subscription handshake for the WhatsApp Business Account webhook."""
    return _meta_verify(request, "whatsapp")


async def whatsapp_event(request: Request) -> Response:
    """A WhatsApp Cloud API delivery: inbound messages open the 24-hour window of their sender
    (recorded in every matching channel's window file), then button taps and replies go to
    ``engage`` as votes and replies. A missing or bad signature records nothing (403)."""
    from filelock import Timeout
    from starlette.concurrency import run_in_threadpool

    from ..channels.whatsapp import learn_windows
    from ..engage.replies import handle_whatsapp_webhook, verify_meta_signature

    state: WebState = request.app.state.web
    channel, secret = _channel(request, "whatsapp", "app_secret")
    body = await _signed_body(request)
    signature = request.headers.get("x-hub-signature-256")
    try:
        verify_meta_signature(body, signature, secret, what="WhatsApp webhook")
    except StorycastError as exc:
        raise _refused(exc) from None
    payload = _payload(body)
    project = state.project()
    try:
        # Off the event loop: the window file is written under a lock other requests may hold.
        windows = await run_in_threadpool(learn_windows, project, payload, state.now())
    except Timeout:
        # Meta retries a delivery that was not answered 200, so the window is not lost.
        raise WebError(503, "the window file is busy") from None
    try:
        stored = handle_whatsapp_webhook(project, body, signature, secret, channel=channel)
    except StorycastError as exc:
        raise _refused(exc) from None
    except SHAPE_ERRORS:  # a message field of the wrong shape; the windows are already recorded
        raise WebError(400, "a message in the body is malformed") from None
    return JSONResponse({"ok": True, "windows": windows, **stored.to_json()})


async def telegram_update(request: Request) -> Response:
    """One Telegram update (setWebhook points here): replies, agent answers, poll counts.

    Only for a telegram channel with a ``webhook_secret``: Telegram sends it back in
    ``X-Telegram-Bot-Api-Secret-Token`` when setWebhook was given it as ``secret_token``.
    """
    from ..engage.replies import handle_telegram_update, verify_telegram_secret

    state: WebState = request.app.state.web
    channel, secret = _channel(request, "telegram", "webhook_secret")
    body = await _signed_body(request)
    header = request.headers.get("x-telegram-bot-api-secret-token")
    try:
        verify_telegram_secret(header, secret)
    except StorycastError as exc:
        raise _refused(exc) from None
    update = _payload(body)
    try:
        stored = handle_telegram_update(
            state.project(), update, header, secret, channel=channel, now=state.now()
        )
    except StorycastError as exc:
        raise _refused(exc) from None
    except SHAPE_ERRORS:
        raise WebError(400, "a field in the update has the wrong shape") from None
    return JSONResponse({"ok": True, **stored.to_json()})


def routes() -> list[Any]:
    """The webhook routes (mounted by the app factory)."""
    from starlette.routing import Route

    return [
        Route("/hooks/instagram", instagram_verify, methods=["GET"]),
        Route("/hooks/instagram", instagram_event, methods=["POST"]),
        Route("/hooks/instagram/{channel}", instagram_verify, methods=["GET"]),
        Route("/hooks/instagram/{channel}", instagram_event, methods=["POST"]),
        Route("/hooks/whatsapp", whatsapp_verify, methods=["GET"]),
        Route("/hooks/whatsapp", whatsapp_event, methods=["POST"]),
        Route("/hooks/whatsapp/{channel}", whatsapp_verify, methods=["GET"]),
        Route("/hooks/whatsapp/{channel}", whatsapp_event, methods=["POST"]),
        Route("/hooks/telegram", telegram_update, methods=["POST"]),
        Route("/hooks/telegram/{channel}", telegram_update, methods=["POST"]),
    ]
