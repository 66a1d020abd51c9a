"""Layer drawing: each layer draws what it should, images load safely, frames are deterministic.

Pixel checks sample known points of real Pillow renders. ``LAYERS_DEMO_OUT=/tmp/layersdemo.png``
saves the all-layers demo frame for a visual check.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
import segno
from PIL import Image

from storycast.errors import RenderError
from storycast.render import images
from storycast.render.draw import DrawContext, FrameResult, draw_frame
from storycast.render.spec import parse_spec
from storycast.render.text import FontLibrary
from storycast.resources import assets_dir

BG = "#101820"
BG_RGB = (16, 24, 32)


@pytest.fixture(scope="module")
def fonts() -> FontLibrary:
    return FontLibrary.for_project(None)


@pytest.fixture
def ctx(tmp_path: Path, fonts: FontLibrary) -> DrawContext:
    (tmp_path / "assets").mkdir()
    images.clear_cache()
    return DrawContext(root=tmp_path, asset_dirs=[tmp_path / "assets"], fonts=fonts, lang="en")


def render(ctx: DrawContext, *layers: dict[str, Any], bg: str | None = BG, **frame: Any) -> FrameResult:
    all_layers = ([{"type": "background", "color": bg}] if bg else []) + list(layers)
    return draw_frame(parse_spec({**frame, "layers": all_layers}, "test.j2"), ctx)


def px(result: FrameResult, x: int, y: int) -> tuple[int, int, int]:
    return result.image.getpixel((x, y))  # type: ignore[return-value]


def close(a: tuple[int, ...], b: tuple[int, ...], tol: int = 3) -> bool:
    return all(abs(p - q) <= tol for p, q in zip(a, b, strict=True))


def save(img: Image.Image, path: Path, **kw: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, **kw)
    return path


def quadrants(w: int, h: int) -> Image.Image:
    """Red top-left, green top-right, blue bottom-left, white bottom-right."""
    img = Image.new("RGB", (w, h))
    img.paste((255, 0, 0), (0, 0, w // 2, h // 2))
    img.paste((0, 255, 0), (w // 2, 0, w, h // 2))
    img.paste((0, 0, 255), (0, h // 2, w // 2, h))
    img.paste((255, 255, 255), (w // 2, h // 2, w, h))
    return img


# --- background -----------------------------------------------------------------------------


def test_solid_background_and_canvas_size(ctx: DrawContext) -> None:
    result = render(ctx, bg="#2454E6", width=720, height=1280)
    assert result.image.size == (720, 1280) and result.image.mode == "RGB"
    assert px(result, 0, 0) == px(result, 719, 1279) == (36, 84, 230)


def test_linear_gradient_endpoints_follow_css_angles(ctx: DrawContext) -> None:
    down = render(ctx, {"type": "background", "gradient": {"stops": ["#FF0000", "#0000FF"]}}, bg=None)
    assert close(px(down, 540, 0), (255, 0, 0), 2) and close(px(down, 540, 1919), (0, 0, 255), 2)
    assert close(px(down, 540, 960), (128, 0, 128), 3)
    right = render(
        ctx, {"type": "background", "gradient": {"angle": 90, "stops": ["#000000", "#FFFFFF"]}}, bg=None
    )
    assert px(right, 0, 960)[0] <= 2 and px(right, 1079, 960)[0] >= 253
    assert px(right, 540, 0) == px(right, 540, 1919)  # vertical bands only


def test_three_stop_gradient_hits_the_middle_stop(ctx: DrawContext) -> None:
    result = render(
        ctx,
        {
            "type": "background",
            "gradient": {"stops": ["#000000", {"color": "#00FF00", "at": 0.25}, "#000000"]},
        },
        bg=None,
    )
    assert close(px(result, 540, 480), (0, 255, 0), 4)


def test_radial_gradient_centre_and_edge(ctx: DrawContext) -> None:
    result = render(
        ctx,
        {
            "type": "background",
            "gradient": {
                "kind": "radial",
                "center": [300, 400],
                "radius": 200,
                "stops": ["#FFFFFF", "#000000"],
            },
        },
        bg=None,
    )
    assert px(result, 300, 400)[0] >= 250
    assert close(px(result, 400, 400), (128, 128, 128), 4)  # halfway out
    assert px(result, 300, 650) == (0, 0, 0) and px(result, 1079, 1919) == (0, 0, 0)  # beyond the radius


def test_background_image_cover_crops_and_contain_letterboxes(ctx: DrawContext) -> None:
    save(quadrants(400, 400), ctx.root / "assets" / "q.png")
    cover = render(ctx, {"type": "background", "image": "assets/q.png"})
    # A square image covering a 9:16 frame is cropped left and right; the quadrants meet in the middle.
    assert close(px(cover, 10, 10), (255, 0, 0)) and close(px(cover, 1070, 10), (0, 255, 0))
    assert close(px(cover, 10, 1910), (0, 0, 255)) and close(px(cover, 1070, 1910), (255, 255, 255))
    contain = render(
        ctx, {"type": "background", "image": "assets/q.png", "fit": "contain", "color": "#123456"}
    )
    # Contained: 1080x1080 centred vertically, the colour above and below it.
    assert px(contain, 540, 100) == (18, 52, 86) and px(contain, 540, 1800) == (18, 52, 86)
    assert close(px(contain, 10, 430), (255, 0, 0)) and close(px(contain, 1070, 1490), (255, 255, 255))


def test_background_blur_darken_and_tint(ctx: DrawContext) -> None:
    save(quadrants(400, 400), ctx.root / "assets" / "q.png")
    sharp = render(ctx, {"type": "background", "image": "assets/q.png"})
    blurred = render(ctx, {"type": "background", "image": "assets/q.png", "blur": 30})
    # Near the red/green border the blurred frame mixes both colours; far away it keeps them.
    assert close(px(sharp, 500, 300), (255, 0, 0))
    r, g, _ = px(blurred, 530, 300)
    assert 60 < r < 200 and 60 < g < 200
    dark = render(ctx, {"type": "background", "image": "assets/q.png", "darken": 0.5})
    assert close(px(dark, 1070, 1910), (128, 128, 128), 2)
    tinted = render(ctx, {"type": "background", "image": "assets/q.png", "tint": "#0000FF80"})
    assert close(px(tinted, 1070, 1910), (127, 127, 255), 2)


def test_contain_blur_fills_the_frame_with_a_soft_copy(ctx: DrawContext) -> None:
    save(quadrants(400, 400), ctx.root / "assets" / "q.png")
    result = render(ctx, {"type": "background", "image": "assets/q.png", "fit": "contain-blur"})
    top = px(result, 100, 60)
    assert top != (0, 0, 0) and top[0] > 60  # the blurred red quadrant shows above the image
    assert close(px(result, 10, 430), (255, 0, 0))  # the sharp image itself


def test_translucent_background_layer_composites(ctx: DrawContext) -> None:
    result = render(ctx, {"type": "background", "color": "#FFFFFF", "opacity": 0.5}, bg="#000000")
    assert close(px(result, 5, 5), (128, 128, 128), 1)


# --- image ----------------------------------------------------------------------------------


def test_image_contain_and_cover_geometry(ctx: DrawContext) -> None:
    save(quadrants(200, 100), ctx.root / "assets" / "wide.png")
    contain = render(
        ctx, {"type": "image", "src": "assets/wide.png", "box": [100, 100, 400, 400], "fit": "contain"}
    )
    # 400x200 centred vertically: rows 200..399 hold the picture, the rest is the backdrop.
    assert px(contain, 300, 150) == BG_RGB and px(contain, 300, 450) == BG_RGB
    assert close(px(contain, 110, 210), (255, 0, 0)) and close(px(contain, 490, 390), (255, 255, 255))
    cover = render(
        ctx, {"type": "image", "src": "assets/wide.png", "box": [100, 100, 400, 400], "fit": "cover"}
    )
    # 800x400 cropped to the middle 400 columns: the box is full, the quadrants meet at its centre.
    assert close(px(cover, 110, 110), (255, 0, 0)) and close(px(cover, 490, 110), (0, 255, 0))
    assert close(px(cover, 110, 490), (0, 0, 255)) and px(cover, 300, 505) == BG_RGB


def test_image_anchor_places_a_contained_picture(ctx: DrawContext) -> None:
    save(Image.new("RGB", (100, 50), (255, 0, 0)), ctx.root / "assets" / "r.png")
    top = render(ctx, {"type": "image", "src": "assets/r.png", "box": [0, 0, 200, 400], "anchor": [0.5, 0]})
    assert close(px(top, 100, 10), (255, 0, 0)) and px(top, 100, 300) == BG_RGB


def test_rounded_corners_border_and_background_card(ctx: DrawContext) -> None:
    save(Image.new("RGB", (300, 300), (255, 0, 0)), ctx.root / "assets" / "red.png")
    result = render(
        ctx,
        {
            "type": "image",
            "src": "assets/red.png",
            "box": [100, 100, 300, 300],
            "radius": 60,
            "border": {"width": 8, "color": "#FFFFFF"},
        },
    )
    assert px(result, 101, 101) == BG_RGB  # outside the rounded corner: transparent
    assert close(px(result, 250, 250), (255, 0, 0))
    assert px(result, 103, 250) == (255, 255, 255)  # the border, inside the box edge
    card = render(
        ctx,
        {
            "type": "image",
            "src": "assets/red.png",
            "box": [100, 100, 600, 300],
            "background": "#00FF00",
            "padding": 20,
        },
    )
    assert px(card, 110, 250) == (0, 255, 0) and close(px(card, 400, 250), (255, 0, 0))
    assert px(card, 400, 110) == (0, 255, 0)  # the padding above the picture


def test_image_shadow_is_soft_and_offset(ctx: DrawContext) -> None:
    save(Image.new("RGB", (100, 100), (255, 255, 255)), ctx.root / "assets" / "w.png")
    plain = render(ctx, {"type": "image", "src": "assets/w.png", "box": [200, 200, 200, 200]}, bg="#808080")
    shadowed = render(
        ctx,
        {
            "type": "image",
            "src": "assets/w.png",
            "box": [200, 200, 200, 200],
            "shadow": {"blur": 30, "offset": [0, 20], "color": "#000000AA"},
        },
        bg="#808080",
    )
    assert px(plain, 300, 415) == (128, 128, 128)
    below = px(shadowed, 300, 415)
    assert below[0] < 100  # dark just under the picture
    assert px(shadowed, 300, 480)[0] > below[0]  # and fading with distance
    assert px(shadowed, 300, 190)[0] > below[0]  # lighter above: the offset moved it down
    assert px(shadowed, 300, 300) == (255, 255, 255)


def test_image_keeps_transparency(ctx: DrawContext) -> None:
    icon = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    icon.paste((255, 0, 0, 255), (25, 25, 75, 75))
    save(icon, ctx.root / "assets" / "icon.png")
    result = render(ctx, {"type": "image", "src": "assets/icon.png", "box": [0, 0, 100, 100]})
    assert px(result, 5, 5) == BG_RGB and close(px(result, 50, 50), (255, 0, 0))


def test_small_pictures_shown_large_warn(ctx: DrawContext) -> None:
    save(Image.new("RGB", (100, 100), (255, 0, 0)), ctx.root / "assets" / "tiny.png")
    result = render(ctx, {"type": "image", "id": "shot", "src": "assets/tiny.png", "box": [0, 0, 400, 400]})
    (warning,) = result.warnings
    assert warning.startswith("image layer 'shot': assets/tiny.png is 100x100 px but is shown 4.0x larger")
    fine = render(ctx, {"type": "image", "src": "assets/tiny.png", "box": [0, 0, 120, 120]})
    assert fine.warnings == []
    blurred = render(ctx, {"type": "background", "image": "assets/tiny.png", "blur": 20})
    assert blurred.warnings == []  # a blurred backdrop may be small


# --- images: safety -------------------------------------------------------------------------


def test_missing_image_names_the_file_and_layer(ctx: DrawContext) -> None:
    with pytest.raises(RenderError) as info:
        render(ctx, {"type": "image", "id": "shot", "src": "assets/nope.png", "box": [0, 0, 10, 10]})
    err = info.value
    assert "layers[1] (image, id 'shot')" in err.message and "'assets/nope.png' does not exist" in err.message
    assert err.file == ctx.root / "assets" / "nope.png" and err.hint


def test_paths_outside_the_project_are_refused(ctx: DrawContext) -> None:
    with pytest.raises(RenderError, match="outside the project"):
        render(ctx, {"type": "image", "src": "../secret.png", "box": [0, 0, 10, 10]})


def test_packaged_assets_are_the_fallback(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    save(Image.new("RGB", (4, 4)), tmp_path / "shared" / "samples" / "x.png")
    found = images.resolve_image("assets/samples/x.png", tmp_path / "proj", [tmp_path / "shared"])
    assert found == tmp_path / "shared" / "samples" / "x.png"


def test_corrupt_and_truncated_images_are_refused(ctx: DrawContext) -> None:
    (ctx.root / "assets" / "junk.png").write_bytes(b"this is not a picture")
    with pytest.raises(RenderError, match="not an image file") as info:
        render(ctx, {"type": "image", "src": "assets/junk.png", "box": [0, 0, 10, 10]})
    assert info.value.file == ctx.root / "assets" / "junk.png"
    good = save(quadrants(300, 300), ctx.root / "assets" / "cut.png")
    data = good.read_bytes()
    good.write_bytes(data[: len(data) // 2])
    with pytest.raises(RenderError, match="truncated or corrupt"):
        render(ctx, {"type": "image", "src": "assets/cut.png", "box": [0, 0, 10, 10]})


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width`` x ``height`` but that carries no pixel data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


@pytest.mark.parametrize("size", [(7000, 7000), (100_000, 100_000)])
def test_decompression_bombs_are_refused_before_decoding(ctx: DrawContext, size: tuple[int, int]) -> None:
    (ctx.root / "assets" / "bomb.png").write_bytes(_png_header_only(*size))
    with pytest.raises(RenderError, match="40 MP limit") as info:
        render(ctx, {"type": "background", "image": "assets/bomb.png"})
    assert "bomb.png" in info.value.message and "resize it" in (info.value.hint or "")


def test_the_pixel_limit_is_configurable(ctx: DrawContext) -> None:
    save(Image.new("RGB", (200, 200)), ctx.root / "assets" / "small.png")
    ctx.max_image_pixels = 10_000
    with pytest.raises(RenderError, match=r"200x200 .*0.01 MP limit"):
        render(ctx, {"type": "image", "src": "assets/small.png", "box": [0, 0, 10, 10]})


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    img = Image.new("RGB", (40, 20), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = save(img, tmp_path / "rot.jpg", exif=exif)
    assert images.load_image(path).size == (20, 40)


def _swapped_rgb_profile() -> bytes:
    """A minimal ICC v2 RGB profile whose red and blue primaries are swapped (sRGB-like otherwise)."""

    def s15(v: float) -> bytes:
        return struct.pack(">i", round(v * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + b"\0" * 4 + s15(x) + s15(y) + s15(z)

    curve = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, 0x0233) + b"\0\0"  # gamma 2.2, padded
    tags = [
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.1431, 0.0606, 0.7141)),  # sRGB's blue primary as "red"
        (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", xyz(0.4361, 0.2225, 0.0139)),  # and red as "blue"
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, blobs = b"", b""
    for sig, body in tags:
        table += sig + struct.pack(">II", offset + len(blobs), len(body))
        blobs += body
    total = offset + len(blobs)
    header = (
        struct.pack(">I", total)
        + b"\0" * 4
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 24
        + struct.pack(">I", 0)
        + s15(0.9642)
        + s15(1.0)
        + s15(0.8249)
        + b"\0" * 48
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + blobs


def test_embedded_icc_profiles_are_converted_to_srgb(tmp_path: Path) -> None:
    path = save(Image.new("RGB", (8, 8), (255, 0, 0)), tmp_path / "p.png", icc_profile=_swapped_rgb_profile())
    r, _g, b = images.load_image(path).getpixel((4, 4))  # type: ignore[misc]
    assert b > 200 and r < 60  # "red" in that colour space is sRGB blue


# --- text -----------------------------------------------------------------------------------


def test_text_report_and_pixels(ctx: DrawContext) -> None:
    result = render(
        ctx,
        {
            "type": "text",
            "id": "title",
            "role": "heading",
            "text": "Restart your router",
            "box": [100, 300, 880, 300],
            "color": "#FFB547",
        },
    )
    (report,) = result.texts
    assert report.id == "title" and report.role == "heading" and report.box == (100, 300, 880, 300)
    assert " ".join(report.lines) == "Restart your router" and report.size == 96
    assert (report.size_min, report.size_max) == (60, 96) and not report.truncated
    assert report.color == "#FFB547" and report.direction == "ltr"
    band = result.image.crop((100, 300, 980, 450))
    assert any(close(c, (255, 181, 71), 6) for _, c in band.getcolors(100_000))  # type: ignore[union-attr]
    assert px(result, 500, 590) == BG_RGB  # nothing below the lines


def test_text_auto_fit_shrinks_then_truncates(ctx: DrawContext) -> None:
    long = "Unplug the router, wait ten seconds, then plug it back in and wait for the light. " * 4
    result = render(
        ctx,
        {
            "type": "text",
            "id": "a",
            "text": long,
            "box": [65, 300, 950, 200],
            "size": {"max": 60, "min": 40},
            "max_lines": 3,
        },
    )
    (report,) = result.texts
    assert report.size == 40 and report.shrunk_to_min and report.truncated
    assert len(report.lines) <= 3 and report.lines[-1].endswith("…")
    assert report.warnings and any("text layer 'a'" in w for w in result.warnings)


def test_text_without_ellipsis_is_still_drawn_cut_and_reported(ctx: DrawContext) -> None:
    # Too long text never fails the render: it is cut, drawn, and lint's layout.overflow
    # (tests/test_text_overflow.py) blocks publishing it.
    result = render(
        ctx,
        {
            "type": "text",
            "id": "legal",
            "text": "word " * 200,
            "box": [0, 0, 400, 100],
            "size": 40,
            "ellipsis": False,
        },
    )
    (report,) = result.texts
    assert report.truncated and report.lines[-1].endswith("…")
    assert any("text layer 'legal'" in w and "characters cut" in w for w in result.warnings)


def test_text_background_panel_fits_the_lines(ctx: DrawContext) -> None:
    result = render(
        ctx,
        {
            "type": "text",
            "text": "Hi",
            "box": [100, 100, 880, 200],
            "size": 60,
            "align": "center",
            "valign": "middle",
            "color": "#000000",
            "background": {"color": "#FFFFFF", "padding": [30, 12], "radius": 20},
        },
    )
    assert px(result, 540, 200) != BG_RGB  # behind the word
    assert px(result, 150, 200) == BG_RGB  # the box is wide but the panel hugs "Hi"
    assert px(result, 540, 110) == BG_RGB  # nor does it fill the box's height
    row = [px(result, x, 200) for x in range(100, 980)]
    white = [x for x, c in zip(range(100, 980), row, strict=True) if c == (255, 255, 255)]
    assert 60 < white[-1] - white[0] < 220  # about the word's width plus padding
    assert result.texts[0].background == "#FFFFFF"


def test_text_opacity_fades_text_and_panel_together(ctx: DrawContext) -> None:
    layer = {
        "type": "text",
        "text": "HHHH",
        "box": [100, 100, 600, 200],
        "size": 100,
        "color": "#FFFFFF",
        "background": {"color": "#FF0000", "padding": 20},
    }
    solid = render(ctx, layer, bg="#000000")
    faded = render(ctx, {**layer, "opacity": 0.5}, bg="#000000")

    def brightest(r: FrameResult) -> tuple[int, int, int]:
        colors = r.image.crop((100, 80, 700, 320)).getcolors(100_000) or []
        return max((c for _, c in colors), key=sum)

    assert brightest(solid) == (255, 255, 255)
    assert close(brightest(faded), (128, 128, 128), 2)
    panel_only = [
        c for _, c in faded.image.crop((100, 80, 700, 320)).getcolors(100_000) or [] if c[1] == 0 and c[0] > 0
    ]
    assert max(c[0] for c in panel_only) <= 129  # the red panel is faded too


def test_text_panel_per_line_follows_each_line(ctx: DrawContext) -> None:
    result = render(
        ctx,
        {
            "type": "text",
            "text": "A long first line\nShort",
            "box": [100, 100, 880, 400],
            "size": 60,
            "color": "#000000",
            "background": {"color": "#FFFFFF", "padding": [20, 0], "radius": 0, "mode": "lines"},
        },
    )
    (report,) = result.texts
    assert report.lines == ["A long first line", "Short"]
    first_y, second_y = 140, 210
    assert px(result, 400, first_y) != BG_RGB  # the first line's panel is wide
    assert px(result, 400, second_y) == BG_RGB  # the second, short line's panel is not


def test_text_stroke_and_shadow_draw_outside_the_glyphs(ctx: DrawContext) -> None:
    base = {"type": "text", "text": "I", "box": [100, 100, 300, 200], "size": 120, "color": "#FFFFFF"}
    plain = render(ctx, base, bg="#808080")
    stroked = render(ctx, {**base, "stroke": {"width": 8, "color": "#FF0000"}}, bg="#808080")
    shadowed = render(
        ctx, {**base, "shadow": {"blur": 0, "offset": [30, 0], "color": "#000000"}}, bg="#808080"
    )

    def count(r: FrameResult, rgb: tuple[int, int, int]) -> int:
        colors = r.image.crop((100, 100, 400, 300)).getcolors(100_000) or []
        return sum(n for n, c in colors if close(c, rgb, 10))

    assert count(plain, (255, 0, 0)) == 0 and count(stroked, (255, 0, 0)) > 300
    assert count(plain, (0, 0, 0)) == 0 and count(shadowed, (0, 0, 0)) > 300


def test_arabic_text_runs_right_to_left(ctx: DrawContext) -> None:
    ctx.lang = "ar"
    result = render(ctx, {"type": "text", "text": "مرحبا", "box": [100, 100, 880, 200], "size": 60})
    (report,) = result.texts
    assert report.direction == "rtl" and report.lang == "ar"
    # start alignment is the right edge for RTL: ink near the right of the box, none at the left.
    band = result.image.crop((100, 100, 980, 300))
    left, right = band.crop((0, 0, 300, 200)), band.crop((580, 0, 880, 200))
    assert left.getcolors(10) == [(300 * 200, BG_RGB)] and len(right.getcolors(100_000) or []) > 1


# --- shapes ---------------------------------------------------------------------------------


def test_rect_fill_radius_outline_and_opacity(ctx: DrawContext) -> None:
    result = render(
        ctx,
        {
            "type": "rect",
            "box": [100, 100, 400, 200],
            "fill": "#FFFFFF",
            "radius": 50,
            "outline": {"width": 6, "color": "#FF0000"},
        },
        {"type": "rect", "box": [600, 100, 200, 200], "fill": "#FFFFFF", "opacity": 0.5},
        bg="#000000",
    )
    assert px(result, 102, 102) == (0, 0, 0)  # rounded corner
    assert px(result, 300, 200) == (255, 255, 255)
    assert px(result, 300, 102) == (255, 0, 0)  # outline inside the edge
    assert px(result, 300, 98) == (0, 0, 0)  # and not outside it
    assert close(px(result, 700, 200), (128, 128, 128), 1)


def test_rect_gradient_fill(ctx: DrawContext) -> None:
    result = render(
        ctx,
        {"type": "rect", "box": [0, 0, 500, 100], "gradient": {"angle": 90, "stops": ["#000000", "#FFFFFF"]}},
    )
    assert px(result, 1, 50)[0] < 5 and px(result, 498, 50)[0] > 250


def test_rect_shadow_is_clipped_under_a_translucent_card(ctx: DrawContext) -> None:
    result = render(
        ctx,
        {
            "type": "rect",
            "box": [200, 200, 400, 400],
            "fill": "#FFFFFF40",
            "shadow": {"blur": 20, "offset": [0, 0], "color": "#000000"},
        },
        bg="#808080",
    )
    inside = px(result, 400, 400)
    assert close(inside, (160, 160, 160), 2)  # 25% white over grey, no shadow underneath
    assert px(result, 400, 605)[0] < 110  # the shadow outside


def test_circle_fill_and_outline(ctx: DrawContext) -> None:
    result = render(
        ctx,
        {
            "type": "circle",
            "center": [300, 300],
            "radius": 100,
            "fill": "#00FF00",
            "outline": {"width": 10, "color": "#FFFFFF"},
        },
        bg="#000000",
    )
    assert px(result, 300, 300) == (0, 255, 0)
    assert px(result, 300, 205) == (255, 255, 255)
    assert px(result, 215, 215) == (0, 0, 0)  # inside the bounding box, outside the circle
    assert px(result, 300, 195) == (0, 0, 0)


def test_line_caps(ctx: DrawContext) -> None:
    round_cap = render(
        ctx,
        {"type": "line", "points": [[100, 100], [300, 100]], "width": 20, "color": "#FFFFFF"},
        bg="#000000",
    )
    butt = render(
        ctx,
        {"type": "line", "points": [[100, 100], [300, 100]], "width": 20, "color": "#FFFFFF", "cap": "butt"},
        bg="#000000",
    )
    assert px(round_cap, 200, 100) == (255, 255, 255) and px(round_cap, 200, 92) == (255, 255, 255)
    assert px(round_cap, 94, 100)[0] > 200  # the round cap reaches past the end point
    assert px(butt, 94, 100) == (0, 0, 0)
    assert px(round_cap, 200, 115) == (0, 0, 0)


def test_polyline_with_joint(ctx: DrawContext) -> None:
    result = render(
        ctx,
        {"type": "line", "points": [[100, 100], [200, 200], [300, 100]], "width": 10, "color": "#FF0000"},
        bg="#000000",
    )
    assert close(px(result, 150, 150), (255, 0, 0), 10) and close(px(result, 250, 150), (255, 0, 0), 10)
    assert px(result, 200, 120) == (0, 0, 0)


# --- progress -------------------------------------------------------------------------------


def test_progress_segments_and_label(ctx: DrawContext) -> None:
    result = render(
        ctx,
        {
            "type": "progress",
            "id": "steps",
            "box": [65, 100, 950, 12],
            "total": 5,
            "current": 2,
            "gap": 10,
            "colors": {"done": "#FFFFFF", "active": "#FFB547", "todo": "#FFFFFF40"},
            "active_fill": 0.5,
            "label": {"text": "Step {current} of {total}", "size": 30},
        },
        bg="#000000",
    )
    seg = (950 - 40) / 5
    y = 106
    assert px(result, 65 + int(seg / 2), y) == (255, 255, 255)  # done
    x2 = 65 + int(seg + 10)
    assert px(result, x2 + 20, y) == (255, 181, 71)  # the active segment's filled half
    assert close(px(result, x2 + int(seg) - 20, y), (64, 64, 64), 1)  # its unfilled half
    assert close(px(result, 65 + int(4 * (seg + 10) + seg / 2), y), (64, 64, 64), 1)  # to do
    assert px(result, 65 + int(seg + 5), y) == (0, 0, 0)  # the gap
    (label,) = result.texts
    assert label.id == "steps.label" and label.lines == ["Step 2 of 5"] and label.role == "label"
    assert label.box[1] == 100 + 12 + 16


# --- qr -------------------------------------------------------------------------------------


def test_qr_modules_match_the_code(ctx: DrawContext) -> None:
    data = "https://help.example.com/wifi"
    result = render(
        ctx,
        {
            "type": "qr",
            "data": data,
            "box": [100, 100, 300, 300],
            "color": "#0D1B45",
            "background": "#FFFFFF",
            "quiet_zone": 2,
        },
    )
    matrix = segno.make(data, error="M", micro=False).matrix
    n = len(matrix) + 4
    module = 300 // n
    offset = 100 + (300 - module * len(matrix)) // 2
    for row in range(len(matrix)):
        for col in range(len(matrix)):
            c = px(result, offset + col * module + module // 2, offset + row * module + module // 2)
            assert c == ((13, 27, 69) if matrix[row][col] else (255, 255, 255)), (row, col)
    assert px(result, 101, 101) == (255, 255, 255)  # the quiet zone


def test_qr_too_small_fails_clearly(ctx: DrawContext) -> None:
    with pytest.raises(RenderError, match=r"needs \d+ modules"):
        render(ctx, {"type": "qr", "data": "https://example.com", "box": [0, 0, 20, 20]})


# --- logo, visibility, determinism, demo ----------------------------------------------------


def test_logo_comes_from_the_context(ctx: DrawContext) -> None:
    missing = render(ctx, {"type": "logo", "box": [0, 0, 100, 100]})
    assert missing.warnings and "no brand logo" in missing.warnings[0]
    ctx.logo = save(Image.new("RGB", (50, 50), (255, 0, 0)), ctx.root / "assets" / "logo.png")
    result = render(ctx, {"type": "logo", "box": [0, 0, 100, 100]})
    assert close(px(result, 50, 50), (255, 0, 0)) and not result.warnings


def test_invisible_layers_are_skipped(ctx: DrawContext) -> None:
    result = render(
        ctx,
        {"type": "rect", "box": [0, 0, 100, 100], "fill": "#FFFFFF", "visible": False},
        {"type": "text", "text": "hidden", "box": [0, 0, 500, 100], "visible": False},
        {"type": "image", "src": "assets/absent.png", "box": [0, 0, 5, 5], "visible": False},
    )
    assert px(result, 50, 50) == BG_RGB and result.texts == []


def test_layers_outside_the_frame_warn(ctx: DrawContext) -> None:
    result = render(ctx, {"type": "rect", "id": "lost", "box": [2000, 0, 100, 100], "fill": "#FFFFFF"})
    assert result.warnings == [
        "layers[1] (rect, id 'lost'): its box [2000, 0, 100, 100] is entirely outside the frame"
    ]


DEMO = """
alt: "Step 2 of 5: reconnect your phone to Wi-Fi."
layers:
  - type: background
    gradient: {angle: 160, stops: ["#2B5BEA", "#13265F", "#0D1B45"]}
  - type: background
    gradient: {kind: radial, center: [980, 260], radius: 900, stops: ["#8FB0FF66", "#8FB0FF00"]}
  - {type: progress, id: steps, box: [65, 262, 950, 10], total: 5, current: 2,
     colors: {done: "#FFFFFF", todo: "#FFFFFF40"},
     label: {text: "Step {current} of {total}", size: 30, color: "#C9D6FF", gap: 22}}
  - {type: logo, box: [951, 290, 64, 64]}
  - {type: circle, center: [113, 449], radius: 48, fill: "#FFB547",
     shadow: {blur: 24, offset: [0, 8], color: "#00000040"}}
  - {type: text, id: badge, role: label, text: "2", box: [65, 401, 96, 96], size: 52,
     align: center, valign: middle, color: "#0D1B45"}
  - {type: text, id: title, role: heading, text: "Reconnect your phone to Wi-Fi",
     box: [190, 392, 825, 200], size: {max: 72, min: 56}, max_lines: 2, valign: middle}
  - {type: line, points: [[190, 612], [290, 612]], width: 8, color: "#FFB547"}
  - {type: text, id: body,
     text: "Open Settings, tap Wi-Fi and choose your home network. The password is printed under the router.",
     box: [65, 640, 950, 150], size: {max: 42, min: 36}, color: "#DCE4FF"}
  - {type: image, src: assets/samples/phone-wifi.png, box: [65, 816, 950, 540], fit: contain,
     background: "#FFFFFF", padding: [28, 28], radius: 48,
     shadow: {blur: 64, offset: [0, 28], color: "#0A143880"}}
  - {type: text, id: tip, role: caption, text: "Tip: passwords are case-sensitive", box: [95, 1322, 890, 68],
     size: 34, font: {weight: bold}, align: center, valign: middle, color: "#0D1B45",
     background: {color: "#FFB547", padding: [30, 12], radius: 34}}
  - {type: rect, box: [65, 1420, 950, 160], fill: "#FFFFFF14", radius: 36,
     outline: {width: 2, color: "#FFFFFF2E"}}
  - {type: qr, data: "https://help.example.com/wifi", box: [79, 1434, 132, 132], color: "#0D1B45", radius: 18}
  - {type: text, id: scan, role: caption, text: "Scan for the full guide", box: [240, 1420, 745, 160],
     size: 36, valign: middle}
"""


def test_demo_frame_uses_every_layer_and_is_deterministic(fonts: FontLibrary, tmp_path: Path) -> None:
    import yaml

    repo_assets = assets_dir()
    ctx = DrawContext(
        root=tmp_path,
        asset_dirs=[repo_assets],
        fonts=fonts,
        lang="en",
        logo=repo_assets / "brand" / "logo-light.png",
    )
    spec = parse_spec(yaml.safe_load(DEMO), "demo.j2")
    assert {layer.type for layer in spec.layers} == {
        "background", "image", "text", "rect", "circle", "line", "progress", "qr", "logo"
    }  # fmt: skip
    first = draw_frame(spec, ctx)
    images.clear_cache()  # the second render decodes and blurs everything again
    second = draw_frame(spec, ctx)
    assert first.image.tobytes() == second.image.tobytes()
    assert first.warnings == [] and not any(t.truncated for t in first.texts)
    assert [t.id for t in first.texts] == ["steps.label", "badge", "title", "body", "tip", "scan"]
    if out := os.environ.get("LAYERS_DEMO_OUT"):
        first.image.save(out)
