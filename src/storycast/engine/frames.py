"""What a ledger row publishes: the frames of one (kind, ref, language), rendered once per tick.

Stories render through :func:`storycast.render.pipeline.render_story` into an engine-private
folder (``.storycast/renders/<story>/<lang>/``) so a user's ``storycast render --out`` never
changes a file between its hash being recorded and its upload. The pipeline writes atomically
and deterministically, so concurrent ticks rendering the same story produce the same bytes.

Other content kinds (Q&A announcements, polls) register a :class:`KindSource` with
:func:`register_kind_source`; the engine itself only knows stories.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import ContentError, RenderError

if TYPE_CHECKING:
    from ..project import Project


@dataclass(frozen=True)
class Frame:
    """One publishable frame: its file, hash and the words that go with it."""

    index: int  # 1-based
    path: Path
    sha256: str
    kind: Literal["image", "video"] = "image"
    alt: str = ""
    caption: str = ""
    width: int = 1080
    height: int = 1920
    step: int | None = None  # the tutorial step this frame shows (None for cover/outro)
    poll: Any = None  # a channels.base.PollSpec when the frame is a poll (native where the channel can)


@dataclass(frozen=True)
class KindSource:
    """How the engine counts and renders one content kind.

    ``render_at`` (optional) is used instead of ``render`` when the tick knows its ``now``: for
    frames whose text depends on the moment they go out (a Q&A countdown).
    """

    frame_count: Callable[[Project, str], int]
    render: Callable[[Project, str, str, Path], list[Frame]]
    render_at: Callable[[Project, str, str, Path, datetime], list[Frame]] | None = None


_SOURCES: dict[str, KindSource] = {}


_SOURCES_LOCK = threading.RLock()  # worker threads may look up a kind for the first time at once


def register_kind_source(kind: str, source: KindSource) -> None:
    """Teach the engine to publish content of ``kind`` (used by storycast.engage for qa/poll).

    Registering the same source again is harmless; a different one for a known kind is an error.
    """
    with _SOURCES_LOCK:
        if kind in _SOURCES and _SOURCES[kind] != source:
            raise ValueError(f"a publishing source for kind {kind!r} is already registered")
        _SOURCES[kind] = source


# Built-in modules that provide more kinds (Q&A, polls); loaded when a row of theirs appears.
BUILTIN_KIND_MODULES = ("storycast.engage.frames",)


def _load_builtin_kinds() -> None:
    import importlib

    for name in BUILTIN_KIND_MODULES:
        try:
            importlib.import_module(name).register_sources()
        except ImportError:  # stripped installs without the engage package
            continue


def source_for(kind: str) -> KindSource:
    if kind not in _SOURCES:
        with _SOURCES_LOCK:
            if kind not in _SOURCES:
                _load_builtin_kinds()
    try:
        return _SOURCES[kind]
    except KeyError:
        raise ContentError(
            f"storycast does not know how to publish {kind!r} entries",
            hint="install or enable the plugin that provides this kind",
        ) from None


def _story_frames(project: Project, ref: str) -> int:
    return project.content.story(ref).frame_count


def _story_render(project: Project, ref: str, lang: str, out_dir: Path) -> list[Frame]:
    try:
        from ..render.pipeline import render_story
    except ImportError as exc:  # the render package is optional in stripped installs
        raise RenderError(
            f"the render pipeline is not available: {exc}",
            hint="reinstall storycast (pip install storycast): this installation lacks its render package",
        ) from None
    story = project.content.story(ref)
    result = render_story(project, story, lang, out_dir=out_dir)
    caption = story.title.get(lang, "")
    frames = []
    for rec in result.frames:
        path = Path(result.out_dir) / rec.file
        kind: Literal["image", "video"] = "video" if path.suffix.lower() in (".mp4", ".webm") else "image"
        frames.append(
            Frame(
                index=0,  # numbered below, in manifest order
                path=path,
                sha256=rec.sha256,
                kind=kind,
                alt=rec.alt,
                caption=caption,
                width=project.config.render.width,
                height=project.config.render.height,
                step=rec.step,
            )
        )
    return [replace(f, index=i) for i, f in enumerate(frames, start=1)]


register_kind_source("story", KindSource(_story_frames, _story_render))


class FrameCache:
    """Renders each (kind, ref, lang) at most once per tick; remembers failures too."""

    def __init__(self, project: Project, now: datetime | None = None) -> None:
        self.project = project
        self.now = now
        self._done: dict[tuple[str, str, str], list[Frame] | Exception] = {}

    def frames(self, kind: str, ref: str, lang: str) -> list[Frame]:
        key = (kind, ref, lang)
        if key not in self._done:
            out = self.project.state_dir / "renders" / kind / ref / lang
            out.mkdir(parents=True, exist_ok=True)
            try:
                src = source_for(kind)
                if src.render_at is not None and self.now is not None:
                    self._done[key] = src.render_at(self.project, ref, lang, out, self.now)
                else:
                    self._done[key] = src.render(self.project, ref, lang, out)
            except Exception as exc:  # remembered so one bad story fails its rows once per tick
                self._done[key] = exc
        got = self._done[key]
        if isinstance(got, Exception):
            raise got
        return got


def frame_count(project: Project, kind: str, ref: str) -> int:
    """How many rows (frames) one occurrence of ``ref`` needs per channel and language."""
    return max(1, source_for(kind).frame_count(project, ref))
