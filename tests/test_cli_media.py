"""storycast media check: exit codes and the important output lines."""

from __future__ import annotations

import json
import subprocess

from storycast.render.video.ffmpeg import ffmpeg_exe


def make(path, *args):  # type: ignore[no-untyped-def]
    cmd = [
        ffmpeg_exe(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=1080x1920:r=30",
    ]
    subprocess.run([*cmd, "-t", "3", *args, str(path)], check=True)
    return path


def test_compliant_file_exits_0(run_cli, tmp_path):
    good = make(
        tmp_path / "good.mp4", "-c:v", "libx264", "-preset", "ultrafast",
        "-x264-params", "8x8dct=1:cabac=1:keyint=60", "-pix_fmt", "yuv420p",
        "-vf", "setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709",
        "-bf", "0", "-use_editlist", "0", "-movflags", "+faststart",
    )  # fmt: skip
    code, out, _ = run_cli("media", "check", str(good), "--target", "instagram")
    assert code == 0, out
    assert "meets the instagram story spec (0 errors, 0 warnings)" in out


def test_full_range_is_an_error_and_untagged_colour_a_warning(run_cli, tmp_path):
    full = make(
        tmp_path / "full.mp4", "-c:v", "libx264", "-preset", "ultrafast",
        "-x264-params", "8x8dct=1:cabac=1:keyint=60", "-pix_fmt", "yuvj420p",
        "-bf", "0", "-use_editlist", "0", "-movflags", "+faststart",
    )  # fmt: skip
    code, out, _ = run_cli("media", "check", str(full), "--target", "instagram")
    assert code == 1, out
    assert "error: range: the video is full range" in out and "got yuvj420p, full (pc) range" in out
    plain = make(
        tmp_path / "plain.mp4", "-c:v", "libx264", "-preset", "ultrafast",
        "-x264-params", "8x8dct=1:cabac=1:keyint=60", "-pix_fmt", "yuv420p",
        "-bf", "0", "-use_editlist", "0", "-movflags", "+faststart",
    )  # fmt: skip
    code, out, _ = run_cli("media", "check", str(plain), "--target", "instagram")
    assert code == 0, out
    assert "warning: colour: the video does not say its colour range and space" in out


def test_every_violation_is_listed_and_exit_is_1(run_cli, tmp_path):
    bad = make(
        tmp_path / "bad.mp4", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p", "-r", "20"
    )
    code, out, _ = run_cli("media", "check", str(bad), "--target", "facebook")
    assert code == 1
    for rule in ("faststart", "pix-fmt", "fps"):
        assert f"error: {rule}:" in out, rule
    assert "does not meet the facebook story spec" in out


def test_json_output(run_cli, tmp_path):
    bad = make(tmp_path / "bad.mp4", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")
    code, out, _ = run_cli("media", "check", str(bad), "--target", "telegram", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False and data["target"] == "telegram"
    found = {v["rule"] for v in data["violations"]}
    assert {"video-codec", "size", "faststart"} <= found
    assert all(set(v) == {"rule", "message", "expected", "actual", "severity"} for v in data["violations"])


def test_missing_file_and_unknown_target(run_cli, tmp_path):
    code, _, err = run_cli("media", "check", str(tmp_path / "none.mp4"))
    assert code == 4 and "does not exist" in err
    code, _, err = run_cli("media", "check", str(tmp_path / "none.mp4"), "--target", "myspace")
    assert code == 2
