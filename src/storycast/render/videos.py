"""``storycast render --video``: turn a story/language build into its MP4 (via render.video).

Durations come from the manifest: a step's own ``duration`` when the story gives one, else the
reading time of the text drawn on the frame (``render.video.reading_time``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .pipeline import RenderResult

VIDEO_NAME = "story.mp4"
# One file per target: Instagram's spec (H.264) also fits Facebook; Telegram stories want H.265.
VIDEO_TARGETS = ("instagram", "telegram")


def video_name(target: str) -> str:
    """``story.mp4`` for Instagram/Facebook, ``story.<target>.mp4`` for the other variants."""
    return VIDEO_NAME if target in ("instagram", "facebook") else f"story.{target}.mp4"


def frame_text(texts: list[dict[str, Any]]) -> str:
    """All text drawn on a frame, in layer order (what a viewer has to read)."""
    return "\n".join(" ".join(t.get("lines") or []) for t in texts if t.get("lines"))


def render_result_video(result: RenderResult, *, target: str = "instagram") -> Any:
    """Encode ``result``'s frames into ``<out_dir>/`` + :func:`video_name`; returns the VideoResult."""
    from .video import VideoFrame, VideoOptions, reading_time, render_video

    frames = []
    for rec in result.frames:
        seconds = rec.duration or reading_time(frame_text(rec.texts), result.lang)
        frames.append(VideoFrame(result.out_dir / rec.file, float(seconds)))
    return render_video(frames, Path(result.out_dir) / video_name(target), VideoOptions(target=target))
