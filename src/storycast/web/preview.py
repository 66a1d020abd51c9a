"""The authoring preview: render the focused story, show it at once, then lint it.

``PreviewState.refresh()`` renders the story and language the author is looking at (the
focus) through the render pipeline (cached, so only the frames an edit changed are drawn) and
publishes the new frames straight away with their lint marked *pending*; the guard then runs
on them and a second snapshot carries its findings. The lint reuses what earlier runs measured
(contrast by frame content hash in ``guard.render``, OCR by image hash in ``guard.ocr``), so
only the frames an edit changed are checked again.

A watcher thread (watchfiles, inotify where the system has it) calls ``refresh`` about 20 ms
after something under stories/, templates/, assets/ or storycast.toml stops changing; writes
through a temporary file and a rename arrive as one change. With the watcher running, the lint
runs in a thread of its own, so a save made while the last one is still being linted is
rendered at once; findings for frames that are no longer current are dropped, never shown.

The page listens on ``/preview/events`` (server-sent events): every snapshot is pushed as it
is published. ``/preview/state`` answers the same snapshot with an ETag for clients that poll.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import StorycastError

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from ..project import Project

WATCHED = ("stories", "templates", "assets", "storycast.toml")
# The watcher yields once files have been quiet for one step (and at most ``DEBOUNCE_MS`` after
# the first change of a burst): an editor's temp-file-and-rename save is one burst.
STEP_MS = 10
DEBOUNCE_MS = 100
# One event stream lasts this long, then the page reconnects (after ``RETRY_MS``) and is sent
# only what it has not seen: a server stopping with Ctrl-C waits for open streams to end.
STREAM_SECONDS = 3.0
RETRY_MS = 50
# The lint thread starts this long after new frames are published, so the page fetches and
# paints them first instead of sharing the CPU with the checks.
LINT_DELAY = 0.15

Linter = Callable[["Project", str, str], list[dict[str, Any]]]


@dataclass
class PreviewSnapshot:
    """What the preview page shows: the focused story's frames and findings, or the error that
    stopped it.

    ``version`` counts what the frames part shows (frames, error, focus, catalogue) and stays
    put when only the findings or the flags change; ``rendering`` is true while a change is
    being drawn (the frames shown are about to be replaced), and ``lint`` is ``pending`` while
    the findings shown are those of the frames before (still being checked) and ``done`` when
    they belong to these frames."""

    version: int = 0
    etag: str = '"0"'
    stories: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    safe_zone: dict[str, int] = field(default_factory=dict)
    size: tuple[int, int] = (1080, 1920)
    catalog: list[dict[str, Any]] = field(default_factory=list)
    focus: dict[str, str] | None = None
    lint: str = "done"
    rendering: bool = False

    def frames_part(self) -> dict[str, Any]:
        return {
            "catalog": self.catalog,
            "focus": self.focus,
            "stories": self.stories,
            "error": self.error,
            "safe_zone": self.safe_zone,
            "width": self.size[0],
            "height": self.size[1],
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            **self.frames_part(),
            "findings": self.findings,
            "lint": self.lint,
            "rendering": self.rendering,
        }


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def _error_dict(exc: StorycastError, root: Path) -> dict[str, Any]:
    problems = [_error_dict(p, root) for p in getattr(exc, "problems", None) or [] if p is not exc]
    file = getattr(exc, "file", None)
    if file is not None:
        try:
            file = str(Path(file).resolve().relative_to(root.resolve()))
        except ValueError:
            file = str(file)
    return {
        "message": getattr(exc, "message", str(exc)),
        "hint": getattr(exc, "hint", None),
        "file": file,
        "line": getattr(exc, "line", None),
        "problems": problems,
    }


def _crash_dict(exc: Exception) -> dict[str, Any]:
    return {"message": f"unexpected {type(exc).__name__}: {exc}", "hint": None, "problems": []}


@dataclass
class _LintJob:
    generation: int
    project: Project
    story: str
    lang: str


class PreviewState:
    """Renders and lints a project on demand; thread-safe snapshot for the web handlers.

    ``loader`` replaces ``Project.load`` and ``linter`` the guard run (``(project, story,
    lang) -> findings as dicts``); ``published``, when given, is called with every snapshot
    as it is published, in order."""

    def __init__(
        self,
        root: Path,
        loader: Callable[[Path], Project] | None = None,
        *,
        linter: Linter | None = None,
        published: Callable[[PreviewSnapshot], None] | None = None,
    ) -> None:
        self.root = root
        self._loader = loader
        self._linter = linter
        self._published = published
        self._lock = threading.Lock()
        self._render_lock = threading.Lock()
        self.snapshot = PreviewSnapshot()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lint_thread: threading.Thread | None = None
        self._lint_wanted = threading.Event()
        self._lint_job: _LintJob | None = None
        self._generation = 0  # renders started; a lint publishes only for the latest
        self._focus: tuple[str | None, str | None] = (None, None)
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self.stream_seconds = STREAM_SECONDS

    def _load(self) -> Project:
        if self._loader is not None:
            return self._loader(self.root)
        from ..project import Project

        return Project.load(self.root)

    def focus(self, story: str | None, lang: str | None) -> bool:
        """Show ``story`` in ``lang`` next; True when that changed the focus (then call refresh)."""
        with self._lock:
            want = (story or None, lang or None)
            if want == self._focus:
                return False
            self._focus = want
            return True

    def refresh(self) -> PreviewSnapshot:
        """Render the focused story/language now and publish its frames; then lint them, here
        or (with the watcher running) in the lint thread. Returns the last snapshot published."""
        with self._render_lock:
            with self._lock:
                self._generation += 1
                generation = self._generation
                shown = self.snapshot
            if shown.version:
                self._publish(replace(shown, rendering=True))
            snap = PreviewSnapshot(lint="pending")
            job = None
            try:
                project = self._load()  # fresh: config and content are cached per Project
                zone = project.config.render.safe_zone
                snap.safe_zone = {
                    "top": zone.top,
                    "bottom": zone.bottom,
                    "left": zone.left,
                    "right": zone.right,
                }
                snap.size = (project.config.render.width, project.config.render.height)
                snap.catalog = self._catalog(project)
                story, lang = self._resolve_focus(snap.catalog)
                if story is not None and lang is not None:
                    snap.focus = {"story": story, "lang": lang}
                    if shown.focus == snap.focus:  # until the lint says, the last findings stand
                        snap.findings = list(shown.findings)
                    snap.stories = self._render(project, story, lang)
                    job = _LintJob(generation, project, story, lang)
            except StorycastError as exc:
                snap.error = _error_dict(exc, self.root)
            if job is None:
                snap.findings, snap.lint = [], "done"
            self._publish(snap)
        if job is not None:
            if self._lint_thread is not None:
                with self._lock:
                    self._lint_job = job
                self._lint_wanted.set()
            else:
                self._run_lint(job)
        return self.snapshot

    def _publish(self, snap: PreviewSnapshot, generation: int | None = None) -> bool:
        """Make ``snap`` the current snapshot (for ``generation`` only while no newer render has
        started) and wake the event streams; False when it was dropped."""
        frames = _digest(snap.frames_part())
        everything = _digest(snap.to_dict() | {"version": 0})
        with self._lock:
            if generation is not None and generation != self._generation:
                return False
            old = self.snapshot
            old_frames = old.etag.strip('"').split("-")[1] if "-" in old.etag else ""
            snap.version = old.version if old.version and old_frames == frames else old.version + 1
            snap.etag = f'"{snap.version}-{frames}-{everything}"'
            self.snapshot = snap
            waiters = list(self._waiters)
            if self._published is not None:
                self._published(snap)
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that stream's loop has closed
                continue
        return True

    def _run_lint(self, job: _LintJob) -> None:
        error = None
        findings: list[dict[str, Any]] = []
        try:
            findings = (self._linter or _lint)(job.project, job.story, job.lang)
        except StorycastError as exc:
            error = _error_dict(exc, self.root)
        except Exception as exc:  # the frames stay; the page says what stopped the lint
            error = _crash_dict(exc)
        with self._lock:
            current = self.snapshot
        snap = replace(current, findings=findings, lint="done", rendering=False)
        if error is not None:
            snap.error = error
        self._publish(snap, job.generation)

    def _catalog(self, project: Project) -> list[dict[str, Any]]:
        content = project.content
        out = []
        for sid in sorted(content.stories):
            story = content.story(sid)
            titles = {lang: story.text(story.title, lang) or sid for lang in story.languages}
            out.append({"story": sid, "languages": list(story.languages), "titles": titles})
        return out

    def _resolve_focus(self, catalog: list[dict[str, Any]]) -> tuple[str | None, str | None]:
        story, lang = self._focus
        entry = next((c for c in catalog if c["story"] == story), catalog[0] if catalog else None)
        if entry is None:
            return None, None
        if lang not in entry["languages"]:
            lang = entry["languages"][0]
        return entry["story"], lang

    def _render(self, project: Project, story_id: str, lang: str) -> list[dict[str, Any]]:
        from ..render.pipeline import render_story

        story = project.content.story(story_id)
        r = render_story(project, story, lang)
        return [
            {
                "story": r.story,
                "lang": r.lang,
                "title": story.text(story.title, r.lang) or r.story,
                "frames": [
                    {
                        "index": f.index,
                        "kind": f.kind,
                        "url": f"/preview/frame/{r.story}/{r.lang}/{f.file}?v={f.sha256[:12]}",
                        "alt": f.alt,
                        "warnings": list(f.warnings),
                    }
                    for f in r.frames
                ],
                "rendered": r.rendered,
                "cached": r.cached,
            }
        ]

    # --- waiting for a change (the event stream) ---------------------------------------------

    async def changed(self, etag: str, timeout: float) -> None:
        """Return once the snapshot's ETag is no longer ``etag``, or after ``timeout`` seconds."""
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            if self.snapshot.etag != etag:
                return
            self._waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter[1].wait(), timeout)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                self._waiters.discard(waiter)

    # --- watching --------------------------------------------------------------------------

    def watch_paths(self) -> list[Path]:
        return [self.root / name for name in WATCHED if (self.root / name).exists()]

    def start(self) -> None:
        """Render once in the background, then re-render on every change until :meth:`stop`."""
        if self._thread is not None:
            return
        self._lint_thread = threading.Thread(target=self._lint_loop, name="storycast-lint", daemon=True)
        self._lint_thread.start()
        self._thread = threading.Thread(target=self._run, name="storycast-preview", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from watchfiles import watch

        self._safe_refresh()
        paths = self.watch_paths()
        if not paths:
            return
        for _changes in watch(
            *paths, stop_event=self._stop, debounce=DEBOUNCE_MS, step=STEP_MS, rust_timeout=500
        ):
            self._safe_refresh()

    def _lint_loop(self) -> None:
        while not self._stop.is_set():
            if not self._lint_wanted.wait(timeout=0.5) or self._stop.wait(LINT_DELAY):
                continue
            with self._lock:
                job, self._lint_job = self._lint_job, None
                self._lint_wanted.clear()
            if job is not None:
                self._run_lint(job)

    def _safe_refresh(self) -> None:
        try:
            self.refresh()
        except Exception as exc:
            self._publish(PreviewSnapshot(error=_crash_dict(exc)))

    def stop(self) -> None:
        """Stop watching. A render in progress may finish (its files are written atomically
        either way); a lint in progress is not waited for long: nobody will see its findings."""
        self._stop.set()
        for thread, wait in ((self._thread, 5.0), (self._lint_thread, 1.0)):
            if thread is not None:
                thread.join(timeout=wait)
        self._thread = self._lint_thread = None


def _lint(project: Project, story: str, lang: str) -> list[dict[str, Any]]:
    from ..guard.check import lint_project

    result = lint_project(project, [story], [lang], rendered=True)
    return [f.to_dict() | {"location": f.location} for f in result.findings]


# --- the event stream -----------------------------------------------------------------------


async def events(request: Request) -> Response:
    """``GET /preview/events?story=&lang=``: the preview's snapshots as server-sent events.

    Each ``snapshot`` event carries the JSON of ``/preview/state`` with the ETag as its id; a
    reconnecting page sends the last id it saw (``Last-Event-ID``) and is sent the current
    snapshot only when that differs. A stream ends after ``stream_seconds`` (:data:`STREAM_SECONDS`)."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import StreamingResponse

    from .inputs import WebError
    from .security import cross_site

    why = cross_site(request)  # a new focus renders: only this server's pages may ask for one
    if why:
        raise WebError(403, why)
    web = request.app.state.web
    preview: PreviewState = web.preview
    if preview.focus(request.query_params.get("story"), request.query_params.get("lang")) or (
        preview.snapshot.version == 0 and not web.watch
    ):
        await run_in_threadpool(preview.refresh)
    seen = request.headers.get("last-event-id") or ""

    async def stream() -> AsyncIterator[str]:
        nonlocal seen
        loop = asyncio.get_running_loop()
        deadline = loop.time() + preview.stream_seconds
        yield f"retry: {RETRY_MS}\n\n"
        while True:
            snap = preview.snapshot
            if snap.etag != seen and snap.version:
                seen = snap.etag
                yield f"id: {seen}\nevent: snapshot\ndata: {json.dumps(snap.to_dict())}\n\n"
            left = deadline - loop.time()
            if left <= 0:
                return
            await preview.changed(seen, left)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
