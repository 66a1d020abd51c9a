"""QR codes and barcodes in pictures, decoded with zxing-cpp (the ZXing C++ port's Python wheel).

A QR code in a screenshot is data nobody reads by eye: a sign-in link with a session, a
password-reset token, a Wi-Fi password, a contact card. The guard decodes every code and runs
the personal-data detectors on its content.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Code:
    """One decoded code: its format ('QRCode', 'EAN13'...), text, and box (x, y, w, h)."""

    format: str
    text: str
    box: tuple[int, int, int, int]


class DecoderMissing(Exception):
    """zxing-cpp is not importable."""


def decode(image: Any) -> list[Code]:
    """Every QR code and barcode zxing-cpp finds in a PIL image."""
    try:
        import zxingcpp
    except ImportError:
        raise DecoderMissing("zxing-cpp is not installed") from None
    rgb = image.convert("RGB") if image.mode not in ("RGB", "L") else image
    codes = []
    for found in zxingcpp.read_barcodes(rgb):
        pos = found.position
        corners = [pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left]
        xs, ys = [p.x for p in corners], [p.y for p in corners]
        x0, y0 = max(0, min(xs)), max(0, min(ys))
        box = (x0, y0, max(xs) - x0 + 1, max(ys) - y0 + 1)
        codes.append(Code(str(getattr(found.format, "name", found.format)), found.text or "", box))
    return codes


def quiet_zone(box: tuple[int, int, int, int], size: tuple[int, int]) -> tuple[int, int, int, int]:
    """``box`` grown by a tenth of its size on every side (a code's finder patterns sit on its
    edge: covering only the decoded corners can leave a readable code behind), within the image."""
    x, y, w, h = box
    pad = max(4, max(w, h) // 10)
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(size[0], x + w + pad), min(size[1], y + h + pad)
    return x0, y0, x1 - x0, y1 - y0
