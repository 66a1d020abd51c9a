"""The web size of each frame, made where the frame is drawn and kept in the frame cache."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from PIL import Image

from storycast.project import Project
from storycast.render import cache as cache_mod
from storycast.render.pipeline import render_story
from storycast.render.web import WEB_WIDTH, web_size, web_version

from .conftest import MINIMAL_STORY, MINIMAL_TOML


@pytest.fixture
def project(make_project) -> Project:
    return Project.load(make_project({"stories/sample.yaml": MINIMAL_STORY}, toml=MINIMAL_TOML))


def _store(project: Project) -> cache_mod.FrameCache:
    return cache_mod.FrameCache(project.state_dir / "cache" / "frames")


def _manifest(project: Project, lang: str = "en") -> dict:
    return json.loads((project.root / "build" / "sample" / lang / "manifest.json").read_text("utf-8"))


def test_a_story_build_keeps_each_frames_web_size_beside_it_in_the_cache(project: Project) -> None:
    render_story(project, "sample", "en")
    frames = _manifest(project)["frames"]
    assert frames
    for frame in frames:
        web = _store(project).web_path(frame["cache_key"])
        with Image.open(web) as im:
            assert im.format == "JPEG"
            assert im.size == (WEB_WIDTH, 960)  # 1080x1920 halved
            small = im.convert("RGB")
        with Image.open(project.root / "build" / "sample" / "en" / frame["file"]) as full:
            expected = full.convert("RGB").reduce(2)
        # The same picture: mean absolute difference of a few levels at most (two JPEG passes).
        diff = sum(abs(a - b) for a, b in zip(small.tobytes(), expected.tobytes(), strict=True))
        assert diff / len(expected.tobytes()) < 4


def test_the_contact_sheet_is_the_same_from_a_fresh_draw_and_from_cache_hits(project: Project) -> None:
    import shutil

    render_story(project, "sample", "en")
    sheet = project.root / "build" / "sample" / "en" / "contact.png"
    drawn = hashlib.sha256(sheet.read_bytes()).digest()
    shutil.rmtree(project.root / "build")
    again = render_story(Project.load(project.root), "sample", "en")
    assert again.rendered == 0
    assert hashlib.sha256(sheet.read_bytes()).digest() == drawn


def test_a_cache_entry_without_its_web_size_still_builds_the_contact_sheet(project: Project) -> None:
    """Entries written before web sizes existed: the thumbnail is read from the frame instead."""
    import shutil

    render_story(project, "sample", "en")
    for frame in _manifest(project)["frames"]:
        _store(project).web_path(frame["cache_key"]).unlink()
    shutil.rmtree(project.root / "build")
    again = render_story(Project.load(project.root), "sample", "en")
    assert again.rendered == 0
    with Image.open(project.root / "build" / "sample" / "en" / "contact.png") as sheet:
        sheet.load()
        assert sheet.width > 270


def test_web_version_halves_exactly_and_resamples_other_sizes() -> None:
    frame = Image.new("RGB", (1080, 1920), (200, 40, 40))
    with Image.open(io.BytesIO(web_version(frame))) as im:
        assert im.size == (540, 960)
    odd = Image.new("RGBA", (1000, 1000), (0, 0, 255, 255))
    with Image.open(io.BytesIO(web_version(odd))) as im:
        assert im.size == web_size(1000, 1000) == (540, 540)
        assert im.mode == "RGB"
    small = Image.new("RGB", (320, 568), (1, 2, 3))
    with Image.open(io.BytesIO(web_version(small))) as im:
        assert im.size == (320, 568)  # never upscaled
