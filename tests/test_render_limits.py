"""Hostile templates, UI strings, files and texts: every render ends, in bounded time, with a clear
error naming the file and line (issue #14). The command-line view of the same cases is the
corpus in tests/hostile/templates.yaml."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from storycast.errors import ContentError, RenderError, StorycastError, TemplateError
from storycast.project import Project
from storycast.render import sandbox
from storycast.render.pipeline import render_many, render_story
from storycast.render.strings import Translator, load_strings, parse_ui_string
from storycast.render.templating import TemplateEngine

from .conftest import MINIMAL_STORY, MINIMAL_TOML

SECRET = "s3cr3t-limits-token"


def engine(tmp_path: Path, files: dict[str, str], **limits: float) -> TemplateEngine:
    folder = tmp_path / "templates"
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return TemplateEngine(folder, root=tmp_path, **limits)  # type: ignore[arg-type]


def failure(eng: TemplateEngine, source: str | None = None, context: dict | None = None) -> TemplateError:
    if source is not None:
        (eng.project_templates / "t.j2").write_text(source, encoding="utf-8")  # type: ignore[operator]
    started = time.monotonic()
    with pytest.raises(TemplateError) as info:
        eng.render_text("t.j2", context or {})
    assert time.monotonic() - started < 30
    return info.value


# --- t(): plain placeholders only -------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "{n.__class__.__init__.__globals__[os].environ[SECRET]}",
        "{n.real}",
        "{n[0]}",
        "{n!r}",
        "{n:>999999999}",
        "{}",
        "{0}",
        "Step {n",
        "Step n}",
    ],
)
def test_ui_strings_allow_plain_placeholders_only(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_ui_string(raw)


def test_ui_string_escapes_and_names() -> None:
    t = Translator({"k": {"en": "{{literal}} {n} of {total_count}"}}, "en")
    assert t("k", n=2, total_count="5") == "{literal} 2 of 5"


def test_strings_yaml_with_an_attribute_walk_is_refused_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET", SECRET)
    path = tmp_path / "templates" / "strings.yaml"
    path.parent.mkdir()
    path.write_text(
        'done_title:\n  en: "All set"\nstep_of:\n  en: "Step {n}"\n'
        '  es: "{n.__init__.__globals__[os].environ[SECRET]}"\n',
        encoding="utf-8",
    )
    with pytest.raises(TemplateError) as info:
        load_strings(path)
    err = info.value
    assert err.file == path and err.line == 5
    assert "not a plain placeholder" in err.message and SECRET not in str(err)


def test_strings_yaml_value_length_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "templates" / "strings.yaml"
    path.parent.mkdir()
    path.write_text("a:\n  en: ok\nb:\n  en: " + "x" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        load_strings(path)
    assert info.value.line == 4 and "1,000" in info.value.message


def test_t_values_must_be_text_or_numbers(tmp_path: Path) -> None:
    eng = engine(tmp_path, {"t.j2": '{{ t("k", n=range) }}'})
    t = Translator({"k": {"en": "{n}"}}, "en")
    err = failure(eng, context={"t": t})
    assert err.line == 1 and "must be text or a number" in err.message
    err = failure(eng, '{{ t("k", n=lipsum) }}', {"t": t})
    assert "lipsum" in err.message  # removed global: an unknown variable


def test_unknown_ui_string_error_is_short(tmp_path: Path) -> None:
    eng = engine(tmp_path, {"t.j2": '{{ t("k" * 200000) }}'})
    err = failure(eng, context={"t": Translator({}, "en")})
    assert "unknown UI string" in err.message and len(str(err)) < 1000


# --- the sandbox ---------------------------------------------------------------------------------


def test_shared_context_cannot_be_modified(tmp_path: Path) -> None:
    brand = {"name": "Lumen"}
    eng = engine(tmp_path, {"t.j2": "{{ brand.update({'name': 'x'}) }}"})
    err = failure(eng, context={"brand": brand})
    assert "sandbox forbids" in err.message and brand == {"name": "Lumen"}
    assert "sandbox forbids" in failure(eng, "{% set l = [1] %}{{ l.append(2) }}").message


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ('{{ "{:>999999999}".format(1) }}', "width or precision"),
        ('{{ "{0.__class__}".format(1) }}', "sandbox forbids"),
        ('{{ "%999999999d" % 1 }}', "width or precision"),
        ('{{ "%*d" % (999999999, 1) }}', "`*`"),
        ('{{ "%.999999999f"|format(1.5) }}', "width or precision"),
    ],
)
def test_formatting_widths_are_bounded(tmp_path: Path, source: str, says: str) -> None:
    err = failure(engine(tmp_path, {"t.j2": source}))
    assert says in err.message and err.line == 1


def test_normal_formatting_still_works(tmp_path: Path) -> None:
    eng = engine(tmp_path, {"t.j2": '{{ "%02d" % 7 }} {{ "%.1f"|format(2.25) }} {{ "{:>3}".format(5) }}'})
    assert eng.render_text("t.j2", {})[0] == '"07" "2.2" "  5"'


def test_big_numbers_that_are_not_widths_are_fine(tmp_path: Path) -> None:
    source = '{{ x|default(10**7) }} {{ {"a": 1}.get("b", 10**7) }} {{ 10**7 + 1 }} {{ (10**7)|round }}'
    eng = engine(tmp_path, {"t.j2": source})
    assert eng.render_text("t.j2", {})[0] == "10000000 10000000 10000001 10000000"


@pytest.mark.parametrize("name", ["random", "pprint", "striptags", "urlize"])
def test_filters_that_leak_or_backtrack_are_gone(tmp_path: Path, name: str) -> None:
    err = failure(engine(tmp_path, {"t.j2": f"{{{{ 'x'|{name} }}}}"}))
    assert name in err.message


@pytest.mark.parametrize("source", ["{{ range }}", '{{ "at " ~ range }}', "{{ range|string }}", "{{ t }}"])
def test_printing_a_function_is_an_error_not_a_repr(tmp_path: Path, source: str) -> None:
    err = failure(engine(tmp_path, {"t.j2": source}), context={"t": Translator({}, "en")})
    assert "itself instead of its result" in err.message and "0x" not in str(err)


def test_undefined_stays_an_unknown_variable(tmp_path: Path) -> None:
    err = failure(engine(tmp_path, {"t.j2": '{{ "a" ~ titel }}'}))
    assert "unknown template variable" in err.message


# --- time and size -------------------------------------------------------------------------------


def test_nested_loops_stop_at_the_time_limit(tmp_path: Path) -> None:
    source = "a: 1\n{% for i in range(100000) %}\n{% for j in range(100000) %}{% endfor %}\n{% endfor %}\n"
    eng = engine(tmp_path, {"t.j2": source}, timeout=0.5)
    started = time.monotonic()
    err = failure(eng)
    assert time.monotonic() - started < 5
    assert "ran longer than 0.5 s" in err.message
    assert err.file == Path("templates/t.j2") and err.line in (2, 3)


def test_time_limit_holds_in_a_thread(tmp_path: Path) -> None:
    eng = engine(
        tmp_path,
        {"t.j2": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"},
        timeout=0.5,
    )
    caught: list[BaseException] = []

    def run() -> None:
        try:
            eng.render_text("t.j2", {})
        except StorycastError as exc:
            caught.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(20)
    assert not worker.is_alive() and caught and "ran longer" in str(caught[0])


@pytest.mark.parametrize(
    "source",
    [
        "{% for i in range(100000) %}{% for j in range(100000) %}{{ 'x' * 100 }}{% endfor %}{% endfor %}",
        "{% set s %}{% for i in range(100000) %}{% for j in range(100000) %}xxxxxxxx"
        "{% endfor %}{% endfor %}{% endset %}",
        "{% macro m() %}{{ 'y' * 100000 }}{% endmacro %}"
        "{% for i in range(1000) %}{% set x = m() %}{% endfor %}",
    ],
)
def test_output_is_counted_at_every_level(tmp_path: Path, source: str) -> None:
    err = failure(engine(tmp_path, {"t.j2": source}))
    assert "more than 1,000,000 characters" in err.message and err.line == 1


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("{{ 'a' * 10**9 }}", "repeated value"),
        ("{{ ['a' * 1000] * 100000 }}", "repeated value"),
        ("{{ 2 ** (10**9) }}", "bits"),
        ("{{ 10**4000 * 10**4000 }}", "bits"),
        (
            "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s~ns.s %}{% endfor %}",
            "~",
        ),
        (
            "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
            "joined",
        ),
        ("{{ 'x'|center(10**9) }}", "center filter"),
        ("{{ ('a\\n' * 100000)|indent('x' * 10000) }}", "indent filter"),
        ("{{ range(100000)|join('s' * 10000) }}", "join filter"),
        ("{% set s = 'a' * 5000 %}{{ s|replace('a', s) }}", "replace filter"),
        ("{{ 'x'.ljust(10**9) }}", "str.ljust()"),
        ("{{ ('j' * 10000).join(range(100000)|map('string')) }}", "str.join()"),
        ("{% set b = range(100000)|list %}{{ [b, b, b, b, b, b, b, b]|sum(start=[]) }}", "joined"),
        ("{% set s = 'x' * 100000 %}{{ [s, s, s, s, s, s, s, s, s, s, s] }}", "printed list"),
    ],
)
def test_values_that_would_explode_are_refused_before_they_are_built(
    tmp_path: Path, source: str, says: str
) -> None:
    err = failure(engine(tmp_path, {"t.j2": source}))
    assert says in err.message and err.line == 1


def test_runaway_recursion_is_named(tmp_path: Path) -> None:
    eng = engine(tmp_path, {"t.j2": "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}"})
    assert "calls itself without end" in failure(eng).message
    assert "calls itself without end" in failure(eng, '{% include "t.j2" %}').message


def test_template_output_yaml_is_bounded(tmp_path: Path) -> None:
    eng = engine(tmp_path, {"t.j2": "layers: {{ ('[' * 60000)|raw }}{{ (']' * 60000)|raw }}\n"})
    text, filename = eng.render_text("t.j2", {})
    with pytest.raises(TemplateError) as info:
        eng.parse_yaml(text, "t.j2", filename)
    assert "nested more than 100 levels" in info.value.message
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdef", "bcdefg", strict=True)
    )
    with pytest.raises(TemplateError):
        eng.parse_yaml(bomb + "layers: [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n", "t.j2", filename)


def test_deep_yaml_is_refused_before_libyaml_composes_it() -> None:
    """libyaml's composer recurses in C: ~40,000 "[" crashed the process (exit 139)."""
    from storycast import yamlsrc

    with pytest.raises(ContentError) as info:
        yamlsrc.loads("id: x\ntitle: " + "[" * 60000 + "]" * 60000, "stories/deep.yaml")
    assert "nested more than 100 levels" in info.value.message and info.value.line == 2


