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


# --- YAML: merge keys, alias bombs, nesting, odd bytes ----------------------------------------


def test_merge_key_with_override_is_valid_yaml():
    text = "base: &base {title: Base, duration: 5}\nstep:\n  <<: *base\n  duration: 8\n"
    data = yamlsrc.loads(text, Path("x.yaml"))
    assert data["step"] == {"title": "Base", "duration": 8}
    many = "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n"
    assert yamlsrc.loads(many, Path("x.yaml"))["c"] == {"x": 1, "y": 1, "z": 3}


def test_a_real_duplicate_next_to_a_merge_is_still_an_error():
    text = "base: &base {a: 1}\nx:\n  <<: *base\n  a: 2\n  a: 3\n"
    with pytest.raises(ContentError) as info:
        yamlsrc.loads(text, Path("x.yaml"))
    assert (info.value.line, info.value.column) == (5, 3) and info.value.hint


def test_story_steps_share_fields_through_a_merge_key(make_project):
    story = MINIMAL_STORY.replace(
        "  - title:\n      en: Unplug it", "  - &first\n    title:\n      en: Unplug it"
    )
    story = story.replace(
        "  - title:\n      en: Plug it back in\n      es: Vuelve a conectarlo\n",
        "  - <<: *first\n    title:\n      en: Plug it back in\n      es: Vuelve a conectarlo\n",
    )
    root = make_project({"stories/sample.yaml": story})
    steps = Project.load(root).content.story("sample").steps
    assert steps[1].title["en"] == "Plug it back in"  # overridden
    assert steps[1].text["en"] == "Wait for the light to turn green."  # its own key wins too
    lean = story.replace(
        "    text:\n      en: Wait for the light to turn green.\n"
        "      es: Espera a que la luz se ponga verde.\n",
        "",
    )
    root = make_project({"stories/sample.yaml": lean})
    assert Project.load(root).content.story("sample").steps[1].text["en"] == "Wait ten seconds."  # merged


def test_alias_bomb_is_refused_quickly():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    with pytest.raises(ContentError) as info:
        yamlsrc.loads("\n".join(lines) + "\n", Path("bomb.yaml"))
    assert "aliases" in info.value.message and info.value.hint


def test_deep_nesting_and_recursive_aliases_are_refused():
    for text in ("a: " + "[" * 5000 + "]" * 5000, "a: " + "{b: " * 300 + "1" + "}" * 300):
        with pytest.raises(ContentError) as info:
            yamlsrc.loads(text, Path("deep.yaml"))
        assert "nested more than" in info.value.message
    with pytest.raises(ContentError) as info:
        yamlsrc.loads("a: &a [1, *a]\n", Path("loop.yaml"))
    assert "contains it" in info.value.message


def test_control_characters_are_placed():
    with pytest.raises(ContentError) as info:
        yamlsrc.loads("id: x\ntitle: a\x07b\n", Path("x.yaml"))
    assert "U+0007" in info.value.message and (info.value.line, info.value.column) == (2, 9)


@pytest.mark.parametrize(
    ("data", "says", "line"),
    [
        (b"id: sample\ntitle: {en: Caf\xe9}\n", "not valid UTF-8", 2),
        (b"id: sample\n\x00\n", "NUL byte", 2),
        (b"", "is empty", 1),
        (b"- a\n- b\n", "not a list", 1),
        ("id: x\n".encode("utf-16"), "UTF-16", 1),
    ],
)
def test_unreadable_story_files_are_content_errors(make_project, data, says, line):
    root = make_project({"stories/sample.yaml": data})
    with pytest.raises(ContentError) as info:
        _ = Project.load(root).content
    (problem,) = info.value.problems
    assert says in problem.message and problem.line == line and problem.hint
    assert problem.file == root / "stories" / "sample.yaml"


def test_bom_and_crlf_story_loads(make_project):
    data = b"\xef\xbb\xbf" + MINIMAL_STORY.replace("\n", "\r\n").encode()
    root = make_project({"stories/sample.yaml": data})
    assert Project.load(root).content.story("sample").title["en"] == "Restart your modem"


def test_unknown_story_key_suggests_the_close_one(make_project):
    root = make_project({"stories/sample.yaml": MINIMAL_STORY.replace("category:", "categroy:")})
    with pytest.raises(ContentError) as info:
        _ = Project.load(root).content
    problems = {p.message: p for p in info.value.problems}
    assert "did you mean category?" in problems["categroy: unknown key"].hint
    root = make_project(
        {
            "stories/sample.yaml": MINIMAL_STORY.replace(
                "    text:\n      en: Wait ten", "    txt:\n      en: Wait ten"
            )
        }
    )
    with pytest.raises(ContentError) as info:
        _ = Project.load(root).content
    assert "did you mean text?" in str(info.value)
