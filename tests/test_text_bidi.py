"""Right-to-left text: numbers, times, ranges, phone numbers, product names and URLs inside
Arabic, Hebrew and Persian are drawn in reading order, checked on the pixels of the layout.

Each case lays a sentence out, takes the left-to-right part's place from the layout's runs,
and compares the ink drawn there with the same part rendered on its own: a number drawn
``30:10`` instead of ``10:30`` does not match (the reversed text is checked to differ).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from storycast.render.text import FontLibrary, TextLayout, TextRequest, draw_text, layout_text
from storycast.render.text.bidi import embedding_levels, paragraph_direction, visual_order

REPO = Path(__file__).resolve().parent.parent
PACKAGED = REPO / "assets" / "fonts"
# The packaged fonts have no Hebrew; DejaVu Sans (Debian's fonts-dejavu-core) has.
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
SIZE = 60
BOX = (1400, 200)


@pytest.fixture(scope="module")
def fonts(tmp_path_factory: pytest.TempPathFactory) -> FontLibrary:
    extra = tmp_path_factory.mktemp("fonts")
    shutil.copy(DEJAVU, extra / DEJAVU.name)
    return FontLibrary.from_folders([PACKAGED, extra])


def _layout(fonts: FontLibrary, text: str, lang: str) -> TextLayout:
    req = TextRequest(text=text, lang=lang, size_max=SIZE, size_min=SIZE, max_lines=1, align="start")
    layout = layout_text(req, BOX[0], BOX[1], fonts)
    assert not layout.truncated and len(layout.lines) == 1
    return layout


def _draw(layout: TextLayout) -> Image.Image:
    img = Image.new("L", BOX, 0)
    draw_text(img, layout, (0, 0, *BOX), color=(255, 255, 255))
    return img


def _ink(img: Image.Image) -> Image.Image:
    box = img.getbbox()
    assert box is not None, "nothing drawn"
    return img.crop(box)


def _difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference of two ink crops (resized to one size when a pixel off)."""
    if abs(a.width - b.width) > 3 or abs(a.height - b.height) > 3:
        return 255.0
    b = b.resize(a.size)
    return max(ImageStat.Stat(ImageChops.difference(a, b)).mean)


def _span(layout: TextLayout, part: str) -> tuple[float, float]:
    """Left and right x of the runs that draw *part* (its left-to-right pieces)."""
    line = layout.lines[0]
    runs = [r for r in line.runs if r.text.strip() and r.text.strip() in part]
    assert runs, f"no run draws {part!r}: {[r.text for r in line.runs]}"
    left = min(r.x for r in runs)
    right = max(r.x + r.width for r in runs)
    return line.x + left, line.x + right


def _alone(fonts: FontLibrary, part: str) -> Image.Image:
    return _ink(_draw(_layout(fonts, part, "en")))


def _assert_drawn_in_order(fonts: FontLibrary, text: str, lang: str, part: str) -> TextLayout:
    layout = _layout(fonts, text, lang)
    assert layout.direction == "rtl"
    full = _draw(layout)
    left, right = _span(layout, part)
    drawn = _ink(full.crop((int(left) - 1, 0, int(right) + 2, BOX[1])))
    ok = _difference(drawn, _alone(fonts, part))
    assert ok < 12, f"{part!r} in {text!r} is not drawn as written (difference {ok:.1f})"
    reversed_part = part[::-1] if " " not in part else " ".join(part.split(" ")[::-1])
    if reversed_part != part:
        wrong = _difference(drawn, _alone(fonts, reversed_part))
        assert wrong > ok + 10, f"the check cannot tell {part!r} from {reversed_part!r}"
    return layout


