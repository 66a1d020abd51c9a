"""The ``storycast serve`` application: feed viewer, authoring preview, votes, webhooks, hand-off.

``create_app(project)`` returns a Starlette app. Routes::

    GET  /                       the local feed as a phone-sized stories viewer
    GET  /api/feed               live stories as JSON (expired frames hidden)
    GET  /media/{day}/{file}     a frame from the feed folder
    GET  /fonts/fonts.css        @font-face rules of the shipped fonts, one face per script (web.fonts)
    GET  /fonts/{face}           one of those faces (WOFF2, cut to its script)
    POST /api/vote               {"poll_id", "option", "lang"} -> engage.record_vote   (web.api)
    POST /api/reply              {"remote_id", "text"} -> stored as a local story reply
    POST /api/view               {"remote_id"} -> engage.insights.record_view
    GET  /preview                the authoring preview (live reload, safe zones, lint findings)
    GET  /preview/state          JSON snapshot with an ETag (poll with If-None-Match)
    GET  /preview/events         the same snapshots pushed as server-sent events (web.preview)
    GET  /preview/frame/...      a rendered frame of the focused story
    GET  /handoff                hand-off packs waiting for a person; GET /confirm/{id} one pack
    GET|POST /review/{token}     one approver's review of one story and language (web.review)
    POST /handoff/confirm        {"ids": [...]} (or a form) -> ledger.admin.confirm
    GET|POST /hooks/instagram    Meta webhooks; GET|POST /hooks/whatsapp  WhatsApp (24 h window)
    POST /hooks/telegram         Telegram updates
    POST /hooks/helpdesk         a help desk's signed word that a conversation is resolved (web.helpdesk)
    GET  /go/{story}             count a knowledge-base visit, redirect to the article (web.kb)
    GET  /kb/...                 the built knowledge base; GET /api/kb/token, POST /api/kb/helpful

Every request first passes ``middleware.Guard`` (host, size caps, security headers); the feed's
and the hand-off's state-changing endpoints then check where the request came from and its
signed tokens (``security``). docs/web.md describes the defences.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..context import Clock, SystemClock, as_clock
from ..errors import StorycastError
from ..render.text.webfonts import text_direction
from . import api, fonts, handoff, helpdesk, hooks, kb, review
from .feed import VIDEO_SUFFIXES, count_expired, feed_folder, read_feed
from .inputs import WebError
from .middleware import Guard
from .preview import PreviewState
from .preview import events as preview_events
from .security import AddressLimits, Signer, cross_site, load_key
from .viewer import viewer_of_page, with_viewer_cookie

if TYPE_CHECKING:
    from ..project import Project

HERE = Path(__file__).parent
MEDIA_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", *VIDEO_SUFFIXES}


class WebState:
    """What every handler needs: the project (reloaded when storycast.toml changes) and the clock."""

    def __init__(
        self,
        project: Project,
        clock: Clock,
        watch: bool,
        *,
        key: bytes | None = None,
        limits: AddressLimits | None = None,
    ) -> None:
        self.root = project.root
        self._project = project
        self._signature = self._files_signature()
        self.clock = clock
        self.preview = PreviewState(project.root)
        self.watch = watch
        self.key = key if key is not None else load_key(project.state_dir)
        self.signer = Signer(self.key)
        self.limits = limits or AddressLimits()

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
        return self.clock.now()


def _state(request: Request) -> WebState:
    return request.app.state.web  # type: ignore[no-any-return]


async def _web_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WebError)
    body: dict[str, Any] = {"ok": False, "error": exc.message}
    if exc.hint:
        body["hint"] = exc.hint
    return JSONResponse(body, status_code=exc.status)


async def _config_error(request: Request, exc: Exception) -> Response:
    # storycast.toml or a story went bad while serving: say so instead of a bare 500.
    assert isinstance(exc, StorycastError)
    return JSONResponse({"ok": False, "error": exc.message, "hint": exc.hint}, status_code=503)


# --- the feed -----------------------------------------------------------------------------


async def feed_page(request: Request) -> Response:
    state = _state(request)
    project = state.project()
    folder = feed_folder(project)
    stories = read_feed(folder, state.now(), project)
    viewer, new_token = viewer_of_page(request)
    brand = project.config.brand
    response = request.app.state.templates.TemplateResponse(
        request,
        "feed.html",
        {
            "stories": [s.to_dict() for s in stories],
            "brand": {"name": brand.name or project.config.project.name, "primary": brand.primary},
            "lang": project.config.project.default_language,
            "dir": text_direction(project.config.project.default_language),
            "expired": 0 if stories else count_expired(folder, state.now()),
            "now": state.now().strftime("%Y-%m-%d %H:%M UTC"),
            "now_iso": state.now().isoformat(),
            "viewer_token": state.signer.viewer_token(viewer),
        },
        headers={"Cache-Control": "no-store"},
    )
    return with_viewer_cookie(request, response, new_token)


async def feed_json(request: Request) -> Response:
    state = _state(request)
    project = state.project()
    stories = read_feed(feed_folder(project), state.now(), project)
    return JSONResponse({"now": state.now().isoformat(), "stories": [s.to_dict() for s in stories]})


async def media(request: Request) -> Response:
    state = _state(request)
    folder = feed_folder(state.project()).resolve()
    path = (folder / request.path_params["day"] / request.path_params["file"]).resolve()
    # Only media files directly inside a day folder of the feed: no escaping it with ../ or a link
    if path.parent.parent != folder or not path.is_file() or path.suffix.lower() not in MEDIA_SUFFIXES:
        return Response("not found", status_code=404)
    return FileResponse(path, headers={"Cache-Control": "max-age=3600"})


# --- the preview --------------------------------------------------------------------------


async def preview_page(request: Request) -> Response:
    return request.app.state.templates.TemplateResponse(request, "preview.html", {"lang": "en"})


async def preview_state(request: Request) -> Response:
    state = _state(request)
    # A new focus re-renders (CPU, files under build/): only the preview page may ask for one,
    # not an <img> on some other site pointed at this server.
    why = cross_site(request)
    if why:
        raise WebError(403, why)
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
    clock: Clock | None = None,
    watch: bool = True,
    allowed_hosts: Iterable[str] = (),
    key: bytes | None = None,
    limits: AddressLimits | None = None,
) -> Starlette:
    """The web app for ``project``. ``clock`` is the context's clock (default: the machine's);
    ``now``, a bare ``() -> datetime``, replaces it (tests); ``watch`` starts the
    preview's file watcher (re-render on change) for the app's lifetime.

    ``allowed_hosts``: host names the pages answer to besides IP addresses and localhost (the
    hosts of hand-off channels' ``confirm_url`` are added). ``key``: the signing key (default:
    the project's ``.storycast/web.key``). ``limits``: the per-address limits of the feed."""
    from contextlib import asynccontextmanager

    if clock is None:
        clock = as_clock(now) if now is not None else SystemClock()
    state = WebState(project, clock, watch, key=key, limits=limits)

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
        *api.routes(),
        Route("/preview", preview_page),
        Route("/preview/state", preview_state),
        Route("/preview/events", preview_events),
        Route("/preview/frame/{story}/{lang}/{file}", preview_frame),
        *handoff.routes(),
        *review.routes(),
        *helpdesk.routes(),
        *hooks.routes(),
        *fonts.routes(),
        *kb.routes(project),
        Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    hosts = [*allowed_hosts, *_confirm_hosts(project), *_review_hosts(project), *kb.hosts(project)]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(Guard, allowed_hosts=hosts)],
        exception_handlers={WebError: _web_error, StorycastError: _config_error},
    )
    app.state.web = state
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    return app


def _review_hosts(project: Project) -> list[str]:
    """The host of [approval] review_url: approvers open their review links there."""
    from urllib.parse import urlsplit

    host = urlsplit(project.config.approval.review_url).hostname
    return [host] if host else []


def _confirm_hosts(project: Project) -> list[str]:
    """Hosts of the hand-off channels' confirm_url: the phone that scans the QR code uses them."""
    from urllib.parse import urlsplit

    out = []
    for section in project.config.channels.values():
        url = (section.model_extra or {}).get("confirm_url")
        if isinstance(url, str) and url:
            host = urlsplit(url.replace("{id}", "0")).hostname
            if host:
                out.append(host)
    return out
