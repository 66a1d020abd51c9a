"""Unicode facts the text engine needs: grapheme clusters, scripts and emoji.

Scripts come from the Unicode Character Database as fontTools ships it (UAX #24,
``fontTools.unicodedata.script``); grapheme clusters are a compact subset of UAX #29 tuned for
the scripts storycast renders. The bidirectional algorithm lives in :mod:`.bidi`.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from fontTools import unicodedata as ucd

COMMON = "Common"
INHERITED = "Inherited"
EMOJI = "Emoji"

# Scripts whose letters join or form conjuncts across clusters: never draw them cluster by
# cluster (letter spacing is not applied to them, as CSS recommends for cursive scripts).
# Khmer and Myanmar stack a consonant under the one before it across a cluster boundary
# (coeng, virama), and the other Brahmic scripts form conjuncts the same way.
CONNECTED_SCRIPTS = frozenset(
    {
        "Arabic",
        "Devanagari",
        "Syriac",
        "Bengali",
        "Gurmukhi",
        "Gujarati",
        "Oriya",
        "Tamil",
        "Telugu",
        "Kannada",
        "Malayalam",
        "Sinhala",
        "Khmer",
        "Myanmar",
        "Tibetan",
        "Mongolian",
        "Nko",
        "Hanifi Rohingya",
    }
)

# ISO 15924 codes Unicode uses for characters shared between scripts, or not assigned.
_SHARED_CODES = {"Zyyy": COMMON, "Zinh": INHERITED, "Zzzz": COMMON}


@lru_cache(maxsize=8192)
def script_of(ch: str) -> str:
    """Unicode script name of one character ("Latin", "Arabic"; Common/Inherited for shared ones)."""
    code = ucd.script(ch)
    return _SHARED_CODES.get(code) or ucd.script_name(code, default=code)


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
