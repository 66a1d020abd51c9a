"""``storycast render --video``: turn a story/language build into its MP4 (via render.video).

Durations come from the manifest: a step's own ``duration`` when the story gives one, else the
reading time of the text drawn on the frame (``render.video.reading_time``). Which files are written
and to what spec is the channel types' choice (``Channel.video_variant``); this module names no
platform. The engine publishes the same parts (``engine/frames.py``), counting them first with
:func:`part_count`, which plans exactly as :func:`render_result_video` encodes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..media import VIDEO_NAME, VideoVariant

if TYPE_CHECKING:
    from .pipeline import RenderResult
    from .video import VideoFrame, VideoOptions, VideoProgress

__all__ = ["VIDEO_NAME", "frame_text", "part_count", "render_result_video"]


def frame_text(texts: list[dict[str, Any]]) -> str:
    """All text drawn on a frame, in layer order (what a viewer has to read)."""
    return "\n".join(" ".join(t.get("lines") or []) for t in texts if t.get("lines"))


def _inputs(
    result: RenderResult,
    target: VideoVariant | str | None,
    progress: Callable[[VideoProgress], None] | None = None,
) -> tuple[VideoVariant, list[VideoFrame], VideoOptions]:
    """The variant, the frames with their seconds on screen, and the encoder options for ``result``."""
    from .video import VideoFrame, VideoOptions, reading_time
    from .video.specs import resolve_variant

    variant = resolve_variant(target)
    frames = []
    for rec in result.frames:
        seconds = rec.duration or reading_time(frame_text(rec.texts), result.lang)
        frames.append(VideoFrame(result.out_dir / rec.file, float(seconds)))
    return variant, frames, VideoOptions(target=variant.limits, progress=progress)


def part_count(result: RenderResult, *, target: VideoVariant | str | None = None) -> int:
    """How many MP4 parts :func:`render_result_video` writes for ``result`` (nothing is encoded)."""
    from .video.plan import plan_parts

    variant, frames, options = _inputs(result, target)
    parts = plan_parts(
        [f.duration for f in frames],
        [f.transition for f in frames[:-1]],
        fps=options.fps,
        transition_seconds=options.transition_duration,
        max_part_seconds=options.max_part_seconds,
        min_part_seconds=variant.limits.min_seconds,
    )
    return len(parts)


def render_result_video(
    result: RenderResult,
    *,
    target: VideoVariant | str | None = None,
    out_dir: Path | None = None,
    progress: Callable[[VideoProgress], None] | None = None,
) -> Any:
    """Encode ``result``'s frames into ``<out_dir>/<variant filename>``; returns the VideoResult.

    ``target`` is a channel type's ``video_variant`` or the type's name; None: the first variant
    rendered by default (``story.mp4``). ``out_dir`` defaults to the build folder of ``result``.
    """
    from .video import render_video

    variant, frames, options = _inputs(result, target, progress)
    out = Path(out_dir if out_dir is not None else result.out_dir) / variant.filename
    return render_video(frames, out, options)
