"""What Instagram accepts for a story video.

Source: IG User Media reference (Graph API v25.0; see docs/video.md for the date it was read): MOV/MP4,
no edit lists, moov atom at the front, AAC at most 48 kHz mono/stereo, HEVC or H.264, progressive, closed
GOP, 4:2:0, 23-60 fps, at most 1920 columns, VBR at most 25 Mbps, 3-60 s, at most 100 MB.
"""

from __future__ import annotations

from ...media import AAC_RATES_UP_TO_48K, MB, MediaLimits, VideoVariant

STORY_VIDEO = MediaLimits(
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
    audio_rates=AAC_RATES_UP_TO_48K,
    audio_channels=(1, 2),
    min_audio_bitrate=None,
    # Instagram states "closed GOP" without a length; storycast uses at most 5 s, within Facebook's 2-5 s.
    max_keyint_seconds=10.0,
)

#: ``story.mp4``, rendered by default; Facebook's variant writes the same file.
VIDEO_VARIANT = VideoVariant(STORY_VIDEO)
