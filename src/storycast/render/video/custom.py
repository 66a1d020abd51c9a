"""Optional moviepy API for custom clips and effects (``pip install storycast[video-extras]``).

The built-in pipeline never imports moviepy: per-frame compositing in Python is several times
slower than ffmpeg filter graphs (see docs/video.md), and moviepy 2.2.1 pins ``pillow<12``. When an
effect is easier to write as a moviepy clip (a particle overlay, a custom text animation, a
chart that draws itself), build the clip with moviepy and hand it to ``write_clip``: it encodes with
the same settings as ``render_video`` and refuses to publish a file that breaks the target spec.

    from moviepy import ColorClip
    from storycast.render.video.custom import frames_clip, write_clip

    clip = frames_clip(frames).with_effects([...])
    write_clip(clip, Path("story.mp4"), VideoOptions(target="instagram"))
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...errors import RenderError
from . import ffmpeg
from .encode import _NO_EDIT_LIST, _SIGNED_CTS, _TAG_BT709, _TO_BT709, _encoder_args, _fsync, _self_check
from .model import VideoFrame, VideoOptions, VideoResult
from .specs import resolve_limits


def _moviepy() -> Any:
    try:
        import moviepy
    except ImportError:
        raise RenderError(
            "moviepy is not installed; custom clips need the video-extras",
            hint="pip install 'storycast[video-extras]'",
        ) from None
    return moviepy


def frames_clip(frames: Sequence[VideoFrame]) -> Any:
    """A moviepy clip showing each frame for its duration (cuts only; add effects on top)."""
    mp = _moviepy()
    clips = [mp.ImageClip(str(f.path)).with_duration(f.duration) for f in frames]
    return mp.concatenate_videoclips(clips)


def write_clip(clip: Any, out: Path, options: VideoOptions | None = None) -> VideoResult:
    """Encode a moviepy clip as one spec-compliant story MP4 at ``out`` (atomic; checked before it lands).

    The clip must already be at the target's size (1080x1920, or 720x1280 for Telegram) and no
    longer than one part; splitting is only done by ``render_video``.
    """
    options = options or VideoOptions()
    spec = resolve_limits(options.target)
    started = time.perf_counter()
    out = Path(out)
    if tuple(clip.size) != (spec.width, spec.height):
        raise RenderError(
            f"the clip is {clip.size[0]}x{clip.size[1]}, but {spec.name} stories are encoded at "
            f"{spec.width}x{spec.height}",
            file=out,
            hint=f"resize it first: clip.resized(({spec.width}, {spec.height}))",
        )
    if clip.duration is None or clip.duration > options.max_part_seconds:
        raise RenderError(
            f"the clip must have a duration of at most {options.max_part_seconds:g} s",
            file=out,
            hint="cut it into parts, or use render_video, which splits at frame boundaries",
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    raw = out.with_name(f".{out.name}.{os.getpid()}.raw.mp4")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp.mp4")
    enc = _encoder_args(spec, options)
    codec = enc[enc.index("-c:v") + 1]
    # After "-c:v CODEC -preset PRESET", which moviepy sets itself. moviepy hands ffmpeg RGB: the
    # filter converts it with the BT.709 matrix to limited range and tags the frames, since newer
    # ffmpeg releases take a frame's colour tags over the encoder's -color_* options.
    params = [*enc[4:], "-vf", f"scale={_TO_BT709},{_TAG_BT709}"]
    try:
        clip.write_videofile(
            str(raw),
            fps=options.fps,
            codec=codec,
            preset=options.preset,
            audio_codec="aac",
            audio_fps=48000,
            audio_bitrate="128k",
            ffmpeg_params=params,
            logger=None,
        )
        # Remux: moov first, no edit list, video kept at t=0 with signed composition offsets for
        # the B-frames (see encode._mux_part).
        stats = ffmpeg.run(
            ["-i", str(raw), "-c", "copy", *_NO_EDIT_LIST, "-avoid_negative_ts", "disabled",
             "-movflags", f"+faststart{_SIGNED_CTS}", "-f", "mp4", "-y", str(tmp)],
            what="finishing the custom clip",
            file=out,
        )  # fmt: skip
        _fsync(tmp)
        _self_check(tmp, out, spec)
        os.replace(tmp, out)
    finally:
        raw.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
    return VideoResult(
        parts=[out],
        durations=[float(clip.duration)],
        target=spec.name,
        segments_encoded=1,
        seconds=time.perf_counter() - started,
        max_rss_kb=stats.max_rss_kb,
        sizes=[out.stat().st_size],
    )
