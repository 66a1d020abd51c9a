"""Drawing primitives shared by the layer modules: masks, fills, gradients, shadows, compositing.

Layers draw into small RGBA tiles (the size of what they cover, plus room for a shadow) and
the tile is pasted onto the RGB canvas with its alpha as the mask, so no layer ever copies the
whole canvas. Masks that repeat from frame to frame (rounded corners, circles, blurred shadows,
gradients) are cached by their parameters within the process.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw

from ..colors import RGBA
from ..images import cached, fast_blur
from ..spec import Gradient, Shadow

SUPERSAMPLE = 4  # anti-aliasing factor for curved edges


@lru_cache(maxsize=512)
def _scale_lut(factor: float) -> list[int]:
    return [round(v * factor) for v in range(256)]


def scale_alpha(mask: Image.Image, factor: float) -> Image.Image:
    """An ``L`` mask multiplied by ``factor`` (0..1); the same object when factor is 1."""
    if factor >= 1:
        return mask
    return mask.point(_scale_lut(round(max(0.0, factor), 4)))


_tile_offsets: dict[tuple[object, ...], tuple[int, int]] = {}


def cached_tile(
    key: tuple[object, ...], make: Callable[[], tuple[Image.Image, int, int]]
) -> tuple[Image.Image, int, int]:
    """A finished layer tile and its offset from the layer's position, cached by ``key``.

    A card, badge or glow looks the same on every frame of a story, wherever it sits, so its
    tile (shadow, fill, outline already composited) is built once and only pasted afterwards.
    ``key`` must hold everything the tile depends on except the layer's position and opacity.
    Treat the returned tile as read-only.
    """

    def build() -> Image.Image:
        tile, dx, dy = make()
        _tile_offsets[key] = (dx, dy)
        return tile

    tile = cached(("tile", *key), build)
    dx, dy = _tile_offsets[key]
    return tile, dx, dy


def trimmed(key: tuple[object, ...], make: Callable[[], Image.Image]) -> tuple[Image.Image, int, int]:
    """``make()``'s RGBA image cropped to its visible part, cached; returns (tile, dx, dy).

    A full-frame glow that is transparent over most of the frame then costs only the paste of
    the part that shows.
    """

    def build() -> tuple[Image.Image, int, int]:
        full = make()
        box = full.getchannel("A").getbbox() or (0, 0, 1, 1)
        return full.crop(box), box[0], box[1]

    return cached_tile(("trimmed", *key), build)


@lru_cache(maxsize=64)
def _corner(r: int) -> Image.Image:
    """An anti-aliased quarter disc of radius ``r`` (top-left corner), drawn supersampled."""
    s = SUPERSAMPLE
    big = Image.new("L", (2 * r * s, 2 * r * s), 0)
    ImageDraw.Draw(big).ellipse((0, 0, 2 * r * s - 1, 2 * r * s - 1), fill=255)
    disc = big.resize((2 * r, 2 * r), Image.Resampling.BOX)
    return disc.crop((0, 0, r, r))


@lru_cache(maxsize=256)
def rounded_mask(w: int, h: int, r: int) -> Image.Image:
    """An ``L`` mask of a ``w`` x ``h`` rectangle with anti-aliased corners of radius ``r``.

    Only the four corners are supersampled, so a full-screen card costs no more than a small one.
    Cached; treat the result as read-only.
    """
    r = max(0, min(r, w // 2, h // 2))
    mask = Image.new("L", (w, h), 255)
    if r == 0:
        return mask
    tl = _corner(r)
    mask.paste(tl, (0, 0))
    mask.paste(tl.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (w - r, 0))
    mask.paste(tl.transpose(Image.Transpose.FLIP_TOP_BOTTOM), (0, h - r))
    mask.paste(tl.transpose(Image.Transpose.ROTATE_180), (w - r, h - r))
    return mask


def ring_mask(w: int, h: int, r: int, width: int) -> Image.Image:
    """The band ``width`` px wide just inside a rounded rectangle's edge (an inside border)."""
    outer = rounded_mask(w, h, r)
    if width * 2 >= min(w, h):
        return outer
    inner = Image.new("L", (w, h), 0)
    inner.paste(rounded_mask(w - 2 * width, h - 2 * width, max(0, r - width)), (width, width))
    return ImageChops.subtract(outer, inner)


