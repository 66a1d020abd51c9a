"""Colour parsing for frame specs.

Frame specs write colours as hex strings: ``#RGB``, ``#RGBA``, ``#RRGGBB`` or ``#RRGGBBAA``
(the last two digits are the alpha, ``00`` transparent to ``FF`` opaque), or the word
``transparent``. Templates normally write brand colours through Jinja
(``{{ brand.primary }}``), but a spec may also name a colour of the palette the caller passes
(for example ``primary``); :func:`parse_color` resolves those names.

Colours are kept as ``(r, g, b, a)`` tuples of 0..255 ints, which Pillow takes directly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..errors import RenderError

RGBA = tuple[int, int, int, int]

_HEX = re.compile(r"^#([0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")

TRANSPARENT: RGBA = (0, 0, 0, 0)

# A handful of plain names authors reach for; anything subtler should be a brand colour or hex.
BASIC_NAMES: dict[str, RGBA] = {
    "transparent": TRANSPARENT,
    "white": (255, 255, 255, 255),
    "black": (0, 0, 0, 255),
}


class ColorError(ValueError):
    """A colour string could not be understood (a ValueError so pydantic reports it per key)."""


def _parse_hex(digits: str) -> RGBA:
    if len(digits) in (3, 4):
        digits = "".join(ch * 2 for ch in digits)
    if len(digits) == 6:
        digits += "ff"
    r, g, b, a = (int(digits[i : i + 2], 16) for i in (0, 2, 4, 6))
    return (r, g, b, a)


def parse_color(value: object, palette: Mapping[str, str] | None = None) -> RGBA:
    """Turn a colour value into an ``(r, g, b, a)`` tuple.

    Accepts hex strings, ``transparent``/``white``/``black``, a name from ``palette`` (whose
    values are hex strings), or an already-parsed 3- or 4-tuple. Raises :class:`ColorError`
    (a ``ValueError``) with a sentence that says how to write the colour instead.
    """
    if (
        isinstance(value, (tuple, list))
        and len(value) in (3, 4)
        and all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in value)
    ):
        rgba = tuple(value) if len(value) == 4 else (*value, 255)
        return rgba  # type: ignore[return-value]
    if not isinstance(value, str):
        raise ColorError(f'{value!r} is not a colour; write it as a string like "#2454E6"')
    text = value.strip()
    m = _HEX.match(text)
    if m:
        return _parse_hex(m.group(1))
    lowered = text.lower()
    if lowered in BASIC_NAMES:
        return BASIC_NAMES[lowered]
    if palette and text in palette:
        inner = palette[text]
        m = _HEX.match(inner.strip())
        if not m:
            raise ColorError(f"the palette colour {text!r} is {inner!r}, which is not a #RRGGBB colour")
        return _parse_hex(m.group(1))
    if text.startswith("#") or not _NAME.match(text):
        raise ColorError(
            f"{value!r} is not a colour; write it as #RRGGBB, or #RRGGBBAA with an alpha "
            f"(for example #2454E6 or #00000080)"
        )
    known = ", ".join(sorted(palette)) if palette else ""
    hint = f"; known names: {known}" if known else "; use a hex value such as #2454E6 or {{ brand.primary }}"
    raise ColorError(f"{value!r} is not a colour name storycast knows{hint}")


def to_hex(rgba: RGBA) -> str:
    """``#RRGGBB`` for an opaque colour, ``#RRGGBBAA`` otherwise (the form reports use)."""
    r, g, b, a = rgba
    return f"#{r:02X}{g:02X}{b:02X}" if a == 255 else f"#{r:02X}{g:02X}{b:02X}{a:02X}"


def with_alpha(rgba: RGBA, factor: float) -> RGBA:
    """The same colour with its alpha multiplied by ``factor`` (0..1)."""
    r, g, b, a = rgba
    return (r, g, b, max(0, min(255, round(a * factor))))


def color_or_error(value: object, *, where: str, palette: Mapping[str, str] | None = None) -> RGBA:
    """:func:`parse_color` for code outside spec validation: raise RenderError naming ``where``."""
    try:
        return parse_color(value, palette)
    except ColorError as exc:
        raise RenderError(
            f"{where}: {exc}", hint="colours are #RGB, #RRGGBB or #RRGGBBAA hex strings"
        ) from None
