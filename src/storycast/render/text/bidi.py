"""The Unicode Bidirectional Algorithm (UAX #9), by FriBiDi.

Pillow's raqm layout already loads FriBiDi to order text, but it shapes one font at a time, and
storycast picks a font per run (Arabic in Noto Sans Arabic, a brand name in Noto Sans, emoji
in a colour font). So the engine asks FriBiDi itself for the embedding level of every
character (``fribidi_get_par_embedding_levels_ex``, the complete algorithm: explicit
embeddings and isolates, weak types such as the separators inside ``10:30`` or ``1,250``,
bracket pairs, neutrals), cuts runs where the level changes, shapes each run with raqm in its
own direction, and places the runs by rule L2. It is the same FriBiDi raqm uses, so a run's
internal order and the order of the runs agree.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import re
import sys
import unicodedata
from functools import lru_cache

from storycast.errors import RenderError

# fribidi-bidi-types.h: the paragraph types are character-type masks.
_PAR_LTR = 0x110  # FRIBIDI_MASK_STRONG | FRIBIDI_MASK_LETTER
_PAR_RTL = 0x111  # ... | FRIBIDI_MASK_RTL
_PAR_ON = 0x40  # FRIBIDI_MASK_NEUTRAL: take the direction from the first strong character

# The names Pillow's own FriBiDi shim loads, so this finds the library raqm uses.
_NAMES = {
    "darwin": ("libfribidi.0.dylib", "libfribidi.dylib"),
    "win32": ("fribidi-0.dll", "libfribidi-0.dll"),
}.get(sys.platform, ("libfribidi.so.0", "libfribidi.so"))

RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "yi", "dv", "ckb", "sd", "ug"})


@lru_cache(maxsize=1)
def _library() -> ctypes.CDLL:
    candidates = list(_NAMES)
    found = ctypes.util.find_library("fribidi")
    if found:
        candidates.append(found)
    for name in candidates:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        u32p = ctypes.POINTER(ctypes.c_uint32)
        lib.fribidi_get_bidi_types.argtypes = [u32p, ctypes.c_int, u32p]
        lib.fribidi_get_bidi_types.restype = None
        lib.fribidi_get_par_embedding_levels_ex.argtypes = [
            u32p,
            u32p,
            ctypes.c_int,
            u32p,
            ctypes.POINTER(ctypes.c_int8),
        ]
        lib.fribidi_get_par_embedding_levels_ex.restype = ctypes.c_int8
        if hasattr(lib, "fribidi_get_bracket_types"):  # FriBiDi 1.0+: rule N0 (bracket pairs)
            lib.fribidi_get_bracket_types.argtypes = [u32p, ctypes.c_int, u32p, u32p]
            lib.fribidi_get_bracket_types.restype = None
        return lib
    raise RenderError(
        "FriBiDi (libfribidi) is not installed, so right-to-left text cannot be ordered.",
        hint="Install it: `apt-get install libfribidi0` (Debian/Ubuntu), `apk add fribidi` (Alpine) "
        "or `brew install fribidi` (macOS); Pillow's raqm layout needs it too.",
    )


def _resolve(text: str, par: int) -> tuple[list[int], int]:
    """(level of each character, paragraph level) for one paragraph."""
    n = len(text)
    if n == 0:
        return [], 1 if par == _PAR_RTL else 0
    lib = _library()
    chars = (ctypes.c_uint32 * n).from_buffer_copy(text.encode("utf-32-le"))
    types = (ctypes.c_uint32 * n)()
    brackets = (ctypes.c_uint32 * n)()
    levels = (ctypes.c_int8 * n)()
    base = ctypes.c_uint32(par)
    lib.fribidi_get_bidi_types(chars, n, types)
    bracket_arg = None
    if hasattr(lib, "fribidi_get_bracket_types"):
        lib.fribidi_get_bracket_types(chars, n, types, brackets)
        bracket_arg = brackets
    top = lib.fribidi_get_par_embedding_levels_ex(types, bracket_arg, n, ctypes.byref(base), levels)
    if top == 0:
        raise RenderError(
            f"FriBiDi could not order the text {text[:40]!r}.",
            hint="Remove unusual control characters (embeddings, overrides, isolates) from the text.",
        )
    return list(levels), 1 if base.value == _PAR_RTL else 0


# A phone number: digit groups separated by single spaces or hyphens, seven digits or more.
_PHONE = re.compile(r"(?<!\w)\+?\d{1,4}(?:[ \u00a0-]\d{1,4}){2,}(?!\w)")
_LRI, _PDI = "\u2066", "\u2069"


def embedding_levels(text: str, base_rtl: bool) -> list[int]:
    """UAX #9 embedding level of every character of one paragraph (even = LTR, odd = RTL).

    ``base_rtl`` sets the paragraph level (rule P3 overridden, as HTML's ``dir`` does): the
    story language decides, not the first letter of the text.

    One higher-level protocol (UAX #9 HL3) applies: a phone number is one left-to-right
    isolate. By the bare algorithm the spaces between its groups are neutrals between numbers,
    which take the paragraph direction, so ``+966 50 123 4567`` would read ``4567 123 50 +966``
    in Arabic; writers put LRI/PDI (or LRM) around such numbers, and this does it for them.
    """
    par = _PAR_RTL if base_rtl else _PAR_LTR
    phones = [m.span() for m in _PHONE.finditer(text) if sum(ch.isdigit() for ch in m.group()) >= 7]
    if not phones:
        return _resolve(text, par)[0]
    marked: list[str] = []
    keep: list[bool] = []
    last = 0
    for start, end in phones:
        marked.extend(text[last:start])
        keep.extend([True] * (start - last))
        marked.extend([_LRI, *text[start:end], _PDI])
        keep.extend([False, *([True] * (end - start)), False])
        last = end
    marked.extend(text[last:])
    keep.extend([True] * (len(text) - last))
    levels = _resolve("".join(marked), par)[0]
    return [level for level, kept in zip(levels, keep, strict=True) if kept]


def first_strong_direction(text: str) -> str | None:
    """'ltr' or 'rtl' by rules P2-P3 (the first strong character outside isolates), or None."""
    for paragraph in text.split("\n"):
        if any(unicodedata.bidirectional(ch) in ("L", "R", "AL") for ch in paragraph):
            return "rtl" if _resolve(paragraph, _PAR_ON)[1] else "ltr"
    return None


def is_rtl_language(lang: str | None) -> bool:
    """Whether a story language (BCP 47 or ``ll_CC``) is written right to left."""
    base = (lang or "").split("-")[0].split("_")[0].lower()
    return base in RTL_LANGUAGES


def paragraph_direction(text: str, lang: str | None = None) -> str:
    """'rtl' or 'ltr' for a text.

    A right-to-left story language decides (an Arabic step that opens with "WhatsApp" is still
    an Arabic paragraph); otherwise the first strong character does (UAX #9 P2/P3).
    """
    if is_rtl_language(lang):
        return "rtl"
    return first_strong_direction(text) or "ltr"


def visual_order(levels: list[int]) -> list[int]:
    """Indices of runs in visual (left-to-right) order, by UAX #9 rule L2.

    From the highest level down to the lowest odd level, every maximal sequence of items at
    that level or higher is reversed.
    """
    order = list(range(len(levels)))
    if not levels:
        return order
    top = max(levels)
    lowest_odd = min((lv for lv in levels if lv % 2), default=top + 1)
    for level in range(top, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] >= level:
                j = i
                while j < len(order) and levels[order[j]] >= level:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    return order
