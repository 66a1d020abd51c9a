"""Text that is too long never fails the render.

Each case is a story a support team could write: an over-long title, a long compound word, a
long URL, the Serbian seed paragraph in a step body. The render always draws the frames; a
word that cannot fit breaks at its hyphenation points (a URL after its separators); what still
does not fit is cut with an ellipsis, and lint's ``layout.overflow`` reports it as an error,
before anything is rendered, with the layer, the text and how much it is over.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storycast.guard.check import check_story
from storycast.guard.registry import Finding, has_errors
from storycast.project import Project
from storycast.render.pipeline import render_story
from storycast.render.text import FontLibrary, TextRequest, layout_text

from .conftest import MINIMAL_TOML

SEEDS = Path("/work/shared/seeds")
# The first paragraph of the Serbian seed article (001_*.txt), kept here so the test does not
# depend on the shared folder.
SERBIAN_SEED = (
    "Подршка клијентима се брзо развија, пратећи технолошке трендове и преференције потрошача. "
    "Једна од најновијих иновација у овом пољу је употреба апликација за ефемерне поруке за "
    "пружање подршке купцу. Ове платформе, као Snapchat, Instagram Stories и WhatsApp Status, "
    "нуде јединствен и динамичан приступ за интеракцију са клијентима"
)
COMPOUND = "Internetverbindungseinstellungen"  # fits two lines once hyphenated
HUGE_COMPOUND = "Superkalifragilistisch" * 6  # too long even when broken
URL = "https://soporte.lumen.example/ayuda/reiniciar-router?idioma=es&paso=2"
LONG_TITLE = (
    "Cómo reiniciar el módem, el router y todos los repetidores de tu casa sin perder la "
    "configuración que hiciste el año pasado con nuestro técnico"
)


def _story(title: str, step_title: str, step_text: str, lang: str) -> str:
    return (
        "id: sample\ntemplate: tutorial\ncategory: connectivity\n"
        f"languages: [{lang}]\n"
        f"title:\n  {lang}: {json.dumps(title, ensure_ascii=False)}\n"
        "steps:\n"
        f"  - title:\n      {lang}: {json.dumps(step_title, ensure_ascii=False)}\n"
        f"    text:\n      {lang}: {json.dumps(step_text, ensure_ascii=False)}\n"
    )


def _overflows(project: Project, lang: str) -> list[Finding]:
    story = project.content.story("sample")
    return [f for f in check_story(project, story, [lang]) if f.rule == "layout.overflow"]


# (case, lang, title, step title, step text, expected overflowing layer as (frame, layer, line))
CASES = [
    ("long-title", "es", LONG_TITLE, "Desconéctalo", "Espera diez segundos.", (1, "title", 6)),
    ("compound", "en", "Restart", HUGE_COMPOUND, "Wait ten seconds.", (2, "title", 9)),
    ("serbian-seed", "sr", "Рестартујте рутер", "Искључите га", SERBIAN_SEED, (2, "body", 11)),
    ("url", "es", "Reinicia", "Abre la ayuda", f"Abre {URL} " * 4, (2, "body", 11)),
]


@pytest.mark.parametrize(
    ("case", "lang", "title", "step_title", "text", "where"), CASES, ids=[c[0] for c in CASES]
)
def test_overflow_renders_and_lint_reports_it_before_rendering(
    make_project,
    case: str,
    lang: str,
    title: str,
    step_title: str,
    text: str,
    where: tuple[int, str, int],
) -> None:
    root = make_project({"stories/sample.yaml": _story(title, step_title, text, lang)}, toml=MINIMAL_TOML)
    project = Project.load(root)

    # Lint first: nothing has been rendered, yet the overflow is known.
    found = _overflows(project, lang)
    assert not (root / "build").exists()
    frame, layer, line = where
    (finding,) = [f for f in found if (f.frame, f.layer) == (frame, layer)]
    assert finding.severity == "error" and has_errors(found)
    assert finding.file == "stories/sample.yaml" and finding.line == line
    assert finding.lang == lang and finding.story == "sample"
    message = finding.message
    assert f"layer {layer!r}" in message
    source = title if layer == "title" and frame == 1 else step_title if layer == "title" else text
    assert " ".join(source.split())[:20] in message  # the text itself
    assert "lines" in message and "over" in message and "characters cut" in message  # how much

    # The render draws every frame all the same, with the cut text ending in an ellipsis.
    result = render_story(project, "sample", lang)
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    assert [f["file"] for f in manifest["frames"]] == ["01.jpg", "02.jpg", "03.jpg"]
    cut = next(t for t in manifest["frames"][frame - 1]["texts"] if t["id"] == layer)
    assert cut["truncated"] is True and cut["lines"][-1].endswith("…")
    assert any(w.startswith(f"frame {frame:02d}: ") for w in result.warnings)

    # Linting the rendered frames reports the layer once, as layout.overflow.
    rendered = check_story(project, project.content.story("sample"), [lang], rendered=True)
    same = [f for f in rendered if (f.frame, f.layer) == (frame, layer)]
    assert [f.rule for f in same if f.rule in ("layout.overflow", "layout.truncated")] == ["layout.overflow"]


def test_a_long_compound_word_is_hyphenated_instead_of_cut(make_project) -> None:
    root = make_project(
        {"stories/sample.yaml": _story("Restart", COMPOUND, "Wait.", "en")}, toml=MINIMAL_TOML
    )
    project = Project.load(root)
    assert _overflows(project, "en") == []
    result = render_story(project, "sample", "en")
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    title = next(t for t in manifest["frames"][1]["texts"] if t["id"] == "title")
    assert not title["truncated"] and len(title["lines"]) == 2
    assert title["lines"][0].endswith("-") and "".join(title["lines"]).replace("-", "") == COMPOUND


def test_a_long_url_breaks_after_its_separators_without_a_hyphen() -> None:
    fonts = FontLibrary.for_project(None)
    req = TextRequest(f"Abre {URL}", "es", size_max=56, size_min=48, max_lines=4)
    layout = layout_text(req, 600, 600, fonts)
    lines = [line.text for line in layout.lines]
    assert not layout.truncated and all(line.width <= 600 for line in layout.lines)
    assert "".join(lines).replace(" ", "") == f"Abre{URL}"  # nothing added, nothing lost
    for line in lines[:-1]:
        assert line.rstrip()[-1] in " /.?&=-_" or line.rstrip() == "Abre", lines


def test_serbian_seed_paragraph_is_cut_with_the_overage_measured() -> None:
    fonts = FontLibrary.for_project(None)
    seed = next(SEEDS.glob("001_*.txt"), None)
    text = seed.read_text(encoding="utf-8").split("\n")[0] if seed else SERBIAN_SEED
    layout = layout_text(TextRequest(text, "sr", size_max=52, size_min=48, max_lines=4), 900, 330, fonts)
    assert layout.truncated and len(layout.lines) == 4 and layout.lines[-1].text.endswith("…")
    over = layout.overflow
    assert over is not None and over.lines_shown == 4 and over.lines_needed > 8
    assert over.max_lines == 4 and over.over_px > 0
    shown = " ".join(line.text.removesuffix("…").strip() for line in layout.lines)
    assert text.startswith(shown) and text.endswith(over.hidden)  # the cut part, exactly
    assert len(over.hidden) > len(text) // 2
    assert "needs" in over.describe() and "characters cut" in over.describe()


def test_cli_lint_exits_1_with_the_overflow_and_no_render(make_project, run_cli) -> None:
    root = make_project(
        {"stories/sample.yaml": _story("Рестартујте рутер", "Искључите га", SERBIAN_SEED, "sr")},
        toml=MINIMAL_TOML,
    )
    code, out, _err = run_cli("--project", str(root), "lint", "--no-rendered")
    assert code == 1
    assert "error layout.overflow: frame 2 text layer 'body'" in out
    assert "stories/sample.yaml:11" in out
    assert not (root / "build").exists()


def test_overflow_rule_can_be_switched_off(make_project) -> None:
    toml = MINIMAL_TOML + '\n[guard.rules]\n"layout.overflow" = "warning"\n'
    root = make_project({"stories/sample.yaml": _story(LONG_TITLE, "a", "b", "es")}, toml=toml)
    found = _overflows(Project.load(root), "es")
    assert found and all(f.severity == "warning" for f in found)
