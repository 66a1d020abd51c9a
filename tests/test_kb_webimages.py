"""kb build copies the web size the render made of each frame; without one, it makes it."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from storycast.kb import build_site
from storycast.project import Project
from storycast.render.cache import FrameCache
from tests.conftest import MINIMAL_STORY, MINIMAL_TOML


def _project(make_project) -> Project:
    return Project.load(make_project({"stories/sample.yaml": MINIMAL_STORY}, toml=MINIMAL_TOML))


def _frames(project: Project) -> list[dict]:
    manifest = project.root / "build" / "sample" / "en" / "manifest.json"
    return json.loads(manifest.read_text("utf-8"))["frames"]


def _site_image(out: Path, frame: dict) -> Path:
    return out / "img" / f"{frame['sha256'][:20]}.jpg"


def test_the_site_gets_the_renders_web_images_byte_for_byte(make_project, tmp_path: Path) -> None:
    project = _project(make_project)
    out = tmp_path / "site"
    build_site(project, out)
    store = FrameCache(project.state_dir / "cache" / "frames")
    steps = [f for f in _frames(project) if f["kind"] in ("step", "cover")]
    assert steps
    for frame in steps:
        assert _site_image(out, frame).read_bytes() == store.web_path(frame["cache_key"]).read_bytes()


def test_a_missing_or_wrong_web_image_is_made_from_the_frame(make_project, tmp_path: Path) -> None:
    project = _project(make_project)
    build_site(project, tmp_path / "first")  # renders the frames (and their web sizes)
    store = FrameCache(project.state_dir / "cache" / "frames")
    steps = [f for f in _frames(project) if f["kind"] in ("step", "cover")]
    assert len(steps) >= 3
    store.web_path(steps[0]["cache_key"]).unlink()  # pruned
    store.web_path(steps[1]["cache_key"]).write_bytes(b"not a jpeg")  # damaged
    Image.new("RGB", (100, 100)).save(store.web_path(steps[2]["cache_key"]), "JPEG")  # wrong size
    out = tmp_path / "site"
    build_site(Project.load(project.root), out, render=False)
    for frame in steps:
        with Image.open(_site_image(out, frame)) as im:
            assert (im.format, im.size) == ("JPEG", (540, 960))


def test_a_hostile_cache_key_in_a_manifest_reads_nothing_outside_the_cache(
    make_project, tmp_path: Path
) -> None:
    project = _project(make_project)
    build_site(project, tmp_path / "first")
    manifest = project.root / "build" / "sample" / "en" / "manifest.json"
    data = json.loads(manifest.read_text("utf-8"))
    hostile = "../../../secret"
    # Where an unchecked key would point: outside the cache (the project's parent folder).
    secret = FrameCache(project.state_dir / "cache" / "frames").web_path(hostile).resolve()
    assert not secret.is_relative_to(project.state_dir.resolve())
    Image.new("RGB", (540, 960), (255, 0, 0)).save(secret, "JPEG")
    for frame in data["frames"]:
        frame["cache_key"] = hostile
    manifest.write_text(json.dumps(data), "utf-8")
    out = tmp_path / "site"
    build_site(Project.load(project.root), out, render=False)
    red = secret.read_bytes()
    for frame in data["frames"]:
        image = _site_image(out, frame)
        if image.exists():
            assert image.read_bytes() != red
