"""Check a video file against a platform's story spec (``storycast media check``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...errors import RenderError
from ...media import MediaLimits
from .probe import MediaInfo, VideoTrack, probe
from .specs import resolve_limits

# Half a frame at 30 fps: container durations are rounded to the frame grid.
_EPS = 0.02


@dataclass(frozen=True)
class Violation:
    """One way a file breaks a platform spec (``error``) or departs from storycast's profile (``warning``)."""

    rule: str
    message: str
    expected: str
    actual: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.severity}: {self.rule}: {self.message} (expected {self.expected}, got {self.actual})"


def check_media(path: Path, target: MediaLimits | str) -> list[Violation]:
    """Every violation of ``target``'s story spec in the file at ``path`` (empty when compliant).

    ``target`` is a channel type's ``media_limits`` or its name. Raises RenderError when the target
    is unknown or the file does not exist. A file that is not a readable MP4/MOV yields a single
    ``container`` violation.
    """
    spec = resolve_limits(target)
    path = Path(path)
    if not path.is_file():
        raise RenderError("the video file does not exist", file=path, hint="check the path")
    try:
        info = probe(path)
    except RenderError as exc:
        return [Violation("container", exc.message, "an MP4 (MPEG-4 Part 14) or MOV file", "unreadable")]
    return check_info(info, spec)


def check_info(info: MediaInfo, spec: MediaLimits) -> list[Violation]:
    """The violations of ``spec`` in an already probed file."""
    out: list[Violation] = []

    def err(rule: str, message: str, expected: object, actual: object, severity: str = "error") -> None:
        out.append(Violation(rule, message, str(expected), str(actual), severity))

    if not info.moov_before_mdat:
        err("faststart", "the moov atom comes after the media data", "moov before mdat", "moov after mdat")
    if info.has_edit_list:
        err("edit-list", "the file contains an edit list (edts/elst)", "no edit list", "elst present")
    if spec.max_bytes is not None and info.size > spec.max_bytes:
        err("size", "the file is too large", f"<= {spec.max_bytes / 1e6:g} MB", f"{info.size / 1e6:.1f} MB")
    duration = max([info.duration, *(t.duration for t in [info.video, *info.audio] if t is not None)])
    if duration > spec.max_seconds + _EPS:
        err("duration", "the video is too long", f"<= {spec.max_seconds:g} s", f"{duration:.2f} s")
    if duration < spec.min_seconds - _EPS:
        err("duration", "the video is too short", f">= {spec.min_seconds:g} s", f"{duration:.2f} s")
    v = info.video
    if v is None:
        err("video", "the file has no video track", "one video track", "none")
    else:
        _check_video(v, spec, err)
    for a in info.audio:
        if a.codec != "aac":
            err("audio-codec", "the audio is not AAC", "AAC", a.codec)
        elif a.aac_object_type not in (2, 0):
            err(
                "audio-codec",
                "the audio is not AAC-LC",
                "AAC-LC (object type 2)",
                f"object type {a.aac_object_type}",
            )
        if a.sample_rate not in spec.audio_rates:
            want = "48000 Hz" if spec.audio_rates == (48000,) else "<= 48000 Hz"
            err("audio-rate", "unsupported audio sample rate", want, f"{a.sample_rate} Hz")
        elif a.sample_rate != 48000:
            err(
                "audio-rate",
                "storycast encodes audio at 48 kHz",
                "48000 Hz",
                f"{a.sample_rate} Hz",
                "warning",
            )
        if a.channels not in spec.audio_channels:
            err(
                "audio-channels",
                "unsupported channel count",
                " or ".join(map(str, spec.audio_channels)),
                a.channels,
            )
        if spec.min_audio_bitrate and a.bitrate and a.bitrate < spec.min_audio_bitrate * 0.9:
            err(
                "audio-bitrate",
                "the audio bitrate is low",
                f">= {spec.min_audio_bitrate // 1000} kbps",
                f"{a.bitrate // 1000} kbps",
            )
    return out


_BT709 = 1
_CODE_POINTS = {1: "bt709", 2: "unspecified", 5: "bt470bg", 6: "smpte170m", 9: "bt2020"}


