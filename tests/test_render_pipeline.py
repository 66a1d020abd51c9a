"""Render pipeline: outputs, manifest, determinism, cache, atomic writes, parallel jobs, errors."""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import pytest
from PIL import Image

from storycast.errors import RenderError, StorycastError, TemplateError
from storycast.project import Project
from storycast.render.pipeline import ProgressEvent, render_frame, render_many, render_story

from .conftest import MINIMAL_STORY, MINIMAL_TOML

TOML = MINIMAL_TOML + '\n[support_hours]\nmon = ["09:00-17:00"]\ntue = ["09:00-17:00"]\n'


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def project(make_project) -> Project:
    root = make_project({"stories/sample.yaml": MINIMAL_STORY}, toml=TOML)
    return Project.load(root)


def _reload(project: Project) -> Project:
    return Project.load(project.root)


def test_render_story_writes_frames_manifest_and_contact_sheet(project: Project) -> None:
    result = render_story(project, "sample", "es")
    out = project.root / "build" / "sample" / "es"
    assert result.out_dir == out
    assert sorted(p.name for p in out.iterdir()) == [
        "01.jpg",
        "02.jpg",
        "03.jpg",
        "04.jpg",
        "contact.png",
        "manifest.json",
    ]
    assert (result.rendered, result.cached) == (4, 0)
    with Image.open(out / "02.jpg") as im:
        assert im.format == "JPEG" and im.mode == "RGB" and im.size == (1080, 1920)
        assert "exif" not in im.info
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["story"] == "sample" and manifest["lang"] == "es" and manifest["frame_count"] == 4
    kinds = [f["kind"] for f in manifest["frames"]]
    assert kinds == ["cover", "step", "step", "outro"]
    for rec in manifest["frames"]:
        assert rec["sha256"] == hashlib.sha256((out / rec["file"]).read_bytes()).hexdigest()
        assert rec["alt"]
    step = manifest["frames"][1]
    assert step["step"] == 1
    assert step["alt"].startswith("Paso 1 de 2: Desconéctalo.")
    texts = {t["id"]: t for t in step["texts"]}
    assert texts["title"]["lines"] == ["Desconéctalo"]
    assert texts["body"]["lines"] == ["Espera diez segundos."]
    for key in ("role", "box", "size", "size_min", "size_max", "truncated", "shrunk_to_min", "color"):
        assert key in texts["body"]
    assert texts["body"]["size"] >= 48 and texts["title"]["size"] >= 72
    assert "«Reinicia tu módem»" in manifest["frames"][0]["alt"]
    with Image.open(out / "contact.png") as sheet:
        assert sheet.width > 1000


def test_same_inputs_give_same_bytes(project: Project, tmp_path: Path) -> None:
    render_many(project, ["sample"], ["en"], out=tmp_path / "a", cache=False)
    render_many(_reload(project), ["sample"], ["en"], out=tmp_path / "b", cache=False)
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")


def test_png_format(project: Project, tmp_path: Path) -> None:
    result = render_story(project, "sample", "en", out_dir=tmp_path / "png", fmt="png")
    assert [f.file for f in result.frames][:2] == ["01.png", "02.png"]
    with Image.open(tmp_path / "png" / "01.png") as im:
        assert im.format == "PNG" and im.size == (1080, 1920)


def test_warm_render_uses_cache_and_rewrites_nothing(project: Project) -> None:
    render_story(project, "sample", "en")
    out = project.root / "build" / "sample" / "en"
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = render_story(_reload(project), "sample", "en")
    assert (again.rendered, again.cached) == (0, 4)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_changing_one_step_rerenders_only_that_frame(project: Project) -> None:
    render_story(project, "sample", "es")
    out = project.root / "build" / "sample" / "es"
    old = _digests(out)
    story = project.root / "stories" / "sample.yaml"
    story.write_text(
        story.read_text(encoding="utf-8").replace("Espera diez segundos.", "Espera veinte segundos."),
        encoding="utf-8",
    )
    result = render_story(_reload(project), "sample", "es")
    assert (result.rendered, result.cached) == (1, 3)
    new = _digests(out)
    changed = {name for name in new if new[name] != old.get(name)}
    assert changed == {"02.jpg", "manifest.json", "contact.png"}


def test_frames_come_back_from_the_cache_store_after_the_build_is_deleted(project: Project) -> None:
    import shutil

    render_story(project, "sample", "en")
    out = project.root / "build" / "sample" / "en"
    first = _digests(out)
    shutil.rmtree(project.root / "build")
    result = render_story(_reload(project), "sample", "en")
    assert (result.rendered, result.cached) == (0, 4)
    assert _digests(out) == first


