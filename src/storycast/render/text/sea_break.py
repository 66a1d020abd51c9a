"""Word boundaries for Khmer, Lao and Burmese, which write no spaces between words.

ICU's line breaker finds them with its dictionaries for each language (the same breaks
Chromium and Android make), through PyICU: the ``icu`` extra (``pip install 'storycast[icu]'``).
Two corrections on top, because ICU only knows native words:

- common support-vocabulary loanwords (router, Wi-Fi, app, password) that ICU cuts into
  syllables are kept whole (``LOANWORDS``);
- a sentence-final politeness or aspect particle (Burmese ပါ, Lao ແດ່, Khmer ផង) stays on
  the line of the word it ends, so no line starts with a particle and a full stop;
- a number written as a word stays with the unit after it (Khmer ពីរនាទី, two minutes).

Authors can keep any other pair of words together with a word joiner (U+2060).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from storycast.errors import RenderError

# Unicode blocks: Myanmar (+ extended A/B), Khmer (+ symbols), Lao.
_RANGES = (
    (0x1000, 0x109F),
    (0xAA60, 0xAA7F),
    (0xA9E0, 0xA9FF),
    (0x1780, 0x17FF),
    (0x19E0, 0x19FF),
    (0x0E80, 0x0EFF),
)

LOANWORDS: dict[str, tuple[str, ...]] = {
    "km": ("រ៉ោតទ័រ", "វ៉ាយហ្វាយ", "អ៊ីនធឺណិត", "កុំព្យូទ័រ", "ទូរស័ព្ទ", "អ៊ីមែល", "ផាសវើដ", "កម្មវិធី"),
    "lo": ("ເຣົາເຕີ", "ວາຍຟາຍ", "ອິນເຕີເນັດ", "ຄອມພິວເຕີ", "ແອັບ", "ອີເມວ", "ລະຫັດຜ່ານ"),
    "my": ("ရောက်တာ", "ဝိုင်ဖိုင်", "အင်တာနက်", "ကွန်ပျူတာ", "အက်ပ်", "အီးမေးလ်", "စကားဝှက်"),
}
FINAL_PARTICLES: dict[str, tuple[str, ...]] = {
    "km": ("ផង", "ទេ", "ណា", "ទៀត", "ហើយ"),
    "lo": ("ແດ່", "ເດີ", "ນະ", "ແລ້ວ"),
    "my": ("ပါ", "သည်", "တယ်", "ပြီ", "မယ်", "ပါတယ်", "ပါမယ်"),
}
SENTENCE_END = frozenset("។៕.!?။၊")
# A number stays with its unit ("ពីរ‖នាទី", two minutes, would read as a typo).
NUMERALS: dict[str, tuple[str, ...]] = {
    "km": ("មួយ", "ពីរ", "បី", "បួន", "ប្រាំ", "ដប់", "ម្ភៃ", "សាមសិប"),
    "lo": ("ໜຶ່ງ", "ສອງ", "ສາມ", "ສີ່", "ຫ້າ", "ສິບ", "ຊາວ", "ສາມສິບ"),
    "my": ("တစ်", "နှစ်", "သုံး", "လေး", "ငါး", "ဆယ်", "နှစ်ဆယ်", "သုံးဆယ်"),
}
UNITS: dict[str, tuple[str, ...]] = {
    "km": ("នាទី", "វិនាទី", "ម៉ោង", "ថ្ងៃ", "ដង", "ជំហាន"),
    "lo": ("ນາທີ", "ວິນາທີ", "ຊົ່ວໂມງ", "ມື້", "ເທື່ອ", "ຂັ້ນຕອນ"),
    "my": ("မိနစ်", "စက္ကန့်", "နာရီ", "ရက်", "ကြိမ်", "ဆင့်"),
}

_icu_lock = threading.Lock()


def language_of(ch: str) -> str | None:
    """'km', 'lo' or 'my' for a letter of those scripts, else None."""
    cp = ord(ch)
    if 0x1780 <= cp <= 0x17FF or 0x19E0 <= cp <= 0x19FF:
        return "km"
    if 0x0E80 <= cp <= 0x0EFF:
        return "lo"
    if 0x1000 <= cp <= 0x109F or 0xAA60 <= cp <= 0xAA7F or 0xA9E0 <= cp <= 0xA9FF:
        return "my"
    return None


def is_sea(ch: str) -> bool:
    """Whether *ch* belongs to the Khmer, Lao or Myanmar blocks."""
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _RANGES)


def _icu() -> Any:
    try:
        import icu
    except ImportError as exc:
        raise RenderError(
            "Khmer, Lao and Burmese text needs ICU's word dictionaries to break lines between "
            "words (these scripts write no spaces), and PyICU is not installed.",
            hint="Install it with `pip install 'storycast[icu]'` (it builds against the ICU "
            "library: `apt-get install libicu-dev pkg-config g++` on Debian/Ubuntu, "
            "`brew install icu4c pkg-config` on macOS).",
        ) from exc
    return icu


@lru_cache(maxsize=4096)
def run_boundaries(run: str, lang: str) -> tuple[int, ...]:
    """Word boundaries strictly inside *run* (text of one of these scripts)."""
    # Loanwords first: ICU does not know them, and an unknown word also spoils the words
    # around it, so ICU only sees the text between them.
    found: set[int] = set()
    pos = 0
    for start, end in _loanwords(run, lang):
        found.update(pos + p for p in _icu_boundaries(run[pos:start], lang))
        found.update(p for p in (start, end) if 0 < p < len(run) and not _is_mark(run[p]))
        pos = end
    found.update(pos + p for p in _icu_boundaries(run[pos:], lang))
    for particle in FINAL_PARTICLES.get(lang, ()):
        start = run.find(particle)
        while start >= 0:
            end = start + len(particle)
            rest = run[end:]
            if start in found and (not rest or rest[0] in SENTENCE_END):
                found.discard(start)
            start = run.find(particle, end)
    numerals, units = NUMERALS.get(lang, ()), UNITS.get(lang, ())
    for p in list(found):
        if run[:p].endswith(numerals) and run[p:].startswith(units):
            found.discard(p)
    return tuple(sorted(found))


def _loanwords(run: str, lang: str) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) of the known loanwords in *run*, longest match first."""
    spans: list[tuple[int, int]] = []
    for word in sorted(LOANWORDS.get(lang, ()), key=len, reverse=True):
        start = run.find(word)
        while start >= 0:
            end = start + len(word)
            whole = end >= len(run) or not _is_mark(run[end])  # not the start of a longer syllable
            if whole and all(end <= s or start >= e for s, e in spans):
                spans.append((start, end))
            start = run.find(word, end)
    return sorted(spans)