def _check_colour(v: VideoTrack, err: Callable[..., None]) -> None:
    """storycast tags every video BT.709, limited range; an untagged file leaves players guessing."""
    if v.colour is None or v.full_range is None:
        err(
            "colour",
            "the video does not say its colour range and space",
            "tv range, BT.709",
            "untagged",
            "warning",
        )
        return
    c = v.colour
    got = {"primaries": c.primaries, "transfer": c.transfer, "matrix": c.matrix}
    off = {k: n for k, n in got.items() if n != _BT709}
    if off:
        actual = ", ".join(f"{k} {_CODE_POINTS.get(n, n)}" for k, n in off.items())
        err(
            "colour",
            "the video is not tagged BT.709",
            "bt709 primaries, transfer and matrix",
            actual,
            "warning",
        )


def _check_video(v: VideoTrack, spec: MediaLimits, err: Callable[..., None]) -> None:
    codec_names = {"h264": "H.264", "hevc": "H.265/HEVC"}
    if v.codec not in spec.codecs:
        err(
            "video-codec",
            "unsupported video codec",
            " or ".join(codec_names[c] for c in spec.codecs),
            v.codec,
        )
    elif v.codec != spec.encode_codec:
        err(
            "video-codec",
            "storycast encodes this target differently",
            codec_names[spec.encode_codec],
            codec_names.get(v.codec, v.codec),
            "warning",
        )
    if v.codec == "h264" and v.profile != "High":
        err("profile", "storycast's profile for this target is H.264 High", "High", v.profile, "warning")
    if v.chroma != "4:2:0" or v.bit_depth != 8:
        err("pix-fmt", "the video is not 8-bit 4:2:0", "yuv420p", v.pix_fmt)
    elif v.full_range:
        err(
            "range",
            "the video is full range (JPEG levels): players show it with the wrong contrast",
            "yuv420p, limited (tv) range",
            f"{v.pix_fmt}, full (pc) range",
        )
    _check_colour(v, err)
    if v.progressive is False:
        err("scan", "the video is interlaced", "progressive", "interlaced")
    if spec.exact_size and (v.width, v.height) != (spec.width, spec.height):
        err(
            "size",
            "the frame size is not the required one",
            f"{spec.width}x{spec.height}",
            f"{v.width}x{v.height}",
        )
    else:
        if v.width > spec.max_width:
            err("size", "the frame is too wide", f"<= {spec.max_width} columns", v.width)
        if v.width < spec.min_width or v.height < spec.min_height:
            err(
                "size",
                "the frame is too small",
                f">= {spec.min_width}x{spec.min_height}",
                f"{v.width}x{v.height}",
            )
        if v.height and abs(v.width / v.height - 9 / 16) > 0.01:
            err("aspect", "stories are 9:16", "9:16", f"{v.width}x{v.height}", "warning")
        elif (v.width, v.height) != (spec.width, spec.height):
            err(
                "size",
                "storycast encodes this target at another size",
                f"{spec.width}x{spec.height}",
                f"{v.width}x{v.height}",
                "warning",
            )
    if not spec.min_fps <= v.fps <= spec.max_fps:
        err(
            "fps",
            "the frame rate is out of range",
            f"{spec.min_fps:g}-{spec.max_fps:g} fps",
            f"{v.fps:g} fps",
        )
    elif abs(v.fps - 30) > 0.01:
        err("fps", "storycast encodes at 30 fps", "30 fps", f"{v.fps:g} fps", "warning")
    if not v.constant_fps:
        err(
            "fps",
            "the frame rate is variable",
            "a constant frame rate",
            "variable",
            "error" if spec.constant_fps else "warning",
        )
    if v.start > _EPS:
        # Without an edit list nothing hides the composition delay of B-frames stored with unsigned
        # offsets: the picture starts that late, out of step with the sound.
        err(
            "start",
            "the first frame is shown after the start of the file",
            "0 s (signed composition offsets, ctts version 1)",
            f"{v.start:.3f} s",
            "warning",
        )
    if v.closed_gop is False:
        err(
            "gop",
            "the video uses an open GOP (key frames that are not IDR pictures)",
            "closed GOP",
            "open GOP",
        )
    frame = 1 / v.fps if v.fps else 0
    if v.max_keyint > spec.max_keyint_seconds + frame + 1e-6:
        err(
            "keyframes",
            "key frames are too far apart",
            f"<= {spec.max_keyint_seconds:g} s",
            f"{v.max_keyint:.2f} s",
        )
    if spec.max_video_bitrate and v.bitrate > spec.max_video_bitrate:
        err(
            "bitrate",
            "the video bitrate is too high",
            f"<= {spec.max_video_bitrate // 1_000_000} Mbps",
            f"{v.bitrate / 1e6:.1f} Mbps",
        )
