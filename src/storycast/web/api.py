"""The feed page's own endpoints: votes, replies and views.

Each one takes a request only from the feed page of this server: the browser must not say it
came from elsewhere (``Sec-Fetch-Site``, ``Origin``), the body must be JSON, and the page's signed
viewer token must come back in ``X-Storycast-Viewer``. The per-address limits then bound how
many different viewers one client may be. Votes, replies and views refer to a frame that is live
in the feed; anything else is a 400.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..errors import StorycastError
from .feed import feed_folder, read_feed
from .inputs import JSON, WebError, int_field, json_object, require_type, text_field
from .security import VIEWER_HEADER, cross_site

if TYPE_CHECKING:
    from .app import WebState
    from .feed import FeedFrame, FeedStory

REPLY_LIMIT = 1000


def client_address(request: Request) -> str:
    """The address the per-address limits count (uvicorn resolves trusted proxies' headers)."""
    return request.client.host if request.client else "unknown"


def viewer_gate(request: Request) -> str:
    """The viewer id of a state-changing feed request, or the WebError that refuses it."""
    state: WebState = request.app.state.web
    why = cross_site(request)
    if why:
        raise WebError(403, why)
    require_type(request, JSON)
    viewer = state.signer.viewer_of(request.headers.get(VIEWER_HEADER))
    if viewer is None:
        raise WebError(
            403,
            "no valid viewer token: send the X-Storycast-Viewer token the feed page was served with",
            hint="reload the feed page",
        )
    why = state.limits.check(client_address(request), viewer)
    if why:
        raise WebError(429, why)
    return viewer


def _live(state: WebState) -> list[FeedStory]:
    project = state.project()
    return read_feed(feed_folder(project), state.now(), project)


def _live_frame(state: WebState, remote_id: str) -> FeedFrame:
    for story in _live(state):
        for frame in story.frames:
            if frame.remote_id and frame.remote_id == remote_id:
                return frame
    raise WebError(400, "remote_id names no live frame of the feed")


async def vote(request: Request) -> Response:
    """Record a vote through engage.record_vote: one vote per viewer and poll (a new one moves it)."""
    from ..engage import record_vote

    state: WebState = request.app.state.web
    viewer = viewer_gate(request)
    data = await json_object(request)
    poll_id = text_field(data, "poll_id", limit=200)
    option = int_field(data, "option", low=1, high=100)
    lang = text_field(data, "lang", limit=35, required=False)
    langs = [
        s.lang for s in _live(state) if any(f.poll and f.poll.get("poll_id") == poll_id for f in s.frames)
    ]
    if not langs or (lang and lang not in langs):
        raise WebError(400, f"poll {poll_id!r} is not live in the feed" + (f" in {lang!r}" if lang else ""))
    try:
        first = record_vote(
            state.project(),
            poll_id,
            option,
            source="local",
            voter=viewer,
            now=state.now(),
            channel="local",
            lang=lang or langs[0],
        )
    except StorycastError as exc:
        raise WebError(400, exc.message) from None
    return JSONResponse({"ok": True, "new_voter": first, "option": option})


async def reply(request: Request) -> Response:
    """Store a reply typed under a story (a local story reply, as a platform would deliver it)."""
    import secrets

    from ..ledger import open_ledger

    state: WebState = request.app.state.web
    viewer = viewer_gate(request)
    data = await json_object(request)
    text = text_field(data, "text", limit=REPLY_LIMIT, required=False).strip()
    if not text:
        raise WebError(400, "the reply is empty")
    remote_id = text_field(data, "remote_id", limit=200)
    _live_frame(state, remote_id)
    ledger = open_ledger(state.project())
    try:
        ledger.put_reply(
            channel="local",
            message_id=f"{viewer[:8]}-{secrets.token_hex(8)}",
            kind="reply",
            thread=viewer,
            at=state.now(),
            text=text,
            story_remote_id=remote_id,
            post=ledger.find_post("local", remote_id),
        )
    finally:
        ledger.close()
    return JSONResponse({"ok": True})


async def view(request: Request) -> Response:
    """Count a view of a live feed frame (engage's insights), once per viewer."""
    from ..engage.insights import record_view

    state: WebState = request.app.state.web
    viewer = viewer_gate(request)
    data = await json_object(request)
    remote_id = text_field(data, "remote_id", limit=200)
    _live_frame(state, remote_id)
    record_view(state.project(), "local", remote_id, viewer, state.now())
    return JSONResponse({"ok": True})


def routes() -> list[Any]:
    from starlette.routing import Route

    return [
        Route("/api/vote", vote, methods=["POST"]),
        Route("/api/reply", reply, methods=["POST"]),
        Route("/api/view", view, methods=["POST"]),
    ]
