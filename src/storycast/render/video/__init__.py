"""Story videos: rendered frames -> platform-compliant MP4s (ffmpeg filter graphs, no moviepy).

Public API (what the frame renderer and the CLI call)::

    from storycast.render.video import VideoFrame, VideoOptions, render_video, reading_time, check_media

    frames = [VideoFrame(Path("01.png"), reading_time(text, "th"), "crossfade"), ...]
    limits = channel_type.media_limits            # a storycast.media.MediaLimits the channel declares
    result = render_video(frames, Path("build/reset-router/th/story.mp4"), VideoOptions(target=limits))
    result.parts        # [story.mp4] or [story-1.mp4, story-2.mp4] when longer than 60 s
    check_media(result.parts[0], limits)   # [] when compliant

- ``VideoFrame(path, duration, transition="crossfade")``: a frame and its seconds on screen;
  ``transition`` leads into the next frame: ``cut``, ``crossfade``, ``slide``, ``wipe`` (+ variants).
- ``VideoOptions(fps=30, transition_duration=0.5, target=None, preset="veryfast", crf=20,
  music=None, voiceover=None, zoom=False, progress_bar=False, max_part_seconds=60.0,
  cache_dir=None, jobs=0, progress=None)``; ``progress`` gets a ``VideoProgress`` per encoded
  segment and joined part. ``target`` is the ``MediaLimits`` a channel type declares, or the
  type's name; None is the first variant ``render --video`` renders by default. Each channel type
  declares its own (``storycast.channels.media`` lists them); render names no platform.
- ``render_video(frames, out, options) -> VideoResult`` (``parts``, ``durations``, ``sizes``,
  ``segments_encoded``/``segments_reused``, ``max_rss_kb``). Raises ``RenderError`` naming the bad
  input and the fix; writes nothing partial.
- ``reading_time(text, lang) -> float``: seconds to read a frame (3-10 s; Thai words via pythainlp).
- ``check_media(path, target) -> list[Violation]`` (``target``: limits or a type name): every spec
  violation, from our own MP4 box reader (``probe``), so no ffprobe is needed.

moviepy is never imported here; ``storycast.render.video.custom`` offers it as an optional extra.
"""

from __future__ import annotations

from .check import Violation, check_media
from .encode import render_video
from .model import VideoFrame, VideoOptions, VideoProgress, VideoResult
from .probe import MediaInfo, probe
from .reading import reading_time
from .specs import TargetSpec, target_spec

__all__ = [
    "MediaInfo",
    "TargetSpec",
    "VideoFrame",
    "VideoOptions",
    "VideoProgress",
    "VideoResult",
    "Violation",
    "check_media",
    "probe",
    "reading_time",
    "render_video",
    "target_spec",
]