def test_huge_template_file_is_refused(tmp_path: Path) -> None:
    eng = engine(tmp_path, {"t.j2": "x" * (sandbox.MAX_TEMPLATE_CHARS + 1)})
    assert "characters long" in failure(eng).message


def test_default_templates_stay_far_below_the_limits(tmp_path: Path) -> None:
    """The stock frames use a few percent of the output budget: the limits never bite real work."""
    project = Project.load(_project(tmp_path))
    from storycast.render.frames import plan_story

    eng = TemplateEngine(project.templates_dir, root=project.root)
    for plan in plan_story(project, project.content.story("sample"), "en"):
        budget = sandbox.Budget()
        with sandbox.activate(budget):
            eng.env.get_template(plan.template).render(plan.context)
        assert budget.produced < sandbox.DEFAULT_MAX_OUTPUT // 20


# --- files: links out of the project --------------------------------------------------------------


def _project(tmp_path: Path, files: dict[str, str] | None = None, toml: str = MINIMAL_TOML) -> Path:
    root = tmp_path / "project"
    (root / "stories").mkdir(parents=True, exist_ok=True)
    (root / "storycast.toml").write_text(toml, encoding="utf-8")
    (root / "stories" / "sample.yaml").write_text(MINIMAL_STORY, encoding="utf-8")
    for name, text in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _outside(tmp_path: Path, name: str, text: str) -> Path:
    target = tmp_path / "elsewhere" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def test_template_links_out_of_the_project_are_refused(tmp_path: Path) -> None:
    root = _project(tmp_path, {"templates/tutorial/cover.j2": '{% include "leak.j2" %}'})
    (root / "templates" / "leak.j2").symlink_to(_outside(tmp_path, "leak.j2", f"secret: {SECRET}"))
    with pytest.raises(TemplateError) as info:
        render_story(Project.load(root), "sample", "en")
    assert "outside the project" in info.value.message and SECRET not in str(info.value)
    assert info.value.file == Path("templates/leak.j2")


