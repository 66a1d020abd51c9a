"""Shape layers: ``rect`` (cards, panels, scrims), ``circle`` and ``line``.

Edges are anti-aliased (curves are drawn supersampled). Outlines are drawn inside the shape's
edge, so a box keeps its size whatever the outline width. Shadows of rects and circles are cut
away under the shape (as CSS box-shadow is), so translucent cards stay clean.
"""

from __future__ import annotations

import math

from PIL import Image, ImageChops, ImageDraw

from ..spec import CircleLayer, LineLayer, RectLayer
from ._base import Frame
from ._paint import (
    Group,
    add_shadow,
    cached_tile,
    disc_mask,
    fill,
    gradient_image,
    masked,
    ring_mask,
    rounded_mask,
    shadow_pad,
)

_POSITION = {"id", "visible", "opacity", "box", "center"}


def _rect_tile(layer: RectLayer) -> tuple[Image.Image, int, int]:
    """The finished rect (shadow, body, outline) and its offset from the box's top-left."""
    _, _, w, h = layer.box
    mask = rounded_mask(w, h, layer.radius)
    if layer.gradient is not None:
        body = masked(gradient_image(layer.gradient, (w, h)).copy(), mask)
    elif layer.fill is not None:
        body = fill((w, h), layer.fill, mask)
    else:
        body = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    if layer.outline is not None and layer.outline.width > 0:
        body.alpha_composite(
            fill((w, h), layer.outline.color, ring_mask(w, h, layer.radius, layer.outline.width))
        )
    if layer.shadow is None:
        if layer.gradient is not None:
            # Gradient glows often cover the frame but show only in a corner: keep what shows.
            box = body.getchannel("A").getbbox() or (0, 0, 1, 1)
            return body.crop(box), box[0], box[1]
        return body, 0, 0
    group = Group(0, 0, w, h, shadow_pad(layer.shadow))
    add_shadow(group, mask, 0, 0, layer.shadow, clip=True)
    group.add(body, 0, 0)
    return group.tile, group.x, group.y


def draw_rect(layer: RectLayer, frame: Frame) -> None:
    """Draw a rounded rectangle with optional fill or gradient, outline and shadow."""
    x, y, w, h = layer.box
    key = ("rect", layer.model_dump_json(exclude=_POSITION), w, h)
    tile, dx, dy = cached_tile(key, lambda: _rect_tile(layer))
    frame.put(tile, x + dx, y + dy, layer.opacity)


def _circle_tile(layer: CircleLayer, d: int) -> tuple[Image.Image, int, int]:
    """The finished circle and its offset from its bounding square's top-left."""
    mask = disc_mask(d)
    body = (
        fill((d, d), layer.fill, mask) if layer.fill is not None else Image.new("RGBA", (d, d), (0, 0, 0, 0))
    )
    if layer.outline is not None and layer.outline.width > 0:
        bw = min(layer.outline.width, d // 2)
        inner = Image.new("L", (d, d), 0)
        if d - 2 * bw > 0:
            inner.paste(disc_mask(d - 2 * bw), (bw, bw))
        body.alpha_composite(fill((d, d), layer.outline.color, ImageChops.subtract(mask, inner)))
    if layer.shadow is None:
        return body, 0, 0
    group = Group(0, 0, d, d, shadow_pad(layer.shadow))
    add_shadow(group, mask, 0, 0, layer.shadow, clip=True)
    group.add(body, 0, 0)
    return group.tile, group.x, group.y


def draw_circle(layer: CircleLayer, frame: Frame) -> None:
    """Draw a circle centred on ``center``, with optional fill, inside outline and shadow."""
    cx, cy = layer.center
    d = max(1, round(layer.radius * 2))
    x, y = round(cx - d / 2), round(cy - d / 2)
    key = ("circle", layer.model_dump_json(exclude=_POSITION), d)
    tile, dx, dy = cached_tile(key, lambda: _circle_tile(layer, d))
    frame.put(tile, x + dx, y + dy, layer.opacity)


def draw_line(layer: LineLayer, frame: Frame) -> None:
    """Draw a polyline with rounded joints, and round or flat (butt) caps."""
    pts = layer.points
    half = layer.width / 2
    x0 = math.floor(min(p[0] for p in pts) - half - 1)
    y0 = math.floor(min(p[1] for p in pts) - half - 1)
    x1 = math.ceil(max(p[0] for p in pts) + half + 1)
    y1 = math.ceil(max(p[1] for p in pts) + half + 1)
    w, h = x1 - x0, y1 - y0
    # Supersample for smooth edges, less for huge lines so the scratch image stays small.
    s = max(1, min(4, int(math.sqrt(16_000_000 / max(1, w * h)))))
    big = Image.new("L", (w * s, h * s), 0)
    draw = ImageDraw.Draw(big)
    scaled = [((px - x0) * s, (py - y0) * s) for px, py in pts]
    width = max(1, round(layer.width * s))
    draw.line(scaled, fill=255, width=width, joint="curve")
    if layer.cap == "round":
        r = layer.width * s / 2
        for px, py in (scaled[0], scaled[-1]):
            draw.ellipse((px - r, py - r, px + r, py + r), fill=255)
    mask = big.resize((w, h), Image.Resampling.BOX) if s > 1 else big
    frame.put(fill((w, h), layer.color, mask), x0, y0, layer.opacity)
