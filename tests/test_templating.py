"""Templating: sandbox, strict variables, YAML-safe quoting, search path, brand and UI strings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from storycast.errors import TemplateError
from storycast.project import Project
from storycast.render.frames import base_context, brand_context, plan_story
from storycast.render.strings import Translator, load_strings
from storycast.render.templating import (
    TemplateEngine,
    alpha_filter,
    mix_filter,
    text_direction,
    yaml_scalar,
)

from .conftest import MINIMAL_STORY, MINIMAL_TOML

TRICKY = [
    'He said "hi": #not-a-comment',
    "key: value\nsecond line",
    "- starts like a list item",
    "{looks: like, a: mapping}",
    "*alias & anchor",
    "tab\there, backslash \\ and 'single'",
    "yes",
    'ขั้นตอนที่ 2: เปิด "การตั้งค่า" # ต่อ',
    "",
]


def engine(tmp_path: Path, files: dict[str, str]) -> TemplateEngine:
    folder = tmp_path / "templates"
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return TemplateEngine(folder, root=tmp_path)


@pytest.mark.parametrize("value", TRICKY)
def test_finalize_quoting_keeps_yaml_valid(tmp_path: Path, value: str) -> None:
    eng = engine(tmp_path, {"t.j2": "text: {{ value }}\nlayers:\n  - title: {{ value }}\n"})
    rendered = eng.render_data("t.j2", {"value": value})
    assert rendered.data["text"] == value
    assert rendered.data["layers"][0]["title"] == value


def test_numbers_booleans_none_and_collections_are_yaml_values(tmp_path: Path) -> None:
    eng = engine(
        tmp_path, {"t.j2": "a: {{ n }}\nb: {{ f }}\nc: {{ flag }}\nd: {{ nothing }}\ne: {{ box }}\n"}
    )
    data = eng.render_data("t.j2", {"n": 3, "f": 0.5, "flag": True, "nothing": None, "box": [1, 2, "x"]}).data
    assert data == {"a": 3, "b": 0.5, "c": True, "d": None, "e": [1, 2, "x"]}


def test_literal_strings_are_quoted_too(tmp_path: Path) -> None:
    # Jinja folds constants at compile time; the rule must hold for them as well.
    eng = engine(tmp_path, {"t.j2": 'a: {{ "x: #y" }}\nb: {{ "Step " ~ 2 }}\n'})
    assert eng.render_data("t.j2", {}).data == {"a": "x: #y", "b": "Step 2"}


def test_raw_filter_and_macro_output_are_inserted_as_is(tmp_path: Path) -> None:
    eng = engine(
        tmp_path,
        {
            "t.j2": (
                "{% macro item(v) %}\n  - {k: {{ v }}}\n{% endmacro %}\n"
                "flow: {{ '[1, 2]'|raw }}\nitems:\n{{ item('a: b') }}\n{{ item(5) }}\n"
            )
        },
    )
    assert eng.render_data("t.j2", {}).data == {"flow": [1, 2], "items": [{"k": "a: b"}, {"k": 5}]}


def test_yaml_scalar_unit() -> None:
    assert yaml_scalar('a"b') == '"a\\"b"'
    assert yaml_scalar("ไทย") == '"ไทย"'  # not \\u-escaped: readable in error messages
    assert yaml_scalar(7) == "7"


def test_sandbox_escape_is_a_template_error(tmp_path: Path) -> None:
    eng = engine(tmp_path, {"evil.j2": "a: 1\nb: {{ ''.__class__.__mro__ }}\n"})
    with pytest.raises(TemplateError) as info:
        eng.render_text("evil.j2", {})
    err = info.value
    assert "sandbox" in err.message
    assert err.file is not None and err.file.name == "evil.j2"
    assert err.line == 2


def test_unknown_variable_names_template_file_and_line(tmp_path: Path) -> None:
    eng = engine(tmp_path, {"t.j2": "a: 1\n\nb: {{ stroy.title }}\n"})
    with pytest.raises(TemplateError) as info:
        eng.render_text("t.j2", {"story": {"title": "x"}})
    err = info.value
    assert "stroy" in err.message
    assert str(err.file) == "templates/t.j2"
    assert err.line == 3


def test_unknown_variable_inside_included_macro_points_at_the_macro_file(tmp_path: Path) -> None:
    eng = engine(
        tmp_path,
        {
            "_m.j2": "{% macro f() %}\nx: {{ missing }}\n{% endmacro %}\n",
            "t.j2": '{% import "_m.j2" as m %}\n{{ m.f() }}\n',
        },
    )
    with pytest.raises(TemplateError) as info:
        eng.render_text("t.j2", {})
    assert info.value.file is not None and info.value.file.name == "_m.j2"
    assert info.value.line == 2


def test_syntax_error_has_line(tmp_path: Path) -> None:
    eng = engine(tmp_path, {"t.j2": "a: 1\n{% if x %}\nb: 2\n"})
    with pytest.raises(TemplateError) as info:
        eng.render_text("t.j2", {"x": 1})
    assert info.value.file is not None and info.value.file.name == "t.j2"
    assert info.value.line is not None
    assert "syntax" in info.value.message


def test_invalid_yaml_names_template_and_generated_line(tmp_path: Path) -> None:
    eng = engine(tmp_path, {"t.j2": "a: 1\nb: {{ v|raw }}\n"})
    with pytest.raises(TemplateError) as info:
        eng.render_data("t.j2", {"v": "x: y: z"})
    err = info.value
    assert err.file is not None and err.file.name == "t.j2"
    assert "generated line 2" in err.message
    assert err.hint and "quoted for you" in err.hint


def test_invalid_spec_is_a_template_error_naming_the_template(tmp_path: Path) -> None:
    eng = engine(tmp_path, {"t.j2": "layers:\n  - type: txet\n    box: [0, 0, 10, 10]\n"})
    with pytest.raises(TemplateError) as info:
        eng.render_spec("t.j2", {})
    assert info.value.file is not None and info.value.file.name == "t.j2"
    assert "txet" in info.value.message


def test_missing_template_is_a_template_error(tmp_path: Path) -> None:
    eng = engine(tmp_path, {})
    with pytest.raises(TemplateError, match=r"template not found: nope/step\.j2"):
        eng.render_text("nope/step.j2", {})


def test_project_template_extends_packaged_default(tmp_path: Path) -> None:
    child = (
        '{% extends "default/tutorial/step.j2" %}\n'
        "{% block chrome_right %}\n"
        '{{ ui.text("custom", "Custom!", [100, 300, 500, 60], 40) }}\n'
        "{% endblock %}\n"
    )
    root = tmp_path
    (root / "storycast.toml").write_text(MINIMAL_TOML, encoding="utf-8")
    (root / "stories").mkdir()
    (root / "stories" / "s.yaml").write_text(MINIMAL_STORY, encoding="utf-8")
    (root / "templates" / "tutorial").mkdir(parents=True)
    (root / "templates" / "tutorial" / "step.j2").write_text(child, encoding="utf-8")
    project = Project.load(root)
    story = project.content.story("sample")
    plans = plan_story(project, story, "es")
    eng = TemplateEngine(project.templates_dir, root=root)
    spec, rendered = eng.render_spec(plans[1].template, plans[1].context)
    texts = {getattr(layer, "id", None): layer for layer in spec.layers}
    assert texts["custom"].text == "Custom!"
    assert texts["title"].text == "Desconéctalo"  # the default's blocks still render
    assert rendered.filename is not None and rendered.filename.startswith(str(root / "templates"))


def test_project_template_overrides_default_by_name(tmp_path: Path) -> None:
    eng = engine(tmp_path, {"tutorial/cover.j2": "mine: true\n"})
    assert eng.render_data("tutorial/cover.j2", {}).data == {"mine": True}
    # ... while the packaged one stays reachable
    assert eng.exists("default/tutorial/cover.j2")


def test_brand_and_context_are_available(tmp_path: Path) -> None:
    toml = MINIMAL_TOML + '\n[brand]\nname = "Acme"\nprimary = "#112233"\ncorner_radius = 12\n'
    (tmp_path / "storycast.toml").write_text(toml, encoding="utf-8")
    project = Project.load(tmp_path)
    ctx = base_context(project, "th")
    eng = engine(
        tmp_path,
        {
            "t.j2": "b: {{ brand.name }}\nc: {{ brand.primary }}\nr: {{ brand.corner_radius }}\n"
            "w: {{ canvas.width }}\nsafe: {{ safe.top }}\nd: {{ dir }}\ns: {{ t('step_of', n=2, total=5) }}\n"
        },
    )
    data = eng.render_data("t.j2", ctx).data
    assert data == {
        "b": "Acme",
        "c": "#112233",
        "r": 12,
        "w": 1080,
        "safe": 250,
        "d": "ltr",
        "s": "ขั้นตอนที่ 2 จาก 5",
    }
    assert brand_context(project)["logo"] is None  # no logo configured


def test_directions() -> None:
    assert text_direction("ar") == "rtl"
    assert text_direction("he-IL") == "rtl"
    assert text_direction("sr") == "ltr"


def test_colour_filters() -> None:
    assert alpha_filter("#2454E6", 0.2) == "#2454E633"
    assert mix_filter("#000000", "#FFFFFF", 0.5) == "#808080"
    with pytest.raises(ValueError):
        alpha_filter("blue", 0.5)


def test_ui_strings_fall_back_to_english_and_fill_placeholders(tmp_path: Path) -> None:
    path = tmp_path / "strings.yaml"
    path.write_text('hello: {en: "Hi {name}", es: "Hola {name}"}\n', encoding="utf-8")
    strings = load_strings(path)
    assert Translator(strings, "es")("hello", name="Ana") == "Hola Ana"
    assert Translator(strings, "th")("hello", name="Ana") == "Hi Ana"
    with pytest.raises(TemplateError, match="needs a value for \\{name\\}"):
        Translator(strings, "es")("hello")
    with pytest.raises(TemplateError, match="unknown UI string"):
        Translator(strings, "es")("nope")


def test_packaged_strings_cover_every_language_of_the_example() -> None:
    from storycast import resources

    strings = load_strings(resources.templates_dir() / "strings.yaml")
    for key, per_lang in strings.items():
        for lang in ("en", "es", "th", "hi", "sr"):
            assert per_lang.get(lang), f"{key} has no {lang} text"
    # Serbian is Cyrillic, Hindi Devanagari, Thai Thai
    assert all("\u0400" <= ch <= "\u04ff" for ch in strings["closed"]["sr"] if ch.isalpha())
    assert all("\u0900" <= ch <= "\u097f" for ch in strings["step"]["hi"] if ch.isalpha())


def test_support_hours_are_grouped_and_localized(tmp_path: Path) -> None:
    toml = MINIMAL_TOML + (
        '\n[support_hours]\nmon = ["09:00-18:00"]\ntue = ["09:00-18:00"]\nwed = ["09:00-18:00"]\n'
        'thu = ["09:00-18:00"]\nfri = ["09:00-15:00"]\nholidays = ["2026-12-25"]\n'
    )
    (tmp_path / "storycast.toml").write_text(toml, encoding="utf-8")
    project = Project.load(tmp_path)
    en = base_context(project, "en")["support_hours"]
    assert [(r["days"], r["hours"]) for r in en["rows"]] == [
        ("Monday – Thursday", "09:00–18:00"),
        ("Friday", "09:00–15:00"),
        ("Saturday – Sunday", "Closed"),
    ]
    assert en["holiday_note"] == "Closed on public holidays"
    es = base_context(project, "es")["support_hours"]
    assert es["rows"][0]["days"] == "Lunes – jueves"
    sr = base_context(project, "sr")["support_hours"]
    assert sr["rows"][0]["days"].startswith("Понедељак")
    th = base_context(project, "th")["support_hours"]
    assert th["rows"][-1]["hours"] == "ปิดทำการ"


def test_default_templates_render_valid_specs_for_every_frame_kind(tmp_path: Path) -> None:
    (tmp_path / "storycast.toml").write_text(MINIMAL_TOML, encoding="utf-8")
    (tmp_path / "stories").mkdir()
    (tmp_path / "stories" / "s.yaml").write_text(MINIMAL_STORY, encoding="utf-8")
    project = Project.load(tmp_path)
    eng = TemplateEngine(project.templates_dir, root=tmp_path)
    story = project.content.story("sample")
    for lang in story.languages:
        for plan in plan_story(project, story, lang):
            spec, rendered = eng.render_spec(plan.template, plan.context)
            assert spec.width == 1080 and spec.layers
            yaml.safe_load(rendered.text)


def test_spec_problems_name_their_generated_lines(tmp_path: Path) -> None:
    eng = engine(
        tmp_path,
        {"t.j2": "layers:\n  - type: text\n    text: {{ 'hi' }}\n    box: [0, 0, 10, 10]\n    colour: red\n"},
    )
    with pytest.raises(TemplateError) as info:
        eng.render_spec("t.j2", {})
    assert "unknown key `colour` (generated line 5: 'colour: red')" in info.value.message
    assert info.value.hint is not None and "color" in info.value.hint
