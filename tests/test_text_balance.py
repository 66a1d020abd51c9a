"""Balanced headlines: the engine's ``balance``, the text layer's ``balance:`` key, and the
default templates turning it on for titles and questions (never for body text)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from storycast.errors import ContentError, TemplateError
from storycast.project import Project
from storycast.render.draw import DrawContext, draw_frame
from storycast.render.frames import base_context, plan_story
from storycast.render.spec import TextLayer, parse_spec
from storycast.render.templating import TemplateEngine
from storycast.render.text import FontLibrary, TextRequest, layout_text

from .conftest import MINIMAL_STORY, MINIMAL_TOML

# The Hindi cover title that used to end on a lone "करें" ("turn on two-factor login").
HINDI_TITLE = "टू-फ़ैक्टर लॉगिन चालू करें"


@pytest.fixture(scope="module")
def fonts() -> FontLibrary:
    return FontLibrary.for_project(None)


def _cover_title(balance: bool) -> TextRequest:
    # As the default cover draws it: bold, 104 -> 80 px, up to three lines, 900 px wide.
    return TextRequest(
        HINDI_TITLE,
        "hi",
        weight="bold",
        size_max=104,
        size_min=80,
        max_lines=3,
        line_height=1.1,
        balance=balance,
        pretty=False,  # plain greedy wrapping when not balanced
    )


def test_balanced_hindi_title_does_not_end_on_a_lone_short_word(fonts: FontLibrary) -> None:
    greedy = layout_text(_cover_title(False), 900, 400, fonts)
    balanced = layout_text(_cover_title(True), 900, 400, fonts)
    # Greedy wrapping leaves "करें" alone: the case this option exists for.
    assert [line.text for line in greedy.lines] == ["टू-फ़ैक्टर लॉगिन चालू", "करें"]
    lines = [line.text for line in balanced.lines]
    assert len(lines) == 2 and " ".join(lines) == HINDI_TITLE
    assert len(lines[-1].split()) >= 2, lines
    # Same size and line count; only the line lengths move closer together.
    assert balanced.size == greedy.size == 104 and not balanced.truncated
    # The last line is no stub: at least half as wide as the widest (greedy: about a fifth).
    assert greedy.lines[-1].width < 0.5 * greedy.width
    assert balanced.lines[-1].width >= 0.5 * balanced.width and balanced.width < greedy.width


@pytest.mark.parametrize(
    ("text", "lang", "box_w"),
    [
        ("Activa el inicio de sesión en dos pasos", "es", 900),
        ("Укључите пријаву у два корака", "sr", 900),
        ("รีเซ็ตเราเตอร์ของคุณ", "th", 700),  # greedy: a lone "คุณ"; lines break at dictionary words
        ("เปิดการยืนยันตัวตน 2 ขั้นตอน", "th", 600),
        ("Wi-Fi\nrouter settings", "en", 900),  # explicit break: balanced far below half the box
    ],
)
def test_balance_finds_the_narrowest_wrap_with_the_same_line_count(
    fonts: FontLibrary, text: str, lang: str, box_w: int
) -> None:
    def lines(width: int, balance: bool) -> list[str]:
        req = TextRequest(text, lang, weight="bold", size_max=96, size_min=96, balance=balance, pretty=False)
        layout = layout_text(req, width, 2000, fonts)
        assert layout.size == 96 and not layout.truncated
        return [line.text for line in layout.lines]

    greedy = lines(box_w, False)
    count = len(greedy)
    assert count >= 2
    # Oracle: scan every width down from the box; the last one that keeps the count is the
    # narrowest (greedy wrapping only adds lines as the width shrinks).
    width = box_w
    while width > 1 and len(lines(width - 1, False)) == count:
        width -= 1
    assert lines(box_w, True) == lines(width, False)


def _spec(layer: dict[str, Any]) -> Any:
    return parse_spec({"layers": [{"type": "text", "text": "x", "box": [0, 0, 900, 400], **layer}]}, "t.j2")


def test_text_layer_balance_key_defaults_off_and_takes_booleans() -> None:
    assert _spec({}).layers[0].balance is False
    assert _spec({"balance": True}).layers[0].balance is True


def test_text_layer_balance_is_drawn(fonts: FontLibrary, tmp_path: Path) -> None:
    ctx = DrawContext(root=tmp_path, asset_dirs=[], fonts=fonts, lang="hi")
    layer = {
        "type": "text",
        "id": "title",
        "role": "heading",
        "text": HINDI_TITLE,
        "box": [90, 300, 900, 400],
    }
    layer |= {"size": {"max": 104, "min": 80}, "font": {"weight": "bold"}, "line_height": 1.1, "max_lines": 3}
    reports = {}
    for balance in (False, True):
        spec = parse_spec(
            {"layers": [{"type": "background", "color": "#0D1B45"}, {**layer, "balance": balance}]}, "t.j2"
        )
        (reports[balance],) = draw_frame(spec, ctx).texts
    # Unbalanced, widow control still keeps "करें" from standing alone.
    assert reports[False].lines == ["टू-फ़ैक्टर लॉगिन", "चालू करें"]
    assert reports[True].lines == ["टू-फ़ैक्टर", "लॉगिन चालू करें"]
    assert reports[True].size == reports[False].size == 104


@pytest.mark.parametrize("bad", ["sometimes", 2, [True]])
def test_a_bad_balance_value_names_the_template_and_line(tmp_path: Path, bad: object) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "t.j2").write_text(
        "layers:\n  - type: text\n    id: title\n    text: {{ 'hi' }}\n    box: [0, 0, 10, 10]\n"
        "    balance: {{ value }}\n",
        encoding="utf-8",
    )
    with pytest.raises(TemplateError) as info:
        TemplateEngine(folder, root=tmp_path).render_spec("t.j2", {"value": bad})
    err = info.value
    assert isinstance(err, ContentError)
    assert err.file is not None and err.file.name == "t.j2"
    assert "(text, id 'title'): balance:" in err.message and "valid boolean" in err.message
    assert "generated line 6" in err.message


def _balanced_ids(spec: Any) -> set[str]:
    return {layer.id for layer in spec.layers if isinstance(layer, TextLayer) and layer.balance}


def test_default_templates_balance_titles_and_questions_not_body_text(tmp_path: Path) -> None:
    (tmp_path / "storycast.toml").write_text(MINIMAL_TOML, encoding="utf-8")
    (tmp_path / "stories").mkdir()
    (tmp_path / "stories" / "s.yaml").write_text(MINIMAL_STORY, encoding="utf-8")
    project = Project.load(tmp_path)
    eng = TemplateEngine(project.templates_dir, root=tmp_path)
    found: dict[str, set[str]] = {}
    for plan in plan_story(project, project.content.story("sample"), "en"):
        spec, _ = eng.render_spec(plan.template, plan.context)
        found.setdefault(plan.kind, set()).update(_balanced_ids(spec))
    base = {**base_context(project, "en"), "frame": {"index": 1, "total": 1, "kind": "frame", "number": "01"}}
    event = {"title": "Faster Wi-Fi at home", "host": "Marta", "starts_local": "Thu 18:00", "join": "Live"}
    others = {
        "qa": ("qa/announcement.j2", {"event": {**event, "topics": ["Routers"]}}),
        "poll": (
            "poll/poll.j2",
            {"poll": {"question": "How do you fix it?", "options": ["Restart", "Call"]}},
        ),
        "hours": ("support-hours.j2", {}),
    }
    for kind, (template, extra) in others.items():
        spec, _ = eng.render_spec(template, {**base, **extra})
        found[kind] = _balanced_ids(spec)
    assert found == {
        "cover": {"title"},
        "step": {"title"},
        "outro": {"title"},
        "qa": {"title"},
        "poll": {"question"},
        "hours": {"title"},
    }


def test_thai_title_with_spaces_splits_at_a_space_not_inside_a_compound(fonts: FontLibrary) -> None:
    # "Turn on two-step verification": width alone would cut the compound การยืนยันตัวตน
    # ("verification") after การยืนยัน; the title's own space is the split a reader expects.
    title = "เปิดการยืนยันตัวตน 2 ขั้นตอน"
    req = TextRequest(title, "th", weight="bold", size_max=104, size_min=80, max_lines=3, balance=True)
    lines = [line.text.strip() for line in layout_text(req, 900, 400, fonts).lines]
    assert lines == ["เปิดการยืนยันตัวตน", "2 ขั้นตอน"], lines


def test_thai_title_without_spaces_is_still_balanced_by_width(fonts: FontLibrary) -> None:
    title = "รีเซ็ตเราเตอร์ของคุณ"  # "reset your router": no space, so dictionary words decide

    def lines(balance: bool) -> list[str]:
        req = TextRequest(
            title, "th", weight="bold", size_max=104, size_min=104, balance=balance, pretty=False
        )
        return [line.text for line in layout_text(req, 800, 600, fonts).lines]

    assert lines(False) == ["รีเซ็ตเราเตอร์ของ", "คุณ"]  # greedy: a lone "คุณ"
    assert lines(True) == ["รีเซ็ตเราเตอร์", "ของคุณ"]
