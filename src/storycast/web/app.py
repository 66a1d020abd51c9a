"""The ``storycast serve`` application: feed viewer, authoring preview, votes, webhooks, hand-off.

``create_app(project)`` returns a Starlette app. Routes::

    GET  /                       the local feed as a phone-sized stories viewer
    GET  /api/feed               live stories as JSON (expired frames hidden)
    GET  /media/{day}/{file}     a frame from the feed folder
    POST /api/vote               {"poll_id", "option", "lang"} -> engage.record_vote
    POST /api/reply              {"remote_id", "text"} -> stored as a local story reply
    POST /api/view               {"remote_id"} -> engage.insights.record_view
    GET  /preview                the authoring preview (live reload, safe zones, lint findings)
    GET  /preview/state          JSON snapshot with an ETag (poll with If-None-Match)
    GET  /preview/frame/...      a rendered frame of the focused story
    GET  /handoff                hand-off packs waiting for a person; GET /confirm/{id} one pack
    POST /handoff/confirm        {"ids": [...]} (or a form) -> ledger.admin.confirm
    GET|POST /hooks/instagram    Meta webhooks; GET|POST /hooks/whatsapp  WhatsApp (24 h window)
    POST /hooks/telegram         Telegram updates
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..errors import StorycastError
from . import handoff, hooks
from .feed import count_expired, feed_folder, read_feed
from .preview import PreviewState

if TYPE_CHECKING:
    from ..project import Project

HERE = Path(__file__).parent
VOTER_COOKIE = "storycast_viewer"


class WebState:
    """What every handler needs: the project (reloaded when storycast.toml changes) and the clock."""

    def __init__(self, project: Project, now: Callable[[], datetime] | None, watch: bool) -> None:
        self.root = project.root
        self._project = project
        self._signature = self._files_signature()
        self._now = now
        self.preview = PreviewState(project.root)
        self.watch = watch

    def _files_signature(self) -> tuple[tuple[str, int], ...]:
        # storycast.toml and stories/ decide titles, polls and channels; a stat per file is cheap.
        paths = [self._project.config_path]
        stories = self._project.stories_dir
        if stories.is_dir():
            paths.extend(sorted(stories.rglob("*.y*ml")))
        out = []
        for path in paths:
            try:
                out.append((str(path), path.stat().st_mtime_ns))
            except OSError:
                continue
        return tuple(out)

    def project(self) -> Project:
        """The project, reloaded when storycast.toml or a file under stories/ changed."""
        from ..project import Project

        signature = self._files_signature()
        if signature != self._signature:
            self._project = Project.load(self.root, self._project.environ)
            self._signature = signature
        return self._project

    def now(self) -> datetime:
        return self._now() if self._now is not None else datetime.now(UTC)


def _state(request: Request) -> WebState:
    return request.app.state.web  # type: ignore[no-any-return]


def _viewer(request: Request) -> tuple[str, bool]:
    """This browser's anonymous id (a cookie), and whether it is new."""
    current = request.cookies.get(VOTER_COOKIE, "")
    if len(current) >= 16 and current.isalnum():
        return current, False
    return secrets.token_hex(16), True


def _with_viewer(response: Response, viewer: str, new: bool) -> Response:
    if new:
        response.set_cookie(VOTER_COOKIE, viewer, max_age=365 * 86400, httponly=True, samesite="strict")
    return response


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


# --- the feed -----------------------------------------------------------------------------


async def feed_page(request: Request) -> Response:
    state = _state(request)
    project = state.project()
    folder = feed_folder(project)
    stories = read_feed(folder, state.now(), project)
    viewer, new = _viewer(request)
    brand = project.config.brand
    response = request.app.state.templates.TemplateResponse(
        request,
        "feed.html",
        {
            "stories": [s.to_dict() for s in stories],
            "brand": {"name": brand.name or project.config.project.name, "primary": brand.primary},
            "lang": project.config.project.default_language,
            "expired": 0 if stories else count_expired(folder, state.now()),
            "now": state.now().strftime("%Y-%m-%d %H:%M UTC"),
            "now_iso": state.now().isoformat(),
        },
    )
    return _with_viewer(response, viewer, new)


async def feed_json(request: Request) -> Response:
    state = _state(request)
    project = state.project()
    stories = read_feed(feed_folder(project), state.now(), project)
    return JSONResponse({"now": state.now().isoformat(), "stories": [s.to_dict() for s in stories]})


async def media(request: Request) -> Response:
    state = _state(request)
    folder = feed_folder(state.project()).resolve()
    path = (folder / request.path_params["day"] / request.path_params["file"]).resolve()
    # Only files directly inside a day folder of the feed: no escaping it with ../
    if path.parent.parent != folder or not path.is_file() or path.suffix == ".json":
        return Response("not found", status_code=404)
    return FileResponse(path, headers={"Cache-Control": "max-age=3600"})


