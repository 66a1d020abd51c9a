"""``storycast render --video``: turn a story/language build into its MP4 (via render.video).

Durations come from the manifest: a step's own ``duration`` when the story gives one, else the
reading time of the text drawn on the frame (``render.video.reading_time``). Which files are written
and to what spec is the channel types' choice (``Channel.video_variant``); this module names no
platform.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..media import VIDEO_NAME, VideoVariant

if TYPE_CHECKING:
    from .pipeline import RenderResult

__all__ = ["VIDEO_NAME", "frame_text", "render_result_video"]


def frame_text(texts: list[dict[str, Any]]) -> str:
    """All text drawn on a frame, in layer order (what a viewer has to read)."""
    return "\n".join(" ".join(t.get("lines") or []) for t in texts if t.get("lines"))


def render_result_video(result: RenderResult, *, target: VideoVariant | str | None = None) -> Any:
    """Encode ``result``'s frames into ``<out_dir>/<variant filename>``; returns the VideoResult.

    ``target`` is a channel type's ``video_variant`` or the type's name; None: the first variant
    rendered by default (``story.mp4``).
    """
    from .video import VideoFrame, VideoOptions, reading_time, render_video
    from .video.specs import resolve_variant

    variant = resolve_variant(target)
    frames = []
    for rec in result.frames:
        seconds = rec.duration or reading_time(frame_text(rec.texts), result.lang)
        frames.append(VideoFrame(result.out_dir / rec.file, float(seconds)))
    out = Path(result.out_dir) / variant.filename
    return render_video(frames, out, VideoOptions(target=variant.limits))
