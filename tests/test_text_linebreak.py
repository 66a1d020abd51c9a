"""Line breaking: Thai dictionary words, spaces elsewhere, punctuation rules, RTL order."""

from __future__ import annotations

import itertools

import pytest
from PIL import Image
from pythainlp.tokenize import word_tokenize

from storycast.render.text import FontLibrary, TextRequest, break_opportunities, draw_text, layout_text

# From /work/shared/seeds/003 (Thai) and 000 (Thai); 002 (Hindi), 001 (Serbian), 004 (Spanish).
THAI_PARAGRAPH = (
    "เมื่อตัดสินใจว่าคุณจะให้การสนับสนุนช่องทางใดสิ่งสําคัญคือต้องพิจารณาว่าลูกค้าของคุณสื่อสารกับคุณ"
    "อย่างไรในปัจจุบันและอาจมีช่องว่างในการสื่อสารที่คุณต้องการเติมเต็มด้วยช่องทางใหม่อย่างน้อยหนึ่งช่องทาง"
    " แอปพลิเคชันการส่งข้อความชั่วคราวมีลักษณะเฉพาะที่เนื้อหาชั่วคราว ที่หายไปหลังจากช่วงเวลาสั้น ๆ"
)
SPACED = {
    "hi": "अस्थायी संदेश ऐप्स अस्थायी सामग्री के लिए जाने जाते हैं, जो थोड़े समय बाद गायब हो जाती है। "
    "यह अस्थायी प्रकृति एक तात्कालिकता और विशिष्टता की भावना पैदा करती है।",
    "sr": "Апликације за ефемерне поруке карактеришу се привременим садржајем, које нестаје након "
    "кратког периода. Ова транзиторна природа ствара осећај хитности и ексклузивности.",
    "es": "Las aplicaciones de mensajería efímera se caracterizan por el contenido temporal, que "
    "desaparece después de un corto período. ¿Listo? «Sí», en 2 minutos.",
}


@pytest.fixture(scope="module")
def fonts() -> FontLibrary:
    return FontLibrary.for_project(None)


def _line_starts(text: str, lines: list[str]) -> list[int]:
    """Offsets in *text* where each line after the first starts (lines are exact substrings)."""
    starts: list[int] = []
    pos = 0
    for i, line in enumerate(lines):
        found = text.index(line, pos)
        assert text[pos:found].strip() == "", f"text skipped before line {i}: {text[pos:found]!r}"
        if i:
            starts.append(found)
        pos = found + len(line)
    assert text[pos:].strip() == ""
    return starts


@pytest.mark.parametrize("width", [360, 520, 700, 960])
def test_thai_lines_break_only_between_dictionary_words(fonts: FontLibrary, width: int) -> None:
    req = TextRequest(THAI_PARAGRAPH, "th", size_max=48, size_min=48)
    layout = layout_text(req, width, 5000, fonts)
    lines = [line.text for line in layout.lines]
    assert len(lines) >= 3
    boundaries = set()
    pos = 0
    for token in word_tokenize(THAI_PARAGRAPH, engine="newmm", keep_whitespace=True):
        pos += len(token)
        boundaries.add(pos)
    for start in _line_starts(THAI_PARAGRAPH, lines):
        assert start in boundaries, f"break inside a word at {THAI_PARAGRAPH[start - 6 : start + 6]!r}"
    assert all(line.width <= width for line in layout.lines)
    assert not any(line.startswith("ๆ") for line in lines)


@pytest.mark.parametrize("lang", sorted(SPACED))
@pytest.mark.parametrize("width", [400, 600])
def test_spaced_scripts_break_only_at_spaces(fonts: FontLibrary, lang: str, width: int) -> None:
    text = SPACED[lang]
    layout = layout_text(TextRequest(text, lang, size_max=40, size_min=40), width, 5000, fonts)
    words = text.split()
    assert [w for line in layout.lines for w in line.text.split()] == words
    for start in _line_starts(text, [line.text for line in layout.lines]):
        assert text[start - 1] == " "


