"""Text in every script storycast supports: no missing glyph, no dotted circle, no break inside a word.

The paragraphs are the step texts of tests/data/world-scripts.yaml (a stress story, also rendered
here with the stock tutorial template). Every run of every laid-out line is shaped again with
HarfBuzz itself (uharfbuzz, the same font file, language and direction) so a .notdef glyph
(id 0) or a dotted circle inserted for a broken cluster is seen, not guessed from the cmap.
"""

from __future__ import annotations

import itertools
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import uharfbuzz as hb
import yaml

from storycast.errors import RenderError
from storycast.render.text import FontLibrary, TextLayout, TextRequest, layout_text, missing_glyphs
from storycast.render.text.cjk import NO_END, NO_START
from storycast.render.text.fonts import FontFace
from storycast.render.text.fonts_system import cjk_region, missing_font_error

DATA = Path(__file__).resolve().parent / "data"
STORY = yaml.safe_load((DATA / "world-scripts.yaml").read_text(encoding="utf-8"))
PARAGRAPHS: dict[str, str] = STORY["steps"][0]["text"]
SPACED = ("ar", "fa", "ur", "he", "vi", "bn", "ta", "ko")
CJK = ("ja", "zh")
# Word boundaries as a reader of each language segments these sentences ("|"); a line may
# break there or after a space, nowhere else.
WORDS = {
    "th": "ปิด|เราเตอร์|แล้ว|เปิด|ใหม่ จากนั้น|รอ|สองนาที|แล้ว|ตรวจดู|ว่า|ไฟ|อินเทอร์เน็ต|เป็น|สี|เขียว",
    "km": "សូម|បិទ|រ៉ោតទ័រ រួច|បើក|វា|ឡើងវិញ ហើយ|រង់ចាំ|ពីរនាទី។ បន្ទាប់មក សូម|ពិនិត្យ|មើល|ថា|ភ្លើង|អ៊ីនធឺណិត|ភ្លឺ|ពណ៌|បៃតង។",
    "lo": "ກະລຸນາ|ປິດ|ເຣົາເຕີ|ແລ້ວ|ເປີດ|ໃໝ່ ແລະ ລໍຖ້າ|ສອງນາທີ. ຈາກນັ້ນ ກວດເບິ່ງ|ວ່າ|ໄຟ|ອິນເຕີເນັດ|ເປັນ|ສີຂຽວ.",
    "my": "ရောက်တာ|ကို ပိတ်|ပြီး ပြန်ဖွင့်ပါ။ ထို့နောက် နှစ်မိနစ်|ခန့် စောင့်|ပြီး အင်တာနက်|မီး အစိမ်း|ရောင် ဖြစ်|နေ|ကြောင်း စစ်ဆေးပါ။",
}
WIDTHS = (420, 540, 660, 900)  # each wider than the longest word at 44 px


@pytest.fixture(scope="module")
def fonts() -> FontLibrary:
    return FontLibrary.for_project(None)


def _layouts(fonts: FontLibrary, lang: str) -> list[TextLayout]:
    text = PARAGRAPHS[lang]
    return [
        layout_text(TextRequest(text=text, lang=lang, size_max=44, size_min=44), width, 2000, fonts)
        for width in WIDTHS
    ]


@cache
def _hb_font(face: FontFace) -> hb.Font:
    return hb.Font(hb.Face(hb.Blob.from_file_path(str(face.path)), face.index))


def _shaped_glyphs(face: FontFace, text: str, direction: str, language: str | None) -> list[int]:
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    buf.direction = direction
    if language:
        buf.language = language
    hb.shape(_hb_font(face), buf, {})
    return [info.codepoint for info in buf.glyph_infos]


def _breaks(text: str, layout: TextLayout) -> list[int]:
    """Where each line after the first starts in *text*."""
    starts: list[int] = []
    pos = 0
    for line in layout.lines:
        drawn = line.text.strip()
        at = text.index(drawn, pos)
        starts.append(at)
        pos = at + len(drawn)
    assert "".join(line.text for line in layout.lines).replace(" ", "") == text.replace(" ", "")
    return starts[1:]


@pytest.mark.parametrize("lang", sorted(PARAGRAPHS))
def test_every_glyph_is_there_and_no_cluster_is_broken(fonts: FontLibrary, lang: str) -> None:
    for layout in _layouts(fonts, lang):
        assert layout.warnings == [] and not layout.truncated
        assert missing_glyphs(layout) == []
        for line in layout.lines:
            for run in line.runs:
                if run.emoji or not run.text.strip():
                    continue
                glyphs = _shaped_glyphs(run.face, run.text, run.direction, run.language)
                assert 0 not in glyphs, f"{lang}: .notdef in {run.text!r} ({run.face.path.name})"
                circle = _hb_font(run.face).get_nominal_glyph(0x25CC)
                assert circle is None or circle not in glyphs, f"{lang}: dotted circle in {run.text!r}"