def _icu_boundaries(text: str, lang: str) -> list[int]:
    """ICU's line-break opportunities strictly inside *text*, as Python indices."""
    if len(text) < 2:
        return []
    icu = _icu()
    with _icu_lock:  # a BreakIterator is not thread-safe; the lock also covers the first load
        it = icu.BreakIterator.createLineInstance(icu.Locale(lang))
        it.setText(text)
        units = list(it)
    # ICU counts UTF-16 code units; map them back to Python indices.
    index: dict[int, int] = {}
    u = 0
    for i, ch in enumerate(text):
        index[u] = i
        u += 2 if ord(ch) > 0xFFFF else 1
    return [index[p] for p in units if p in index and 0 < index[p] < len(text)]


def _is_mark(ch: str) -> bool:
    import unicodedata

    return unicodedata.category(ch) in ("Mn", "Mc")


def boundaries(text: str) -> set[int]:
    """Word boundaries inside maximal runs of Khmer, Lao or Myanmar text, as positions in *text*."""
    out: set[int] = set()
    i, n = 0, len(text)
    while i < n:
        lang = language_of(text[i])
        if lang is None:
            i += 1
            continue
        j = i
        while j < n and language_of(text[j]) == lang:
            j += 1
        out.update(i + p for p in run_boundaries(text[i:j], lang))
        i = j
    return out
