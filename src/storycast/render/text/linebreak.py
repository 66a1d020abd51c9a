"""Where a line may break: a practical subset of UAX #14 plus dictionary breaking for Thai.

Breaks are allowed after spaces, after hyphens and dashes between letters, around ideographs
and between emoji, and between Thai words found by pythainlp's ``newmm`` dictionary
tokenizer (Thai writes no spaces between words). Never inside a word or a grapheme cluster,
never before closing punctuation and never after opening punctuation. Explicit newlines are
handled by the caller, which lays out each paragraph separately.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from storycast.render.text.cjk import break_between as cjk_break_between
from storycast.render.text.glue import keep_together
from storycast.render.text.scripts import clusters as grapheme_clusters
from storycast.render.text.scripts import is_emoji_cluster
from storycast.render.text.sea_break import boundaries as sea_boundaries
from storycast.render.text.sea_break import is_sea
from storycast.render.text.thai_glue import glued

# No break before these (UAX #14 classes CL, CP, EX, IS, NS and closing QU, plus Thai
# repetition/abbreviation marks, Devanagari dandas and Arabic punctuation).
CLOSING = frozenset(
    ")]}»›”’.,:;!?‼⁇⁈⁉…‥。、，．：；！？）］｝〕〉》」』】"
    "ๆฯ"  # Thai MAI YAMOK and PAIYANNOI belong to the word before them
    "।॥"  # Devanagari danda, double danda
    "،؛؟۔٪"
    "%‰°¢℃"
)
# No break after these (classes OP and opening QU, plus inverted Spanish marks).
OPENING = frozenset("([{«‹“‘„¿¡（［｛〔〈《「『【#$£€¥₹฿")
HYPHENS = frozenset("-\u2010\u2012\u2013")  # hyphen-minus, hyphen, figure dash, en dash
DASHES = frozenset("\u2014\u2015")  # em dash: break after it
SPACES = frozenset(" \t\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u205f\u3000")
NO_BREAK = frozenset("\u00a0\u202f\u2007\u2060\ufeff")  # NBSP, narrow NBSP, figure space, WJ
ZWSP = "\u200b"
THAI_LETTERS = (0x0E01, 0x0E5B)
MIN_HYPHEN_PART = 3

_thai_lock = threading.Lock()


def _is_space(ch: str) -> bool:
    return ch in SPACES


def _is_ideograph(ch: str) -> bool:
    cp = ord(ch)
    return (
        0x3040 <= cp <= 0x30FF  # kana
        or 0x3400 <= cp <= 0x4DBF
        or 0x4E00 <= cp <= 0x9FFF
        or 0xF900 <= cp <= 0xFAFF
        or 0x20000 <= cp <= 0x3FFFF
    )


def _is_thai(ch: str) -> bool:
    return THAI_LETTERS[0] <= ord(ch) <= THAI_LETTERS[1]


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LM"


def _short_number_before(text: str, space: int) -> bool:
    """Whether the word ending before the spaces at *space* is a number of at most 3 digits."""
    end = space
    while end > 0 and _is_space(text[end - 1]):
        end -= 1
    start = end
    while start > 0 and text[start - 1].isdigit():
        start -= 1
    return 0 < end - start <= 3 and (start == 0 or _is_space(text[start - 1]) or text[start - 1] in OPENING)


def _letters_before(text: str, end: int) -> int:
    i = end
    while i > 0 and _is_letter(text[i - 1]):
        i -= 1
    return end - i


def _letters_after(text: str, start: int) -> int:
    i = start
    while i < len(text) and _is_letter(text[i]):
        i += 1
    return i - start


class _ThaiDictionary:
    """pythainlp's default Thai word list for ``newmm``, indexed as it is used.

    pythainlp builds one trie of all 62,000 words on first use (about 0.15 s of Python, paid
    again by every worker process that was not forked from a warm parent), and a trie per group
    of words still cost a render of the example tutorials about 0.3 s. ``newmm`` only ever asks
    ``prefixes(text, start)``: the words that start at ``start``. So the words are kept in sets
    by their first two characters, with the longest word's length, and a question is answered
    by looking up each longer slice of the text in its set. The answers are exactly a trie's:
    the same words, in the same (increasing length) order.
    """

    def __init__(self, words: Iterable[str]) -> None:
        self._single: set[str] = set()
        self._groups: dict[str, tuple[set[str], int]] = {}
        for word in words:
            word = word.strip()  # as Trie.add does
            if len(word) == 1:
                self._single.add(word)
            elif word:
                group = self._groups.get(word[:2])
                if group is None:
                    self._groups[word[:2]] = ({word}, len(word))
                else:
                    group[0].add(word)
                    if len(word) > group[1]:
                        self._groups[word[:2]] = (group[0], len(word))
        self._count = len(self._single) + sum(len(g) for g, _ in self._groups.values())

    def __len__(self) -> int:
        return self._count

    def prefixes(self, text: str, start: int = 0) -> list[str]:
        """Dictionary words that ``text`` has at ``start``, shortest first."""
        out = [text[start]] if start < len(text) and text[start] in self._single else []
        key = text[start : start + 2]
        found = self._groups.get(key) if len(key) == 2 else None
        if found is None:
            return out
        group, longest = found
        end = min(len(text), start + longest)
        out.extend(w for k in range(start + 2, end + 1) if (w := text[start:k]) in group)
        return out


_thai_dict: _ThaiDictionary | None = None


def _dictionary() -> _ThaiDictionary:
    global _thai_dict
    if _thai_dict is None:
        from pythainlp.corpus import thai_words as corpus_words

        _thai_dict = _ThaiDictionary(corpus_words())
    return _thai_dict


@lru_cache(maxsize=4096)
def thai_words(text: str) -> tuple[str, ...]:
    """Thai words of *text* by pythainlp's ``newmm`` dictionary tokenizer (loaded lazily, cached)."""
    with _thai_lock:  # the first call loads the dictionary; do it once even with threads
        from pythainlp.tokenize import word_tokenize

        words = word_tokenize(text, custom_dict=_dictionary(), engine="newmm", keep_whitespace=True)  # type: ignore[arg-type]
        return tuple(words)


