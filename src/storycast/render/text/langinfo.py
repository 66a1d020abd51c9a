"""What a template needs to know about a language's writing: script, direction, line height.

The script is the one CLDR says the language is most likely written in (``sr`` -> Cyrillic,
``sr-Latn`` -> Latin, ``ar`` -> Arabic), through Babel's likely subtags. The line height is
measured, not listed: the language's month and day names (real words from CLDR, in the
language's own script) are laid out in the brand font and the ink from their tallest mark to
their deepest descender gives the line pitch the text engine will use for such text. Arabic's
hamza and shadda above and its descenders below need about 1.5 em; Latin about 1.07 em.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from fontTools import unicodedata as ucd

from storycast.render.text.bidi import is_rtl_language
from storycast.render.text.fonts import FontLibrary
from storycast.render.text.runs import bcp47, prepare

GAP_EM = 0.06  # the clear space the layout keeps between the ink of two lines (layout.GAP_EM)

# Scripts whose vowel signs and marks sit above and below the letters (and stack there): the
# default templates give their text more leading than the measured minimum, for legibility.
STACKING_SCRIPTS = frozenset(
    {
        "Thai", "Laoo", "Khmr", "Mymr", "Tibt", "Bali", "Java",
        "Deva", "Beng", "Guru", "Gujr", "Orya", "Taml", "Telu", "Knda", "Mlym", "Sinh",
        "Arab", "Hebr", "Syrc", "Thaa", "Nkoo",
    }
)  # fmt: skip


@dataclass(frozen=True)
class LanguageInfo:
    """A language's writing, as templates see it (``script`` in the template context)."""

    code: str  # ISO 15924 script code: "Arab"
    name: str  # Unicode script name: "Arabic"
    dir: str  # "ltr" | "rtl"
    tall: bool  # marks stack above and below the letters
    line: float  # line pitch (em) the language's ordinary words need

    def as_context(self) -> dict[str, object]:
        return {"code": self.code, "name": self.name, "dir": self.dir, "tall": self.tall, "line": self.line}


def language_script(lang: str) -> str:
    """ISO 15924 code of the script *lang* is most likely written in ("Latn" when unknown)."""
    from babel.core import get_global, parse_locale

    tag = (bcp47(lang) or "en").replace("-", "_")
    try:
        parts = parse_locale(tag)
    except ValueError:
        return "Latn"
    if parts[2]:
        return parts[2]
    likely = get_global("likely_subtags")
    for key in (tag, parts[0]):
        full = likely.get(key) or likely.get(key.lower())
        if full:
            try:
                script = parse_locale(full)[2]
            except ValueError:
                continue
            if script:
                return script
    return "Latn"


def _sample(lang: str) -> str:
    """The language's month and day names, from CLDR (empty when Babel has no such locale)."""
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse((bcp47(lang) or "en").replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return ""
    words = [*locale.months["format"]["wide"].values(), *locale.days["format"]["wide"].values()]
    return " ".join(words)


_cache: dict[tuple[str, int, str], tuple[FontLibrary, LanguageInfo]] = {}
_lock = threading.Lock()


def language_info(lang: str, fonts: FontLibrary, family: str) -> LanguageInfo:
    """Script, direction and measured line pitch of *lang* in *family* (cached per library)."""
    key = (lang, id(fonts), family)
    hit = _cache.get(key)
    if hit is not None and hit[0] is fonts:  # id() alone could be reused by a new library
        return hit[1]
    info = _measure(lang, fonts, family)
    with _lock:
        if len(_cache) > 256:
            _cache.clear()
        _cache[key] = (fonts, info)
    return info


def _measure(lang: str, fonts: FontLibrary, family: str) -> LanguageInfo:
    code = language_script(lang)
    rtl = is_rtl_language(lang) or code in ("Arab", "Hebr", "Syrc", "Thaa", "Nkoo", "Adlm", "Rohg")
    line = 1.0
    sample = _sample(lang)
    if sample:
        prep = prepare(sample, bcp47(lang), family, "bold", rtl, fonts)
        units = [u for para in prep.paragraphs for u in para.units]
        top = max((u.top_em for u in units), default=0.0)
        bottom = max((u.bottom_em for u in units), default=0.0)
        line = max(1.0, round(top + bottom + GAP_EM, 2))
    name = ucd.script_name(code, default=code)
    return LanguageInfo(code, name, "rtl" if rtl else "ltr", code in STACKING_SCRIPTS, line)
