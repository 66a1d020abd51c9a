"""Unicode facts the text engine needs: grapheme clusters, scripts, bidi classes, emoji.

A compact, dependency-free subset of UAX #29 (grapheme clusters), UAX #24 (scripts) and
UAX #9 (bidi), tuned for the languages storycast renders (Latin, Cyrillic, Thai, Devanagari,
Arabic, emoji). Unknown scripts fall back to the first word of the character's Unicode name,
which is how the Unicode names are built ("BENGALI LETTER KA" -> "Bengali").
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

COMMON = "Common"
INHERITED = "Inherited"
EMOJI = "Emoji"

# (first, last, script) for the blocks we care most about; sorted by first code point.
_RANGES: list[tuple[int, int, str]] = [
    (0x0041, 0x005A, "Latin"),
    (0x0061, 0x007A, "Latin"),
    (0x00AA, 0x00AA, "Latin"),
    (0x00BA, 0x00BA, "Latin"),
    (0x00C0, 0x00D6, "Latin"),
    (0x00D8, 0x00F6, "Latin"),
    (0x00F8, 0x024F, "Latin"),
    (0x0250, 0x02AF, "Latin"),
    (0x0370, 0x03FF, "Greek"),
    (0x0400, 0x052F, "Cyrillic"),
    (0x0590, 0x05FF, "Hebrew"),
    (0x0600, 0x06FF, "Arabic"),
    (0x0750, 0x077F, "Arabic"),
    (0x08A0, 0x08FF, "Arabic"),
    (0x0900, 0x097F, "Devanagari"),
    (0x0E00, 0x0E7F, "Thai"),
    (0x1C80, 0x1C8F, "Cyrillic"),
    (0x1E00, 0x1EFF, "Latin"),
    (0x1F00, 0x1FFF, "Greek"),
    (0x2C60, 0x2C7F, "Latin"),
    (0x2DE0, 0x2DFF, "Cyrillic"),
    (0xA640, 0xA69F, "Cyrillic"),
    (0xA720, 0xA7FF, "Latin"),
    (0xA8E0, 0xA8FF, "Devanagari"),
    (0xFB1D, 0xFB4F, "Hebrew"),
    (0xFB50, 0xFDFF, "Arabic"),
    (0xFE70, 0xFEFF, "Arabic"),
]
_STARTS = [r[0] for r in _RANGES]

# Characters inside script blocks that Unicode assigns to Common (shared punctuation/digits).
_COMMON_IN_BLOCKS = {0x060C, 0x061B, 0x061F, 0x0640, 0x0964, 0x0965, 0x0E3F, 0x00D7, 0x00F7}

RTL_SCRIPTS = frozenset({"Arabic", "Hebrew", "Syriac", "Thaana", "Nko"})

# Scripts whose letters join or form conjuncts across clusters: never draw them cluster by
# cluster (letter spacing is not applied to them, as CSS recommends for cursive scripts).
CONNECTED_SCRIPTS = frozenset({"Arabic", "Devanagari", "Syriac", "Bengali", "Gurmukhi", "Mongolian"})


@lru_cache(maxsize=8192)
def script_of(ch: str) -> str:
    """Unicode script of one character (Common/Inherited for shared ones)."""
    cp = ord(ch)
    if cp in _COMMON_IN_BLOCKS:
        return COMMON
    cat = unicodedata.category(ch)
    if cat in ("Mn", "Me"):
        # Marks take the script of their block when it is one we know, else Inherited.
        i = bisect_right(_STARTS, cp) - 1
        if i >= 0 and _RANGES[i][0] <= cp <= _RANGES[i][1]:
            return _RANGES[i][2]
        return INHERITED
    i = bisect_right(_STARTS, cp) - 1
    if i >= 0 and _RANGES[i][0] <= cp <= _RANGES[i][1]:
        if cat[0] in "LMN" or cp >= 0x0E00:
            return _RANGES[i][2]
        return COMMON
    if cat[0] in "LM" or (cat == "Nd" and cp > 0x7F):
        name = unicodedata.name(ch, "")
        if name.startswith("CJK") or name.startswith("HIRAGANA") or name.startswith("KATAKANA"):
            return "Han"
        word = name.split(" ", 1)[0]
        return word.capitalize() if word else COMMON
    return COMMON


# --- emoji ---------------------------------------------------------------------------------

# Code points whose default presentation is emoji (a compact approximation of
# Emoji_Presentation=Yes); text-default symbols become emoji only when followed by U+FE0F.
_EMOJI_PRESENTATION_RANGES: list[tuple[int, int]] = [
    (0x231A, 0x231B),
    (0x23E9, 0x23EC),
    (0x23F0, 0x23F0),
    (0x23F3, 0x23F3),
    (0x25FD, 0x25FE),
    (0x2614, 0x2615),
    (0x2648, 0x2653),
    (0x267F, 0x267F),
    (0x2693, 0x2693),
    (0x26A1, 0x26A1),
    (0x26AA, 0x26AB),
    (0x26BD, 0x26BE),
    (0x26C4, 0x26C5),
    (0x26CE, 0x26CE),
    (0x26D4, 0x26D4),
    (0x26EA, 0x26EA),
    (0x26F2, 0x26F3),
    (0x26F5, 0x26F5),
    (0x26FA, 0x26FA),
    (0x26FD, 0x26FD),
    (0x2705, 0x2705),
    (0x270A, 0x270B),
    (0x2728, 0x2728),
    (0x274C, 0x274C),
    (0x274E, 0x274E),
    (0x2753, 0x2755),
    (0x2757, 0x2757),
    (0x2795, 0x2797),
    (0x27B0, 0x27B0),
    (0x27BF, 0x27BF),
    (0x2B1B, 0x2B1C),
    (0x2B50, 0x2B50),
    (0x2B55, 0x2B55),
    (0x1F004, 0x1F004),
    (0x1F0CF, 0x1F0CF),
    (0x1F18E, 0x1F18E),
    (0x1F191, 0x1F19A),
    (0x1F1E6, 0x1F1FF),
    (0x1F201, 0x1F201),
    (0x1F21A, 0x1F21A),
    (0x1F22F, 0x1F22F),
    (0x1F232, 0x1F236),
    (0x1F238, 0x1F23A),
    (0x1F250, 0x1F251),
    (0x1F300, 0x1F320),
    (0x1F32D, 0x1F335),
    (0x1F337, 0x1F37C),
    (0x1F37E, 0x1F393),
    (0x1F3A0, 0x1F3CA),
    (0x1F3CF, 0x1F3D3),
    (0x1F3E0, 0x1F3F0),
    (0x1F3F4, 0x1F3F4),
    (0x1F3F8, 0x1F43E),
    (0x1F440, 0x1F440),
    (0x1F442, 0x1F4FC),
    (0x1F4FF, 0x1F53D),
    (0x1F54B, 0x1F54E),
    (0x1F550, 0x1F567),
    (0x1F57A, 0x1F57A),
    (0x1F595, 0x1F596),
    (0x1F5A4, 0x1F5A4),
    (0x1F5FB, 0x1F64F),
    (0x1F680, 0x1F6C5),
    (0x1F6CC, 0x1F6CC),
    (0x1F6D0, 0x1F6D2),
    (0x1F6D5, 0x1F6D7),
    (0x1F6DC, 0x1F6DF),
    (0x1F6EB, 0x1F6EC),
    (0x1F6F4, 0x1F6FC),
    (0x1F7E0, 0x1F7EB),
    (0x1F7F0, 0x1F7F0),
    (0x1F90C, 0x1F93A),
    (0x1F93C, 0x1F945),
    (0x1F947, 0x1F9FF),
    (0x1FA70, 0x1FAFF),
]
_EMOJI_STARTS = [r[0] for r in _EMOJI_PRESENTATION_RANGES]

VS15 = "\ufe0e"  # text presentation selector
VS16 = "\ufe0f"  # emoji presentation selector
ZWJ = "\u200d"


def _emoji_presentation(cp: int) -> bool:
    i = bisect_right(_EMOJI_STARTS, cp) - 1
    return i >= 0 and cp <= _EMOJI_PRESENTATION_RANGES[i][1]


def is_emoji_cluster(cluster: str) -> bool:
    """Whether a grapheme cluster should be drawn as an emoji (pictograph) rather than text."""
    if VS15 in cluster:
        return False
    if VS16 in cluster and not cluster[0].isdigit() and cluster[0] not in "#*":
        return True
    if VS16 in cluster and "\u20e3" in cluster:  # keycap 1️⃣
        return True
    return _emoji_presentation(ord(cluster[0]))


# --- grapheme clusters ---------------------------------------------------------------------


def _extends(ch: str) -> bool:
    """Characters that never start a cluster: marks, joiners, selectors, skin tones, tags."""
    cp = ord(ch)
    if ch in (ZWJ, VS15, VS16, "\u200c") or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F:
        return True
    # Thai SARA AM and the Devanagari spacing vowel signs (Mc) belong to the preceding base.
    return unicodedata.category(ch) in ("Mn", "Me", "Mc") or cp == 0x0E33


def clusters(text: str) -> list[tuple[int, int]]:
    """Split *text* into grapheme clusters as (start, end) index pairs.

    Handles combining marks, Thai/Devanagari vowel signs, ZWJ emoji sequences, variation
    selectors, skin-tone modifiers, tag sequences, keycaps, regional-indicator flag pairs and
    CR LF. Line-break opportunities and font fallback only ever happen between clusters.
    """
    out: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        ch = text[i]
        if ch == "\r" and j < n and text[j] == "\n":
            j += 1
        elif 0x1F1E6 <= ord(ch) <= 0x1F1FF and j < n and 0x1F1E6 <= ord(text[j]) <= 0x1F1FF:
            j += 1  # a flag is a pair of regional indicators
        while j < n:
            if _extends(text[j]):
                if text[j] == ZWJ and j + 1 < n:
                    j += 2  # ZWJ glues the next pictograph into the same cluster
                else:
                    j += 1
            else:
                break
        out.append((i, j))
        i = j
    return out


# --- bidi ----------------------------------------------------------------------------------


def bidi_class(ch: str) -> str:
    """Simplified bidi class: 'L', 'R', 'EN' (European digits), 'AN' (Arabic digits), 'NSM', 'N'."""
    c = unicodedata.bidirectional(ch)
    if c == "L":
        return "L"
    if c in ("R", "AL"):
        return "R"
    if c in ("EN", "ET"):
        return "EN" if c == "EN" else "N"
    if c == "AN":
        return "AN"
    if c == "NSM":
        return "NSM"
    return "N"


RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "yi", "dv", "ckb", "sd", "ug"})


def paragraph_direction(text: str, lang: str | None = None) -> str:
    """'rtl' or 'ltr' for a paragraph.

    A right-to-left story language decides (an Arabic step that opens with "WhatsApp" is still
    an Arabic paragraph); otherwise the first strong character does (UAX #9 P2/P3).
    """
    base = (lang or "").split("-")[0].split("_")[0].lower()
    if base in RTL_LANGUAGES:
        return "rtl"
    for ch in text:
        c = unicodedata.bidirectional(ch)
        if c == "L":
            return "ltr"
        if c in ("R", "AL"):
            return "rtl"
    return "ltr"


def bidi_levels(text: str, base_rtl: bool) -> list[int]:
    """Embedding level per character (0/1/2), a compact version of UAX #9 rules W1-W7, N1-N2, I1-I2.

    Explicit embeddings and isolates are not supported (story text does not use them).
    """
    n = len(text)
    types = [bidi_class(c) for c in text]
    sos = "R" if base_rtl else "L"
    # W1: marks take the type of what they follow.
    prev = sos
    for i, t in enumerate(types):
        if t == "NSM":
            types[i] = prev if prev in ("L", "R", "EN", "AN") else "N"
        prev = types[i]
    # W2/W7: European digits after Arabic letters act as Arabic digits; after L they are L.
    last_strong = sos
    for i, t in enumerate(types):
        if t in ("L", "R"):
            last_strong = t
        elif t == "EN" and last_strong == "L":
            # W7 (digits after Latin are Latin). W2 would turn digits after Arabic into AN,
            # but EN and AN end up on the same level below, so they stay EN.
            types[i] = "L"
    # N1/N2: runs of neutrals take the surrounding direction when both sides agree
    # (numbers count as R), else the embedding direction.
    i = 0
    while i < n:
        if types[i] != "N":
            i += 1
            continue
        j = i
        while j < n and types[j] == "N":
            j += 1
        before = sos if i == 0 else _strong(types[i - 1])
        after = sos if j == n else _strong(types[j])
        fill = before if before == after else sos
        for k in range(i, j):
            types[k] = fill
        i = j
    levels: list[int] = []
    base = 1 if base_rtl else 0
    for t in types:
        if base == 0:
            levels.append(1 if t == "R" else 2 if t in ("EN", "AN") else 0)
        else:
            levels.append(2 if t in ("L", "EN", "AN") else 1)
    return levels


def _strong(t: str) -> str:
    return "L" if t == "L" else "R"


def visual_order(levels: list[int]) -> list[int]:
    """Indices of items in visual (left-to-right) order, by UAX #9 rule L2."""
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


@dataclass(frozen=True)
class ScriptSpan:
    """A maximal span of clusters sharing one script (Common/Inherited resolved to neighbours)."""

    start: int
    end: int
    script: str


def cluster_scripts(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """Script of each cluster; Common clusters take the script of the preceding cluster
    (or of the following one at the start), emoji clusters are 'Emoji'."""
    raw: list[str] = []
    for s, e in spans:
        cl = text[s:e]
        if is_emoji_cluster(cl):
            raw.append(EMOJI)
        else:
            sc = script_of(cl[0])
            raw.append(COMMON if sc == INHERITED else sc)
    resolved = list(raw)
    last: str | None = None
    for i, sc in enumerate(raw):
        if sc in (COMMON,):
            if last is not None:
                resolved[i] = last
        elif sc != EMOJI:
            last = sc
    nxt: str | None = None
    for i in range(len(raw) - 1, -1, -1):
        if raw[i] not in (COMMON, EMOJI):
            nxt = raw[i]
        elif resolved[i] == COMMON and nxt is not None:
            resolved[i] = nxt
    return resolved
