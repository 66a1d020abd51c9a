"""Auto-fit layout: sizes, boxes, ellipsis, tall marks, drawing, determinism, speed."""

from __future__ import annotations

import hashlib
import time
from dataclasses import replace

import pytest
from PIL import Image

from storycast.errors import RenderError
from storycast.render.text import (
    FontLibrary,
    Shadow,
    TextRequest,
    clear_caches,
    draw_text,
    layout_text,
)

SHORT = "Reinicia tu módem"
LONG = (
    "Las aplicaciones de mensajería efímera se caracterizan por el contenido temporal, que "
    "desaparece después de un corto período. Esta naturaleza transitoria crea un sentido de "
    "urgencia y exclusividad que puede ser aprovechado de manera eficaz en el soporte al cliente."
)
# Thai with stacked marks above and below, Devanagari with matras above and below.
TALL = {
    "th": "ปั่นที่ญู่ฏุ๊ฐิ์ เพื่อปิดการติดตามตำแหน่ง ฤๅษี",
    "hi": "क्षत्रिय श्रृंगार ऋषि कृष्ण प्लेटफ़ॉर्मों ग्राहक",
}


@pytest.fixture(scope="module")
def fonts() -> FontLibrary:
    return FontLibrary.for_project(None)


def _ink(img: Image.Image) -> tuple[int, int, int, int]:
    bbox = img.getbbox()
    assert bbox is not None
    return bbox


def test_longer_text_gets_a_smaller_size_and_stays_in_the_box(fonts: FontLibrary) -> None:
    short = layout_text(TextRequest(SHORT, "es", size_max=96, size_min=40), 800, 500, fonts)
    long = layout_text(TextRequest(LONG, "es", size_max=96, size_min=40), 800, 500, fonts)
    assert short.size == 96 and short.fitted and not short.shrunk_to_min
    assert 40 < long.size < 96 and long.fitted and not long.truncated
    for layout in (short, long):
        assert layout.width <= 800 and layout.height <= 500
        img = Image.new("L", (1000, 700), 0)
        draw_text(img, layout, (100, 100, 900, 600), color="white")
        x0, y0, x1, y1 = _ink(img)
        assert x0 >= 100 and y0 >= 100 and x1 <= 900 and y1 <= 600
    # The largest size is chosen: one pixel more does not fit.
    bigger = TextRequest(LONG, "es", size_max=long.size + 1, size_min=long.size + 1)
    assert layout_text(bigger, 800, 500, fonts).truncated


def test_max_lines_is_respected_and_line_boxes_tile(fonts: FontLibrary) -> None:
    layout = layout_text(TextRequest(LONG, "es", size_max=80, size_min=20, max_lines=3), 900, 1500, fonts)
    assert len(layout.lines) == 3 and layout.fitted
    boxes = [layout.line_box(i) for i in range(3)]
    assert boxes[0][0] == 0 and boxes[-1][1] == layout.height
    assert boxes[0][1] == pytest.approx(boxes[1][0]) and boxes[1][1] == pytest.approx(boxes[2][0])
    assert layout.line_pitch == pytest.approx(layout.lines[1].baseline - layout.lines[0].baseline)


def test_ellipsis_only_at_the_minimum_size(fonts: FontLibrary) -> None:
    fitted = layout_text(TextRequest(LONG, "es", size_max=72, size_min=30), 900, 600, fonts)
    assert not fitted.truncated and not any("…" in line.text for line in fitted.lines)
    cut = layout_text(TextRequest(LONG, "es", size_max=72, size_min=44, max_lines=2), 900, 600, fonts)
    assert cut.truncated and not cut.fitted and cut.shrunk_to_min
    assert cut.size == 44 and len(cut.lines) == 2
    assert cut.lines[-1].text.endswith("…") and not cut.lines[0].text.endswith("…")
    assert cut.lines[-1].width <= 900
    assert any("cut with an ellipsis" in w for w in cut.warnings)


def test_text_that_cannot_fit_one_line_is_truncated_with_a_warning(fonts: FontLibrary) -> None:
    layout = layout_text(TextRequest(LONG, "es", size_max=60, size_min=50), 900, 20, fonts)
    assert layout.truncated and len(layout.lines) == 1
    assert "does not fit even one line" in layout.warnings[0]


@pytest.mark.parametrize("lang", sorted(TALL))
def test_tall_marks_are_never_clipped_and_lines_never_touch(fonts: FontLibrary, lang: str) -> None:
    req = TextRequest(TALL[lang], lang, size_max=80, size_min=80, line_height=1.0)
    layout = layout_text(req, 560, 2000, fonts)
    assert len(layout.lines) >= 2
    height = int(layout.height + 0.999)
    img = Image.new("L", (560, height + 200), 0)
    draw_text(img, layout, (0, 100, 560, 100 + height), color="white")
    _, top, _, bottom = _ink(img)
    assert top >= 100 and bottom <= 100 + height  # every mark inside the layout's own box
    previous_bottom = -1
    for line in layout.lines:
        band = img.crop(
            (0, 100 + int(line.baseline - line.ascent) - 1, 560, 100 + int(line.baseline + line.descent) + 2)
        )
        assert band.getbbox() is not None
        line_top = 100 + line.baseline - line.ascent
        assert line_top > previous_bottom  # the ink of consecutive lines never overlaps
        previous_bottom = 100 + line.baseline + line.descent


