"""The ``text`` layer: text laid out by the text engine inside a box.

The text engine (:mod:`storycast.render.text`) chooses the font per script, breaks lines
(Thai by dictionary words), shrinks the size between ``size.max`` and ``size.min`` until the
text fits ``box`` and ``max_lines``, then breaks words too long for a line (hyphenation, URLs
after their separators), and as a last resort cuts it with an ellipsis. The frame is always
drawn: lint's ``layout.overflow`` reports the cut text (before rendering) and blocks publishing.
``balance: true`` (headlines) keeps the fitted size and line count but evens out the line
lengths, so a title does not end on a lone word.

``role`` (heading, body, caption, label) supplies defaults for size, weight and line height,
so most layers only need ``text`` and ``box``. The direction comes from the language (Arabic,
Hebrew, Persian and Urdu are right to left); ``align: start`` follows it.

``background`` draws a rounded panel behind the text, fitted to the laid-out lines (not to the
box), like Instagram's text background: ``mode: block`` is one panel around all lines,
``mode: lines`` one panel per line.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageChops

from ..colors import to_hex
from ..spec import TextBackground, TextLayer
from ..text import Shadow as TextShadow
from ..text import TextLayout, TextRequest, draw_text, layout_text
from ._base import Frame, TextReport
from ._paint import fill, rounded_mask


@dataclass(frozen=True)
class RoleStyle:
    """Defaults a role gives a text layer that does not set them."""

    size_max: float
    size_min: float
    weight: int
    line_height: float


ROLES: dict[str, RoleStyle] = {
    # Floors follow the accessibility notes: about 44 px body and 60+ px headlines at 1080 wide.
    "heading": RoleStyle(96, 60, 700, 1.15),
    "body": RoleStyle(56, 44, 400, 1.3),
    "caption": RoleStyle(40, 32, 400, 1.3),
    "label": RoleStyle(34, 28, 700, 1.2),
}

DEFAULT_FAMILY = "Noto Sans"


def layer_label(layer: TextLayer) -> str:
    return f"text layer {layer.id!r}" if layer.id else f"{layer.role} text {layer.text[:24]!r}"


def _block_top(layout: TextLayout, y: int, h: int, valign: str) -> float:
    """Where draw_text puts the top of the block (the same rule, so panels line up)."""
    if valign == "bottom":
        return y + h - layout.height
    if valign == "middle":
        return y + (h - layout.height) / 2
    return float(y)


def _panel_mask(
    layout: TextLayout, bg: TextBackground, size: tuple[int, int], origin: tuple[float, float]
) -> Image.Image:
    """The text background's shape as an ``L`` mask of ``size``; ``origin`` is the block's top-left."""
    ox, oy = origin
    px, py = bg.padding
    mask = Image.new("L", size, 0)
    lines = [ln for ln in layout.lines if ln.width > 0]
    if not lines:
        return mask
    rects: list[tuple[int, int, int, int]] = []
    if bg.mode == "block":
        left = min(ln.x for ln in lines)
        right = max(ln.x + ln.width for ln in lines)
        rects.append(
            (round(ox + left - px), round(oy - py), round(ox + right + px), round(oy + layout.height + py))
        )
    else:
        pitch = layout.height / max(1, len(layout.lines))
        for i, ln in enumerate(layout.lines):
            if ln.width <= 0:
                continue
            top = oy + i * pitch
            rects.append(
                (
                    round(ox + ln.x - px),
                    round(top - py),
                    round(ox + ln.x + ln.width + px),
                    round(top + pitch + py),
                )
            )
    for x0, y0, x1, y1 in rects:
        w, h = x1 - x0, y1 - y0
        if w <= 0 or h <= 0:
            continue
        shape = Image.new("L", size, 0)
        shape.paste(rounded_mask(w, h, bg.radius), (x0, y0))
        mask = ImageChops.lighter(mask, shape) if len(rects) > 1 else shape
    return mask


def text_request(layer: TextLayer, lang: str) -> TextRequest:
    """What the text engine is asked to lay out for ``layer`` (``lang``: the frame's language).

    The guard's ``layout.overflow`` rule lays out the same requests without drawing.
    """
    role = ROLES[layer.role]
    size_max = layer.size.max if layer.size else role.size_max
    size_min = layer.size.min if layer.size else min(role.size_min, size_max)
    return TextRequest(
        text=layer.text,
        lang=layer.lang or lang,
        family=layer.font.family or DEFAULT_FAMILY,
        weight=layer.font.weight or role.weight,  # type: ignore[arg-type]  # the engine takes 100..900 too
        size_max=max(1, round(size_max)),
        size_min=max(1, round(size_min)),
        max_lines=layer.max_lines,
        line_height=layer.line_height or role.line_height,
        letter_spacing=layer.letter_spacing,
        align=layer.align,
        balance=layer.balance,
        heading=layer.role == "heading",
    )


def emoji_boxes(layout: TextLayout, x: int, top: float) -> list[tuple[int, int, int, int]]:
    """Where colour emoji are drawn, ``(x, y, w, h)`` on the frame, for the contrast check."""
    boxes = []
    for line in layout.lines:
        for run in line.runs:
            if run.emoji:
                y0 = top + line.baseline - layout.size
                boxes.append(
                    (round(x + line.x + run.x), round(y0), round(run.width), round(layout.size * 1.25))
                )
    return boxes


def draw(layer: TextLayer, frame: Frame, *, report_id: str | None = None) -> None:
    """Lay out and draw ``layer``; append its :class:`~._base.TextReport` to the frame."""

    x, y, w, h = layer.box
    req = text_request(layer, frame.ctx.lang)
    layout = layout_text(req, w, h, frame.ctx.fonts)
    label = layer_label(layer)
    top = _block_top(layout, y, h, layer.valign)
    stroke = layer.stroke.width if layer.stroke else 0
    shadow = None
    if layer.shadow is not None:
        sx, sy = layer.shadow.offset
        shadow = TextShadow(round(sx), round(sy), layer.shadow.color, layer.shadow.blur / 2)

    # Draw straight onto the canvas when possible; with opacity < 1 the panel and the text must
    # fade together, so they go through one transparent tile instead.
    margin = int(stroke + layout.size * 0.6 + 4)
    if layer.background is not None:
        margin += max(layer.background.padding)
    if layer.shadow is not None:
        margin += int(layer.shadow.blur * 1.5 + max(abs(v) for v in layer.shadow.offset))
    if layer.opacity >= 1:
        target, tx, ty = frame.canvas, 0, 0
    else:
        ty = int(min(y, top)) - margin
        bottom = int(max(y + h, top + layout.height)) + margin
        tx = x - margin
        target = Image.new("RGBA", (w + 2 * margin, bottom - ty), (0, 0, 0, 0))

    if layer.background is not None:
        # The panel is built in a local tile around the box, then composited where it belongs.
        px0, py0 = x - margin, int(min(y, top)) - margin
        size = (w + 2 * margin, int(max(y + h, top + layout.height)) + margin - py0)
        panel = _panel_mask(layout, layer.background, size, (x - px0, top - py0))
        tile = fill(size, layer.background.color, panel)
        if target.mode == "RGBA":
            target.alpha_composite(tile, (px0 - tx, py0 - ty))
        else:
            target.paste(tile, (px0, py0), tile)

    draw_text(
        target,
        layout,
        (x - tx, y - ty, x - tx + w, y - ty + h),
        color=layer.color,
        valign=layer.valign,
        stroke_width=stroke,
        stroke_color=layer.stroke.color if layer.stroke else None,
        shadow=shadow,
    )
    if target is not frame.canvas:
        frame.put(target, tx, ty, layer.opacity)

    warnings = list(layout.warnings)
    for message in warnings:
        frame.warn(label, message)
    frame.texts.append(
        TextReport(
            id=report_id or layer.id,
            role=layer.role,
            box=layer.box,
            lines=[ln.text for ln in layout.lines],
            size=layout.size,
            size_min=req.size_min,
            size_max=req.size_max,
            truncated=layout.truncated,
            shrunk_to_min=layout.shrunk_to_min,
            color=to_hex(layer.color),
            warnings=warnings,
            background=to_hex(layer.background.color) if layer.background else None,
            lang=req.lang,
            direction=layout.direction,
            text=layer.text,
            emoji=emoji_boxes(layout, x, top),
        )
    )