def test_links_inside_the_project_are_fine(tmp_path: Path) -> None:
    root = _project(tmp_path, {"shared/cover.j2": '{% extends "default/tutorial/cover.j2" %}'})
    (root / "templates" / "tutorial").mkdir(parents=True)
    (root / "templates" / "tutorial" / "cover.j2").symlink_to(root / "shared" / "cover.j2")
    assert render_story(Project.load(root), "sample", "en").rendered == 4


def test_strings_and_pictures_linked_from_outside_are_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "templates").mkdir()
    (root / "templates" / "strings.yaml").symlink_to(_outside(tmp_path, "s.yaml", "step_of: {en: x}\n"))
    with pytest.raises(TemplateError, match="outside the project"):
        render_story(Project.load(root), "sample", "en")
    (root / "templates" / "strings.yaml").unlink()
    (root / "assets").mkdir()
    (root / "assets" / "pic.png").symlink_to(_outside(tmp_path, "pic.png", "x"))
    story = root / "stories" / "sample.yaml"
    story.write_text(
        MINIMAL_STORY.replace(
            "  - title:\n      en: Plug", "  - image: assets/pic.png\n    title:\n      en: Plug"
        ),
        encoding="utf-8",
    )
    with pytest.raises(RenderError) as info:
        render_story(Project.load(root), "sample", "en")
    assert "link to a file outside the project" in info.value.message
    assert info.value.file == root / "assets" / "pic.png"


