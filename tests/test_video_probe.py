"""Our MP4 box reader and the platform checks, on small files made by the real ffmpeg."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from storycast.channels.facebook import STORY_VIDEO as FACEBOOK
from storycast.channels.instagram.media import STORY_VIDEO as INSTAGRAM
from storycast.channels.telegram import STORY_VIDEO as TELEGRAM
from storycast.errors import RenderError
from storycast.render.video import check_media, probe
from storycast.render.video.check import check_info
from storycast.render.video.ffmpeg import ffmpeg_exe

SRC = ["-f", "lavfi", "-i", "testsrc2=s=360x640:r=30", "-t", "3.5"]
BFRAMES = (*SRC, "-c:v", "libx264", "-preset", "veryfast", "-x264-params", "keyint=30:bframes=3")


def ffmpeg(*args: str | Path) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *map(str, args)], check=True)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("media")
    files = {
        # ffmpeg's defaults: B-frames (so an edit list), moov at the end, x264's default 250-frame GOP.
        "plain": (*SRC, "-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-x264-params", "bframes=2"),
        "faststart": (
            *SRC,
            "-c:v",
            "libx264",
            "-bf",
            "0",
            "-g",
            "30",
            "-use_editlist",
            "0",
            "-movflags",
            "+faststart",
        ),
        "open_gop": (*SRC, "-c:v", "libx264", "-x264-params", "open-gop=1:keyint=30", "-bf", "3"),
        "hevc_open": (*SRC, "-c:v", "libx265", "-x265-params", "open-gop=1:keyint=30:log-level=error"),
        "yuv422": (*SRC, "-c:v", "libx264", "-pix_fmt", "yuv422p", "-bf", "0", "-use_editlist", "0"),
        "fps15": ("-f", "lavfi", "-i", "testsrc2=s=360x640:r=15", "-t", "3.5", "-c:v", "libx264", "-bf", "0"),
        # B-frames without an edit list: unsigned composition offsets show the first frame late;
        # signed ones (ctts version 1) present it at t = 0.
        "bframes_late": (*BFRAMES, "-use_editlist", "0", "-movflags", "+faststart"),
        "bframes_signed": (*BFRAMES, "-use_editlist", "0", "-movflags", "+faststart+negative_cts_offsets"),
    }
    out = {}
    for name, args in files.items():
        out[name] = d / f"{name}.mp4"
        ffmpeg(*args, out[name])
    out["mov"] = d / "audio.mov"
    ffmpeg(
        *SRC,
        "-f",
        "lavfi",
        "-i",
        "sine=r=44100",
        "-t",
        "3.5",
        "-c:v",
        "libx264",
        "-c:a",
        "aac",
        "-ac",
        "1",
        out["mov"],
    )
    out["mp3audio"] = d / "mp3audio.mp4"
    ffmpeg(
        *SRC,
        "-f",
        "lavfi",
        "-i",
        "sine=r=48000",
        "-t",
        "3.5",
        "-c:v",
        "libx264",
        "-c:a",
        "libmp3lame",
        out["mp3audio"],
    )
    return out


def rules(violations, severity="error") -> set[str]:  # type: ignore[no-untyped-def]
    return {v.rule for v in violations if v.severity == severity}


def test_probe_reads_layout_codec_and_timing(media):
    info = probe(media["faststart"])
    v = info.video
    assert v is not None
    assert info.moov_before_mdat and not info.has_edit_list
    assert (v.fourcc, v.codec, v.pix_fmt, v.width, v.height, v.fps, v.frames) == (
        "avc1", "h264", "yuv420p", 360, 640, 30.0, 105,
    )  # fmt: skip
    assert v.constant_fps and v.progressive and v.closed_gop is True
    assert v.keyframe_times == pytest.approx([0.0, 1.0, 2.0, 3.0])
    assert v.duration == pytest.approx(3.5)
    assert "isom" in info.brands


def test_ffmpeg_defaults_break_the_story_rules(media):
    info = probe(media["plain"])
    assert not info.moov_before_mdat and info.has_edit_list
    found = rules(check_media(media["plain"], "facebook"))
    assert {"faststart", "edit-list", "size"} <= found  # 360x640 is below Facebook's 540x960 minimum
    assert "keyframes" in rules(check_media(media["plain"], "telegram"))  # 250-frame GOP, not 1 s


def test_b_frames_are_read_in_presentation_order(media):
    late = probe(media["bframes_late"]).video
    signed = probe(media["bframes_signed"]).video
    assert late is not None and signed is not None
    assert late.reordered and signed.reordered
    assert not probe(media["faststart"]).video.reordered  # type: ignore[union-attr]
    # b-pyramid delays presentation by two frames; signed offsets take that delay back.
    assert late.start == pytest.approx(2 / 30) and signed.start == 0.0
    assert signed.keyframe_times == pytest.approx([0.0, 1.0, 2.0, 3.0])
    assert late.keyframe_times == pytest.approx([t + 2 / 30 for t in (0.0, 1.0, 2.0, 3.0)])
    assert "start" in rules(check_media(media["bframes_late"], "instagram"), "warning")
    assert "start" not in rules(check_media(media["bframes_signed"], "instagram"), "warning")
    assert not probe(media["bframes_signed"]).has_edit_list


def test_open_gop_is_detected_for_h264_and_hevc(media):
    for name in ("open_gop", "hevc_open"):
        v = probe(media[name]).video
        assert v is not None and v.closed_gop is False, name
        assert "gop" in rules(check_media(media[name], "instagram")), name
    assert probe(media["hevc_open"]).video.codec == "hevc"  # type: ignore[union-attr]


def test_pixel_format_and_frame_rate_limits(media):
    assert probe(media["yuv422"]).video.pix_fmt == "yuv422p"  # type: ignore[union-attr]
    assert "pix-fmt" in rules(check_media(media["yuv422"], "instagram"))
    found = check_media(media["fps15"], "instagram")
    assert "fps" in rules(found)
    assert any("23-60 fps" in v.expected for v in found)


def test_audio_tracks_are_checked_per_platform(media):
    (a,) = probe(media["mov"]).audio
    assert (a.codec, a.aac_object_type, a.sample_rate, a.channels) == ("aac", 2, 44100, 1)
    ig = check_media(media["mov"], "instagram")
    assert "audio-rate" in rules(ig, "warning") and not {"audio-rate", "audio-channels"} & rules(ig)
    assert {"audio-rate", "audio-channels"} <= rules(check_media(media["mov"], "facebook"))
    assert "audio-codec" in rules(check_media(media["mp3audio"], "instagram"))


def test_size_and_duration_limits(media):
    info = probe(media["faststart"])
    assert "size" in rules(check_info(info, dataclasses.replace(TELEGRAM, max_bytes=1000)))
    assert "duration" in rules(check_info(info, dataclasses.replace(INSTAGRAM, max_seconds=3.0)))
    assert "duration" in rules(check_info(info, dataclasses.replace(FACEBOOK, min_seconds=5.0)))


def test_unreadable_files(media, tmp_path):
    png = tmp_path / "frame.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    (v,) = check_media(png, "instagram")
    assert v.rule == "container" and v.severity == "error"
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(media["faststart"].read_bytes()[:3000])  # moov first, cut inside mdat
    assert rules(check_media(cut, "instagram")) == {"container"}
    with pytest.raises(RenderError, match="does not exist"):
        check_media(tmp_path / "missing.mp4", "instagram")
    with pytest.raises(RenderError, match="not a readable MP4"):
        probe(png)


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="no system ffprobe to cross-check against")
def test_probe_agrees_with_a_system_ffprobe(media):  # CI installs Debian ffmpeg for this
    for name in ("faststart", "hevc_open", "yuv422", "bframes_late", "bframes_signed"):
        out = subprocess.run(
            [
                "ffprobe",
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-show_streams",
                "-of",
                "json",
                str(media[name]),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        stream = json.loads(out.stdout)["streams"][0]
        v = probe(media[name]).video
        assert v is not None
        assert (stream["codec_name"], stream["width"], stream["height"], stream["pix_fmt"]) == (
            v.codec, v.width, v.height, v.pix_fmt,
        )  # fmt: skip
        if not probe(media[name]).has_edit_list:  # an edit list moves ffprobe's start, not ours
            assert float(stream["start_time"]) == pytest.approx(v.start, abs=1e-3), name
        assert (stream.get("has_b_frames", 0) > 0) == v.reordered, name
