"""The ``progress`` layer: a segmented bar like the stories UI, with an optional step label.

``total`` segments share ``box`` with ``gap`` px between them. Segments before ``current``
(1-based) are ``colors.done``, segment ``current`` is ``colors.active`` (``done`` when unset),
filled to ``active_fill`` (0..1) over the ``todo`` colour, and the rest are ``colors.todo``.
The bar runs in the reading direction: ``direction`` (ltr|rtl) or, when unset, the frame
language's, so in Arabic the first segment is at the right and segments fill leftwards.
``current: 0`` shows an untouched bar. The optional ``label`` draws text such as
"Step {current} of {total}" above or below the bar (localize it in the template).
"""

from __future__ import annotations

from PIL import Image

from ..spec import ProgressLayer, TextLayer
from ..text.bidi import is_rtl_language
from ._base import Frame
from ._paint import fill, rounded_mask
from .text import draw as draw_text_layer


def _segments(layer: ProgressLayer) -> list[tuple[int, int]]:
    """(left, right) of each segment inside the box, rounded so gaps stay even."""
    w = layer.box[2]
    n = layer.total
    seg = (w - layer.gap * (n - 1)) / n
    out = []
    for i in range(n):
        left = round(i * (seg + layer.gap))
        out.append((left, max(left + 1, round(i * (seg + layer.gap) + seg))))
    return out


def draw(layer: ProgressLayer, frame: Frame) -> None:
    """Draw the bar and, when asked, its label."""
    x, y, w, h = layer.box
    if (w - layer.gap * (layer.total - 1)) / layer.total < 1:
        label = f"progress layer {layer.id!r}" if layer.id else "progress layer"
        frame.warn(label, f"the box is too narrow for {layer.total} segments with a {layer.gap} px gap")
    radius = h // 2 if layer.radius is None else layer.radius
    colors = layer.colors
    active = colors.active or colors.done
    rtl = layer.direction == "rtl" if layer.direction else is_rtl_language(frame.ctx.lang)
    tile = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    for i, (start, stop) in enumerate(_segments(layer), start=1):
        left, right = (w - stop, w - start) if rtl else (start, stop)
        sw = right - left
        mask = rounded_mask(sw, h, radius)
        if i < layer.current:
            tile.alpha_composite(fill((sw, h), colors.done, mask), (left, 0))
            continue
        tile.alpha_composite(fill((sw, h), colors.todo, mask), (left, 0))
        if i == layer.current and layer.active_fill > 0:
            part = mask.copy()
            filled = round(sw * layer.active_fill)
            if filled < sw:
                part.paste(0, (0, 0, sw - filled, h) if rtl else (filled, 0, sw, h))
            tile.alpha_composite(fill((sw, h), active, part), (left, 0))
    frame.put(tile, x, y, layer.opacity)

    if layer.label is None:
        return
    lab = layer.label
    text = lab.text.replace("{current}", str(layer.current)).replace("{total}", str(layer.total))
    line_h = round(lab.size * 1.6)
    ly = y + h + lab.gap if lab.position == "below" else y - lab.gap - line_h
    text_layer = TextLayer(
        type="text",
        role="label",
        text=text,
        box=(x, ly, w, line_h),
        font=lab.font,
        size={"max": lab.size, "min": lab.size},  # type: ignore[arg-type]
        max_lines=1,
        line_height=None,
        letter_spacing=0,
        align=lab.align,
        valign="bottom" if lab.position == "above" else "top",
        color=lab.color,
        opacity=layer.opacity,
    )
    draw_text_layer(text_layer, frame, report_id=f"{layer.id or 'progress'}.label")
