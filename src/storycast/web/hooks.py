"""Webhook endpoints: Instagram messaging and story insights (Meta), WhatsApp Cloud API
messages (the 24-hour window, votes, replies), and Telegram updates.

The handlers live in ``storycast.engage``; this module only turns HTTP into their calls and
their results into HTTP. Secrets come from the channel's section in storycast.toml as
references (never literals)::

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

if TYPE_CHECKING:
    from .app import WebState

log = logging.getLogger("storycast.web.hooks")


def _secret(state: WebState, channel: str, key: str) -> str:
    """The resolved secret ``key`` of ``[channels.<channel>]`` ('' when not configured)."""
    from ..secrets import resolve

    project = state.project()
    section = project.config.channels.get(channel)
    ref = (getattr(section, "model_extra", None) or {}).get(key) if section is not None else None
    if not ref:
        return ""
    return resolve(str(ref), base=project.root, environ=project.environ).reveal()


def _error(exc: StorycastError) -> Response:
    from ..engage.replies import BadSignature

    status = 403 if isinstance(exc, BadSignature) else 400
    # The message names what is wrong; it never contains the secret or the body.
    return JSONResponse({"ok": False, "error": exc.message}, status_code=status)


async def instagram_verify(request: Request) -> Response:
    """Meta's subscription handshake: echo ``hub.challenge`` when ``hub.verify_token`` matches."""
    return _meta_verify(request, request.path_params.get("channel", "instagram"))


def _meta_verify(request: Request, channel: str) -> Response:
    state: WebState = request.app.state.web
    params = request.query_params
    try:
        token = _secret(state, channel, "verify_token")
    except StorycastError as exc:
        return _error(exc)
    given = params.get("hub.verify_token", "")
    if params.get("hub.mode") != "subscribe" or not token or not hmac.compare_digest(given, token):
        return PlainTextResponse("verification failed", status_code=403)
    return PlainTextResponse(params.get("hub.challenge", ""))


async def instagram_event(request: Request) -> Response:
    """A Meta delivery: messaging (story replies, mentions) or ``story_insights`` changes."""
    from ..engage.insights import handle_story_insights_webhook
    from ..engage.replies import handle_instagram_webhook

    state: WebState = request.app.state.web
    channel = request.path_params.get("channel", "instagram")
    body = await request.body()  # the raw bytes: Meta signs exactly what it sent
    signature = request.headers.get("x-hub-signature-256")
    try:
        secret = _secret(state, channel, "app_secret")
        project = state.project()
        if b'"story_insights"' in body:
            n = handle_story_insights_webhook(project, body, signature, secret, state.now(), channel=channel)
            return JSONResponse({"ok": True, "insights": n})
        stored = handle_instagram_webhook(project, body, signature, secret, channel=channel)
        return JSONResponse({"ok": True, **stored.to_json()})
    except StorycastError as exc:
        return _error(exc)
    except ValueError:
        return JSONResponse({"ok": False, "error": "the body is not JSON"}, status_code=400)


def _whatsapp_channel(request: Request) -> str | None:
    """The channel whose secrets check this request: the one named in the path, else the channel
    called ``whatsapp``, else the only whatsapp channel with an ``app_secret`` (None: no such)."""
    from ..channels.whatsapp import WhatsAppChannel

    channels = request.app.state.web.project().config.channels
    ours = [n for n, s in channels.items() if s.type == WhatsAppChannel.type_name]
    named = request.path_params.get("channel")
    if named is not None:
        return named if named in ours else None
    if "whatsapp" in ours:
        return "whatsapp"
    signed = [n for n in ours if (channels[n].model_extra or {}).get("app_secret")]
    return signed[0] if len(signed) == 1 else None


def _no_whatsapp_channel(request: Request) -> Response:
    named = request.path_params.get("channel")
    error = (
        f"no whatsapp channel named {named!r} in storycast.toml"
        if named
        else "no single whatsapp channel with an app_secret: name one in the URL (/hooks/whatsapp/NAME)"
    )
    return JSONResponse({"ok": False, "error": error}, status_code=404)


async def whatsapp_verify(request: Request) -> Response:
    """Meta's subscription handshake for the WhatsApp Business Account webhook."""
    channel = _whatsapp_channel(request)
    return _no_whatsapp_channel(request) if channel is None else _meta_verify(request, channel)


async def whatsapp_event(request: Request) -> Response:
    """A WhatsApp Cloud API delivery: inbound messages open the 24-hour window of their sender
    (recorded in every matching channel's window file), then button taps and replies go to
    ``engage`` as votes and replies. A missing or bad signature records nothing (403)."""
    import json

    from filelock import Timeout
    from starlette.concurrency import run_in_threadpool

    from ..channels.whatsapp import learn_windows
    from ..engage.replies import handle_whatsapp_webhook, verify_meta_signature

    state: WebState = request.app.state.web
    channel = _whatsapp_channel(request)
    if channel is None:
        return _no_whatsapp_channel(request)
    body = await request.body()  # the raw bytes: Meta signs exactly what it sent
    signature = request.headers.get("x-hub-signature-256")
    try:
        secret = _secret(state, channel, "app_secret")
        verify_meta_signature(body, signature, secret, what="WhatsApp webhook")
    except StorycastError as exc:
        return _error(exc)
    try:
        payload = json.loads(body)
    except ValueError:
        return JSONResponse({"ok": False, "error": "the body is not JSON"}, status_code=400)
    project = state.project()
    try:
        # Off the event loop: the window file is written under a lock other requests may hold.
        windows = await run_in_threadpool(learn_windows, project, payload, state.now())
    except Timeout:
        # Meta retries a delivery that was not answered 200, so the window is not lost.
        return JSONResponse({"ok": False, "error": "the window file is busy"}, status_code=503)
    try:
        stored = handle_whatsapp_webhook(project, body, signature, secret, channel=channel)
    except StorycastError as exc:
        return _error(exc)
    except ValueError:  # a message field of the wrong shape; the windows are already recorded
        return JSONResponse({"ok": False, "error": "a message in the body is malformed"}, status_code=400)
    return JSONResponse({"ok": True, "windows": windows, **stored.to_json()})


async def telegram_update(request: Request) -> Response:
    """One Telegram update (setWebhook points here): replies, agent answers, poll counts."""
    from ..engage.replies import handle_telegram_update

    state: WebState = request.app.state.web
    channel = request.path_params.get("channel", "telegram")
    body = await request.body()
    try:
        secret = _secret(state, channel, "webhook_secret")
        stored = handle_telegram_update(
            state.project(),
            body,
            request.headers.get("x-telegram-bot-api-secret-token"),
            secret,
            channel=channel,
            now=state.now(),
        )
        return JSONResponse({"ok": True, **stored.to_json()})
    except StorycastError as exc:
        return _error(exc)
    except ValueError:
        return JSONResponse({"ok": False, "error": "the body is not JSON"}, status_code=400)


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
