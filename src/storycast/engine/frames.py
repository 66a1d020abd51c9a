"""What a ledger row publishes: the frames of one (kind, ref, language), rendered once per tick.

Stories render through :func:`storycast.render.pipeline.render_story` into an engine-private
folder (``.storycast/renders/<story>/<lang>/``) so a user's ``storycast render --out`` never
changes a file between its hash being recorded and its upload. The pipeline writes atomically
and deterministically, so concurrent ticks rendering the same story produce the same bytes.

Each entry kind's :class:`KindSource` comes through the ``register_kind_sources`` hook: stories
from ``engine/plugin.py``, Q&A announcements and polls from ``engage/plugin.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import ContentError

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
    # Set (to the reason) when the frame has no image to post: only a channel with native polls
    # can carry it (a poll with more options than a poll frame lays out).
    native_only: str = ""


@dataclass(frozen=True)
class KindSource:
    """How the engine counts and renders one content kind.

    ``render_at`` (optional) is used instead of ``render`` when the tick knows its ``now``: for
    frames whose text depends on the moment they go out (a Q&A countdown).
    """

    frame_count: Callable[[Project, str], int]
    render: Callable[[Project, str, str, Path], list[Frame]]
    render_at: Callable[[Project, str, str, Path, datetime], list[Frame]] | None = None


HOOK = "register_kind_sources"
_cache: tuple[Any, dict[str, KindSource]] | None = None


def register_kind_source(kind: str, source: KindSource) -> None:
    """Deprecated: implement the ``register_kind_sources`` hook instead (docs/plugins.md)."""
    from .. import plugins

    plugins.legacy_add(HOOK, (kind, source), getattr(source.render, "__module__", "") or "")


def kind_sources() -> dict[str, KindSource]:
    """Every entry kind's publishing source, by kind."""
    global _cache
    from .. import plugins

    view = plugins.view(HOOK)
    cache = _cache
    if cache is None or cache[0] is not view:
        cache = _cache = (view, {kind: p.value[1] for kind, p in view.items()})
    return cache[1]


def source_for(kind: str) -> KindSource:
    try:
        return kind_sources()[kind]
    except KeyError:
        raise ContentError(
            f"storycast does not know how to publish {kind!r} entries",
            hint="install or enable the plugin that provides this kind",
        ) from None


def _story_frames(project: Project, ref: str) -> int:
    return project.content.story(ref).frame_count


def _story_render(project: Project, ref: str, lang: str, out_dir: Path) -> list[Frame]:
    from ..render.pipeline import render_story

    story = project.content.story(ref)
    result = render_story(project, story, lang, out_dir=out_dir)
    title = story.title.get(lang, "")
    frames = []
    for rec in result.frames:
        caption = _caption(story, lang, rec.step, title, last=rec is result.frames[-1])
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


def _caption(story: Any, lang: str, step: int | None, title: str, *, last: bool) -> str:
    """The words that go with a frame: the title on the cover, each step's text (its title
    when it has none) on its frame, the call to action (else the title) on the outro."""
    if step is not None and 1 <= step <= len(story.steps):
        s = story.steps[step - 1]
        return str(s.text.get(lang) or s.title.get(lang) or title)
    if last:
        return str(story.cta.get(lang) or title)
    return title


STORY_SOURCE = KindSource(_story_frames, _story_render)


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
