"""Drawing a ``TextLayout`` onto a Pillow image.

Glyphs are rendered into 8-bit coverage masks first and the colour is composited through
them, so text looks the same on opaque RGB frames and on transparent RGBA layers (drawing
straight onto RGBA would darken the anti-aliased edges). Colour emoji are pasted on top.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storycast.errors import RenderError
from storycast.render.text.emoji import emoji_image
from storycast.render.text.layout import LaidRun, TextLayout, align_offset
from storycast.render.text.scripts import clusters

if TYPE_CHECKING:
    from PIL import Image

Color = str | tuple[int, int, int] | tuple[int, int, int, int]
VALIGNS = ("top", "middle", "center", "bottom")


@dataclass(frozen=True)
class Shadow:
    """A drop shadow: offset in px, colour (alpha allowed) and Gaussian blur radius in px."""

    dx: int = 0
    dy: int = 4
    color: Color = (0, 0, 0, 140)
    blur: float = 0.0


def draw_text(
    img: Image.Image,
    layout: TextLayout,
    box: tuple[int, int, int, int],
    *,
    color: Color,
    valign: str = "top",
    stroke_width: int = 0,
    stroke_color: Color | None = None,
    shadow: Shadow | tuple[int, int, Color] | tuple[int, int, Color, float] | None = None,
) -> None:
    """Draw *layout* into *box* = (left, top, right, bottom) of *img*, in place.

    Lines are aligned horizontally inside the box by ``layout.align`` and the block vertically
    by *valign* (top|middle|bottom). Text that was laid out for a taller block than the box
    (a truncated layout at its limit) is drawn anyway, never clipped mid-glyph.
    """

    if valign not in VALIGNS:
        raise RenderError(f"Unknown vertical alignment {valign!r}.", hint="Use top, middle or bottom.")
    left, top, right, bottom = box
    box_w, box_h = right - left, bottom - top
    if valign == "top":
        oy = float(top)
    elif valign == "bottom":
        oy = bottom - layout.height
    else:
        oy = top + (box_h - layout.height) / 2
    # The masks cover the layout plus a margin for strokes, shadows and overhanging marks.
    margin = int(stroke_width + layout.size * 0.6 + 2)
    rx0, ry0 = int(left) - margin, int(oy) - margin
    rw, rh = box_w + 2 * margin, int(layout.height) + 2 * margin
    origin = (left - rx0, oy - ry0)

    masks = _masks(layout, box_w, origin, (rw, rh), stroke_width)
    emoji = masks.emoji
    # On an RGB canvas only the inked part of a mask is pasted (a zero mask leaves pixels
    # exactly as they were); the transparent-tile path keeps the whole mask.
    cropped = img.mode != "RGBA"

    if shadow is not None:
        sh = shadow if isinstance(shadow, Shadow) else Shadow(*shadow)
        _paint_shadow(img, sh, masks.stroke or masks.fill, list(emoji), (rx0, ry0))
    if masks.stroke is not None:
        stroke_ink = stroke_color if stroke_color is not None else (0, 0, 0)
        if cropped:
            _paint_ink(img, stroke_ink, masks.stroke_ink, (rx0, ry0))
        else:
            _paint(img, stroke_ink, masks.stroke, (rx0, ry0))
    if cropped:
        _paint_ink(img, color, masks.fill_ink, (rx0, ry0))
    else:
        _paint(img, color, masks.fill, (rx0, ry0))
    for em, ex, ey in emoji:
        _paste_rgba(img, em, (rx0 + ex, ry0 + ey))


@dataclass(frozen=True)
class _Masks:
    """The coverage masks of one laid-out text at one sub-pixel origin (read-only, cached).

    ``fill_ink`` / ``stroke_ink`` are the same masks cropped to their ink, with the crop's
    offset inside the full mask (None when nothing is inked, e.g. only spaces).
    """

    fill: Image.Image
    stroke: Image.Image | None
    emoji: tuple[tuple[Image.Image, int, int], ...]
    fill_ink: tuple[Image.Image, int, int] | None
    stroke_ink: tuple[Image.Image, int, int] | None
    fonts: object = None  # the library drawn with: id() in the key alone could be reused

    @property
    def nbytes(self) -> int:
        total = self.fill.width * self.fill.height * (2 if self.stroke is not None else 1)
        for ink in (self.fill_ink, self.stroke_ink):
            if ink is not None:
                total += ink[0].width * ink[0].height
        return total


# Repeated labels (the brand name, a category pill, support-hours rows, "Step n of N") are laid
# out identically on many frames; their glyphs are rasterized once per process. FreeType glyph
# rendering is the largest cost of a frame, so this is bounded by bytes, not entries.
_MASK_BUDGET = 32 * 1024 * 1024
_mask_cache: OrderedDict[tuple[object, ...], _Masks] = OrderedDict()
_mask_bytes = 0
_mask_lock = threading.Lock()


def _ink(mask: Image.Image) -> tuple[Image.Image, int, int] | None:
    box = mask.getbbox()
    if box is None:
        return None
    return mask.crop(box), box[0], box[1]


def _masks(
    layout: TextLayout,
    box_w: int,
    origin: tuple[float, float],
    size: tuple[int, int],
    stroke_width: int,
) -> _Masks:
    """The masks of *layout* drawn at *origin* in a mask of *size* (cached by all of these)."""
    global _mask_bytes
    from PIL import Image as PILImage

    key = (tuple(layout.lines), layout.align, id(layout.fonts), box_w, origin, size, stroke_width)
    with _mask_lock:
        hit = _mask_cache.get(key)
        if hit is not None and hit.fonts is layout.fonts:
            _mask_cache.move_to_end(key)
            return hit
    fill_mask = PILImage.new("L", size, 0)
    stroke_mask = PILImage.new("L", size, 0) if stroke_width > 0 else None
    emoji: list[tuple[Image.Image, int, int]] = []
    _render(layout, box_w, origin, fill_mask, stroke_mask, stroke_width, emoji)
    masks = _Masks(
        fill=fill_mask,
        stroke=stroke_mask,
        emoji=tuple(emoji),
        fill_ink=_ink(fill_mask),
        stroke_ink=_ink(stroke_mask) if stroke_mask is not None else None,
        fonts=layout.fonts,
    )
    with _mask_lock:
        old_entry = _mask_cache.pop(key, None)
        if old_entry is not None:
            _mask_bytes -= old_entry.nbytes
        _mask_cache[key] = masks
        _mask_bytes += masks.nbytes
        while _mask_bytes > _MASK_BUDGET and len(_mask_cache) > 1:
            _, old = _mask_cache.popitem(last=False)
            _mask_bytes -= old.nbytes
    return masks


def clear_mask_cache() -> None:
    """Forget rasterized text (benchmarks measuring a cold process use this)."""
    global _mask_bytes
    with _mask_lock:
        _mask_cache.clear()
        _mask_bytes = 0


def _render(
    layout: TextLayout,
    box_w: int,
    origin: tuple[float, float],
    fill_mask: Image.Image,
    stroke_mask: Image.Image | None,
    stroke_width: int,
    emoji: list[tuple[Image.Image, int, int]],
) -> None:
    from PIL import ImageDraw

    fill_draw = ImageDraw.Draw(fill_mask)
    stroke_draw = ImageDraw.Draw(stroke_mask) if stroke_mask is not None else None
    ox, oy = origin
    for line in layout.lines:
        lx = ox + align_offset(layout.align, box_w, line.width)
        y = oy + line.baseline
        for run in line.runs:
            x = lx + run.x
            if run.emoji:
                for s, e in clusters(run.text):
                    em, dx, dy = emoji_image(layout.fonts, run.face, run.text[s:e], run.scale)
                    emoji.append((em, round(x) + dx, round(y) + dy))
                continue
            for cx, text in _pieces(layout, run, x):
                if text.isspace():
                    continue  # spaces have no ink: drawing them is a no-op that costs a shaping call
                kwargs: dict[str, Any] = {
                    "font": layout.fonts.font(run.face, run.font_size),
                    "anchor": "ls",
                    "direction": run.direction,
                    "language": run.language,
                }
                if stroke_draw is not None:
                    stroke_draw.text(
                        (cx, y), text, fill=255, stroke_width=stroke_width, stroke_fill=255, **kwargs
                    )
                fill_draw.text((cx, y), text, fill=255, **kwargs)


def _pieces(layout: TextLayout, run: LaidRun, x: float) -> list[tuple[float, str]]:
    """The run as one piece, or cluster by cluster when letter spacing applies."""
    if not run.letter_spacing:
        return [(x, run.text)]
    font = layout.fonts.font(run.face, run.font_size)
    spans = clusters(run.text)
    if run.direction == "rtl":
        spans = spans[::-1]
    out: list[tuple[float, str]] = []
    for s, e in spans:
        cl = run.text[s:e]
        out.append((x, cl))
        x += font.getlength(cl, direction=run.direction, language=run.language) + run.letter_spacing
    return out


def _rgba(color: Color) -> tuple[int, int, int, int]:
    from PIL import ImageColor

    rgb: tuple[int, ...] = ImageColor.getrgb(color) if isinstance(color, str) else tuple(color)
    if len(rgb) == 3:
        return (rgb[0], rgb[1], rgb[2], 255)
    return (rgb[0], rgb[1], rgb[2], rgb[3])


def _paint(img: Image.Image, color: Color, mask: Image.Image, at: tuple[int, int]) -> None:
    """Composite a solid *color* through *mask* placed at *at* (clipped to the image)."""
    from PIL import Image as PILImage

    r, g, b, a = _rgba(color)
    if a < 255:
        mask = mask.point(lambda v: v * a // 255)
    if img.mode == "RGBA":
        layer = PILImage.new("RGBA", mask.size, (r, g, b, 0))
        layer.putalpha(mask)
        _paste_rgba(img, layer, at)
    elif img.mode in ("RGB", "L", "LA", "P"):
        img.paste((r, g, b) if img.mode != "L" else (r * 299 + g * 587 + b * 114) // 1000, at, mask)
    else:
        raise RenderError(
            f"Cannot draw text on a {img.mode} image.", hint="Convert the image to RGB or RGBA."
        )


def _paint_ink(
    img: Image.Image, color: Color, ink: tuple[Image.Image, int, int] | None, at: tuple[int, int]
) -> None:
    """``_paint`` with a mask already cropped to its ink (``ink`` = (mask, dx, dy) or None)."""
    if ink is None:
        return
    mask, dx, dy = ink
    _paint(img, color, mask, (at[0] + dx, at[1] + dy))


def _paste_rgba(img: Image.Image, layer: Image.Image, at: tuple[int, int]) -> None:
    """Alpha-composite an RGBA *layer* onto *img* at *at*, clipping at the image edges."""
    x, y = at
    box = (x, y, x + layer.width, y + layer.height)
    if img.mode == "RGBA":
        tile = img.crop(box)
        tile.alpha_composite(layer)
        img.paste(tile, box)
    else:
        img.paste(layer.convert("RGBA"), box, layer)


def _paint_shadow(
    img: Image.Image,
    shadow: Shadow,
    text_mask: Image.Image,
    emoji: list[tuple[Image.Image, int, int]],
    at: tuple[int, int],
) -> None:
    from PIL import ImageChops, ImageFilter

    mask = text_mask
    if emoji:
        mask = text_mask.copy()
        for em, ex, ey in emoji:
            alpha = em.getchannel("A")
            region = (ex, ey, ex + em.width, ey + em.height)
            mask.paste(ImageChops.lighter(mask.crop(region), alpha), region)
    if shadow.blur > 0:
        mask = mask.filter(ImageFilter.GaussianBlur(shadow.blur))
    _paint(img, shadow.color, mask, (at[0] + shadow.dx, at[1] + shadow.dy))
