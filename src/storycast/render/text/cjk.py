"""Line breaking for Chinese and Japanese: between any two ideographs or kana, with kinsoku.

Chinese and Japanese write no spaces, and a line may end after any ideograph or kana except
where the rules of kinsoku shori (JIS X 4051, and the same rules in Chinese typesetting, W3C
"Requirements for Japanese/Chinese Text Layout") forbid it: no line starts with closing
brackets, closing or middle punctuation, small kana, the long-vowel mark or an iteration mark,
and no line ends with an opening bracket. A number stays with the counter or unit that follows
it ("2分", "5秒"). Korean is written with spaces between words and breaks only there (CSS
``word-break: keep-all``), so Hangul is not handled here.
"""

from __future__ import annotations

# Never at the start of a line: closing brackets and quotes, closing and middle punctuation
# (UAX #14 classes CL, CP, EX, IS, NS), small kana and the prolonged-sound mark (class CJ,
# treated as NS the way strict kinsoku and ICU's lb=strict do), iteration marks.
NO_START = frozenset(
    "、。，．：；！？‼⁇⁈⁉・･‥…〜～゠–"
    "）］｝〕〉》」』】〙〗〟’”｠»"
    ")]}"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿｧｨｩｪｫｬｭｮｯ"
    "ーｰ"
    "々〻ゝゞヽヾ"
    "%％‰℃°"
)
# Never at the end of a line: opening brackets and quotes.
NO_END = frozenset("（［｛〔〈《「『【〘〖〝‘“｟«([{￥＄＃$£€¥")


def is_cjk(ch: str) -> bool:
    """Whether *ch* is an ideograph, kana or CJK punctuation (breakable around, kinsoku aside)."""
    cp = ord(ch)
    return (
        0x3000 <= cp <= 0x30FF  # CJK punctuation, hiragana, katakana
        or 0x31F0 <= cp <= 0x31FF  # katakana phonetic extensions
        or 0x3400 <= cp <= 0x4DBF
        or 0x4E00 <= cp <= 0x9FFF
        or 0xF900 <= cp <= 0xFAFF
        or 0xFF00 <= cp <= 0xFFEF  # full-width forms
        or 0x20000 <= cp <= 0x3FFFF
    )


def break_between(before: str, after: str) -> bool | None:
    """Whether a line may break between the clusters *before* and *after*.

    ``None`` when neither side is Chinese or Japanese (the general rules decide); otherwise
    the kinsoku answer.
    """
    a, b = before[-1], after[0]
    if not (is_cjk(a) or is_cjk(b)):
        return None
    if b in NO_START or a in NO_END:
        return False
    # "2|分" would leave the number without its unit.
    return not ((a.isdigit() or a in "０１２３４５６７８９") and is_cjk(b))
