"""Where a word too long for its line may be broken: hyphenation, URL separators, last resort.

Only words that do not fit the box on their own at the minimum size are broken (ordinary text
wraps at word boundaries). In order of preference:

* a URL, a path or an e-mail address breaks after its separators (``/ . ? & = - _ # @``),
  with no hyphen added: ``lumen.example/`` ``support/`` ``reset?lang=es``;
* a word breaks at its hyphenation points from the language's pyphen (Hunspell) dictionary,
  with a hyphen drawn at the end of the line: ``con-`` ``figuración``, ``апли-`` ``кација``.
  Serbian in Latin letters uses the ``sr_Latn`` patterns;
* otherwise (no dictionary, as for Hindi, or a word with no point left) between two grapheme
  clusters, with a hyphen for scripts that write one (not for Thai, Lao, Khmer, Burmese or CJK).

Every break keeps at least ``MIN_PART`` characters on each side where it can.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from storycast.render.text.scripts import script_of

MIN_PART = 2  # characters kept on each side of a dictionary break
HYPHEN = "-"  # drawn at the end of a line that ends inside a word (U+2010 is missing from some fonts)
URL_SEPARATORS = frozenset("/.?&=-_#@:")
# Scripts that mark a word broken across lines with no hyphen.
_NO_HYPHEN_SCRIPTS = frozenset({"Thai", "Lao", "Khmer", "Myanmar", "Han", "Hiragana", "Katakana", "Hangul"})
_URL = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://|www\.)\S+$"  # scheme or www.
    r"|^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$"  # e-mail address
    r"|^[\w-]+(?:\.[\w-]+)+/\S*$",  # domain/path
    re.IGNORECASE,
)
_lock = threading.Lock()


@dataclass(frozen=True)
class BreakPoint:
    """A place inside a word where a line may end: offset into the word, and whether a hyphen
    is drawn at the end of the line when it does."""

    offset: int
    hyphen: bool


def is_url(word: str) -> bool:
    """Whether *word* reads as a URL, a domain with a path, or an e-mail address."""
    return bool(_URL.match(word.strip()))


def url_points(word: str) -> list[BreakPoint]:
    """Breaks after the separators of a URL (never inside ``://`` or before the first letter)."""
    out: list[BreakPoint] = []
    scheme = word.find("://")
    skip_to = scheme + 3 if scheme >= 0 else 0
    for i, ch in enumerate(word[:-1]):
        end = i + 1
        if end <= skip_to or ch not in URL_SEPARATORS:
            continue
        if word[end] in URL_SEPARATORS:  # "//", "?&": break after the last one of a row
            continue
        out.append(BreakPoint(end, False))
    return out


def _dictionary_code(lang: str | None, word: str) -> str | None:
    """The pyphen dictionary for *word* in *lang* (sr in Latin letters: sr_Latn), if any."""
    if not lang:
        return None
    primary = lang.replace("_", "-").split("-")[0].lower()
    if primary == "sr" and any(script_of(ch) == "Latin" for ch in word):
        return "sr_Latn"
    import pyphen

    found = pyphen.language_fallback(lang.replace("-", "_"))
    return str(found) if found else None


@lru_cache(maxsize=32)
def _dictionary(code: str) -> Any:
    import pyphen

    with _lock:
        return pyphen.Pyphen(lang=code, left=MIN_PART, right=MIN_PART)


def dictionary_points(word: str, lang: str | None) -> list[int]:
    """Hyphenation points of *word* from its language's dictionary (offsets; [] without one).

    Each run of letters is hyphenated on its own, so "Wi-Fi-Einstellungen" or "Lumen2Go" keep
    their other characters whole.
    """
    code = _dictionary_code(lang, word)
    if code is None:
        return []
    hyph = _dictionary(code)
    out: list[int] = []
    for m in re.finditer(r"[^\W\d_]+", word):
        out.extend(m.start() + p for p in hyph.positions(m.group()))
    return out


def writes_hyphen(ch: str) -> bool:
    """Whether a word of *ch*'s script broken across lines shows a hyphen."""
    return script_of(ch) not in _NO_HYPHEN_SCRIPTS and unicodedata.category(ch)[0] in "LM"


def break_points(word: str, lang: str | None) -> list[BreakPoint]:
    """Preferred breaks inside *word* (URL separators, or dictionary hyphenation points)."""
    if is_url(word):
        return url_points(word)
    points = {p: BreakPoint(p, True) for p in dictionary_points(word, lang)}
    # A word with its own hyphens ("end-to-end") may also break right after them, without
    # adding one (the line break finder allows this only between longer parts).
    for i, ch in enumerate(word[:-1]):
        if ch in "-\u2010" and i > 0:
            points[i + 1] = BreakPoint(i + 1, False)
    return [points[k] for k in sorted(points)]
