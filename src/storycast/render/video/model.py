"""The data the video encoder takes and returns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ...media import MediaLimits


@dataclass(frozen=True)
class VideoFrame:
    """One rendered frame and how long it stays on screen.

    ``transition`` leads from this frame into the next one: ``cut``, ``crossfade``, ``slide`` or
    ``wipe`` (also ``slide-up``/``-down``/``-right``, ``wipe-up``/``-down``/``-right``,
    ``fadeblack``, ``dissolve``). The last frame's transition is ignored.
    """

    path: Path
    duration: float
    transition: str = "crossfade"


@dataclass(frozen=True)
class VideoOptions:
    """How to encode a story video.

    ``voiceover`` maps a frame index (0-based, into the frame list) to an audio file played from
    the start of that frame. ``cache_dir`` holds the encoded segments reused by the next render
    (default: ``.video-cache/<target>`` next to the output). ``jobs`` is the number of segments
    encoded at once (0: one more than there are CPUs, at most 4).

    ``target`` is a channel type's ``media_limits`` (or the type's name); None: the first variant
    ``render --video`` renders by default (``storycast.channels.media.video_variants``).

    ``progress`` is called after each encoded segment and each joined part (a warm cache encodes
    nothing and reports only the parts).
    """

    fps: int = 30
    transition_duration: float = 0.5
    target: MediaLimits | str | None = None
    preset: str = "veryfast"
    crf: int = 20
    music: Path | None = None
    voiceover: Mapping[int, Path] | None = None
    zoom: bool = False
    progress_bar: bool = False
    max_part_seconds: float = 60.0
    cache_dir: Path | None = None
    jobs: int = 0
    progress: Callable[[VideoProgress], None] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class VideoProgress:
    """One step of ``render_video`` done: ``done`` of ``total`` (segments to encode, then parts)."""

    done: int
    total: int
    step: str  # "segment 3/12" or "part 1/2"


@dataclass
class VideoResult:
    """What ``render_video`` wrote."""

    parts: list[Path]
    durations: list[float]  # seconds, per part
    target: str
    segments_encoded: int = 0
    segments_reused: int = 0
    seconds: float = 0.0  # wall time of the whole render
    max_rss_kb: int = 0  # peak memory of the largest ffmpeg child
    sizes: list[int] = field(default_factory=list)  # bytes, per part
