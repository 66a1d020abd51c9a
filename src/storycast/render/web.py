"""The web size of a frame: what the knowledge base shows, and what contact sheets are cut from.

A story build makes it where the frame is drawn, while the pixels are in memory: a 2x2 box
reduce and a small JPEG (about 3 ms), in place of decoding the full frame again for its
contact-sheet thumbnail (the thumbnail is now read from this image at half scale). The frame
cache keeps it beside the frame (``frames/<xx>/<key>.web``), so ``kb build`` copies it instead
of decoding and encoding 1080x1920 frames (about 5 ms each).
"""

from __future__ import annotations

import io
from typing import Any

WEB_WIDTH = 540
WEB_QUALITY = 80
WEB_SUFFIX = ".web"  # beside a cached frame: frames/<xx>/<key>.web (a JPEG)


def web_size(width: int, height: int) -> tuple[int, int]:
    """The web version's size: ``WEB_WIDTH`` wide, same aspect (never upscaled)."""
    if width <= WEB_WIDTH:
        return width, height
    return WEB_WIDTH, round(height * WEB_WIDTH / width)


def web_version(image: Any) -> bytes:
    """``image`` (a drawn frame) at web size as a baseline JPEG.

    Frames of twice the web width (1080 wide) are box-reduced 2x2, exact and fast; other sizes
    are resampled with Lanczos."""
    from PIL import Image

    img = image if image.mode == "RGB" else image.convert("RGB")
    w, h = web_size(img.width, img.height)
    if img.size != (w, h):
        factor = img.width // w
        if factor > 1 and img.width == w * factor and img.height == h * factor:
            img = img.reduce(factor)
        else:
            img = img.resize((w, h), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    # Baseline (not progressive) JPEG: about five times faster to encode, and these are small.
    img.save(buf, "JPEG", quality=WEB_QUALITY)
    return buf.getvalue()
