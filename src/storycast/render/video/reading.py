"""How long a frame should stay on screen so that it can be read."""

from __future__ import annotations

import re

# Words per minute for reading short on-screen text on a phone. Silent reading of running text is
# faster (about 240 wpm in English, 220 in Spanish, 185 in Russian in Trauzettel-Klosinski et al.
# 2012, Brysbaert 2019); story frames are glanced at between taps, so storycast uses lower figures,
# lowest for scripts with stacked marks (Devanagari, Thai).
WORDS_PER_MINUTE = {"en": 200, "es": 190, "sr": 170, "hi": 150, "th": 150}
DEFAULT_WPM = 170
GLANCE_SECONDS = 1.5  # taking in the picture and layout before reading
MIN_SECONDS, MAX_SECONDS = 3.0, 10.0

_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


def word_count(text: str, lang: str) -> int:
    """Words in ``text``; Thai (written without spaces) is segmented with pythainlp's newmm engine."""
    base = lang.split("-")[0].lower()
    if base == "th":
        from pythainlp.tokenize import word_tokenize

        return sum(1 for tok in word_tokenize(text, engine="newmm") if _WORD.search(tok))
    return len(_WORD.findall(text))


def reading_time(text: str, lang: str) -> float:
    """Seconds a frame with ``text`` in language ``lang`` should stay on screen (3-10 s).

    ``GLANCE_SECONDS`` plus the words at the language's reading speed, rounded up to a tenth.
    """
    base = lang.split("-")[0].lower()
    wpm = WORDS_PER_MINUTE.get(base, DEFAULT_WPM)
    seconds = GLANCE_SECONDS + word_count(text, lang) * 60 / wpm
    seconds = -(-round(seconds * 100) // 10) / 10  # ceil to 0.1 s without float noise
    return min(MAX_SECONDS, max(MIN_SECONDS, seconds))
