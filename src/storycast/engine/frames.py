"""What a ledger row publishes: the frames of one (kind, ref, language), rendered once per tick.

Stories render through :func:`storycast.render.pipeline.render_story` into an engine-private
folder (``.storycast/renders/<story>/<lang>/``) so a user's ``storycast render --out`` never
changes a file between its hash being recorded and its upload. The pipeline writes atomically
and deterministically, so concurrent ticks rendering the same story produce the same bytes.

Each entry kind's :class:`KindSource` comes through the ``register_kind_sources`` hook: stories
from ``engine/plugin.py``, Q&A announcements and polls from ``engage/plugin.py``.

A story entry (or its channel) with ``format: video`` is planned as kind ``story-video``: one row
per MP4 part, in the video variant the channel's type declares (``channels.media.channel_variant``),
encoded on demand into ``.storycast/renders/story-video/<story>/<lang>/<variant>/``. A channel
whose type takes no video gets the frames instead, and the row says so (:data:`FALLBACK`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import ContentError

if TYPE_CHECKING:
    from ..media import VideoVariant
    from ..project import Project
    from ..timetable import Occurrence

log = logging.getLogger("storycast.engine")

#: The row kind of a story published as its MP4 part(s) (``format: video``).
VIDEO_KIND = "story-video"
#: Row kinds that publish a story: the guard checks them before sending, the report counts them.
STORY_KINDS = frozenset({"story", VIDEO_KIND})
#: What a schedule entry's ``format:`` and a channel's ``format`` option may say.
FORMATS = ("frames", "video")
#: How the reason of a story row planned as frames although video was asked for begins.
FALLBACK = "video asked for: "


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
    duration: float | None = None  # seconds, for a video part


@dataclass(frozen=True)
class KindSource:
    """How the engine counts and renders one content kind.

    ``render_at`` (optional) is used instead of ``render`` when the tick knows its ``now``: for
    frames whose text depends on the moment they go out (a Q&A countdown).

    A source whose output depends on the channel (a video in the variant the channel's type takes)
    sets ``target``, which names what a channel needs; the engine then calls ``count_for`` and
    ``render_for`` with that name (and the language) instead of ``frame_count`` and ``render``.
    """

    frame_count: Callable[[Project, str], int]
    render: Callable[[Project, str, str, Path], list[Frame]]
    render_at: Callable[[Project, str, str, Path, datetime], list[Frame]] | None = None
    target: Callable[[Project, str], str] | None = None  # (project, channel) -> target name
    count_for: Callable[[Project, str, str, str], int] | None = None  # (project, ref, lang, target)
    render_for: Callable[[Project, str, str, Path, str], list[Frame]] | None = None  # (..., out, target)


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


# -- stories as video ---------------------------------------------------------------------------


def _variant(name: str | None) -> VideoVariant:
    from ..channels.media import default_variant, variant_for

    variant = variant_for(name) if name else default_variant()
    if variant is None:
        raise ContentError(
            "no installed channel type declares a story video variant",
            hint="publish this story as frames (format: frames), or install a channel type that takes video",
        )
    return variant


def _video_target(project: Project, channel: str) -> str:
    from ..channels.media import channel_variant

    variant = channel_variant(project, channel)
    return variant.name if variant is not None else _variant(None).name


def _video_frames(project: Project, ref: str, lang: str, out: Path) -> Any:
    from ..render.pipeline import render_story

    return render_story(project, project.content.story(ref), lang, out_dir=out)


def _video_count(project: Project, ref: str, lang: str, target: str) -> int:
    from ..render.videos import part_count

    out = project.state_dir / "renders" / VIDEO_KIND / ref / lang
    out.mkdir(parents=True, exist_ok=True)
    return part_count(_video_frames(project, ref, lang, out), target=_variant(target))


def _video_render(project: Project, ref: str, lang: str, out: Path, target: str) -> list[Frame]:
    from ..render.videos import render_result_video

    variant = _variant(target)
    video = render_result_video(
        _video_frames(project, ref, lang, out), target=variant, out_dir=out / variant.name
    )
    caption = project.content.story(ref).title.get(lang, "")
    limits = variant.limits
    return [
        Frame(
            index=i,
            path=Path(part),
            sha256=hashlib.sha256(Path(part).read_bytes()).hexdigest(),
            kind="video",
            caption=caption,
            width=limits.width,
            height=limits.height,
            duration=seconds,
        )
        for i, (part, seconds) in enumerate(zip(video.parts, video.durations, strict=True), start=1)
    ]


def _video_count_default(project: Project, ref: str) -> int:
    return _video_count(project, ref, project.content.story(ref).languages[0], _variant(None).name)


def _video_render_default(project: Project, ref: str, lang: str, out: Path) -> list[Frame]:
    return _video_render(project, ref, lang, out, _variant(None).name)


STORY_VIDEO_SOURCE = KindSource(
    _video_count_default,
    _video_render_default,
    target=_video_target,
    count_for=_video_count,
    render_for=_video_render,
)


def channel_format(project: Project, channel: str) -> str:
    """A channel's default story format: its ``format`` option, else ``frames``."""
    section = project.config.channels.get(channel)
    fmt = (section.model_extra or {}).get("format") if section is not None else None
    return fmt if fmt in FORMATS else "frames"


def plan_kind(project: Project, occ: Occurrence, channel: str) -> tuple[str, str | None]:
    """The row kind ``occ`` is planned as on ``channel``, and a note when video falls back to frames.

    A story entry's ``format`` (else the channel's ``format`` option) picks frames or video; a
    channel whose type takes no video gets the frames, with a note that says so. Other kinds are
    planned as themselves.
    """
    if occ.kind != "story":
        return occ.kind, None
    fmt = occ.extra.get("format") or channel_format(project, channel)
    if fmt != "video":
        return occ.kind, None
    from ..channels.media import channel_variant

    if channel_variant(project, channel) is not None or channel not in project.config.channels:
        return VIDEO_KIND, None
    type_name = project.config.channels[channel].type
    return occ.kind, (
        f"{FALLBACK}channel {channel!r} ({type_name}) takes no video, so the story's frames go out"
    )


class FrameCache:
    """Renders each (kind, ref, lang[, target]) at most once per tick; remembers failures too."""

    def __init__(self, project: Project, now: datetime | None = None) -> None:
        self.project = project
        self.now = now
        self._done: dict[tuple[str, str, str, str], list[Frame] | Exception] = {}

    def frames(self, kind: str, ref: str, lang: str, channel: str | None = None) -> list[Frame]:
        """What a row of ``kind`` publishes; ``channel`` picks the variant of a per-channel source."""
        src = source_for(kind)
        target = src.target(self.project, channel) if src.target is not None and channel else ""
        key = (kind, ref, lang, target)
        if key not in self._done:
            out = self.project.state_dir / "renders" / kind / ref / lang
            out.mkdir(parents=True, exist_ok=True)
            try:
                if target and src.render_for is not None:
                    self._done[key] = src.render_for(self.project, ref, lang, out, target)
                elif src.render_at is not None and self.now is not None:
                    self._done[key] = src.render_at(self.project, ref, lang, out, self.now)
                else:
                    self._done[key] = src.render(self.project, ref, lang, out)
            except Exception as exc:  # remembered so one bad story fails its rows once per tick
                self._done[key] = exc
        got = self._done[key]
        if isinstance(got, Exception):
            raise got
        return got


def frame_count(
    project: Project, kind: str, ref: str, *, lang: str | None = None, channel: str | None = None
) -> int:
    """How many rows (frames, or video parts) one occurrence of ``ref`` needs per channel and language.

    A per-channel source (a story video) counts for ``lang`` on ``channel`` when both are given.
    """
    src = source_for(kind)
    if src.target is not None and src.count_for is not None and lang and channel:
        return max(1, src.count_for(project, ref, lang, src.target(project, channel)))
    return max(1, src.frame_count(project, ref))