CASES = [
    ("ar", "يبدأ الاجتماع الساعة 10:30 صباحًا", "10:30"),
    ("ar", "صدر الإصدار 2.0 من التطبيق", "2.0"),
    ("ar", "تصل السرعة إلى 1,250 ميغابت", "1,250"),
    ("ar", "اتصل بنا على +966 50 123 4567 في أي وقت", "+966 50 123 4567"),
    ("ar", "افتح تطبيق Lumen Home ثم الإعدادات", "Lumen Home"),
    ("ar", "زر الموقع example.com/help للمزيد", "example.com/help"),
    ("he", "הפגישה מתחילה בשעה 10:30 בבוקר", "10:30"),
    ("he", "מהירות של 1,250 מגה לשנייה", "1,250"),
    ("he", "בקרו באתר example.com/help לעזרה", "example.com/help"),
    ("fa", "جلسه ساعت 10:30 شروع می‌شود", "10:30"),
    ("fa", "نسخه 2.0 برنامه منتشر شد", "2.0"),
    ("fa", "با شماره +98 21 1234 5678 تماس بگیرید", "+98 21 1234 5678"),
]


@pytest.mark.parametrize(("lang", "text", "part"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_left_to_right_parts_are_drawn_in_reading_order(
    fonts: FontLibrary, lang: str, text: str, part: str
) -> None:
    layout = _assert_drawn_in_order(fonts, text, lang, part)
    # The sentence reads from the right: its first word is the rightmost run, its last the leftmost.
    line = layout.lines[0]
    first, last = text.split(" ")[0], text.split(" ")[-1]
    by_x = sorted((r for r in line.runs if r.text.strip()), key=lambda r: r.x)
    assert by_x[-1].text.strip() == first
    assert by_x[0].text.strip() == last
    assert line.text == text  # the manifest keeps the logical order


def test_a_time_range_reads_from_the_right(fonts: FontLibrary) -> None:
    text = "ساعات العمل 09:00–18:00 يوميًا"
    layout = _assert_drawn_in_order(fonts, text, "ar", "09:00")
    _assert_drawn_in_order(fonts, text, "ar", "18:00")
    # Each time reads left to right; the range, inside Arabic, reads from the right: 09:00 first.
    assert _span(layout, "09:00")[0] > _span(layout, "18:00")[0]


def test_percent_follows_the_number_in_reading_order(fonts: FontLibrary) -> None:
    # After Arabic letters digits are Arabic numbers (W2), so the percent sign is not pulled into
    # the number (W5 applies to European numbers only): it follows the number in reading order,
    # at its left, as Arabic writes ٪50. After Hebrew letters it stays with the number: 50%.
    layout = _assert_drawn_in_order(fonts, "اكتمل التحديث بنسبة 50% فقط", "ar", "50")
    runs = {r.text: r for r in layout.lines[0].runs}
    assert runs["%"].x < runs["50"].x
    _assert_drawn_in_order(fonts, "ההתקנה הושלמה ב-50% בלבד", "he", "50%")
    _assert_drawn_in_order(fonts, "پیشرفت 50% است", "fa", "50")


def test_levels_follow_uax9() -> None:
    # W4: one common separator between European digits joins them; W2: digits after Arabic
    # letters are Arabic numbers, which sit at level 2 in a left-to-right paragraph (I1).
    assert embedding_levels("الساعة 10:30", True)[-5:] == [2] * 5
    assert embedding_levels("abc مرحبا 12 def", base_rtl=False)[10:12] == [2, 2]
    assert embedding_levels("", True) == []
    # A phone number is one left-to-right isolate, so its groups are not reversed.
    levels = embedding_levels("رقم +966 50 123 4567", True)
    assert set(levels[4:]) == {2}
    assert visual_order([1, 2, 2, 1]) == [3, 1, 2, 0]
    assert visual_order([0, 1, 1, 0]) == [0, 2, 1, 3]


def test_paragraph_direction() -> None:
    assert paragraph_direction("WhatsApp أولا", "ar") == "rtl"  # the story language decides
    assert paragraph_direction("שלום", "en") == "rtl"  # else the first strong character
    assert paragraph_direction("123 abc", None) == "ltr"
    assert paragraph_direction("123", None) == "ltr"
