"""Build records: a warm build that finds nothing changed returns without rendering templates,
and every kind of change (template, referenced image, output file, code-free config) still
sends it through the full check."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from storycast.project import Project
from storycast.render import buildrec
from storycast.render.pipeline import render_story

from .conftest import MINIMAL_STORY, MINIMAL_TOML

STORY_WITH_IMAGE = MINIMAL_STORY.replace(
    "    text:\n      en: Wait ten seconds.",
    "    image: assets/pic.png\n    text:\n      en: Wait ten seconds.",
)


@pytest.fixture
def project(make_project) -> Project:
    pic = Image.new("RGB", (64, 48), (200, 40, 40))
    root = make_project({"stories/sample.yaml": STORY_WITH_IMAGE}, toml=MINIMAL_TOML)
    (root / "assets").mkdir(exist_ok=True)
    pic.save(root / "assets" / "pic.png")
    return Project.load(root)


def _mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.iterdir())}


def _touch_later(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))


def test_unchanged_build_is_returned_from_the_record(project: Project) -> None:
    first = render_story(project, "sample", "en")
    before = _mtimes(first.out_dir)
    again = render_story(Project.load(project.root), "sample", "en")
    assert again.rendered == 0 and again.cached == len(first.frames)
    assert [f.to_dict() for f in again.frames] == [f.to_dict() for f in first.frames]
    assert again.warnings == first.warnings
    assert _mtimes(again.out_dir) == before  # nothing rewritten


def test_record_fingerprint_changes_with_the_story_text(project: Project) -> None:
    from storycast.render.frames import plan_story

    story = project.content.story("sample")
    plans = plan_story(project, story, "en")
    fp = buildrec.fingerprint(project, story, "en", plans, fmt="jpg", fonts="f", source=None)
    plans[1].context["step"]["title"] = "Unplug the modem"
    changed = buildrec.fingerprint(project, story, "en", plans, fmt="jpg", fonts="f", source=None)
    assert fp is not None and changed is not None and fp != changed


def test_edited_template_is_noticed(project: Project) -> None:
    from storycast import resources
    from storycast.render.frames import plan_story

    story = project.content.story("sample")

    def fp() -> str | None:
        plans = plan_story(project, story, "en")
        return buildrec.fingerprint(project, story, "en", plans, fmt="jpg", fonts="f", source=None)

    before = fp()
    # A project copy of the default step template shadows it: the build must be checked again.
    step = project.root / "templates" / "tutorial" / "step.j2"
    step.parent.mkdir(parents=True, exist_ok=True)
    step.write_text((resources.templates_dir() / "tutorial" / "step.j2").read_text(encoding="utf-8"))
    assert fp() != before


def test_replaced_image_redraws_its_frames(project: Project) -> None:
    first = render_story(project, "sample", "en")
    pic = project.root / "assets" / "pic.png"
    Image.new("RGB", (64, 48), (40, 40, 200)).save(pic)  # same size on disk is possible: bump mtime
    _touch_later(pic)
    again = render_story(Project.load(project.root), "sample", "en")
    assert again.rendered >= 1
    assert again.frames[1].sha256 != first.frames[1].sha256


def test_tampered_output_is_rewritten(project: Project) -> None:
    first = render_story(project, "sample", "en")
    target = first.out_dir / "02.jpg"
    target.write_bytes(b"not a frame")
    again = render_story(Project.load(project.root), "sample", "en")
    assert target.read_bytes() != b"not a frame"
    assert again.frames[1].sha256 == first.frames[1].sha256


def test_unplain_context_disables_the_shortcut(project: Project) -> None:
    from storycast.render.frames import plan_story

    story = project.content.story("sample")
    plans = plan_story(project, story, "en")
    plans[0].context["odd"] = object()
    assert buildrec.fingerprint(project, story, "en", plans, fmt="jpg", fonts="f", source=None) is None


def test_language_measurement_is_stored_and_reused(project: Project) -> None:
    """A warm build takes a language's measured writing (script, line pitch) from the state
    folder instead of laying out the sample words again; what it takes is what was measured."""
    import json

    from storycast.render import cache as cache_mod
    from storycast.render import prepare as prepare_mod
    from storycast.render.text import FontLibrary, langinfo

    render_story(project, "sample", "en")
    stored = json.loads((project.state_dir / "cache" / "scripts.json").read_text(encoding="utf-8"))
    lib = FontLibrary.for_project(project.root)
    family = project.config.brand.font if lib.has_family(project.config.brand.font) else "Noto Sans"
    measured = langinfo._measure("en", lib, family).as_context()
    assert measured in stored.values()
    # A new process forgets its memo; the stored measurement is seeded back without measuring,
    # and only for the same fonts.
    fonts = cache_mod.font_identity(prepare_mod.font_folders(project))
    langinfo._cache.clear()
    prepare_mod._scripts_memo.clear()
    prepare_mod._seed_language_info(project, "en", "other fonts")
    assert not langinfo._cache
    prepare_mod._seed_language_info(project, "en", fonts)
    assert [info.as_context() for _, info in langinfo._cache.values()] == [measured]


def test_a_broken_language_memo_only_costs_the_measurement(project: Project) -> None:
    from storycast.render import prepare as prepare_mod

    (project.state_dir / "cache").mkdir(parents=True, exist_ok=True)
    (project.state_dir / "cache" / "scripts.json").write_text("[not, a, dict", encoding="utf-8")
    prepare_mod._scripts_memo.clear()
    first = render_story(project, "sample", "en")
    assert first.frames