@lru_cache(maxsize=64)
def disc_mask(diameter: int) -> Image.Image:
    """An anti-aliased disc filling a ``diameter`` px square (supersampled, capped in size)."""
    s = max(1, min(SUPERSAMPLE, 4096 // max(1, diameter)))
    big = Image.new("L", (diameter * s, diameter * s), 0)
    ImageDraw.Draw(big).ellipse((0, 0, diameter * s - 1, diameter * s - 1), fill=255)
    return big.resize((diameter, diameter), Image.Resampling.BOX) if s > 1 else big


def fill(size: tuple[int, int], color: RGBA, mask: Image.Image | None = None) -> Image.Image:
    """An RGBA tile of one colour, shaped by ``mask`` (alpha = mask x the colour's alpha)."""
    tile = Image.new("RGBA", size, color)
    if mask is not None:
        tile.putalpha(scale_alpha(mask, color[3] / 255))
    return tile


def masked(tile: Image.Image, mask: Image.Image) -> Image.Image:
    """``tile`` (RGBA, not shared) with its alpha multiplied by ``mask``; modifies and returns it."""
    tile.putalpha(ImageChops.multiply(tile.getchannel("A"), mask))
    return tile


def _stop_lut(gradient: Gradient) -> list[list[int]]:
    """Per-channel 256-entry lookup tables from gradient position (0..255) to colour."""
    stops = list(zip(gradient.positions(), (s.color for s in gradient.stops), strict=True))
    luts: list[list[int]] = [[], [], [], []]
    j = 0
    for i in range(256):
        t = i / 255
        while j < len(stops) - 2 and t > stops[j + 1][0]:
            j += 1
        (p0, c0), (p1, c1) = stops[j], stops[j + 1]
        if t <= p0:
            f = 0.0
        elif t >= p1:
            f = 1.0
        else:
            f = (t - p0) / (p1 - p0)
        for ch in range(4):
            luts[ch].append(round(c0[ch] + (c1[ch] - c0[ch]) * f))
    return luts


def _gradient_t(gradient: Gradient, w: int, h: int) -> Image.Image:
    """An ``L`` image whose value is the position along the gradient (0..255) at each pixel."""
    if gradient.kind == "linear":
        # CSS semantics: 0deg points up, 90deg right, 180deg (the default) down; the gradient
        # line is just long enough for the corners to land exactly on the first and last stop.
        theta = math.radians(180 if gradient.angle is None else gradient.angle)
        dx, dy = math.sin(theta), -math.cos(theta)
        length = abs(w * dx) + abs(h * dy) or 1.0
        k = 255 / length
        # Sample row t*255 of a 256-row ramp: affine map from output (x, y) to ramp (128, row).
        c = 0.5 + 127.5 - k * (w / 2 * dx + h / 2 * dy)
        ramp = Image.linear_gradient("L")
        return ramp.transform(
            (w, h),
            Image.Transform.AFFINE,
            (0, 0, 128, k * dx, k * dy, c),
            resample=Image.Resampling.BILINEAR,
            fillcolor=0,
        )
    cx, cy = gradient.center if gradient.center is not None else (w / 2, h / 2)
    radius = gradient.radius
    if radius is None:  # CSS's farthest-corner
        radius = max(math.hypot(x - cx, y - cy) for x in (0, w) for y in (0, h)) or 1.0
    # Distance is smooth away from the centre, so it is computed exactly on a coarse grid (in
    # floats) and resized up; the final 8-bit quantization happens once, at full size.
    step = 8
    gw, gh = w // step + 2, h // step + 2
    values = [
        min(255.0, 255.0 * math.hypot(gx * step + step / 2 - cx, gy * step + step / 2 - cy) / radius)
        for gy in range(gh)
        for gx in range(gw)
    ]
    grid = Image.new("F", (gw, gh))
    grid.putdata(values)
    full = grid.resize((w, h), Image.Resampling.BILINEAR, box=(0, 0, w / step, h / step))
    return full.convert("L")


def gradient_image(gradient: Gradient, size: tuple[int, int]) -> Image.Image:
    """The gradient drawn as an RGBA image of ``size`` (cached; do not modify it)."""
    key = ("gradient", gradient.model_dump_json(), size)

    def make() -> Image.Image:
        t = _gradient_t(gradient, *size)
        bands = [t.point(lut) for lut in _stop_lut(gradient)]
        return Image.merge("RGBA", bands)

    return cached(key, make)


def shadow_of(mask: Image.Image, shadow: Shadow) -> tuple[Image.Image, int]:
    """A blurred shadow tile for a shape ``mask``; returns (RGBA tile, margin).

    The tile is the mask's size plus ``margin`` on every side (its top-left sits at
    ``shape origin - margin + offset``). ``blur`` follows CSS box-shadow: sigma = blur / 2.
    Callers cache the finished layer tile, so the blur itself is not cached here.
    """
    sigma = shadow.blur / 2
    margin = math.ceil(sigma * 3) + 1 if sigma > 0 else 0
    padded = Image.new("L", (mask.width + 2 * margin, mask.height + 2 * margin), 0)
    padded.paste(mask, (margin, margin))
    blurred = fast_blur(padded, sigma) if sigma > 0 else padded
    return fill(blurred.size, shadow.color, blurred), margin


class Group:
    """An RGBA tile that grows to hold a shape plus its shadow, in canvas coordinates."""

    def __init__(self, x: int, y: int, w: int, h: int, pad: tuple[int, int, int, int] = (0, 0, 0, 0)) -> None:
        left, top, right, bottom = pad
        self.x = x - left
        self.y = y - top
        self.tile = Image.new("RGBA", (w + left + right, h + top + bottom), (0, 0, 0, 0))

    def add(self, part: Image.Image, x: int, y: int) -> None:
        """Composite ``part`` (RGBA) whose top-left is at canvas ``(x, y)`` over the group."""
        self.tile.alpha_composite(part, (x - self.x, y - self.y))


def shadow_pad(shadow: Shadow | None) -> tuple[int, int, int, int]:
    """How far (left, top, right, bottom) a shadow reaches beyond its shape."""
    if shadow is None:
        return (0, 0, 0, 0)
    sigma = shadow.blur / 2
    margin = math.ceil(sigma * 3) + 1 if sigma > 0 else 0
    ox, oy = round(shadow.offset[0]), round(shadow.offset[1])
    return (max(0, margin - ox), max(0, margin - oy), max(0, margin + ox), max(0, margin + oy))


def add_shadow(
    group: Group,
    mask: Image.Image,
    x: int,
    y: int,
    shadow: Shadow,
    *,
    clip: bool,
) -> None:
    """Add ``shadow`` of the shape ``mask`` (placed at canvas ``x, y``) to ``group``.

    With ``clip``, the shadow is cut away under the shape itself, as CSS box-shadow does, so a
    translucent card does not look dirty.
    """
    tile, margin = shadow_of(mask, shadow)
    sx = x - margin + round(shadow.offset[0])
    sy = y - margin + round(shadow.offset[1])
    if clip:
        hole = Image.new("L", tile.size, 0)
        hole.paste(mask, (x - sx, y - sy))
        tile.putalpha(ImageChops.subtract(tile.getchannel("A"), hole))
    group.add(tile, sx, sy)
