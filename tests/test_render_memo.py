"""Processes that render a story again (the preview after an edit, the daemon) redo only what the
edit changed: the unchanged frames' templates are not rendered again and their contact-sheet
thumbnails are not decoded again, and the build is the same as a fresh process would write."""

from __future__ import annotations

from pathlib import Path

import pytest

from storycast.project import Project
from storycast.render import jobs, prepare
from storycast.render.pipeline import render_story

from .conftest import MINIMAL_STORY


def _edit(root: Path) -> None:
    path = root / "stories" / "sample.yaml"
    text = path.read_text(encoding="utf-8")
    edited = text.replace("Wait for the light to turn green.", "Wait for a green light.")
    path.write_text(edited, encoding="utf-8")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {"templated": [], "decoded": []}
    from storycast.render.templating import TemplateEngine

    render_text = TemplateEngine.render_text

    def counting_render(self: TemplateEngine, name: str, context: dict) -> tuple[str, str | None]:
        seen["templated"].append(f"{context['frame']['number']}")
        return render_text(self, name, context)

    monkeypatch.setattr(TemplateEngine, "render_text", counting_render)
    from PIL import Image

    open_image = Image.open

    def counting_open(fp, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(fp, str) and fp.endswith(".jpg"):
            seen["decoded"].append(Path(fp).name)
        return open_image(fp, *args, **kwargs)

    monkeypatch.setattr(Image, "open", counting_open)
    return seen


def test_an_edit_templates_and_decodes_only_the_changed_frame(make_project, counts, tmp_path: Path) -> None:
    root = make_project({"stories/sample.yaml": MINIMAL_STORY})
    first = render_story(Project.load(root), "sample", "en")
    assert len(first.frames) == 4 and len(counts["templated"]) == 4
    _edit(root)
    counts["templated"].clear()
    counts["decoded"].clear()
    again = render_story(Project.load(root), "sample", "en")
    assert again.rendered == 1
    assert counts["templated"] == ["03"]  # the second step's frame, the only one whose text changed
    assert counts["decoded"] == []  # the other thumbnails were kept from the first build

    # The same bytes as a fresh process (no memo) writes from the edited story.
    prepare._TEXTS.clear()
    jobs._THUMBS.clear()
    fresh = tmp_path / "fresh"
    render_story(Project.load(root), "sample", "en", out_dir=fresh, cache=False)
    assert _files(fresh) == _files(again.out_dir)


def test_a_template_edit_renders_every_frame_again(make_project, counts) -> None:
    root = make_project({"stories/sample.yaml": MINIMAL_STORY})
    render_story(Project.load(root), "sample", "en")
    templates = root / "templates"
    templates.mkdir(exist_ok=True)
    (templates / "strings.yaml").write_text("en:\n  step_of: 'Step {n} / {total}'\n", encoding="utf-8")
    counts["templated"].clear()
    render_story(Project.load(root), "sample", "en")
    assert sorted(counts["templated"]) == ["01", "02", "03", "04"]