@pytest.mark.parametrize("lang", SPACED)
def test_spaced_scripts_break_only_at_spaces(fonts: FontLibrary, lang: str) -> None:
    text = PARAGRAPHS[lang]
    seen = 0
    for layout in _layouts(fonts, lang):
        for at in _breaks(text, layout):
            assert text[at - 1] == " ", f"{lang}: break inside {text[max(0, at - 8) : at + 8]!r}"
            seen += 1
    assert seen >= 3  # the narrow boxes did make the paragraph wrap


@pytest.mark.parametrize("lang", sorted(WORDS))
def test_unspaced_scripts_break_only_between_words(fonts: FontLibrary, lang: str) -> None:
    marked = WORDS[lang]
    text = marked.replace("|", "")
    assert text == PARAGRAPHS[lang]  # the marks annotate the story's own sentence
    allowed: set[int] = set()
    pos = 0
    for ch in marked:
        if ch == "|":
            allowed.add(pos)
            continue
        pos += 1
        if ch == " ":
            allowed.add(pos)
    seen = 0
    for layout in _layouts(fonts, lang):
        for at in _breaks(text, layout):
            assert at in allowed, (
                f"{lang}: break inside a word: {text[max(0, at - 6) : at]}‖{text[at : at + 6]}"
            )
            seen += 1
    assert seen >= 3


@pytest.mark.parametrize("lang", CJK)
def test_chinese_and_japanese_follow_kinsoku(fonts: FontLibrary, lang: str) -> None:
    text = PARAGRAPHS[lang]
    seen = 0
    for layout in _layouts(fonts, lang):
        lines = [line.text.strip() for line in layout.lines]
        for before, after in itertools.pairwise(lines):
            assert after[0] not in NO_START, f"{lang}: line starts with {after[0]!r}"
            assert before[-1] not in NO_END, f"{lang}: line ends with {before[-1]!r}"
            assert not (before[-1].isdigit()), f"{lang}: a number left without its unit: {before!r}"
            seen += 1
    assert seen >= 3
    # Small kana, the long-vowel mark and closing punctuation never start a line, even when
    # the line is exactly one character too short for them.
    for width in range(200, 420, 12):
        layout = layout_text(TextRequest(text=text, lang=lang, size_max=40, size_min=40), width, 3000, fonts)
        for line in layout.lines[1:]:
            assert line.text.strip()[0] not in NO_START


def test_han_is_drawn_in_the_region_of_the_language(fonts: FontLibrary) -> None:
    families = {}
    for lang in ("ja", "zh", "zh-TW", "ko"):
        layout = layout_text(
            TextRequest(text="再起動 設定", lang=lang, size_max=40, size_min=40), 800, 400, fonts
        )
        families[lang] = {r.face.family for line in layout.lines for r in line.runs if r.text.strip()}
    assert families == {
        "ja": {"Noto Sans CJK JP"},
        "zh": {"Noto Sans CJK SC"},
        "zh-TW": {"Noto Sans CJK TC"},
        "ko": {"Noto Sans CJK KR"},
    }
    assert [cjk_region(None, s) for s in ("Han", "Hiragana", "Hangul")] == ["SC", "JP", "KR"]


def test_no_cjk_font_is_an_error_naming_the_package() -> None:
    err = missing_font_error("設", "ja", "Han")
    assert isinstance(err, RenderError)
    assert "Japanese" in err.message and "apt-get install fonts-noto-cjk" in (err.hint or "")


def test_the_stress_story_renders_with_the_stock_templates(
    make_project: Any, run_cli: Any, tmp_path: Path
) -> None:
    langs = STORY["languages"]
    golden = Path(__file__).resolve().parent / "golden" / "project" / "assets"
    root = make_project(
        {
            "stories/world-scripts.yaml": (DATA / "world-scripts.yaml").read_text(encoding="utf-8"),
            "assets/logo.png": (golden / "logo.png").read_bytes(),
        },
        toml=(
            '[project]\nname = "Lumen"\nlanguages = ['
            + ", ".join(f'"{lang}"' for lang in langs)
            + ']\ntimezone = "Asia/Bangkok"\n\n[brand]\nname = "Lumen"\nlogo = "assets/logo.png"\n\n'
            '[channels.local]\ntype = "local"\n'
        ),
    )
    out = tmp_path / "build"
    code, _, stderr = run_cli("--project", str(root), "render", "--out", str(out), "--json")
    assert code == 0, stderr
    for lang in langs:
        manifest = json.loads((out / "world-scripts" / lang / "manifest.json").read_text())
        assert manifest["warnings"] == [], lang
        for frame in manifest["frames"]:
            assert frame["warnings"] == [], (lang, frame["file"])
            for text in frame["texts"]:
                assert not text["truncated"], f"{lang}: {text['id']} does not fit: {text['lines']}"