def warm_up() -> None:
    """Load the Thai dictionary now (about half a second) instead of on the first Thai text."""
    thai_words("ตั้งค่า")


def _thai_boundaries(text: str) -> set[int]:
    """Word boundaries inside maximal runs of Thai characters, as absolute positions."""
    out: set[int] = set()
    i, n = 0, len(text)
    while i < n:
        if not _is_thai(text[i]):
            i += 1
            continue
        j = i
        while j < n and _is_thai(text[j]):
            j += 1
        pos = i
        words = thai_words(text[i:j])
        keep = glued(words)  # particles and classifiers stay with the word before them
        for k, word in enumerate(words[:-1], start=1):
            pos += len(word)
            if k not in keep:
                out.add(pos)
        i = j
    return out


def break_opportunities(text: str, lang: str | None = None) -> list[int]:
    """Positions where a line may start, in increasing order, for one paragraph (no newlines).

    Position ``p`` means a break between ``text[p-1]`` and ``text[p]``; trailing spaces stay at
    the end of the line before the break. 0 and ``len(text)`` are never included.
    """
    spans = grapheme_clusters(text)
    thai = _thai_boundaries(text) if any(_is_thai(c) for c in text) else set()
    if any(is_sea(c) for c in text):
        thai |= sea_boundaries(text)  # Khmer, Lao, Burmese: dictionary words too
    out: list[int] = []
    for k in range(1, len(spans)):
        p = spans[k][0]
        prev_cl = text[spans[k - 1][0] : spans[k - 1][1]]
        next_cl = text[p : spans[k][1]]
        if _allowed(text, spans, k, prev_cl, next_cl, p in thai):
            out.append(p)
    return keep_together(text, lang, out)


def _allowed(
    text: str, spans: list[tuple[int, int]], k: int, prev_cl: str, next_cl: str, thai_boundary: bool
) -> bool:
    a, b = prev_cl[0], next_cl[0]
    if _is_space(b) or b in NO_BREAK or b == ZWSP or a in NO_BREAK:
        return False  # breaks come after spaces, never before them; NBSP glues
    if b in CLOSING:
        return False
    if _is_space(a):
        # Keep a short number with the word after it ("2 minutos", "5 นาที"): a number left
        # dangling at the end of a line reads as a typo to most readers.
        return not (_short_number_before(text, spans[k - 1][0]) and _is_letter(b))
    if a == ZWSP:
        return True
    if a in OPENING or a in "\"'":
        return False
    if b in "\"'":
        return False
    if a in HYPHENS:
        # "self-service" may break after the hyphen; "-5", "2-3", "Wi-Fi" and "e-mail" may not:
        # like hyphenation, keep at least MIN_HYPHEN_PART letters on each side.
        hyphen = spans[k - 1][0]
        return (
            _letters_before(text, hyphen) >= MIN_HYPHEN_PART
            and _letters_after(text, spans[k][0]) >= MIN_HYPHEN_PART
        )
    if a in DASHES:
        return True
    if a == "/":
        # URLs and paths may break after a slash before a word: ".../support/|reset".
        slash = spans[k - 1][0]
        return (
            slash > 0 and text[slash - 1].isalnum() and _letters_after(text, spans[k][0]) >= MIN_HYPHEN_PART
        )
    if thai_boundary:
        return True
    cjk_verdict = cjk_break_between(prev_cl, next_cl)  # Chinese and Japanese, with kinsoku
    if cjk_verdict is not None:
        return cjk_verdict
    # Between two emoji (or an emoji and a word) only when nothing glues them: UAX #14 treats
    # pictographs like ideographs, but "ok👍" reads as one unit, so only emoji-emoji breaks.
    return is_emoji_cluster(prev_cl) and is_emoji_cluster(next_cl)