def test_font_linked_from_outside_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "assets" / "fonts").mkdir(parents=True)
    (root / "assets" / "fonts" / "Evil.ttf").symlink_to(_outside(tmp_path, "Evil.ttf", "not a font"))
    with pytest.raises(RenderError, match=r"font file Evil\.ttf is a link"):
        render_story(Project.load(root), "sample", "en", cache=False)


@pytest.mark.parametrize("image", ["../x.png", "/etc/passwd", "~/.ssh/id_rsa", "assets/../../x.png"])
def test_story_image_paths_stay_in_the_project(tmp_path: Path, image: str) -> None:
    root = _project(tmp_path)
    (root / "stories" / "sample.yaml").write_text(
        MINIMAL_STORY.replace(
            "  - title:\n      en: Plug", f"  - image: {image}\n    title:\n      en: Plug"
        ),
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as info:
        Project.load(root).content  # noqa: B018
    (problem,) = info.value.problems
    assert problem.line == 15 and "points outside the project" in problem.message


# --- content text and frame sizes ----------------------------------------------------------------


def test_story_texts_are_bounded_at_load(tmp_path: Path) -> None:
    root = _project(tmp_path)
    story = MINIMAL_STORY.replace("en: Restart your modem", "en: " + "A" * 1_000_000)
    (root / "stories" / "sample.yaml").write_text(story, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(ContentError) as info:
        Project.load(root).content  # noqa: B018
    assert time.monotonic() - started < 10
    (problem,) = info.value.problems
    assert problem.line == 6 and "at most 200 characters" in problem.message


def test_frame_spec_sizes_are_bounded(tmp_path: Path) -> None:
    from storycast.render.spec import parse_spec

    with pytest.raises(TemplateError, match="at most 200"):
        parse_spec({"layers": [{"type": "rect", "box": [0, 0, 1, 1], "fill": "#000"}] * 201}, "t.j2")
    with pytest.raises(TemplateError, match="at most 5000"):
        parse_spec({"layers": [{"type": "text", "text": "w" * 5001, "box": [0, 0, 9, 9]}]}, "t.j2")


HEAVY = (
    'layers:\n{% for i in range(150) %}\n  - {type: rect, box: [0, 0, 1080, 1920], fill: "#102030", '
    "radius: {{ 40 + i }}, shadow: {blur: 300, offset: [{{ i }}, {{ i }}]}}\n{% endfor %}\n"
)


@pytest.mark.parametrize("jobs", [1, 2])
def test_drawing_a_frame_stops_at_frame_timeout(tmp_path: Path, jobs: int) -> None:
    toml = MINIMAL_TOML + "\n[render]\nframe_timeout = 0.5\n"
    root = _project(tmp_path, {"templates/tutorial/cover.j2": HEAVY}, toml=toml)
    started = time.monotonic()
    with pytest.raises(RenderError) as info:
        render_many(Project.load(root), ["sample"], ["en", "es"], cache=False, jobs=jobs)
    assert time.monotonic() - started < 60
    assert "took longer than 0.5 s" in str(info.value)
