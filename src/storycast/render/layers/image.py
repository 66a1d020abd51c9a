"""The ``image`` layer: a picture fitted into a box, with rounded corners, border and shadow.

Geometry: with ``fit: cover`` (or ``stretch``) the picture fills ``box``; with ``contain`` it is
scaled to fit inside and placed by ``anchor`` (centred by default). Corners, border and shadow
follow the picture's own rectangle, unless a ``background`` colour is given: then the whole box
is a card of that colour with the picture contained in it, and the card gets the corners,
border and shadow. The shadow follows the picture's alpha, so a transparent PNG casts the
shadow of its shape.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from ..images import file_key, fit_size, fitted, load_image, resolve_image
from ..spec import ImageLayer
from ._base import Frame
from ._paint import Group, add_shadow, cached_tile, fill, masked, ring_mask, rounded_mask, shadow_pad


def picture_tile(
    path: Path,
    box: tuple[int, int, int, int],
    fit: str,
    anchor: tuple[float, float],
    frame: Frame,
    *,
    background: tuple[int, int, int, int] | None = None,
    padding: tuple[int, int] = (0, 0),
) -> tuple[Image.Image, int, int]:
    """The fitted picture as a fresh RGBA tile and the canvas position of its top-left corner.

    With a ``background`` the tile is the whole box in that colour, with the picture fitted
    inside it, ``padding`` px in from the edges.
    """
    x, y, w, h = box
    ix, iy, iw, ih = x + padding[0], y + padding[1], w - 2 * padding[0], h - 2 * padding[1]
    pic = fitted(path, (iw, ih), fit, focus=anchor, max_pixels=frame.ctx.max_image_pixels)  # type: ignore[arg-type]
    px = ix + round((iw - pic.width) * anchor[0])
    py = iy + round((ih - pic.height) * anchor[1])
    if background is not None:
        card = Image.new("RGBA", (w, h), background)
        card.alpha_composite(pic.convert("RGBA"), (px - x, py - y))
        return card, x, y
    # convert() (or copy()) gives a private tile: the fitted image is shared through the cache.
    tile = pic.convert("RGBA") if pic.mode != "RGBA" else pic.copy()
    return tile, px, py


UPSCALE_WARNING = 1.6  # enlarging a picture more than this makes it visibly soft


def warn_if_upscaled(
    frame: Frame, label: str, path: Path, size: tuple[int, int], fit: str, src_name: str
) -> None:
    """Warn when a picture is shown much larger than it is (it will look blurry)."""
    original = load_image(path, max_pixels=frame.ctx.max_image_pixels).size
    shown = fit_size(original, size, fit)  # type: ignore[arg-type]
    scale = max(shown[0] / original[0], shown[1] / original[1])
    if scale > UPSCALE_WARNING:
        frame.warn(
            label,
            f"{src_name} is {original[0]}x{original[1]} px but is shown {scale:.1f}x larger, so it will look "
            f"blurry; use a picture at least {shown[0]}x{shown[1]} px",
        )


def draw(layer: ImageLayer, frame: Frame) -> None:
    """Draw ``layer`` (see the module docstring for its geometry)."""
    path = resolve_image(layer.src, frame.ctx.root, frame.ctx.asset_dirs)
    inner = (layer.box[2] - 2 * layer.padding[0], layer.box[3] - 2 * layer.padding[1])
    label = f"image layer {layer.id!r}" if layer.id else "image layer"
    warn_if_upscaled(frame, label, path, inner, layer.fit, layer.src)
    bx, by = layer.box[0], layer.box[1]
    # The finished tile does not depend on where the box sits: cache it relative to the box, so
    # the same step picture in every language of a story is fitted, rounded and shadowed once.
    key = (
        "image",
        file_key(path),
        layer.model_dump_json(exclude={"id", "opacity", "visible"}),
        layer.box[2:],
    )

    def make() -> tuple[Image.Image, int, int]:
        tile, x, y = picture_tile(
            path,
            (0, 0, *layer.box[2:]),
            layer.fit,
            layer.anchor,
            frame,
            background=layer.background,
            padding=layer.padding,
        )
        w, h = tile.size
        if layer.radius:
            masked(tile, rounded_mask(w, h, layer.radius))
        if layer.border is not None and layer.border.width > 0:
            ring = ring_mask(w, h, layer.radius, layer.border.width)
            tile.alpha_composite(fill((w, h), layer.border.color, ring))
        if layer.shadow is None:
            return tile, x, y
        group = Group(x, y, w, h, shadow_pad(layer.shadow))
        add_shadow(group, tile.getchannel("A"), x, y, layer.shadow, clip=False)
        group.add(tile, x, y)
        return group.tile, group.x, group.y

    tile, dx, dy = cached_tile(key, make)
    frame.put(tile, bx + dx, by + dy, layer.opacity)
