"""The authoring preview: render every story, lint it, and re-render when a file changes.

``PreviewState.refresh()`` renders the story and language the author is looking at (the
focus) through the render pipeline (cached, so only changed frames are drawn) and runs the
guard on it; rendering one story keeps a template edit visible within a second or two. A watcher
thread (watchfiles) calls it whenever something under stories/, templates/, assets/ or
storycast.toml changes. The browser polls ``/preview/state`` with ``If-None-Match``; the ETag
changes exactly when the frames or findings changed, so an idle page costs one 304 a second.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import StorycastError

if TYPE_CHECKING:
    from ..project import Project

WATCHED = ("stories", "templates", "assets", "storycast.toml")


@dataclass
class PreviewSnapshot:
    """What the preview page shows: every story's frames and findings, or the error that stopped it."""

    version: int = 0
    etag: str = '"0"'
    stories: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    safe_zone: dict[str, int] = field(default_factory=dict)
    size: tuple[int, int] = (1080, 1920)
    catalog: list[dict[str, Any]] = field(default_factory=list)
    focus: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "catalog": self.catalog,
            "focus": self.focus,
            "stories": self.stories,
            "findings": self.findings,
            "error": self.error,
            "safe_zone": self.safe_zone,
            "width": self.size[0],
            "height": self.size[1],
        }


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


class PreviewState:
    """Renders and lints a project on demand; thread-safe snapshot for the web handlers."""

    def __init__(self, root: Path, loader: Callable[[Path], Project] | None = None) -> None:
        self.root = root
        self._loader = loader
        self._lock = threading.Lock()
        self._render_lock = threading.Lock()
        self.snapshot = PreviewSnapshot()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.changed = threading.Condition()
        self._focus: tuple[str | None, str | None] = (None, None)

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
        """Render and lint the focused story/language now; returns the new snapshot."""
        with self._render_lock:
            snap = PreviewSnapshot(version=self.snapshot.version + 1)
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
                    snap.stories = self._render(project, story, lang)
                    snap.findings = self._lint(project, story, lang)
            except StorycastError as exc:
                snap.error = _error_dict(exc, self.root)
            self._publish(snap)
            return snap

    def _publish(self, snap: PreviewSnapshot) -> None:
        body = json.dumps(snap.to_dict() | {"version": 0}, sort_keys=True).encode()
        digest = hashlib.sha256(body).hexdigest()[:16]
        with self._lock:
            old = self.snapshot
            if old.etag.strip('"').endswith("-" + digest):
                snap.version = old.version  # nothing visible changed: keep the ETag
            snap.etag = f'"{snap.version}-{digest}"'
            self.snapshot = snap

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

    def _lint(self, project: Project, story: str, lang: str) -> list[dict[str, Any]]:
        from ..guard.check import lint_project

        result = lint_project(project, [story], [lang], rendered=True)
        return [f.to_dict() | {"location": f.location} for f in result.findings]

    # --- watching --------------------------------------------------------------------------

    def watch_paths(self) -> list[Path]:
        return [self.root / name for name in WATCHED if (self.root / name).exists()]

    def start(self) -> None:
        """Render once in the background, then re-render on every change until :meth:`stop`."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="storycast-preview", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from watchfiles import watch

        self._safe_refresh()
        paths = self.watch_paths()
        if not paths:
            return
        for _changes in watch(*paths, stop_event=self._stop, debounce=200, step=50, rust_timeout=500):
            self._safe_refresh()

    def _safe_refresh(self) -> None:
        try:
            self.refresh()
        except Exception as exc:
            with self._lock:
                snap = PreviewSnapshot(version=self.snapshot.version + 1)
                snap.error = {
                    "message": f"unexpected {type(exc).__name__}: {exc}",
                    "hint": None,
                    "problems": [],
                }
                snap.etag = f'"{snap.version}-crash"'
                self.snapshot = snap

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