def test_alignment_and_vertical_alignment(fonts: FontLibrary) -> None:
    def ink(align: str, valign: str) -> tuple[int, int, int, int]:
        layout = layout_text(
            TextRequest("Hola", "es", size_max=60, size_min=60, align=align), 600, 400, fonts
        )
        img = Image.new("L", (600, 400), 0)
        draw_text(img, layout, (0, 0, 600, 400), color="white", valign=valign)
        return _ink(img)

    left, right, center = ink("left", "top"), ink("right", "bottom"), ink("center", "middle")
    assert left[0] < 10 and right[2] > 590 and abs((center[0] + center[2]) / 2 - 300) < 6
    assert left[1] < 40 and right[3] > 360 and abs((center[1] + center[3]) / 2 - 200) < 30


def test_letter_spacing_widens_latin_but_not_arabic(fonts: FontLibrary) -> None:
    def width(text: str, lang: str, spacing: float) -> float:
        req = TextRequest(text, lang, size_max=50, size_min=50, letter_spacing=spacing)
        return layout_text(req, 2000, 300, fonts).width

    assert width("SUPPORT", "en", 0.1) == pytest.approx(width("SUPPORT", "en", 0) + 7 * 5, abs=0.5)
    assert width("مرحبا", "ar", 0.1) == width("مرحبا", "ar", 0)


def test_drawing_is_deterministic_on_rgb_and_rgba(fonts: FontLibrary) -> None:
    req = TextRequest("ตั้งค่า Wi-Fi 🎉 नमस्ते", "th", size_max=70, size_min=40)

    def digest(mode: str) -> str:
        clear_caches()
        layout = layout_text(req, 700, 300, fonts)
        img = Image.new(mode, (800, 400), (0, 0, 0, 0) if mode == "RGBA" else "white")
        draw_text(
            img,
            layout,
            (50, 50, 750, 350),
            color="#123456",
            stroke_width=3,
            stroke_color="white",
            shadow=Shadow(4, 6, (0, 0, 0, 120), 3),
        )
        return hashlib.sha256(img.tobytes()).hexdigest()

    assert digest("RGB") == digest("RGB")
    assert digest("RGBA") == digest("RGBA")
    layout = layout_text(replace(req, text="ตั้งค่า Wi-Fi नमस्ते"), 700, 300, fonts)
    layer = Image.new("RGBA", (800, 400), (0, 0, 0, 0))
    draw_text(layer, layout, (50, 50, 750, 350), color=(255, 0, 0))
    # On a transparent layer the text colour stays pure: edges fade by alpha, not to black.
    reds = [px for px in layer.getdata() if 0 < px[3] < 255 and px[1] == 0 and px[2] == 0]
    assert reds and all(px[0] == 255 for px in reds)


def test_bad_requests_are_render_errors(fonts: FontLibrary) -> None:
    with pytest.raises(RenderError, match="size_min"):
        layout_text(TextRequest("x", "en", size_max=20, size_min=40), 100, 100, fonts)
    with pytest.raises(RenderError, match="alignment"):
        layout_text(TextRequest("x", "en", align="justify"), 100, 100, fonts)
    with pytest.raises(RenderError, match="positive"):
        layout_text(TextRequest("x", "en"), 0, 100, fonts)


def test_a_tutorial_of_forty_frames_lays_out_fast(fonts: FontLibrary) -> None:
    texts = [f"{LONG[: 40 + 7 * i]} ({i})" for i in range(20)]
    texts += [f"เปิดการตั้งค่าแล้วแตะที่ความเป็นส่วนตัว ขั้นตอนที่ {i} เพื่อปิดการติดตาม" for i in range(20)]
    requests = [
        TextRequest(t, "th" if i >= 20 else "es", size_max=96, size_min=44) for i, t in enumerate(texts)
    ]
    layout_text(TextRequest("warm fonts ตั้งค่า", "th"), 900, 600, fonts)
    start = time.perf_counter()
    for req in requests:
        layout_text(req, 900, 600, fonts)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    for req in requests:
        layout_text(req, 900, 600, fonts)
    warm = time.perf_counter() - start
    assert warm < 0.05, warm
    assert cold < 3.0, cold  # generous for a shared 2-core machine; typically ~0.3 s


def test_balance_evens_out_lines_without_changing_size_or_count(fonts: FontLibrary) -> None:
    def lines(balance: bool) -> list[str]:
        req = TextRequest(
            "Reinicia tu módem ahora", "es", size_max=90, size_min=90, balance=balance, pretty=False
        )
        layout = layout_text(req, 900, 600, fonts)
        assert layout.size == 90 and layout.width <= 900
        return [line.text for line in layout.lines]

    assert lines(False) == ["Reinicia tu módem", "ahora"]  # greedy leaves a lone word
    assert lines(True) == ["Reinicia tu", "módem ahora"]
