from pathlib import Path

import pytest

from storycast import yamlsrc
from storycast.errors import ContentError
from storycast.project import Project

from .conftest import MINIMAL_STORY


def test_minimal_story_loads(make_project):
    root = make_project({"stories/sample.yaml": MINIMAL_STORY})
    project = Project.load(root)
    story = project.content.story("sample")
    assert story.title["es"] == "Reinicia tu módem"
    assert story.frame_count == 4
    assert story.source == root / "stories" / "sample.yaml"


def test_yaml_syntax_error_has_line_and_column(make_project):
    root = make_project({"stories/bad.yaml": "id: x\ntitle: {en: 'unclosed\n"})
    with pytest.raises(ContentError) as info:
        _ = Project.load(root).content
    problem = info.value.problems[0]
    assert problem.file == root / "stories" / "bad.yaml"
    assert problem.line is not None and problem.line >= 2
    assert "YAML syntax error" in problem.message


def test_schema_errors_point_at_the_value(make_project):
    bad = MINIMAL_STORY.replace("languages: [en, es]", "languages: [en, es, xx]").replace(
        "template: tutorial", "template: tutorial\ncolour: red"
    )
    root = make_project({"stories/sample.yaml": bad})
    with pytest.raises(ContentError) as info:
        _ = Project.load(root).content
    messages = [str(p) for p in info.value.problems]
    assert any("colour: unknown key" in m and ":3:" in m for m in messages), messages


def test_unknown_language_is_reported_with_position(make_project):
    bad = MINIMAL_STORY.replace("languages: [en, es]", "languages: [en, de]")
    root = make_project({"stories/sample.yaml": bad})
    with pytest.raises(ContentError) as info:
        _ = Project.load(root).content
    (problem,) = info.value.problems
    assert "'de'" in problem.message and problem.line == 4 and problem.column == 17


def test_missing_image_and_duplicate_id(make_project):
    with_image = MINIMAL_STORY.replace(
        "      es: Espera diez segundos.\n", "      es: Espera diez segundos.\n    image: assets/nope.png\n"
    )
    root = make_project({"stories/a.yaml": with_image})
    with pytest.raises(ContentError) as info:
        _ = Project.load(root).content
    assert "image not found: assets/nope.png" in str(info.value)
    root = make_project({"stories/a.yaml": MINIMAL_STORY, "stories/b.yaml": MINIMAL_STORY})
    with pytest.raises(ContentError) as info:
        _ = Project.load(root).content
    assert "already used by" in str(info.value)


def test_duplicate_keys_rejected():
    with pytest.raises(ContentError) as info:
        yamlsrc.loads("a: 1\nb: 2\na: 3\n", Path("x.yaml"))
    assert info.value.line == 3


def test_unknown_story_suggests_close_ids(make_project):
    root = make_project({"stories/sample.yaml": MINIMAL_STORY})
    with pytest.raises(ContentError) as info:
        Project.load(root).content.story("sampel")
    assert "sample" in (info.value.hint or "")