def test_no_cache_redraws_everything(project: Project) -> None:
    render_story(project, "sample", "en")
    result = render_story(_reload(project), "sample", "en", cache=False)
    assert (result.rendered, result.cached) == (4, 0)


def test_bad_template_leaves_previous_build_untouched(project: Project) -> None:
    render_story(project, "sample", "en")
    out = project.root / "build" / "sample" / "en"
    before = _digests(out)
    (project.root / "templates" / "tutorial").mkdir(parents=True)
    (project.root / "templates" / "tutorial" / "step.j2").write_text(
        '{% extends "default/tutorial/step.j2" %}\n{% block content %}{{ step.nope }}{% endblock %}\n',
        encoding="utf-8",
    )
    with pytest.raises(TemplateError) as info:
        render_story(_reload(project), "sample", "en", cache=False)
    assert info.value.file is not None and info.value.file.name == "step.j2"
    assert _digests(out) == before


def _show_a_broken_picture(project: Project) -> None:
    """Give the story's first step a picture that is not a PNG (the cover previews it too)."""
    broken = project.root / "assets" / "broken.png"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"this is not a PNG")
    story = project.root / "stories" / "sample.yaml"
    story.write_text(
        story.read_text(encoding="utf-8").replace(
            "      es: Vuelve a conectarlo\n", "      es: Vuelve a conectarlo\n    image: assets/broken.png\n"
        ),
        encoding="utf-8",
    )


def test_failing_frame_keeps_previous_build_and_names_the_file(project: Project) -> None:
    render_story(project, "sample", "en")
    out = project.root / "build" / "sample" / "en"
    before = _digests(out)
    _show_a_broken_picture(project)
    with pytest.raises(RenderError) as info:
        render_story(_reload(project), "sample", "en")
    err = info.value
    assert err.message.startswith("sample [en] frame 01 (cover): ")  # the cover previews the image too
    assert err.file is not None and err.file.name == "broken.png"
    assert _digests(out) == before


def test_a_failing_frame_drawn_by_a_worker_names_the_frame_and_the_file(project: Project) -> None:
    render_story(project, "sample", "en")
    out = project.root / "build" / "sample" / "en"
    before = _digests(out)
    _show_a_broken_picture(project)
    with pytest.raises(RenderError) as info:
        render_many(_reload(project), ["sample"], ["en"], jobs=2, cache=False)
    err = info.value
    assert err.message.startswith("sample [en] frame 01 (cover): ")
    assert err.file is not None and err.file.name == "broken.png"
    assert _digests(out) == before


def test_text_that_cannot_fit_is_drawn_cut_and_lint_names_story_file_step_and_fix(project: Project) -> None:
    from storycast.guard.check import check_story

    story = project.root / "stories" / "sample.yaml"
    long = " ".join(["Espera diez segundos antes de volver a conectar el cable."] * 12)
    story.write_text(
        story.read_text(encoding="utf-8").replace("Espera diez segundos.", long), encoding="utf-8"
    )
    loaded = _reload(project)
    (finding,) = [
        f for f in check_story(loaded, loaded.content.story("sample"), ["es"]) if f.rule == "layout.overflow"
    ]
    assert finding.severity == "error" and finding.frame == 2 and finding.layer == "body"
    assert finding.file == "stories/sample.yaml" and finding.line == 14  # the es text of step 1
    assert "Shorten" in finding.hint
    result = render_story(loaded, "sample", "es")  # the render itself never fails on length
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    body = next(t for t in manifest["frames"][1]["texts"] if t["id"] == "body")
    assert body["truncated"] is True and body["lines"][-1].endswith("…")


def test_jobs_2_gives_the_same_bytes_as_jobs_1(project: Project, tmp_path: Path) -> None:
    events: list[tuple[str, int, bool]] = []
    render_many(project, ["sample"], ["en", "es"], out=tmp_path / "one", jobs=1, cache=False)
    render_many(
        _reload(project),
        ["sample"],
        ["en", "es"],
        out=tmp_path / "two",
        jobs=2,
        cache=False,
        progress=lambda ev: events.append((ev.lang, ev.frame, ev.cached)),
    )
    assert _digests(tmp_path / "one") == _digests(tmp_path / "two")
    assert len(events) == 8 and sorted(events) == sorted(
        (lg, i, False) for lg in ("en", "es") for i in range(1, 5)
    )


