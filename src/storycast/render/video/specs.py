"""Platform video specs for story uploads, as data.

Sources (see docs/video.md for the full list and the dates they were read):

- Instagram, IG User Media reference (Graph API v25.0): MOV/MP4, no edit lists, moov atom at the front,
  AAC at most 48 kHz mono/stereo, HEVC or H.264, progressive, closed GOP, 4:2:0, 23-60 fps, at most 1920
  columns, VBR at most 25 Mbps, 3-60 s, at most 100 MB.
- Facebook Page stories (Stories API, May 2026): MP4, 9:16, 1080x1920 recommended (at least 540x960),
  24-60 fps, fixed frame rate, progressive, 4:2:0, closed GOP of 2-5 s, H.264/H.265, AAC-LC stereo 48 kHz,
  "a video story can not exceed 60 seconds".
- Telegram Bot API ``InputStoryContentVideo`` (postStory): 720x1280, streamable, H.265, key frames every
  second, MPEG-4, at most 30 MB, 0-60 s. (python-telegram-bot's ``InputStoryContentLimit`` says 720x1080;
  the Bot API text and TDLib say 720x1280, which is 9:16 like our frames, so we follow the Bot API.)

storycast's own encoding profile is stricter than the platforms (H.264 High, exactly 30 fps, 1080x1920,
a closed GOP of at most 4 s); ``check_media`` reports platform violations as errors and departures from the
storycast profile as warnings.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1_000_000  # platforms state sizes in decimal megabytes; the stricter reading


@dataclass(frozen=True)
class TargetSpec:
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


_AAC_RATES_UP_TO_48K = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)

INSTAGRAM = TargetSpec(
    name="instagram",
    codecs=("h264", "hevc"),
    encode_codec="h264",
    width=1080,
    height=1920,
    min_width=1,
    min_height=1,
    max_width=1920,
    exact_size=False,
    min_fps=23,
    max_fps=60,
    constant_fps=False,
    min_seconds=3,
    max_seconds=60,
    max_bytes=100 * MB,
    max_video_bitrate=25_000_000,
    audio_rates=_AAC_RATES_UP_TO_48K,
    audio_channels=(1, 2),
    min_audio_bitrate=None,
    # Instagram states "closed GOP" without a length; storycast uses at most 4 s, as for Facebook.
    max_keyint_seconds=10.0,
)

FACEBOOK = TargetSpec(
    name="facebook",
    codecs=("h264", "hevc"),
    encode_codec="h264",
    width=1080,
    height=1920,
    min_width=540,
    min_height=960,
    max_width=1920,
    exact_size=False,
    min_fps=24,
    max_fps=60,
    constant_fps=True,
    min_seconds=3,
    max_seconds=60,
    max_bytes=None,
    max_video_bitrate=None,
    audio_rates=(48000,),
    audio_channels=(2,),
    min_audio_bitrate=128_000,
    max_keyint_seconds=5.0,
)

TELEGRAM = TargetSpec(
    name="telegram",
    codecs=("hevc",),
    encode_codec="hevc",
    width=720,
    height=1280,
    min_width=720,
    min_height=1280,
    max_width=720,
    exact_size=True,
    min_fps=1,
    max_fps=60,
    constant_fps=False,
    min_seconds=0,
    max_seconds=60,
    max_bytes=30 * MB,
    max_video_bitrate=None,
    audio_rates=_AAC_RATES_UP_TO_48K,
    audio_channels=(1, 2),
    min_audio_bitrate=None,
    max_keyint_seconds=1.0,
)

TARGETS: dict[str, TargetSpec] = {s.name: s for s in (INSTAGRAM, FACEBOOK, TELEGRAM)}


def target_spec(name: str) -> TargetSpec:
    """The spec of a target platform; RenderError naming the choices when unknown."""
    try:
        return TARGETS[name]
    except KeyError:
        from ...errors import RenderError

        raise RenderError(
            f"unknown video target {name!r}",
            hint=f"use one of: {', '.join(TARGETS)}",
        ) from None
