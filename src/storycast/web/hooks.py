"""Webhook endpoints: Instagram messaging and story insights (Meta), and Telegram updates.

The handlers live in ``storycast.engage``; this module only turns HTTP into their calls and
their results into HTTP. Secrets come from the channel's section in storycast.toml as
references (never literals)::

    [channels.instagram]
    type = "instagram"
    app_secret = "env:META_APP_SECRET"      # verifies X-Hub-Signature-256
    verify_token = "env:META_VERIFY_TOKEN"  # answers Meta's subscription handshake

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
    state: WebState = request.app.state.web
    channel = request.path_params.get("channel", "instagram")
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
        Route("/hooks/telegram", telegram_update, methods=["POST"]),
        Route("/hooks/telegram/{channel}", telegram_update, methods=["POST"]),
    ]