def test_jobs_2_writes_each_story_language_as_soon_as_its_frames_are_drawn(
    project: Project, tmp_path: Path
) -> None:
    # Not all at the end: when the last frame arrives, every other story/language is written
    # already (its contact sheet made and its files in place), so only the last is left.
    out = tmp_path / "out"
    written_at_last: list[bool] = []

    def progress(ev: ProgressEvent) -> None:
        if ev.done == ev.total:
            other = "es" if ev.lang == "en" else "en"
            written_at_last.append((out / "sample" / other / "manifest.json").is_file())

    render_many(project, ["sample"], ["en", "es"], out=out, jobs=2, cache=False, progress=progress)
    assert written_at_last == [True]
    assert (out / "sample" / "en" / "contact.png").is_file()
    assert (out / "sample" / "es" / "contact.png").is_file()


def test_unknown_language_for_a_story(project: Project) -> None:
    with pytest.raises(TemplateError, match="has no 'th' version"):
        render_story(project, "sample", "th")


def test_stale_frames_are_removed_when_a_story_gets_shorter(project: Project) -> None:
    out = project.root / "build" / "sample" / "en"
    render_story(project, "sample", "en")
    (out / "05.jpg").write_bytes(b"old")
    render_story(_reload(project), "sample", "en")
    assert not (out / "05.jpg").exists()


SAMPLE_EVENT = {
    "title": "Faster Wi-Fi at home: ask us anything",
    "host": "Marta",
    "starts_local": "Thu 4 Dec, 18:00 CET",
    "join": "Instagram Live · @lumen.support",
    "topics": ["Where to put your router", "Mesh or repeater?"],
}


@pytest.mark.parametrize(
    ("template", "context"),
    [
        ("qa/announcement.j2", {"event": SAMPLE_EVENT}),
        (
            "poll/poll.j2",
            {"poll": {"question": "Which fix do you try first?", "options": ["Restart", "Call us"]}},
        ),
        ("support-hours.j2", {}),
    ],
)
def test_standalone_frames_render(project: Project, tmp_path: Path, template: str, context: dict) -> None:
    out = tmp_path / "frame.png"
    result = render_frame(project, template, "en", context, out=out)
    with Image.open(io.BytesIO(result.payload)) as im:
        assert im.size == (1080, 1920)
    assert out.read_bytes() == result.payload
    ids = {t["id"] for t in result.texts}
    assert "brand" in ids


def test_ellipsis_layer_turns_overflow_into_a_manifest_warning(project: Project) -> None:
    tpl = project.root / "templates" / "tutorial" / "step.j2"
    tpl.parent.mkdir(parents=True)
    tpl.write_text(
        '{% extends "default/tutorial/step.j2" %}\n{% block content %}\n'
        '{{ ui.text("body", step.text ~ " " ~ step.text ~ " " ~ step.text, [90, 600, 300, 70], 48,'
        " max_lines=1, ellipsis=true) }}\n{% endblock %}\n",
        encoding="utf-8",
    )
    result = render_story(_reload(project), "sample", "en")
    assert result.warnings and result.warnings[0].startswith("frame 02: ")
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    body = next(t for t in manifest["frames"][1]["texts"] if t["id"] == "body")
    assert body["truncated"] is True and body["lines"][0].endswith("…")
    assert manifest["frames"][1]["warnings"]


def test_unknown_brand_font_points_at_storycast_toml(make_project) -> None:
    root = make_project(
        {"stories/sample.yaml": MINIMAL_STORY}, toml=TOML + '\n[brand]\nfont = "Comic Papyrus"\n'
    )
    with pytest.raises(RenderError) as info:
        render_story(Project.load(root), "sample", "en")
    assert info.value.file == root / "storycast.toml"
    assert "Comic Papyrus" in info.value.message


def _die_drawing(batch: object) -> None:
    os._exit(3)  # as a worker killed for memory, or crashed in a C library, would


def test_a_worker_that_dies_is_reported_as_such_and_keeps_the_previous_build(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storycast.render import scheduler

    render_story(project, "sample", "en")
    out = project.root / "build" / "sample" / "en"
    before = _digests(out)
    monkeypatch.setattr(scheduler, "draw_jobs", _die_drawing)
    with pytest.raises(StorycastError) as info:
        render_many(_reload(project), ["sample"], ["en"], jobs=2, cache=False)
    assert "a drawing worker stopped unexpectedly" in info.value.message
    assert info.value.hint is not None and "--jobs 1" in info.value.hint
    assert _digests(out) == before
