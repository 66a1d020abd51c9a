"""Frames started from a snapshot of their shared opening layers (and drawn with cached text
masks) are byte-identical to frames drawn from scratch, reports included."""

from __future__ import annotations

from pathlib import Path

import pytest

from storycast.project import Project
from storycast.render import snapshots
from storycast.render.pipeline import render_story
from storycast.render.text import draw as text_draw

from .conftest import MINIMAL_STORY, MINIMAL_TOML


@pytest.fixture
def project(make_project) -> Project:
    return Project.load(make_project({"stories/sample.yaml": MINIMAL_STORY}, toml=MINIMAL_TOML))


def _build(project: Project, out: Path) -> tuple[list[bytes], list[dict[str, object]]]:
    result = render_story(project, "sample", "es", out_dir=out, cache=False)
    return [p.read_bytes() for p in result.files], [f.to_dict() for f in result.frames]


def test_snapshots_and_mask_cache_do_not_change_output(project: Project, tmp_path: Path) -> None:
    snapshots.clear()
    text_draw.clear_mask_cache()
    _build(project, tmp_path / "warm-up")  # fills both caches: later frames start from a snapshot
    assert snapshots._store, "the opening layers shared by every frame should have been kept"
    cached = _build(project, tmp_path / "cached")
    snapshots.clear()
    text_draw.clear_mask_cache()
    fresh = _build(project, tmp_path / "fresh")
    assert cached == fresh


def test_a_layer_reading_files_ends_the_shareable_prefix(project: Project) -> None:
    from storycast.render.spec import parse_spec

    spec = parse_spec(
        {
            "layers": [
                {"type": "background", "color": "#102040"},
                {"type": "rect", "box": [10, 10, 100, 100], "fill": "#ffffff"},
                {"type": "logo", "box": [20, 20, 64, 64]},
                {"type": "rect", "box": [200, 10, 100, 100], "fill": "#ff0000"},
            ]
        },
        "test.j2",
    )

    class Ctx:
        root = project.root
        asset_dirs: list[Path] = []
        fonts = object()
        lang = "en"
        logo = None
        max_image_pixels = 1

    plan = snapshots.plan(spec, Ctx())  # type: ignore[arg-type]
    assert len(plan.keys) == 2
