"""How search text is folded so that the spellings readers type find the spellings authors wrote.

One table of character replacements, applied after NFC and lower-casing, to the index at build
time (``search.tokenize``) and to the query in the browser (``static/search.js`` reads the same
table from the index file, ``"fold"``), so the two sides cannot drift apart:

- Arabic: harakat, Quranic marks, the superscript alef and tatweel go; the alef forms أ إ آ ٱ
  become ا, the yeh forms ى ئ ی become ي, ؤ becomes و, teh marbuta ة becomes ه, Persian keheh
  ک becomes ك.
- Serbian: Cyrillic and Latin meet in plain Latin letters (``рутер`` and ``ruter`` are both
  ``ruter``; љ њ џ ђ are lj nj dz dj, as are the Latin digraphs), and Latin letters lose their
  diacritics (č ć -> c, š -> s, ž -> z, đ -> dj; Spanish á -> a, ñ -> n).
- Devanagari: the nukta goes (क़ is found by क).
- Digits of the shipped scripts (Arabic-Indic, Persian, Devanagari, Thai, ...) become 0-9; the
  joiners ZWJ, ZWNJ and the soft hyphen go.
"""

from __future__ import annotations

import unicodedata
from functools import cache

# Arabic letters that carry a hamza or are a variant a reader does not type.
_ARABIC = {
    "\u0622": "\u0627",  # آ alef with madda
    "\u0623": "\u0627",  # أ alef with hamza above
    "\u0625": "\u0627",  # إ alef with hamza below
    "\u0671": "\u0627",  # ٱ alef wasla
    "\u0672": "\u0627",  # ٲ alef with wavy hamza above
    "\u0673": "\u0627",  # ٳ alef with wavy hamza below
    "\u0649": "\u064a",  # ى alef maksura
    "\u0626": "\u064a",  # ئ yeh with hamza above
    "\u06cc": "\u064a",  # ی Farsi yeh
    "\u0624": "\u0648",  # ؤ waw with hamza above
    "\u0629": "\u0647",  # ة teh marbuta
    "\u06a9": "\u0643",  # ک keheh (Persian kaf)
}
# Marks and fillers that do not change the word: tashkeel, Quranic annotation, tatweel.
_ARABIC_DROPPED = (
    (0x0610, 0x061A),
    (0x064B, 0x065F),
    (0x0670, 0x0670),
    (0x0640, 0x0640),
    (0x06D6, 0x06DC),
    (0x06DF, 0x06E4),
    (0x06E7, 0x06E8),
    (0x06EA, 0x06ED),
)
# Serbian Cyrillic in the plain Latin letters of its Latin alphabet (lower case; folding runs
# after lower-casing). Letters with diacritics lose them, as the Latin ones do below.
_SERBIAN = dict(
    zip(
        "абвгдежзијклмнопрстћуфхцчш",
        [*"abvgdezzijklmnoprstcufhccs"],
        strict=True,
    )
)
_SERBIAN.update({"ђ": "dj", "љ": "lj", "њ": "nj", "џ": "dz", "đ": "dj"})
_DEVANAGARI = {
    "\u093c": "",  # nukta
    "\u0958": "\u0915",  # क़
    "\u0959": "\u0916",  # ख़
    "\u095a": "\u0917",  # ग़
    "\u095b": "\u091c",  # ज़
    "\u095c": "\u0921",  # ड़
    "\u095d": "\u0922",  # ढ़
    "\u095e": "\u092b",  # फ़
    "\u095f": "\u092f",  # य़
}
# Zero digits of the scripts storycast ships fonts for (each block's 0-9 are consecutive).
_ZEROS = (0x0660, 0x06F0, 0x0966, 0x09E6, 0x0BE6, 0x0E50, 0x0ED0, 0x1040, 0x17E0)
_DROPPED = ("\u200c", "\u200d", "\u00ad")  # ZWNJ, ZWJ, soft hyphen


@cache
def fold_table() -> dict[str, str]:
    """The replacement table (character -> text, "" to drop), sorted by character."""
    table: dict[str, str] = {}
    # Latin letters with diacritics: their base letters (from the Unicode decomposition).
    for lo, hi in ((0x00C0, 0x024F), (0x1E00, 0x1EFF)):
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            if ch != ch.lower() or not ch.isalpha():
                continue
            base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
            if base != ch and base.isascii():
                table[ch] = base
    for lo, hi in _ARABIC_DROPPED:
        table.update({chr(cp): "" for cp in range(lo, hi + 1)})
    table.update(_ARABIC)
    table.update(_SERBIAN)
    table.update(_DEVANAGARI)
    for zero in _ZEROS:
        table.update({chr(zero + d): str(d) for d in range(10)})
    table.update({ch: "" for ch in _DROPPED})
    return dict(sorted(table.items()))


def fold(text: str) -> str:
    """``text`` as the search compares it: NFC, lower case, then the table."""
    table = fold_table()
    return "".join(table.get(c, c) for c in unicodedata.normalize("NFC", text).lower())
