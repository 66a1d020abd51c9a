"""Breaks a native reader rejects although they fall between two words.

* A one-letter Serbian or Hindi word (у, и, а, с, к, о, в; Latin u, i, a, s, k, o, v; Hindi व)
  never ends a line: it stays with the word after it, as if joined by a no-break space.
* Thai particles, complements and classifiers stay with the word before them
  (:mod:`.thai_glue`; applied where the dictionary breaker finds Thai words).
"""

from __future__ import annotations

import unicodedata

# Words of one letter that a line may not end with, by primary language.
ONE_LETTER_WORDS: dict[str, frozenset[str]] = {
    "sr": frozenset("уиасковuiaskov"),
    "hi": frozenset({"व"}),
}


def _primary(lang: str | None) -> str:
    return (lang or "").replace("_", "-").split("-")[0].lower()


def _word_before(text: str, pos: int) -> str:
    """The word that ends before the spaces in front of *pos*."""
    end = pos
    while end > 0 and text[end - 1].isspace():
        end -= 1
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start:end]


def keep_together(text: str, lang: str | None, breaks: list[int]) -> list[int]:
    """*breaks* (line start positions in *text*) less those that would end a line on a
    one-letter word of *lang*."""
    words = ONE_LETTER_WORDS.get(_primary(lang))
    if not words:
        return breaks
    out = []
    for pos in breaks:
        word = _word_before(text, pos)
        # Opening punctuation before the letter ("(и") still leaves a one-letter word.
        letters = "".join(ch for ch in word if unicodedata.category(ch)[0] in "LM")
        if pos > 0 and text[pos - 1].isspace() and letters.lower() in words and len(word) <= 2:
            continue
        out.append(pos)
    return out
