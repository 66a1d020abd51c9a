"""Colour emoji from bitmap fonts (CBDT/sbix), which FreeType only renders at their strike size.

Each emoji is drawn once at the strike size (109 px for Noto Color Emoji) with
``embedded_color`` on a transparent layer, trimmed, resized with LANCZOS to the text size and
cached, so a frame pastes ready-made RGBA images.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from storycast.render.text.fonts import FontFace, FontLibrary, strike_size

if TYPE_CHECKING:
    from PIL import Image

_lock = threading.Lock()
_cache: dict[tuple[str, str, int], tuple[Image.Image, int, int]] = {}


def emoji_image(
    fonts: FontLibrary, face: FontFace, cluster: str, scale: float
) -> tuple[Image.Image, int, int]:
    """RGBA image of *cluster* scaled by *scale*, with its offset (dx, dy) from the pen
    position on the baseline to the image's top-left corner."""
    key = (face.key, cluster, round(scale * 1000))
    hit = _cache.get(key)
    if hit is not None:
        return hit
    from PIL import Image as PILImage

    base, left, top = _strike_image(fonts, face, cluster)
    w = max(1, round(base.width * scale))
    h = max(1, round(base.height * scale))
    img = base.resize((w, h), PILImage.Resampling.LANCZOS)
    result = (img, round(left * scale), round(top * scale))
    with _lock:
        if len(_cache) > 4096:
            _cache.clear()
        _cache[key] = result
    return result


_strikes: dict[tuple[str, str], tuple[Image.Image, int, int]] = {}


def _strike_image(fonts: FontLibrary, face: FontFace, cluster: str) -> tuple[Image.Image, int, int]:
    """The emoji at the font's strike size, trimmed to its ink, and its offset from the pen."""
    key = (face.key, cluster)
    hit = _strikes.get(key)
    if hit is not None:
        return hit
    from PIL import Image as PILImage
    from PIL import ImageDraw

    font = fonts.font(face, strike_size(face))
    left, top, right, bottom = (int(v) for v in font.getbbox(cluster, anchor="ls"))
    img = PILImage.new("RGBA", (max(1, right - left), max(1, bottom - top)), (0, 0, 0, 0))
    ImageDraw.Draw(img).text((-left, -top), cluster, font=font, anchor="ls", embedded_color=True)
    result = (img, left, top)
    with _lock:
        if len(_strikes) > 2048:
            _strikes.clear()
        _strikes[key] = result
    return result
