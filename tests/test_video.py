"""Story video encoding: real Pillow frames, the real bundled ffmpeg, our own MP4 probe."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from storycast.errors import RenderError
from storycast.render.video import (
    VideoFrame,
    VideoOptions,
    check_media,
    probe,
    render_video,
)
from storycast.render.video.ffmpeg import ffmpeg_exe

W, H = 1080, 1920
FAST = {"preset": "ultrafast"}


def make_frame(path: Path, number: int, text: str = "Tap Settings") -> Path:
    """Gradient + big number + a line of text, like a rendered step."""
    top, bottom = (30 + 40 * (number % 5), 40, 160), (220, 90 + 25 * (number % 6), 60)
    grad = Image.linear_gradient("L").resize((W, H))
    im = Image.composite(Image.new("RGB", (W, H), bottom), Image.new("RGB", (W, H), top), grad)
    draw = ImageDraw.Draw(im)
    draw.text((W / 2, 820), str(number), font=ImageFont.load_default(size=520), fill="white", anchor="mm")
    draw.text((W / 2, 1365), text, font=ImageFont.load_default(size=60), fill="white", anchor="mm")
    im.save(path)
    return path


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def frame_png(video: Path, index: int, dest: Path) -> Image.Image:
    """Decode output frame ``index`` to a PNG (also what we look at by eye) and load it."""
    ffmpeg(
        "-i", str(video), "-vf", f"select=eq(n\\,{index})", "-fps_mode", "vfr", "-frames:v", "1", str(dest)
    )
    return Image.open(dest).convert("RGB")


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    d = tmp_path_factory.mktemp("frames")
    return [make_frame(d / f"{i:02d}.png", i + 1) for i in range(5)]


@pytest.fixture(scope="module")
def audio(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("audio")
    music, voice = d / "music.mp3", d / "voice.wav"
    ffmpeg(
        "-f", "lavfi", "-i", "sine=f=330:r=44100:d=2", "-ac", "1", str(music)
    )  # shorter than the story: loops
    ffmpeg("-f", "lavfi", "-i", "sine=f=880:r=22050:d=0.8", str(voice))
    return {"music": music, "voice": voice}


def codec_config(path: Path) -> bytes:
    """The avcC/hvcC record of an MP4 (SPS/PPS: what a decoder of the joined file will use)."""
    data = path.read_bytes()
    for tag in (b"avcC", b"hvcC"):
        i = data.find(tag)
        if i > 0:
            return data[i : i - 4 + int.from_bytes(data[i - 4 : i], "big")]
    raise AssertionError(f"no codec configuration in {path}")


def no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if ".tmp" in p.name or ".raw" in p.name]


# --- the Instagram/Facebook profile --------------------------------------------------------------


def test_instagram_story_meets_the_spec_with_every_transition(frames, tmp_path):
    out = tmp_path / "story.mp4"
    vf = [
        VideoFrame(frames[0], 1.0, "crossfade"),
        VideoFrame(frames[1], 1.0, "slide"),
        VideoFrame(frames[2], 1.0, "wipe"),
        VideoFrame(frames[3], 0.6, "cut"),
    ]
    result = render_video(vf, out, VideoOptions(**FAST))
    assert result.parts == [out] and result.durations == [3.6]
    info = probe(out)
    v = info.video
    assert v is not None
    assert (v.codec, v.profile, v.pix_fmt, v.width, v.height) == ("h264", "High", "yuv420p", 1080, 1920)
    assert v.fps == 30 and v.constant_fps and v.frames == 108 and v.progressive
    assert info.moov_before_mdat and not info.has_edit_list
    assert v.closed_gop is True and v.max_keyint <= 4.0 + 1e-6
    assert info.audio == []
    assert check_media(out, "instagram") == []
    assert check_media(out, "facebook") == []
    assert no_temp_files(tmp_path)


def test_music_and_voiceover_give_aac_48k_stereo_ending_with_the_video(frames, audio, tmp_path):
    out = tmp_path / "story.mp4"
    vf = [VideoFrame(frames[0], 1.5), VideoFrame(frames[1], 1.5)]
    opts = VideoOptions(music=audio["music"], voiceover={1: audio["voice"]}, **FAST)
    render_video(vf, out, opts)
    info = probe(out)
    (a,) = info.audio
    assert (a.codec, a.aac_object_type, a.sample_rate, a.channels) == ("aac", 2, 48000, 2)
    assert abs(a.duration - 3.0) < 0.03 and abs(info.duration - 3.0) < 0.03
    assert info.video is not None and info.video.constant_fps and not info.has_edit_list
    assert [v for v in check_media(out, "facebook") if v.severity == "error"] == []


def test_long_story_splits_at_step_boundaries(frames, tmp_path):
    out = tmp_path / "story.mp4"
    (tmp_path / "story.mp4").write_bytes(b"stale single-part output")
    vf = [VideoFrame(frames[i % 5], d) for i, d in enumerate([2, 2, 2, 2, 1])]
    result = render_video(vf, out, VideoOptions(max_part_seconds=5, **FAST))
    # Greedy filling would leave a 1 s last part (too short for Instagram); parts are 4 s + 5 s.
    assert result.parts == [tmp_path / "story-1.mp4", tmp_path / "story-2.mp4"]
    assert result.durations == [4.0, 5.0]
    assert not out.exists()  # the stale single-part file is gone
    for part, seconds in zip(result.parts, result.durations, strict=True):
        info = probe(part)
        assert info.video is not None and abs(info.video.duration - seconds) < 1e-6
        assert check_media(part, "instagram") == []


def test_telegram_variant_is_hevc_720x1280_with_a_key_frame_every_second(frames, tmp_path):
    out = tmp_path / "story.telegram.mp4"
    render_video(
        [VideoFrame(frames[0], 1.5), VideoFrame(frames[1], 1.5)], out, VideoOptions(target="telegram", **FAST)
    )
    info = probe(out)
    v = info.video
    assert v is not None
    assert (v.fourcc, v.codec, v.profile, v.width, v.height, v.pix_fmt) == (
        "hvc1",
        "hevc",
        "Main",
        720,
        1280,
        "yuv420p",
    )
    assert v.max_keyint <= 1.0 + 1e-6 and v.closed_gop is True
    assert info.moov_before_mdat and info.size < 30_000_000
    assert check_media(out, "telegram") == []
    # The Instagram file is not a Telegram story (wrong codec and size), and the check says so.
    ig = tmp_path / "ig.mp4"
    render_video([VideoFrame(frames[0], 3.0)], ig, VideoOptions(**FAST))
    rules = {v.rule for v in check_media(ig, "telegram") if v.severity == "error"}
    assert {"video-codec", "size", "keyframes"} <= rules


def test_progress_bar_and_zoom_are_drawn(frames, tmp_path):
    out = tmp_path / "story.mp4"
    vf = [VideoFrame(frames[0], 2.0, "cut"), VideoFrame(frames[1], 2.0, "cut")]
    render_video(vf, out, VideoOptions(progress_bar=True, zoom=True, **FAST))
    early = frame_png(out, 0, tmp_path / "early.png")
    late = frame_png(out, 59, tmp_path / "late.png")
    half = frame_png(out, 60, tmp_path / "half.png")
    y = round(H * 232 / 1920) + 4

    def white(im: Image.Image, x: int) -> bool:
        return min(im.getpixel((x, y))) > 235

    # At frame 60 of 120 the bar is filled to the middle of its 960 px track (x from 60 to 1020).
    assert white(half, 300) and white(half, 530) and not white(half, 600) and not white(half, 900)
    assert white(early, 62) and not white(early, 200)

    def number_width(im: Image.Image) -> int:
        row = [min(im.getpixel((x, 820))) > 235 for x in range(W)]
        return max(i for i, w in enumerate(row) if w) - min(i for i, w in enumerate(row) if w)

    # The slow zoom grows the picture: the big number is wider near the end of its frame.
    assert number_width(late) > number_width(early) * 1.03


def test_rerender_after_one_step_changes_encodes_only_that_step(frames, tmp_path):
    paths = [make_frame(tmp_path / f"{i}.png", i + 1) for i in range(3)]
    vf = [VideoFrame(p, 1.0) for p in paths]
    out = tmp_path / "out" / "story.mp4"
    first = render_video(vf, out, VideoOptions(**FAST))
    # The first hold, then each crossfade with the hold after it.
    assert (first.segments_encoded, first.segments_reused) == (3, 0)
    make_frame(paths[2], 3, "Tap General")  # the last step's text changes
    again = render_video(vf, out, VideoOptions(**FAST))
    assert (again.segments_encoded, again.segments_reused) == (1, 2)  # the crossfade into it and its hold
    make_frame(paths[1], 2, "Tap General")  # the middle step's text changes
    middle = render_video(vf, out, VideoOptions(**FAST))
    assert (middle.segments_encoded, middle.segments_reused) == (
        2,
        1,
    )  # the segments it arrives and leaves in
    assert check_media(out, "instagram") == []
    # Joining with -c copy keeps the first segment's avcC: every segment must carry the same one.
    segments = list((out.parent / ".video-cache" / "instagram").glob("*.mp4"))
    assert len(segments) == 3  # the stale segments were pruned
    assert len({codec_config(p) for p in segments}) == 1
    ffmpeg("-v", "error", "-i", str(out), "-f", "null", "-")  # the joined stream decodes cleanly


def presented(video: Path) -> list[int]:
    """Presentation times, in frames, of every picture the bundled ffmpeg decodes from ``video``."""
    out = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(video), "-fps_mode", "passthrough",
         "-f", "framecrc", "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [int(line.split(",")[2]) for line in out.splitlines() if line and not line.startswith("#")]


def test_segments_with_b_frames_join_in_presentation_order(frames, tmp_path):
    # veryfast (the default preset) uses B-frames; ultrafast has none.
    out = tmp_path / "story.mp4"
    vf = [VideoFrame(frames[0], 2.0), VideoFrame(frames[1], 5.6, "cut"), VideoFrame(frames[2], 1.4)]
    result = render_video(vf, out, VideoOptions(preset="veryfast"))
    assert result.segments_encoded == 3  # frame 1; the crossfade and frame 2 (two GOPs); frame 3
    info = probe(out)
    v = info.video
    assert v is not None and v.frames == 270
    assert v.reordered and v.start == 0.0 and not info.has_edit_list
    assert v.closed_gop is True and v.max_keyint <= 5.0 + 1e-6
    # Each segment starts a GOP: 53 frames of frame 1 (the crossfade takes 7 of its 60); the 0.5 s
    # crossfade and the 160 frames left of frame 2, two GOPs of 88 and 87; the 42 of frame 3.
    assert v.keyframe_times == pytest.approx([0.0, 53 / 30, 141 / 30, 228 / 30])
    assert presented(out) == list(range(270))  # every frame once, in order, from t = 0
    assert check_media(out, "instagram") == [] and check_media(out, "facebook") == []
    segments = list((tmp_path / ".video-cache" / "instagram").glob("*.mp4"))
    assert len({codec_config(p) for p in segments}) == 1
    # The pictures are where the plan puts them: each hold shows its own frame (their tops differ).
    for index, frame in ((30, 0), (150, 1), (255, 2)):
        got = frame_png(out, index, tmp_path / f"at{index}.png").getpixel((100, 100))
        want = Image.open(frames[frame]).convert("RGB").getpixel((100, 100))
        assert max(abs(a - b) for a, b in zip(got, want, strict=True)) < 16, (index, got, want)


# --- bad input ----------------------------------------------------------------------------------


def test_missing_frame_names_the_file(frames, tmp_path):
    missing = tmp_path / "nope.png"
    with pytest.raises(RenderError) as exc:
        render_video([VideoFrame(frames[0], 3), VideoFrame(missing, 3)], tmp_path / "s.mp4")
    assert exc.value.file == missing and "does not exist" in exc.value.message


def test_corrupt_frame_fails_before_encoding_and_keeps_the_old_video(frames, tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(frames[1].read_bytes()[:5000])  # truncated PNG
    out = tmp_path / "story.mp4"
    out.write_bytes(b"previous good render")
    with pytest.raises(RenderError) as exc:
        render_video([VideoFrame(frames[0], 3), VideoFrame(bad, 3)], out, VideoOptions(**FAST))
    assert exc.value.file == bad and "corrupt" in exc.value.message and exc.value.hint
    assert out.read_bytes() == b"previous good render"
    assert no_temp_files(tmp_path)


def test_missing_music_names_the_file(frames, tmp_path):
    song = tmp_path / "song.mp3"
    with pytest.raises(RenderError) as exc:
        render_video([VideoFrame(frames[0], 3)], tmp_path / "s.mp4", VideoOptions(music=song))
    assert exc.value.file == song and "background music" in exc.value.message
    assert not (tmp_path / "s.mp4").exists()


def test_unsupported_audio_names_the_file_and_the_fix(frames, tmp_path):
    song = tmp_path / "song.mp3"
    song.write_bytes(b"this is not audio at all" * 100)
    with pytest.raises(RenderError) as exc:
        render_video([VideoFrame(frames[0], 3)], tmp_path / "s.mp4", VideoOptions(music=song))
    assert exc.value.file == song and "cannot be used" in exc.value.message
    assert "WAV" in (exc.value.hint or "")


def test_voiceover_longer_than_the_rest_of_its_part(frames, audio, tmp_path):
    vf = [VideoFrame(frames[0], 3), VideoFrame(frames[1], 0.5)]
    with pytest.raises(RenderError) as exc:
        render_video(vf, tmp_path / "s.mp4", VideoOptions(voiceover={1: audio["voice"]}, **FAST))
    assert exc.value.file == audio["voice"] and "frame 2" in (exc.value.hint or "")


def test_story_over_every_limit_is_refused(frames, tmp_path):
    with pytest.raises(RenderError) as exc:
        render_video([VideoFrame(frames[0], 3), VideoFrame(frames[1], 75)], tmp_path / "s.mp4")
    assert "frame 2 lasts 75 s" in exc.value.message and "split" in (exc.value.hint or "")
    with pytest.raises(RenderError, match="longer than instagram accepts"):
        render_video([VideoFrame(frames[0], 3)], tmp_path / "s.mp4", VideoOptions(max_part_seconds=90))
    with pytest.raises(RenderError, match="unknown transition 'spin'"):
        render_video([VideoFrame(frames[0], 3, "spin"), VideoFrame(frames[1], 3)], tmp_path / "s.mp4")
    with pytest.raises(RenderError, match="unknown video target"):
        render_video([VideoFrame(frames[0], 3)], tmp_path / "s.mp4", VideoOptions(target="myspace"))
    assert not list(tmp_path.glob("*.mp4"))
