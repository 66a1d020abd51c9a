"""The ``qr`` layer: a QR code (segno) drawn crisp on a square tile.

The code is square: it uses the largest square that fits in ``box``, centred. Modules are a
whole number of pixels wide so every module has the same size (scanners prefer that); the few
pixels left over become extra background around the ``quiet_zone`` (in modules, 2 by default;
4 is the standard's recommendation for printed codes). ``error`` is the minimum error
correction level (L 7%, M 15%, Q 25%, H 30%); segno raises it when that costs no extra size.
"""

from __future__ import annotations

from functools import lru_cache

import segno
from PIL import Image

from ...errors import RenderError
from ..spec import QrLayer
from ._base import Frame
from ._paint import fill, masked, rounded_mask


@lru_cache(maxsize=64)
def _modules(data: str, error: str) -> Image.Image:
    """The code's modules as an ``L`` image, one pixel per module, 255 = dark."""
    try:
        code = segno.make(data, error=error, micro=False)
    except segno.DataOverflowError:
        raise RenderError(
            f"the QR code data is too long ({len(data)} characters) for error correction level {error}",
            hint="use a shorter URL (a link shortener or a short path), or error: L",
        ) from None
    n = len(code.matrix)
    img = Image.new("L", (n, n), 0)
    img.putdata([255 if v else 0 for row in code.matrix for v in row])
    return img


def draw(layer: QrLayer, frame: Frame) -> None:
    """Draw the QR code and its background tile."""
    x, y, w, h = layer.box
    side = min(w, h)
    mods = _modules(layer.data, layer.error)
    n = mods.width + 2 * layer.quiet_zone
    module_px = side // n
    label = f"qr layer {layer.id!r}" if layer.id else "qr layer"
    if module_px < 1:
        raise RenderError(
            f"{label}: the box is {side} px but the code needs {n} modules",
            hint="make the QR box bigger (at least 5 px per module is scannable on a phone)",
        )
    if module_px < 4:
        frame.warn(label, f"modules are only {module_px} px; phones scan codes with 4 px or more per module")
    tile = fill(
        (side, side), layer.background, rounded_mask(side, side, layer.radius) if layer.radius else None
    )
    code_px = module_px * mods.width
    code_mask = mods.resize((code_px, code_px), Image.Resampling.NEAREST)
    offset = (side - code_px) // 2
    dark = fill((code_px, code_px), layer.color)
    tile.alpha_composite(masked(dark, code_mask), (offset, offset))
    frame.put(tile, x + (w - side) // 2, y + (h - side) // 2, layer.opacity)
