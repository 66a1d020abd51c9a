"""Redaction: a copy of a picture with every region the image rules report covered.

The copy is read again after covering (OCR and code decoding, as lint does); whatever is still
found, such as a number the first reading split differently, is covered in another round.
The copy keeps no metadata (EXIF, GPS, text chunks). The original is never written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .images import Box, ImageHit, Scanner, Unreadable, open_picture

MAX_ROUNDS = 3
STYLES = ("box", "blur")


@dataclass
class Redaction:
    """What redacting one picture did: the covered regions and what reading the copy still finds."""

    source: Path
    target: Path
    covered: list[ImageHit] = field(default_factory=list)
    remaining: list[ImageHit] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


_KEPT_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def target_for(source: Path, out_dir: Path | None) -> Path:
    """Where the copy of ``source`` goes: ``out_dir/NAME`` or ``NAME-redacted.EXT`` beside it
    (other formats than PNG, JPEG and WebP are written as PNG)."""
    suffix = source.suffix if source.suffix.lower() in _KEPT_SUFFIXES else ".png"
    if out_dir is None:
        return source.with_name(f"{source.stem}-redacted{suffix}")
    return out_dir / f"{source.stem}{suffix}"


def _grow(box: Box, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """``box`` as (left, top, right, bottom) with a margin of a quarter of its height."""
    x, y, w, h = box
    pad = max(3, h // 4)
    return max(0, x - pad), max(0, y - pad), min(size[0], x + w + pad), min(size[1], y + h + pad)


def cover(image: Any, boxes: Iterable[Box], style: str) -> Any:
    """``image`` with each box filled (``box``) or pixelated and blurred (``blur``)."""
    from PIL import Image, ImageDraw, ImageFilter

    out = image.copy()
    draw = ImageDraw.Draw(out)
    for box in boxes:
        left, top, right, bottom = _grow(box, out.size)
        if right <= left or bottom <= top:
            continue
        if style == "blur":
            # Pixelate first: a plain blur of large text can stay readable.
            part = out.crop((left, top, right, bottom))
            cells = (max(1, (right - left) // 12), max(1, (bottom - top) // 12))
            part = part.resize(cells, Image.Resampling.BOX).resize(part.size, Image.Resampling.NEAREST)
            out.paste(part.filter(ImageFilter.GaussianBlur(max(4, (bottom - top) // 3))), (left, top))
        else:
            draw.rectangle((left, top, right - 1, bottom - 1), fill=(40, 40, 40) if out.mode == "RGB" else 40)
    return out


def redact(
    scanner: Scanner,
    source: Path,
    target: Path,
    passes: list[tuple[str, ...]],
    *,
    rules: set[str] | None = None,
    style: str = "box",
) -> Redaction:
    """Write ``target``: ``source`` with what the image rules find (only ``rules``, when given)
    covered. The caller makes sure ``target`` is not ``source``. A picture that cannot be
    read raises :class:`~storycast.errors.ContentError` naming it."""
    from ..errors import ContentError
    from . import ocr

    result = Redaction(source, target)
    try:
        image = open_picture(source)
    except Unreadable as exc:
        raise ContentError(str(exc), hint="pass a PNG, JPEG or WebP picture") from None
    fmt = _format(source)

    def found(picture: Any, digest: str | None = None) -> list[ImageHit]:
        if digest is None:
            scan = scanner.scan_image(picture, passes)
        else:  # the untouched picture: lint's reading of the same file is in the cache
            scan = scanner.scan(digest, lambda: picture, passes)
        for _rule, message, hint in scan.problems:
            text = f"{message} ({hint})" if hint else message
            if text not in result.problems:
                result.problems.append(text)
        return [h for h in scan.hits if rules is None or h.rule in rules]

    hits = found(image, ocr.file_sha256(source))
    rounds = 0
    while hits and rounds < MAX_ROUNDS:
        result.covered.extend(hits)
        # A blur that still reads after two rounds is boxed: the copy must come out clean.
        image = cover(image, [b for h in hits for b in h.boxes], style if rounds < 2 else "box")
        rounds += 1
        hits = found(image)
    result.remaining = hits
    _save(image, target, fmt)
    return result


def _format(path: Path) -> str:
    """The file format Pillow sees in ``path`` ("PNG", "JPEG"...), read from its header."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return im.format or "PNG"
    except Exception:
        return "PNG"


def _save(image: Any, target: Path, fmt: str) -> None:
    """Save without any metadata, through a temp file and a rename."""
    import io

    from ..files import replace_atomically

    buf = io.BytesIO()
    fmt = fmt.upper()
    if fmt in ("JPEG", "MPO"):
        image.convert("RGB").save(buf, "JPEG", quality=95)
    elif fmt == "WEBP":
        image.save(buf, "WEBP", quality=95)
    else:
        image.save(buf, "PNG")
    target.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(target, buf.getvalue(), mode=0o644)
