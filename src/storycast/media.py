"""What a platform accepts for a story video, as plain data (no platform is named here).

Each channel type declares its own values (``Channel.media_limits`` and ``Channel.video_variant``);
``storycast.channels.media`` collects them from the registered types, and ``render.video`` encodes
and checks against them. This module imports nothing from storycast, so every layer may use it.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1_000_000  # platforms state sizes in decimal megabytes; the stricter reading
#: Every AAC sample rate up to 48 kHz (what most platforms accept).
AAC_RATES_UP_TO_48K = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
#: The file ``render --video`` writes for the main variant; other variants name their own.
VIDEO_NAME = "story.mp4"


@dataclass(frozen=True)
class MediaLimits:
    """What one platform accepts for a story video, and how storycast encodes for it."""

    name: str
    codecs: tuple[str, ...]  # accepted sample-entry families: "h264", "hevc"
    encode_codec: str  # what storycast writes: "h264" or "hevc"
    width: int  # the size storycast encodes at
    height: int
    min_width: int
    min_height: int
    max_width: int
    exact_size: bool  # the platform demands exactly width x height
    min_fps: float
    max_fps: float
    constant_fps: bool
    min_seconds: float
    max_seconds: float
    max_bytes: int | None
    max_video_bitrate: int | None  # bits per second
    audio_rates: tuple[int, ...]  # accepted AAC sample rates
    audio_channels: tuple[int, ...]
    min_audio_bitrate: int | None
    max_keyint_seconds: float  # longest allowed distance between key frames
    faststart: bool = True
    closed_gop: bool = True
    no_edit_list: bool = True

    @property
    def aspect(self) -> float:
        return self.width / self.height


@dataclass(frozen=True)
class VideoVariant:
    """A video file storycast renders for a platform: its limits and the file name in the build folder.

    ``default``: ``render --video`` without ``--video-target`` renders it. Variants that share a file
    (Facebook's fits Instagram's ``story.mp4``) leave all but one off the default list.
    """

    limits: MediaLimits
    filename: str = VIDEO_NAME
    default: bool = True

    @property
    def name(self) -> str:
        return self.limits.name
