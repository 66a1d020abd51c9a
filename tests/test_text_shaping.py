"""Text engine: fonts, per-run fallback, shaping languages, emoji, raqm requirement."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from storycast.errors import RenderError
from storycast.render.text import (
    FontLibrary,
    LaidLine,
    LaidRun,
    TextLayout,
    TextRequest,
    draw_text,
    layout_text,
    missing_glyphs,
    require_raqm,
)
from storycast.render.text.bidi import embedding_levels, visual_order
from storycast.render.text.fonts import weight_value
from storycast.render.text.scripts import clusters, script_of

REPO = Path(__file__).resolve().parent.parent
PACKAGED = REPO / "assets" / "fonts"

# Sentences from /work/shared/seeds/ (the project's source articles). The seeds have no Arabic,
# so the Arabic sentence is our own rendering of the same idea.
SENTENCES = {
    "th": "แพลตฟอร์มเหล่านี้, เหมือน Snapchat, Instagram Stories และ WhatsApp Status, "
    "เสนอวิธีการที่ไม่เหมือนใครและมีพลศาสตร์ในการมีปฏิสัมพันธ์กับลูกค้า",
    "th-marks": "เมื่อตัดสินใจว่าคุณจะให้การสนับสนุนช่องทางใดสิ่งสําคัญคือต้องพิจารณาว่าลูกค้าของคุณสื่อสาร",
    "hi": "इन प्लेटफ़ॉर्मों, जैसे कि Snapchat, Instagram Stories और WhatsApp Status, ग्राहकों के साथ "
    "बातचीत करने का एक अनूठा और गतिशील तरीका प्रदान करते हैं।",
    "sr": "Ове платформе, као Snapchat, Instagram Stories и WhatsApp Status, нуде јединствен и "
    "динамичан приступ за интеракцију са клијентима",
    "es": "Las aplicaciones de mensajería efímera se caracterizan por el contenido temporal, que "
    "desaparece después de un corto período.",
    "ar": "تتميز تطبيقات المراسلة المؤقتة بمحتوى يختفي بعد فترة قصيرة، مثل Snapchat و WhatsApp Status.",
}


@pytest.fixture(scope="module")
def fonts() -> FontLibrary:
    return FontLibrary.for_project(None)


def _layout(fonts: FontLibrary, text: str, lang: str, **kw: object) -> TextLayout:
    req = TextRequest(text=text, lang=lang, **kw)  # type: ignore[arg-type]
    return layout_text(req, 900, 1400, fonts)


@pytest.mark.parametrize("key", sorted(SENTENCES))
def test_seed_sentences_have_a_glyph_for_every_character(fonts: FontLibrary, key: str) -> None:
    lang = key.split("-")[0]
    layout = _layout(fonts, SENTENCES[key], lang, size_max=56, size_min=40)
    assert missing_glyphs(layout) == []
    assert layout.warnings == []
    drawn = "".join(line.text for line in layout.lines).replace(" ", "")
    assert drawn == SENTENCES[key].replace(" ", "")  # nothing dropped, nothing added


def test_runs_use_the_script_font_and_the_story_language(fonts: FontLibrary) -> None:
    layout = _layout(fonts, "ตั้งค่า Settings แล้ว", "th")
    runs = [r for line in layout.lines for r in line.runs if r.text.strip()]
    by_text = {r.text: r for r in runs}
    assert by_text["ตั้งค่า"].face.family == "Noto Sans Thai"
    assert by_text["ตั้งค่า"].language == "th"
    assert by_text["Settings"].face.family == "Noto Sans"
    assert by_text["Settings"].language is None  # a Latin word inside Thai is not shaped as Thai


def test_missing_glyphs_reports_a_run_whose_font_lacks_characters(fonts: FontLibrary) -> None:
    latin = fonts.face("Noto Sans")
    run = LaidRun("ความ", 0, 10, latin, 40, 1.0, "ltr", "th", "Thai", False, 0.0)
    line = LaidLine("ความ", 10, 0, 40, 30, 10, (run,))
    layout = TextLayout(40, [line], 10, 50, True, False, False, [], "left", "ltr", 100, 100, fonts)
    assert [ch for ch, _ in missing_glyphs(layout)] == list("ความ")


def _render(fonts: FontLibrary, text: str, lang: str, **kw: object) -> Image.Image:
    layout = layout_text(TextRequest(text=text, lang=lang, size_max=120, size_min=120, **kw), 600, 300, fonts)  # type: ignore[arg-type]
    img = Image.new("L", (600, 300), 0)
    draw_text(img, layout, (0, 0, 600, 300), color="white")
    return img


def test_serbian_uses_localized_cyrillic_be(fonts: FontLibrary) -> None:
    serbian = _render(fonts, "б", "sr")
    russian = _render(fonts, "б", "ru")
    assert serbian.getbbox() is not None
    assert ImageChops.difference(serbian, russian).getbbox() is not None
    # Same language twice gives the same pixels: the difference above is the locl form.
    assert ImageChops.difference(serbian, _render(fonts, "б", "sr-RS")).getbbox() is None


def test_mixed_script_string_draws_no_box(fonts: FontLibrary) -> None:
    text = "Open Settings → แตะ ความเป็นส่วนตัว, नमस्ते दुनिया, Привет, مرحبا بك ✓ 😀"
    layout = _layout(fonts, text, "en", size_max=48, size_min=48)
    assert missing_glyphs(layout) == []
    assert layout.warnings == []
    families = {r.face.family for line in layout.lines for r in line.runs}
    assert {"Noto Sans", "Noto Sans Thai", "Noto Sans Devanagari", "Noto Sans Arabic"} <= families
    assert "Noto Color Emoji" in families
    # The same text through plain Noto Sans (what Pillow does without fallback) would need
    # .notdef boxes: the check really distinguishes the two.
    latin_only = fonts.face("Noto Sans")
    assert latin_only.missing(text)


def test_characters_no_font_covers_are_left_out_with_a_warning(tmp_path: Path) -> None:
    shutil.copy(PACKAGED / "NotoSans-Regular.ttf", tmp_path)
    latin_only = FontLibrary.from_folders([tmp_path])
    layout = layout_text(TextRequest("Tap ตั้งค่า now", "en"), 900, 400, latin_only)
    assert missing_glyphs(layout) == []
    assert layout.lines[0].text == "Tap  now"
    assert "No font covers" in layout.warnings[0]


def test_colour_emoji_are_drawn_in_colour(fonts: FontLibrary) -> None:
    layout = layout_text(TextRequest("ok 🎉", "en", size_max=80, size_min=80), 600, 200, fonts)
    img = Image.new("RGB", (600, 200), "white")
    draw_text(img, layout, (0, 0, 600, 200), color="black")
    # Some pixel is saturated (not grey): the emoji bitmap was pasted in colour.
    assert any(max(px) - min(px) > 80 for px in img.getdata())
    emoji_run = next(r for r in layout.lines[0].runs if r.emoji)
    assert emoji_run.face.family == "Noto Color Emoji" and emoji_run.scale < 1


def test_mono_emoji_mode_uses_a_symbol_font_or_leaves_out(fonts: FontLibrary) -> None:
    layout = layout_text(TextRequest("like ❤️ and 🎉", "en", emoji="mono"), 900, 300, fonts)
    heart = next(r for line in layout.lines for r in line.runs if "❤" in r.text)
    assert heart.face.family == "Noto Sans Symbols2"
    assert missing_glyphs(layout) == []
    assert "🎉" not in layout.text and layout.warnings  # no monochrome 🎉 glyph: never a box


class _FakeFeatures:
    def __init__(self, raqm: bool, fribidi: bool) -> None:
        self.flags = {"raqm": raqm, "fribidi": fribidi}

    def check(self, name: str) -> bool:
        return self.flags[name]


def test_missing_raqm_is_an_error_with_a_fix() -> None:
    with pytest.raises(RenderError) as err:
        require_raqm(_FakeFeatures(raqm=False, fribidi=False))
    assert "libraqm" in err.value.message
    assert "libfribidi0" in (err.value.hint or "")
    with pytest.raises(RenderError, match="FriBiDi"):
        require_raqm(_FakeFeatures(raqm=True, fribidi=False))
    require_raqm(_FakeFeatures(raqm=True, fribidi=True))
    require_raqm()  # the real Pillow of this environment has it


def test_unknown_family_lists_close_matches(fonts: FontLibrary) -> None:
    with pytest.raises(RenderError) as err:
        layout_text(TextRequest("Hello", "en", family="Noto San"), 500, 200, fonts)
    assert "Unknown font family 'Noto San'" in err.value.message
    assert "Did you mean 'Noto Sans'" in (err.value.hint or "")
    with pytest.raises(RenderError, match="Unknown font weight"):
        weight_value("heavyish")


def test_weights_resolve_to_the_nearest_installed_face(fonts: FontLibrary) -> None:
    assert fonts.face("Noto Sans", "regular").weight == 400
    assert fonts.face("Noto Sans", "medium").weight == 400
    assert fonts.face("Noto Sans", "semibold").weight == 700
    assert fonts.face("noto sans", "bold").path.name == "NotoSans-Bold.ttf"


def test_project_fonts_win_over_packaged_ones(tmp_path: Path) -> None:
    project_fonts = tmp_path / "assets" / "fonts"
    project_fonts.mkdir(parents=True)
    shutil.copy(PACKAGED / "NotoSans-Bold.ttf", project_fonts / "MyCopy-Bold.ttf")
    lib = FontLibrary.for_project(tmp_path)
    assert lib.face("Noto Sans", "bold").path.parent == project_fonts
    assert lib.face("Noto Sans", "regular").path.parent != project_fonts


def _variable_font(path: Path) -> None:
    """A two-master variable font (wght 400..700) whose 'I' stem widens with the weight."""
    from fontTools import varLib
    from fontTools.designspaceLib import (
        AxisDescriptor,
        DesignSpaceDocument,
        InstanceDescriptor,
        SourceDescriptor,
    )
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    def master(stem: int) -> object:
        fb = FontBuilder(1000, isTTF=True)
        fb.setupGlyphOrder([".notdef", "space", "I"])
        fb.setupCharacterMap({0x20: "space", 0x49: "I"})
        glyphs = {}
        for name, width in ((".notdef", 0), ("space", 0), ("I", stem)):
            pen = TTGlyphPen(None)
            if width:
                pen.moveTo((100, 0))
                pen.lineTo((100, 700))
                pen.lineTo((100 + width, 700))
                pen.lineTo((100 + width, 0))
                pen.closePath()
            glyphs[name] = pen.glyph()
        fb.setupGlyf(glyphs)
        fb.setupHorizontalMetrics({".notdef": (500, 0), "space": (250, 0), "I": (200 + stem, 100)})
        fb.setupHorizontalHeader(ascent=900, descent=-200)
        fb.setupNameTable({"familyName": "Test Var", "styleName": "Regular"})
        fb.setupOS2(
            usWeightClass=400, sTypoAscender=900, sTypoDescender=-200, usWinAscent=900, usWinDescent=200
        )
        fb.setupPost()
        return fb.font

    doc = DesignSpaceDocument()
    axis = AxisDescriptor()
    axis.tag, axis.name, axis.minimum, axis.default, axis.maximum = "wght", "Weight", 400, 400, 700
    doc.addAxis(axis)
    for weight, stem in ((400, 80), (700, 240)):
        source = SourceDescriptor()
        source.font, source.location = master(stem), {"Weight": weight}
        doc.addSource(source)
    for weight, style in ((400, "Regular"), (500, "Medium"), (600, "SemiBold"), (700, "Bold")):
        instance = InstanceDescriptor()
        instance.location, instance.styleName, instance.familyName = {"Weight": weight}, style, "Test Var"
        doc.addInstance(instance)
    varLib.build(doc)[0].save(str(path))


def test_variable_font_named_instances_are_weights(tmp_path: Path) -> None:
    _variable_font(tmp_path / "TestVar.ttf")
    lib = FontLibrary.from_folders([tmp_path])
    assert sorted(f.weight for f in lib.faces) == [400, 500, 600, 700]
    widths = []
    for weight in ("regular", "medium", "semibold", "bold"):
        layout = layout_text(TextRequest("III", "en", family="Test Var", weight=weight), 900, 300, lib)
        assert layout.lines[0].runs[0].face.weight == weight_value(weight)
        widths.append(layout.width)
    assert widths == sorted(widths) and len(set(widths)) == 4


def test_broken_font_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "Broken.ttf").write_bytes(b"not a font")
    with pytest.raises(RenderError) as err:
        FontLibrary.from_folders([tmp_path])
    assert err.value.file is not None and err.value.file.name == "Broken.ttf"


def test_scripts_clusters_and_bidi() -> None:
    assert [script_of(c) for c in "aжกकب1"] == ["Latin", "Cyrillic", "Thai", "Devanagari", "Arabic", "Common"]
    text = "ที่👨‍👩‍👧🇹🇭x"
    assert [text[s:e] for s, e in clusters(text)] == ["ที่", "👨‍👩‍👧", "🇹🇭", "x"]
    levels = embedding_levels("abc مرحبا 12 def", base_rtl=False)
    assert levels[0] == 0 and levels[4] == 1 and levels[10] == 2
    assert visual_order([1, 1, 2, 1]) == [3, 2, 1, 0]