def test_break_opportunities_follow_punctuation_rules() -> None:
    def pieces(text: str) -> list[str]:
        cuts = [0, *break_opportunities(text), len(text)]
        return [text[a:b] for a, b in itertools.pairwise(cuts)]

    assert pieces("¿Cómo? «Hola» (sí) ok !") == ["¿Cómo? ", "«Hola» ", "(sí) ", "ok !"]
    assert pieces("self-service Wi-Fi 2-3") == ["self-", "service ", "Wi-Fi ", "2-3"]
    assert pieces("10\u00a0km away") == ["10\u00a0km ", "away"]
    assert pieces("ไปเที่ยวกันมากๆ นะ") == ["ไปเที่ยว", "กัน", "มากๆ ", "นะ"]
    assert pieces("है। यह") == ["है। ", "यह"]
    assert pieces("en 2 minutos, 2024 fue") == ["en ", "2 minutos, ", "2024 ", "fue"]
    assert pieces("https://help.example.com/reset-password") == [
        "https://help.example.com/",
        "reset-",
        "password",
    ]


def test_explicit_newline_forces_a_break(fonts: FontLibrary) -> None:
    layout = layout_text(TextRequest("Step one\nStep two", "en"), 1000, 600, fonts)
    assert [line.text for line in layout.lines] == ["Step one", "Step two"]
    blank = layout_text(TextRequest("a\n\nb", "en"), 1000, 600, fonts)
    assert [line.text for line in blank.lines] == ["a", "", "b"]


def test_a_word_is_split_only_when_it_cannot_fit_and_then_at_its_hyphenation_points(
    fonts: FontLibrary,
) -> None:
    word = "Internacionalización"
    fits = layout_text(TextRequest(f"{word} {word}", "es", size_max=60, size_min=40), 600, 800, fonts)
    assert [line.text for line in fits.lines] == [word, word]  # shrinking comes first
    layout = layout_text(TextRequest(f"{word} {word}", "es", size_max=60, size_min=60), 300, 800, fonts)
    assert not layout.truncated
    lines = [line.text for line in layout.lines]
    assert all(line.width <= 300 for line in layout.lines)
    assert "".join(line.removesuffix("-") for line in lines) == f"{word} {word}"
    assert lines[0].endswith("-") and lines[0][:-1] in ("Interna", "Internacio", "Internaciona")


def test_arabic_is_broken_in_logical_order_and_right_aligned(fonts: FontLibrary) -> None:
    text = "تتميز تطبيقات المراسلة المؤقتة بمحتوى يختفي بعد فترة قصيرة"
    layout = layout_text(TextRequest(text, "ar", size_max=56, size_min=56), 500, 800, fonts)
    assert layout.direction == "rtl" and layout.align == "right"
    assert len(layout.lines) >= 2
    assert " ".join(line.text for line in layout.lines) == text
    img = Image.new("L", (500, 800), 0)
    draw_text(img, layout, (0, 0, 500, 800), color="white")
    for line in layout.lines:
        row = img.crop((0, int(line.baseline - line.ascent), 500, int(line.baseline + line.descent)))
        bbox = row.getbbox()
        assert bbox is not None and bbox[2] >= 490  # flush right
    # Visual order: the first word of a line is drawn rightmost.
    first_line = layout.lines[0]
    words = [r for r in first_line.runs if r.text.strip()]
    assert words[-1].text == first_line.text.split()[0]


def test_latin_inside_arabic_keeps_its_own_order(fonts: FontLibrary) -> None:
    layout = layout_text(TextRequest("افتح Settings الآن", "ar"), 1000, 300, fonts)
    runs = [r.text for r in layout.lines[0].runs if r.text.strip()]
    assert runs == ["الآن", "Settings", "افتح"]  # left to right on screen


def test_an_arabic_story_is_rtl_even_when_it_opens_with_a_latin_word(fonts: FontLibrary) -> None:
    layout = layout_text(TextRequest("WhatsApp هو التطبيق الأكثر استخداماً", "ar"), 1000, 300, fonts)
    assert layout.direction == "rtl" and layout.align == "right"
    runs = [r.text for r in layout.lines[0].runs if r.text.strip()]
    assert runs[-1] == "WhatsApp"  # the first word of an RTL line is drawn rightmost
    english = layout_text(TextRequest("Say مرحبا to WhatsApp", "en"), 1000, 300, fonts)
    assert english.direction == "ltr" and english.align == "left"
