"""Contact sheets: every frame of a build downscaled into one numbered grid (PNG).

Used by people reviewing a build (and by the lead, who looks at the Thai, Hindi and Serbian
sheets before shipping). ``contact_sheet`` makes one story/language; ``overview`` stacks the
sheets of several languages with a language label per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image, ImageFont

THUMB_W = 270
THUMB_H = 480
GAP = 24
LABEL_H = 44
BG = (18, 22, 33)
LABEL = (226, 230, 240)


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    from .. import resources

    # The packaged Noto Sans Bold when present (same on every machine), else Pillow's own.
    for name in ("NotoSans-Bold.ttf", "NotoSans-Regular.ttf"):
        path = resources.assets_dir() / "fonts" / name
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def thumbnail(frame: Image.Image, width: int = THUMB_W, height: int = THUMB_H) -> Image.Image:
    """A frame reduced to thumbnail size (box-filter reduce first: fast and clean)."""
    from PIL import Image

    img = frame.convert("RGB")
    factor = max(1, min(img.width // width, img.height // height))
    if factor > 1:
        img = img.reduce(factor)
    if img.size != (width, height):
        img = img.resize((width, height), Image.Resampling.LANCZOS)
    return img


def contact_sheet(
    frames: Sequence[Image.Image], *, columns: int | None = None, title: str = ""
) -> Image.Image:
    """A grid of numbered thumbnails (frame numbers under each)."""
    from PIL import Image, ImageDraw

    n = max(1, len(frames))
    cols = columns or min(n, 4 if n <= 8 else 5)
    rows = (n + cols - 1) // cols
    top = LABEL_H + GAP if title else GAP
    width = cols * THUMB_W + (cols + 1) * GAP
    height = top + rows * (THUMB_H + LABEL_H + GAP)
    sheet = Image.new("RGB", (width, height), BG)
    draw = ImageDraw.Draw(sheet)
    font = _font(26)
    if title:
        draw.text((GAP, GAP), title, font=_font(30), fill=LABEL)
    for i, frame in enumerate(frames):
        r, c = divmod(i, cols)
        x = GAP + c * (THUMB_W + GAP)
        y = top + r * (THUMB_H + LABEL_H + GAP)
        sheet.paste(thumbnail(frame), (x, y))
        draw.text((x + THUMB_W // 2, y + THUMB_H + 8), f"{i + 1:02d}", font=font, fill=LABEL, anchor="mt")
    return sheet


def overview(sheets: Sequence[tuple[str, Image.Image]]) -> Image.Image:
    """Contact sheets of several languages stacked vertically, each row labelled by language."""
    from PIL import Image, ImageDraw

    label_w = 110
    width = label_w + max(s.width for _, s in sheets)
    height = sum(s.height for _, s in sheets)
    out = Image.new("RGB", (width, height), BG)
    draw = ImageDraw.Draw(out)
    y = 0
    for lang, sheet in sheets:
        out.paste(sheet, (label_w, y))
        draw.text(
            (label_w // 2 + GAP // 2, y + GAP + THUMB_H // 2), lang, font=_font(40), fill=LABEL, anchor="mm"
        )
        y += sheet.height
    return out


def png_bytes(image: Image.Image) -> bytes:
    """PNG bytes of an RGB image: no filtering, zlib level 1, no metadata (deterministic).

    Pillow's encoder tries every row filter, which costs more than the whole contact sheet;
    review images do not need the last kilobytes, so the rows go to zlib unfiltered.
    """
    import struct
    import zlib

    rgb = image.convert("RGB") if image.mode != "RGB" else image
    w, h = rgb.size
    raw = rgb.tobytes()
    stride = w * 3
    rows = b"".join(b"\x00" + raw[i : i + stride] for i in range(0, len(raw), stride))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 1))
        + chunk(b"IEND", b"")
    )
