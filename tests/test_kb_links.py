"""Links from tutorial frames to their knowledge-base article ([kb] link): the QR code scans to
the article's short link, the short link is drawn as text, the frames still pass lint, and the
feature is off unless the project asks for it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from storycast.guard.check import lint_project
from storycast.guard.qr import decode
from storycast.project import Project
from storycast.render.pipeline import render_story

REPO = Path(__file__).resolve().parent.parent
KB = '\n[kb]\nbase_url = "https://help.lumen.example"\nlink = "qr"\nstories = { speed-test = "short" }\n'
# A story of our own in a right-to-left language (the example project's languages may change).
RTL_STORY = """\
id: router-rtl
template: tutorial
category: connectivity
languages: [ar, en]
title: {ar: أعد تشغيل الراوتر, en: Restart the router}
steps:
  - title: {ar: افصل الكهرباء, en: Unplug the power}
    text: {ar: اسحب كابل الكهرباء من الراوتر., en: Pull the power cable out of the router.}
    image: assets/samples/power-plug.png
  - title: {ar: انتظر ثلاثين ثانية, en: Wait thirty seconds}
    text: {ar: ثم أعد توصيله., en: Then plug it back in.}
    image: assets/samples/wait-timer.png
"""


@pytest.fixture
def lumen(tmp_path: Path) -> Path:
    """The example project, with frames linking to the knowledge base."""
    root = tmp_path / "lumen"
    root.mkdir()
    for name in ("stories", "templates", "assets"):
        shutil.copytree(REPO / name, root / name)
    toml = (REPO / "storycast.toml").read_text(encoding="utf-8")
    if '"ar"' not in toml:
        toml = toml.replace('languages = ["en",', 'languages = ["ar", "en",', 1)
    (root / "storycast.toml").write_text(toml + KB, encoding="utf-8")
    (root / "stories" / "router-rtl.yaml").write_text(RTL_STORY, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("story", "lang"), [("reset-router", "en"), ("router-rtl", "ar"), ("reset-router", "th")]
)
def test_every_step_frame_carries_a_qr_code_that_scans_to_the_short_link(
    lumen: Path, story: str, lang: str
) -> None:
    project = Project.load(lumen)
    result = render_story(project, story, lang)
    steps = [f for f in result.frames if f.kind == "step"]
    assert steps
    for frame in steps:
        with Image.open(result.out_dir / frame.file) as im:
            codes = decode(im)
        assert [c.text for c in codes] == [f"https://help.lumen.example/go/{story}?l={lang}"]
        # 220 px tile at 5 px or more per module, inside the card (right side for ltr, left for rtl)
        x = codes[0].box[0]
        assert (x > 540) if lang != "ar" else (x < 540)
    cover = next(f for f in result.frames if f.kind == "cover")
    with Image.open(result.out_dir / cover.file) as im:
        assert decode(im) == []


def test_frames_with_links_pass_lint(lumen: Path) -> None:
    project = Project.load(lumen)
    for story, lang in (("reset-router", "en"), ("speed-test", "en"), ("router-rtl", "ar")):
        render_story(project, story, lang)
    result = lint_project(project, ["reset-router", "speed-test"], ["en"])
    result.findings.extend(lint_project(project, ["router-rtl"], ["ar"]).findings)
    bad = [f for f in result.findings if f.severity == "error" or "kb-" in str(f.message)]
    assert bad == []


def test_short_link_is_text_in_the_manifest(lumen: Path) -> None:
    project = Project.load(lumen)
    result = render_story(project, "speed-test", "es")
    manifest = result.manifest.read_text(encoding="utf-8")
    assert "help.lumen.example/go/speed-test?l=es" in manifest
    for frame in result.frames:
        with Image.open(result.out_dir / frame.file) as im:
            assert decode(im) == []


def test_off_by_default(make_project) -> None:
    from tests.conftest import MINIMAL_STORY

    project = Project.load(make_project({"stories/sample.yaml": MINIMAL_STORY}))
    assert project.config.kb.link == "none"
    result = render_story(project, "sample", "en")
    assert "/go/" not in result.manifest.read_text(encoding="utf-8")


def test_story_without_pictures_gets_the_code_too(make_project) -> None:
    from tests.conftest import MINIMAL_STORY, MINIMAL_TOML

    root = make_project(
        {"stories/sample.yaml": MINIMAL_STORY},
        toml=MINIMAL_TOML + '\n[kb]\ngo_url = "https://go.example"\nlink = "qr"\n',
    )
    project = Project.load(root)
    result = render_story(project, "sample", "es")
    step = next(f for f in result.frames if f.kind == "step")
    with Image.open(result.out_dir / step.file) as im:
        assert [c.text for c in decode(im)] == ["https://go.example/go/sample?l=es"]
