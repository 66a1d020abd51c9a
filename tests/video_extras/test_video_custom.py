"""The moviepy extra (storycast.render.video.custom), in an environment of its own.

moviepy caps Pillow below 12, so installing it beside the main suite would test a Pillow that a
plain install never gets. tests/conftest.py keeps this folder out of `python -m pytest`; .ci/run
installs `.[video-extras]` in .venv-moviepy and runs `python -m pytest tests/video_extras` there.
moviepy is imported outright: where it is missing, that is an error, not a skip.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import moviepy
import pytest
from PIL import Image

from storycast.errors import RenderError
from storycast.render.video import VideoFrame, VideoOptions, check_media
from storycast.render.video.custom import frames_clip, write_clip

FAST = {"preset": "ultrafast"}


def test_core_path_never_imports_moviepy(tmp_path: Path) -> None:
    # Meaningful only here, where moviepy is installed and so could be imported.
    frame, out = tmp_path / "f.png", tmp_path / "s.mp4"
    Image.new("RGB", (1080, 1920), (30, 90, 160)).save(frame)
    code = (
        "import sys; from pathlib import Path; "
        "from storycast.render.video import VideoFrame, VideoOptions, render_video; "
        f"render_video([VideoFrame(Path({str(frame)!r}), 3.0)], Path({str(out)!r}), "
        "VideoOptions(preset='ultrafast')); "
        "assert 'moviepy' not in sys.modules, 'moviepy was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def test_custom_moviepy_clip_is_written_to_spec(tmp_path: Path) -> None:
    out = tmp_path / "custom.mp4"
    write_clip(
        moviepy.ColorClip((720, 1280), (200, 30, 30), duration=1.0),
        out,
        VideoOptions(target="telegram", **FAST),
    )
    assert check_media(out, "telegram") == []
    with pytest.raises(RenderError, match="resize it first"):
        write_clip(
            moviepy.ColorClip((640, 480), (0, 0, 0), duration=1.0), out, VideoOptions(target="telegram")
        )
    assert [p.name for p in tmp_path.iterdir()] == ["custom.mp4"]  # no temp file left behind


def test_frames_clip_shows_each_frame_for_its_duration(tmp_path: Path) -> None:
    frames = []
    for i, (colour, seconds) in enumerate([((220, 40, 40), 1.5), ((40, 40, 220), 2.0)]):
        Image.new("RGB", (1080, 1920), colour).save(tmp_path / f"{i}.png")
        frames.append(VideoFrame(tmp_path / f"{i}.png", seconds))
    clip = frames_clip(frames)
    assert tuple(clip.size) == (1080, 1920) and clip.duration == pytest.approx(3.5)
    assert tuple(clip.get_frame(0.75)[960, 540]) == (220, 40, 40)
    assert tuple(clip.get_frame(2.5)[960, 540]) == (40, 40, 220)
    out = tmp_path / "story.mp4"
    result = write_clip(clip, out, VideoOptions(target="instagram", **FAST))
    assert result.parts == [out] and result.durations == [pytest.approx(3.5)]
    assert check_media(out, "instagram") == []