async def vote(request: Request) -> Response:
    """Record a vote from the feed viewer through engage.record_vote (one vote per browser)."""
    from ..engage import record_vote

    state = _state(request)
    data = await _json_body(request)
    viewer, new = _viewer(request)
    try:
        option = int(data.get("option", 0))
    except (TypeError, ValueError):
        option = 0
    poll_id = str(data.get("poll_id") or "")
    if not poll_id or option < 1:
        return JSONResponse({"ok": False, "error": "send poll_id and a 1-based option"}, status_code=400)
    try:
        first = record_vote(
            state.project(),
            poll_id,
            option,
            source="local",
            voter=viewer,
            now=state.now(),
            channel="local",
            lang=str(data.get("lang") or ""),
        )
    except StorycastError as exc:
        return JSONResponse({"ok": False, "error": exc.message}, status_code=400)
    return _with_viewer(JSONResponse({"ok": True, "new_voter": first, "option": option}), viewer, new)


async def reply(request: Request) -> Response:
    """Store a reply typed under a story (a local story reply, as a platform would deliver it)."""
    from ..engage.store import find_post, put_reply
    from ..ledger import open_ledger

    state = _state(request)
    data = await _json_body(request)
    text = str(data.get("text") or "").strip()
    remote_id = str(data.get("remote_id") or "")
    if not text:
        return JSONResponse({"ok": False, "error": "the reply is empty"}, status_code=400)
    viewer, new = _viewer(request)
    now = state.now()
    ledger = open_ledger(state.project())
    try:
        post = find_post(ledger, "local", remote_id) if remote_id else None
        put_reply(
            ledger,
            channel="local",
            message_id=f"{viewer[:8]}-{secrets.token_hex(8)}",
            kind="reply",
            thread=viewer,
            at=now,
            text=text[:1000],
            story_remote_id=remote_id or None,
            post=post,
        )
    finally:
        ledger.close()
    return _with_viewer(JSONResponse({"ok": True}), viewer, new)


async def view(request: Request) -> Response:
    """Count a view of a feed frame (engage's insights), once per browser."""
    from ..engage.insights import record_view

    state = _state(request)
    data = await _json_body(request)
    remote_id = str(data.get("remote_id") or "")
    if not remote_id:
        return JSONResponse({"ok": False, "error": "send remote_id"}, status_code=400)
    viewer, new = _viewer(request)
    record_view(state.project(), "local", remote_id, viewer, state.now())
    return _with_viewer(JSONResponse({"ok": True}), viewer, new)


# --- the preview --------------------------------------------------------------------------


async def preview_page(request: Request) -> Response:
    return request.app.state.templates.TemplateResponse(request, "preview.html", {"lang": "en"})


async def preview_state(request: Request) -> Response:
    state = _state(request)
    preview = state.preview
    if preview.focus(request.query_params.get("story"), request.query_params.get("lang")) or (
        preview.snapshot.version == 0 and not state.watch
    ):
        # A new focus (or no watcher to do it): render now, off the event loop.
        from starlette.concurrency import run_in_threadpool

        await run_in_threadpool(preview.refresh)
    snap = preview.snapshot
    if request.headers.get("if-none-match") == snap.etag and snap.version:
        return Response(status_code=304, headers={"ETag": snap.etag})
    return JSONResponse(snap.to_dict(), headers={"ETag": snap.etag, "Cache-Control": "no-cache"})


async def preview_frame(request: Request) -> Response:
    state = _state(request)
    project = state.project()
    base = project.build_dir.resolve()
    p = request.path_params
    path = (base / p["story"] / p["lang"] / p["file"]).resolve()
    if base not in path.parents or not path.is_file() or path.suffix not in (".jpg", ".png"):
        return Response("not found", status_code=404)
    return FileResponse(path, headers={"Cache-Control": "no-cache"})


# --- the factory ----------------------------------------------------------------------------


def create_app(
    project: Project,
    *,
    now: Callable[[], datetime] | None = None,
    watch: bool = True,
) -> Starlette:
    """The web app for ``project``. ``now`` replaces the clock (tests); ``watch`` starts the
    preview's file watcher (re-render on change) for the app's lifetime."""
    from contextlib import asynccontextmanager

    from ..builtins import ensure_loaded

    ensure_loaded()  # the poll and qa kinds stories/ may hold

    state = WebState(project, now, watch)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        if watch:
            state.preview.start()
        try:
            yield
        finally:
            state.preview.stop()

    routes = [
        Route("/", feed_page),
        Route("/api/feed", feed_json),
        Route("/media/{day}/{file}", media),
        Route("/api/vote", vote, methods=["POST"]),
        Route("/api/reply", reply, methods=["POST"]),
        Route("/api/view", view, methods=["POST"]),
        Route("/preview", preview_page),
        Route("/preview/state", preview_state),
        Route("/preview/frame/{story}/{lang}/{file}", preview_frame),
        *handoff.routes(),
        *hooks.routes(),
        Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
        Mount("/fonts", app=StaticFiles(directory=str(_fonts_dir(project))), name="fonts"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.web = state
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    return app


def _fonts_dir(project: Project) -> Path:
    from .. import resources

    own = project.assets_dir / "fonts"
    return own if (own / "NotoSansThai-Regular.ttf").is_file() else resources.assets_dir() / "fonts"
